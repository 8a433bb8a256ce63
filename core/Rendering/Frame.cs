using SkiaSharp;

namespace ContactOpt.Rendering;

/// <summary>An H×W×3 RGB image (row-major, 8 bits per channel), as Gymnasium's rgb_array.</summary>
public sealed class Frame
{
    public Frame(int width, int height, byte[] rgb)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"Frame size {width}×{height} is not positive.");
        if (rgb.Length != width * height * 3) throw new ArgumentException($"RGB buffer has {rgb.Length} bytes, expected {width * height * 3}.");
        Width = width; Height = height; Rgb = rgb;
    }
    public int Width { get; }
    public int Height { get; }
    public byte[] Rgb { get; }

    public (byte R, byte G, byte B) Pixel(int x, int y)
    {
        int i = (y * Width + x) * 3;
        return (Rgb[i], Rgb[i + 1], Rgb[i + 2]);
    }

    /// <summary>Writes the frame as PNG; throws <see cref="IOException"/> naming the path when it cannot.</summary>
    public void SavePng(string path)
    {
        using var bmp = ToBitmap();
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

    internal SKBitmap ToBitmap()
    {
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

    /// <summary>Frames side by side (a filmstrip), separated by a thin gap, wrapping after <paramref name="perRow"/>.</summary>
    public static Frame Filmstrip(IReadOnlyList<Frame> frames, int perRow = 8, int gap = 4)
    {
        if (frames.Count == 0) throw new ArgumentException("A filmstrip needs at least one frame.");
        int w = frames[0].Width, h = frames[0].Height;
        int cols = Math.Min(perRow, frames.Count), rows = (frames.Count + cols - 1) / cols;
        int W = cols * w + (cols - 1) * gap, H = rows * h + (rows - 1) * gap;
        var rgb = new byte[W * H * 3];
        Array.Fill(rgb, (byte)255);
        for (int k = 0; k < frames.Count; k++)
        {
            var f = frames[k];
            if (f.Width != w || f.Height != h) throw new ArgumentException("Filmstrip frames must share one size.");
            int ox = (k % cols) * (w + gap), oy = (k / cols) * (h + gap);
            for (int y = 0; y < h; y++)
                Buffer.BlockCopy(f.Rgb, y * w * 3, rgb, ((oy + y) * W + ox) * 3, w * 3);
        }
        return new Frame(W, H, rgb);
    }
}
