namespace ContactOpt.Rendering;

/// <summary>
/// An H×W×3 RGB image (row-major, 8 bits per channel), as Gymnasium's rgb_array. Plain bytes: drawing and PNG
/// output live in the rendering project (<c>ContactOpt.Rendering</c>: <c>Canvas</c>, <c>frame.SavePng</c>).
/// </summary>
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
