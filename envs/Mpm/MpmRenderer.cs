using ContactOpt.Rendering;

namespace ContactOpt.Envs.Mpm;

/// <summary>
/// A 3-D view of an MPM state rasterised here: orthographic camera looking from the front (−z) and above, particles
/// splatted as small squares with a depth buffer and depth shading, primitives as sampled solids, the target's
/// occupied cells as a pale ghost behind everything.
/// </summary>
public static class MpmRenderer
{
    public const int Width = 320, Height = 240;

    /// <summary>Half-extents of a primitive's local bounding box (the lattice sampled to draw it).</summary>
    static V3 Extent(Primitive pr) => pr.Kind switch
    {
        ShapeKind.Sphere => new V3(pr.A, pr.A, pr.A),
        ShapeKind.Capsule => new V3(pr.B, 0.5 * pr.A + pr.B, pr.B),
        ShapeKind.Torus => new V3(pr.A + pr.B, pr.B, pr.A + pr.B),
        ShapeKind.Cylinder => new V3(pr.A, pr.B, pr.A),
        _ => new V3(0.2, 0.2, 0.2),
    };

    public static Frame Render(MpmDynamics d, ReadOnlySpan<double> state, string? label)
    {
        var rgb = new byte[Width * Height * 3];
        var depth = new double[Width * Height];
        Array.Fill(rgb, (byte)255);
        Array.Fill(depth, double.PositiveInfinity);
        var s = d.Scene;
        // Camera: rotate about x by 30° (looking down), then project onto screen (x right, y up).
        const double tilt = 30 * Math.PI / 180;
        double ct = Math.Cos(tilt), st = Math.Sin(tilt);
        double scale = Width * 0.8, cx = Width / 2.0, cy = Height * 0.62;
        void Project(double x, double y, double z, out int px, out int py, out double depthValue)
        {
            double xr = x - 0.5, yr = y * ct - (z - 0.5) * st, zr = y * st + (z - 0.5) * ct;
            px = (int)(cx + xr * scale); py = (int)(cy - yr * scale); depthValue = zr;
        }
        void Splat(double x, double y, double z, byte r, byte g, byte b, int size, bool ghost)
        {
            Project(x, y, z, out int px, out int py, out double dz);
            double shade = Math.Clamp(1.15 - 0.9 * (dz + 0.5), 0.35, 1.0);
            for (int oy = 0; oy < size; oy++)
                for (int ox = 0; ox < size; ox++)
                {
                    int u = px + ox, v = py + oy;
                    if ((uint)u >= Width || (uint)v >= Height) continue;
                    int i = v * Width + u;
                    if (ghost)
                    {
                        if (depth[i] < double.PositiveInfinity) continue;
                        rgb[3 * i] = r; rgb[3 * i + 1] = g; rgb[3 * i + 2] = b;
                        continue;
                    }
                    if (dz >= depth[i]) continue;
                    depth[i] = dz;
                    rgb[3 * i] = (byte)(r * shade); rgb[3 * i + 1] = (byte)(g * shade); rgb[3 * i + 2] = (byte)(b * shade);
                }
        }
        // Floor outline (the plane y = 3dx over the unit square).
        double fy = Scene.Bound * s.Dx;
        for (double u = 0; u <= 1; u += 0.002)
        {
            Splat(u, fy, 0.0, 170, 170, 170, 1, false); Splat(u, fy, 1.0, 120, 120, 120, 1, false);
            Splat(0.0, fy, u, 150, 150, 150, 1, false); Splat(1.0, fy, u, 150, 150, 150, 1, false);
        }
        // Particles.
        for (int p = 0; p < s.Particles; p++) Splat(state[3 * p], state[3 * p + 1], state[3 * p + 2], 235, 150, 60, 3, false);
        // Primitives: lattice points inside each solid.
        for (int k = 0; k < s.Primitives.Length; k++)
        {
            var pr = s.Primitives[k];
            var pos = new V3(state[s.PoseOffset + 3 * k], state[s.PoseOffset + 3 * k + 1], state[s.PoseOffset + 3 * k + 2]);
            var r = pr.Rotates ? Quat.Load(state, s.PoseOffset + 3 * s.Primitives.Length + 4 * k).Matrix() : pr.Rotation;
            var ext = Extent(pr);
            const int m = 24;
            for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) for (int l = 0; l < m; l++)
            {
                var q = new V3((2.0 * i / (m - 1) - 1) * ext.X, (2.0 * j / (m - 1) - 1) * ext.Y, (2.0 * l / (m - 1) - 1) * ext.Z);
                pr.Local(q, out double dist, out _, out _);
                if (dist > 0) continue;
                var w = r * q + pos;
                Splat(w.X, w.Y, w.Z, 70, 110, 200, 2, false);
            }
        }
        // Target ghost: occupied cells, behind everything drawn.
        int n = s.N;
        var t = d.Target.Mass;
        for (int idx = 0; idx < t.Length; idx++)
        {
            if (t[idx] <= 1e-4) continue;
            int x = idx % n, y = idx / n % n, z = idx / (n * n);
            Splat(x * s.Dx, y * s.Dx, z * s.Dx, 200, 230, 200, Math.Max(2, 300 / n), true);
        }
        return Labelled(Width, Height, rgb, label);
    }

    /// <summary>The frame of <paramref name="rgb"/>, with <paramref name="label"/> drawn on a blank canvas and its dark pixels copied over.</summary>
    internal static Frame Labelled(int width, int height, byte[] rgb, string? label)
    {
        if (label is null) return new Frame(width, height, rgb);
        using var canvas = new Canvas(width, height, 0, 1, 0);
        canvas.Label(label);
        var text = canvas.ToFrame();
        for (int i = 0; i < width * height; i++)
            if (text.Rgb[3 * i] < 128) { rgb[3 * i] = text.Rgb[3 * i]; rgb[3 * i + 1] = text.Rgb[3 * i + 1]; rgb[3 * i + 2] = text.Rgb[3 * i + 2]; }
        return new Frame(width, height, rgb);
    }
}
