using ContactOpt.Rendering;

namespace ContactOpt.Envs.Mpm;

/// <summary>
/// A view of a fluid-task state: orthographic camera from the front-side and above; the syrup as pale blue
/// points (depth-shaded), the ladle as sampled solids drawn over the syrup, the cube (orange) over both so that it
/// stays visible inside the syrup and the bowl; the tank's floor and rim outlined.
/// </summary>
public static class FluidRenderer
{
    public const int Width = 320, Height = 240;

    public static Frame Render(FluidDynamics d, ReadOnlySpan<double> state, string? label)
    {
        var rgb = new byte[Width * Height * 3];
        Array.Fill(rgb, (byte)255);
        var liquidDepth = new double[Width * Height];
        var toolDepth = new double[Width * Height];
        var cubeDepth = new double[Width * Height];
        Array.Fill(liquidDepth, double.PositiveInfinity); Array.Fill(toolDepth, double.PositiveInfinity); Array.Fill(cubeDepth, double.PositiveInfinity);
        var s = d.Scene;
        // Camera: from the side (+x, turned 80° about y: forward z runs right to left), tilted 35° down to look into the bowl.
        double yaw = 80 * Math.PI / 180, tilt = 35 * Math.PI / 180;
        double cyw = Math.Cos(yaw), syw = Math.Sin(yaw), ct = Math.Cos(tilt), st = Math.Sin(tilt);
        double scale = Width * 0.78, cx = Width / 2.0, cy = Height * 0.78;
        void Splat(V3 w, byte r, byte g, byte b, int size, double[] depth, double[]? behind)
        {
            double x0 = w.X - 0.5, z0 = w.Z - 0.5;
            double xr = cyw * x0 - syw * z0, zr0 = syw * x0 + cyw * z0;
            double yr = w.Y * ct - zr0 * st, dz = w.Y * st + zr0 * ct;
            int px = (int)(cx + xr * scale), py = (int)(cy - yr * scale);
            double shade = Math.Clamp(1.1 - 0.8 * (dz + 0.5), 0.45, 1.0);
            for (int oy = 0; oy < size; oy++)
                for (int ox = 0; ox < size; ox++)
                {
                    int u = px + ox, v = py + oy;
                    if ((uint)u >= Width || (uint)v >= Height) continue;
                    int i = v * Width + u;
                    if (dz >= depth[i] || (behind is not null && behind[i] < dz)) continue;
                    depth[i] = dz;
                    rgb[3 * i] = (byte)(r * shade); rgb[3 * i + 1] = (byte)(g * shade); rgb[3 * i + 2] = (byte)(b * shade);
                }
        }
        int n = s.N;
        // Tank: floor and rim outlines.
        for (double u = 0; u <= 1; u += 0.004)
            foreach (double h in new[] { 0.0, FluidScene.TankHeight })
            {
                double y = FluidScene.ToEngine(n, 0, h, 0).Y;
                double a = 3.0 / n, b = 1 - 3.0 / n, t = a + (b - a) * u;
                foreach (var w in new[] { new V3(t, y, a), new V3(t, y, b), new V3(a, y, t), new V3(b, y, t) })
                    Splat(w, 150, 150, 150, 1, liquidDepth, null);
            }
        for (int p = 0; p < d.LiquidParticles; p++) Splat(V3.Load(state, 3 * p), 150, 195, 235, 2, liquidDepth, null);
        for (int k = 0; k < s.Primitives.Length; k++)
        {
            var pr = s.Primitives[k];
            var pos = V3.Load(state, s.PoseOffset + 3 * k);
            double ext = pr.Kind == ShapeKind.Capsule ? 0.5 * pr.A + pr.B : pr.A + pr.B;
            const int m = 30;
            for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) for (int l = 0; l < m; l++)
            {
                var q = new V3((2.0 * i / (m - 1) - 1) * ext, (2.0 * j / (m - 1) - 1) * ext, (2.0 * l / (m - 1) - 1) * ext);
                pr.Local(q, out double dist, out _, out _);
                if (dist > 0) continue;
                Splat(pr.Rotation * q + pos, 90, 90, 110, 2, toolDepth, null);
            }
        }
        for (int p = d.Cube.Start; p < d.Cube.Start + d.Cube.Count; p++) Splat(V3.Load(state, 3 * p), 230, 120, 30, 5, cubeDepth, null);
        return MpmRenderer.Labelled(Width, Height, rgb, label);
    }
}
