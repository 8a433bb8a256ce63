using SkiaSharp;

namespace ContactOpt.Rendering;

/// <summary>
/// A side-view drawing surface in world coordinates (x right, z up, metres), backed by SkiaSharp.
/// Tasks draw their state with it (colours are <see cref="Rgb"/>, so no SkiaSharp type reaches physics code);
/// <see cref="ToFrame"/> returns the RGB frame.
/// </summary>
public sealed class Canvas : IDisposable
{
    readonly SKBitmap _bitmap;
    readonly SKCanvas _canvas;
    readonly double _scale, _x0, _z0;

    /// <param name="width">Pixels.</param>
    /// <param name="height">Pixels.</param>
    /// <param name="xMin">World x at the left edge.</param>
    /// <param name="xMax">World x at the right edge.</param>
    /// <param name="zMin">World z at the bottom edge (the vertical extent follows from the aspect ratio).</param>
    public Canvas(int width, int height, double xMin, double xMax, double zMin)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"Canvas size {width}×{height} is not positive.");
        if (!(xMax > xMin)) throw new ArgumentException("Canvas needs xMax > xMin.");
        _bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        _canvas = new SKCanvas(_bitmap);
        _canvas.Clear(SKColors.White);
        _scale = width / (xMax - xMin);
        _x0 = xMin; _z0 = zMin;
        Width = width; Height = height;
    }

    public int Width { get; }
    public int Height { get; }
    public double PixelsPerMetre => _scale;

    SKPoint P(double x, double z) => new((float)((x - _x0) * _scale), (float)(Height - (z - _z0) * _scale));

    static SKPaint Fill(Rgb c) => new() { Color = new SKColor(c.R, c.G, c.B, c.A), IsAntialias = true, Style = SKPaintStyle.Fill };
    static SKPaint Stroke(Rgb c, float w) => new() { Color = new SKColor(c.R, c.G, c.B, c.A), IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = w };

    public void Ground(double z = 0.0)
    {
        var p = P(0, z);
        using var paint = Fill(new Rgb(200, 200, 200));
        _canvas.DrawRect(0, p.Y, Width, Height - p.Y, paint);
        using var line = Stroke(new Rgb(90, 90, 90), 2);
        _canvas.DrawLine(0, p.Y, Width, p.Y, line);
    }

    public void Polygon(ReadOnlySpan<(double X, double Z)> points, Rgb fill, Rgb? outline = null)
    {
        using var path = new SKPath();
        path.MoveTo(P(points[0].X, points[0].Z));
        for (int i = 1; i < points.Length; i++) path.LineTo(P(points[i].X, points[i].Z));
        path.Close();
        using var f = Fill(fill);
        _canvas.DrawPath(path, f);
        if (outline is Rgb o) { using var s = Stroke(o, 2); _canvas.DrawPath(path, s); }
    }

    /// <summary>A rectangle of half sizes (hx, hz) centred at (x, z), rotated by angle (rad, CCW).</summary>
    public void RotatedBox(double x, double z, double hx, double hz, double angle, Rgb fill, Rgb? outline = null)
    {
        double c = Math.Cos(angle), s = Math.Sin(angle);
        Span<(double, double)> pts = stackalloc (double, double)[4];
        int k = 0;
        foreach (var (ox, oz) in new[] { (-hx, -hz), (hx, -hz), (hx, hz), (-hx, hz) })
            pts[k++] = (x + c * ox - s * oz, z + s * ox + c * oz);
        Polygon(pts, fill, outline);
    }

    /// <summary>A disc of radius given in metres, or at least <paramref name="minPixels"/> wide.</summary>
    public void Disc(double x, double z, double radius, Rgb fill, float minPixels = 3)
    {
        using var f = Fill(fill);
        _canvas.DrawCircle(P(x, z), Math.Max(minPixels, (float)(radius * _scale)), f);
    }

    /// <summary>A cross marker (e.g. a setpoint or target), size in pixels.</summary>
    public void Cross(double x, double z, Rgb color, float size = 6)
    {
        var p = P(x, z);
        using var s = Stroke(color, 2);
        _canvas.DrawLine(p.X - size, p.Y - size, p.X + size, p.Y + size, s);
        _canvas.DrawLine(p.X - size, p.Y + size, p.X + size, p.Y - size, s);
    }

    public void Line(double x1, double z1, double x2, double z2, Rgb color, float width = 2)
    {
        using var s = Stroke(color, width);
        _canvas.DrawLine(P(x1, z1), P(x2, z2), s);
    }

    /// <summary>Text at a pixel position from the top-left corner.</summary>
    public void Label(string text, float px = 6, float py = 16)
    {
        using var font = new SKFont(SKTypeface.Default, 13);
        using var paint = Fill(new Rgb(0, 0, 0));
        _canvas.DrawText(text, px, py, font, paint);
    }

    public Frame ToFrame()
    {
        _canvas.Flush();
        return FrameImages.FromBitmap(_bitmap);
    }

    public void Dispose() { _canvas.Dispose(); _bitmap.Dispose(); }
}
