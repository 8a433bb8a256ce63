using SkiaSharp;

namespace ContactOpt.Rendering;

/// <summary>PNG output of frames and the SkiaSharp conversions the canvas uses.</summary>
public static class FrameImages
{
    /// <summary>Writes the frame as PNG; throws <see cref="IOException"/> naming the path when it cannot.</summary>
    public static void SavePng(this Frame frame, string path)
    {
        using var bmp = ToBitmap(frame);
        using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            using var f = File.Create(path);
            data.SaveTo(f);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException or NotSupportedException)
        {
            throw new IOException($"cannot write '{path}': {e.Message}", e);
        }
    }

    internal static SKBitmap ToBitmap(Frame frame)
    {
        var (Width, Height, Rgb) = (frame.Width, frame.Height, frame.Rgb);
        var bmp = new SKBitmap(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var px = new byte[Width * Height * 4];
        for (int i = 0, j = 0; i < Rgb.Length; i += 3, j += 4)
        { px[j] = Rgb[i]; px[j + 1] = Rgb[i + 1]; px[j + 2] = Rgb[i + 2]; px[j + 3] = 255; }
        System.Runtime.InteropServices.Marshal.Copy(px, 0, bmp.GetPixels(), px.Length);
        return bmp;
    }

    internal static Frame FromBitmap(SKBitmap bmp)
    {
        using var rgba = bmp.ColorType == SKColorType.Rgba8888 ? null : bmp.Copy(SKColorType.Rgba8888);
        var src = rgba ?? bmp;
        var px = new byte[src.Width * src.Height * 4];
        System.Runtime.InteropServices.Marshal.Copy(src.GetPixels(), px, 0, px.Length);
        var rgb = new byte[src.Width * src.Height * 3];
        for (int i = 0, j = 0; j < px.Length; i += 3, j += 4) { rgb[i] = px[j]; rgb[i + 1] = px[j + 1]; rgb[i + 2] = px[j + 2]; }
        return new Frame(src.Width, src.Height, rgb);
    }

}
