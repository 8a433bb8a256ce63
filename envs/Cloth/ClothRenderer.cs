using ContactOpt.Rendering;

namespace ContactOpt.Envs.Cloth;

/// <summary>
/// A small software rasteriser for cloth scenes: a perspective view from the front-left and above, the sheet as
/// Lambert-shaded triangles with a z-buffer (front side blue, back side orange, so a flip is visible), the floor
/// as a checker, the pan as its rim circle and goals as red dots.
/// </summary>
public static class ClothRenderer
{
    public const int Width = 320, Height = 240;

    public static Frame Render(ClothDynamics d, ReadOnlySpan<double> state, string? label)
    {
        var st = state.ToArray();
        var rgb = new byte[Width * Height * 3];
        var depth = new double[Width * Height];
        Array.Fill(depth, double.PositiveInfinity);
        int n = d.N;
        var com = d.CentreOfMass(d.Setup.InitialPositions.Concat(new double[3 * n]).ToArray());
        var target = new Vec3(com.X + 0.1, com.Y, 0.12);
        var eye = target + new Vec3(-0.45, -0.65, 0.45);
        var fwd = Normalise(target - eye);
        var right = Normalise(Vec3.Cross(fwd, new Vec3(0, 0, 1)));
        var up = Vec3.Cross(right, fwd);
        const double focal = 330;
        (double X, double Y, double Z) Project(Vec3 p)
        {
            var r = p - eye;
            double z = Vec3.Dot(r, fwd);
            if (z < 1e-3) z = 1e-3;
            return (Width / 2.0 + focal * Vec3.Dot(r, right) / z, Height / 2.0 - focal * Vec3.Dot(r, up) / z, z);
        }
        // Background sky and a checkered floor (ray cast per pixel).
        for (int py = 0; py < Height; py++)
            for (int px = 0; px < Width; px++)
            {
                var dir = fwd + ((px - Width / 2.0) / focal) * right - ((py - Height / 2.0) / focal) * up;
                int o = (py * Width + px) * 3;
                if (dir.Z < 0)
                {
                    double t = -eye.Z / dir.Z;
                    var hit = eye + t * dir;
                    bool dark = ((int)Math.Floor(hit.X / 0.05) + (int)Math.Floor(hit.Y / 0.05)) % 2 == 0;
                    byte c = (byte)(dark ? 150 : 185);
                    rgb[o] = c; rgb[o + 1] = c; rgb[o + 2] = (byte)(c - 10);
                    depth[py * Width + px] = t * Vec3.Dot(dir, fwd);
                }
                else { rgb[o] = 215; rgb[o + 1] = 228; rgb[o + 2] = 240; }
            }
        var m = d.Mesh;
        var light = Normalise(new Vec3(-0.3, -0.5, 1));
        for (int iv = 0; iv + 1 < m.Nv; iv++)
            for (int iu = 0; iu + 1 < m.Nu; iu++)
            {
                int a = m.Index(iu, iv), b = m.Index(iu + 1, iv), c = m.Index(iu, iv + 1), e = m.Index(iu + 1, iv + 1);
                Tri(a, b, e); Tri(a, e, c);
            }
        void Tri(int i, int j, int k)
        {
            var p0 = Vec3.Get(st, n, i); var p1 = Vec3.Get(st, n, j); var p2 = Vec3.Get(st, n, k);
            var nrm = Normalise(Vec3.Cross(p1 - p0, p2 - p0));
            bool front = Vec3.Dot(nrm, eye - p0) > 0;
            double lam = 0.35 + 0.65 * Math.Abs(Vec3.Dot(nrm, light));
            (double r, double g, double bl) col = front ? (70, 120, 220) : (235, 150, 60);
            Fill(Project(p0), Project(p1), Project(p2), ((byte)(col.r * lam), (byte)(col.g * lam), (byte)(col.bl * lam)));
        }
        void Fill((double X, double Y, double Z) A, (double X, double Y, double Z) B, (double X, double Y, double Z) C, (byte, byte, byte) col)
        {
            int x0 = Math.Max(0, (int)Math.Floor(Math.Min(A.X, Math.Min(B.X, C.X)))), x1 = Math.Min(Width - 1, (int)Math.Ceiling(Math.Max(A.X, Math.Max(B.X, C.X))));
            int y0 = Math.Max(0, (int)Math.Floor(Math.Min(A.Y, Math.Min(B.Y, C.Y)))), y1 = Math.Min(Height - 1, (int)Math.Ceiling(Math.Max(A.Y, Math.Max(B.Y, C.Y))));
            double area = (B.X - A.X) * (C.Y - A.Y) - (B.Y - A.Y) * (C.X - A.X);
            if (Math.Abs(area) < 1e-9) return;
            for (int y = y0; y <= y1; y++)
                for (int x = x0; x <= x1; x++)
                {
                    double px = x + 0.5, py = y + 0.5;
                    double w0 = ((B.X - px) * (C.Y - py) - (B.Y - py) * (C.X - px)) / area;
                    double w1 = ((C.X - px) * (A.Y - py) - (C.Y - py) * (A.X - px)) / area;
                    double w2 = 1 - w0 - w1;
                    if (w0 < 0 || w1 < 0 || w2 < 0) continue;
                    double z = w0 * A.Z + w1 * B.Z + w2 * C.Z - 1e-4;
                    int q = y * Width + x;
                    if (z >= depth[q]) continue;
                    depth[q] = z;
                    rgb[3 * q] = col.Item1; rgb[3 * q + 1] = col.Item2; rgb[3 * q + 2] = col.Item3;
                }
        }
        void Dot(Vec3 p, int r, (byte, byte, byte) col)
        {
            var (X, Y, _) = Project(p);
            for (int dy = -r; dy <= r; dy++)
                for (int dx = -r; dx <= r; dx++)
                {
                    int x = (int)X + dx, y = (int)Y + dy;
                    if (x < 0 || y < 0 || x >= Width || y >= Height || dx * dx + dy * dy > r * r) continue;
                    int q = 3 * (y * Width + x);
                    rgb[q] = col.Item1; rgb[q + 1] = col.Item2; rgb[q + 2] = col.Item3;
                }
        }
        if (d.Setup.Pan is { } pan)
        {
            double cx = state[6 * n], cz = state[6 * n + 1], th = state[6 * n + 2], c = Math.Cos(th), s = Math.Sin(th);
            for (int k = 0; k < 120; k++)
            {
                double ang = 2 * Math.PI * k / 120;
                foreach (var (rad, hgt) in new[] { (pan.Radius, pan.RimHeight), (0.6 * pan.Radius, pan.RimHeight * 0.1296) })
                {
                    double qx = rad * Math.Cos(ang), qy = rad * Math.Sin(ang), qz = hgt;
                    Dot(new Vec3(cx + c * qx + s * qz, qy, cz - s * qx + c * qz), 1, (40, 40, 40));
                }
            }
        }
        foreach (var g in d.Goals) Dot(g, 2, (220, 30, 30));
        foreach (var i in d.Setup.Driven) Dot(Vec3.Get(state, n, i), 2, (20, 150, 40));
        var frame = new Frame(Width, Height, rgb);
        if (label is null) return frame;
        // The label: drawn on a white canvas, its dark pixels copied over the scene.
        using var canvas = new Canvas(Width, Height, 0, 1, 0);
        canvas.Label(label);
        var text = canvas.ToFrame().Rgb;
        for (int q = 0; q < rgb.Length; q += 3)
            if (text[q] < 160) { rgb[q] = text[q]; rgb[q + 1] = text[q + 1]; rgb[q + 2] = text[q + 2]; }
        return frame;
    }

    static Vec3 Normalise(Vec3 v) { double l = v.Norm; return l > 0 ? (1 / l) * v : new Vec3(0, 0, 1); }
}
