using System.Diagnostics;
using ContactOpt.Tasks;
using ScottPlot;

namespace ContactOpt.Experiments;

/// <summary>A 2-D slice of a task's loss: values on a grid, optional gradients on a coarser grid.</summary>
/// <param name="GradU">∂loss/∂u on the loss grid (rows y, columns x), when computed.</param>
/// <param name="MarkerLabel">Legend text of the marker (the initial guess, or the point a slice is centred on).</param>
public sealed record LandscapeResult(
    string Task, string XLabel, string YLabel, double[] Xs, double[] Ys, double[,] Loss,
    (double X, double Y, double Dx, double Dy)[] Arrows, (double X, double Y)? Marker, double Seconds,
    double[,]? GradU = null, double[,]? GradV = null, string MarkerLabel = "initial guess")
{
    /// <summary>Writes u, v, loss (and ∂loss/∂u, ∂loss/∂v when computed) for every grid cell, one line each.</summary>
    public void WriteCsv(string path)
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder($"{Csv(XLabel)},{Csv(YLabel)},loss{(GradU is null ? "" : ",dloss_du,dloss_dv")}\n");
        for (int j = 0; j < Ys.Length; j++)
            for (int i = 0; i < Xs.Length; i++)
            {
                sb.Append(ci, $"{Xs[i]:R},{Ys[j]:R},{Loss[j, i]:R}");
                if (GradU is not null) sb.Append(ci, $",{GradU[j, i]:R},{GradV![j, i]:R}");
                sb.Append('\n');
            }
        File.WriteAllText(path, sb.ToString());
    }

    static string Csv(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}

/// <summary>
/// Computes loss landscapes in parallel (one objective per worker thread). A slice maps grid point (u, v) to
/// full parameters either by a task preset (e.g. grasp's mirrored setpoints) or by varying coordinates
/// (i, j) of a base point.
/// </summary>
public static class Landscape
{
    public static LandscapeResult Compute(TaskInstance task, Func<double, double, double[]> map, string xLabel, string yLabel,
        double xMin, double xMax, double yMin, double yMax, int resolution, int arrowResolution, (double, double)? marker,
        Func<double[], double[], (double, double)>? projectGradient, int threads, bool gridGradients = false, string markerLabel = "initial guess")
    {
        if (resolution < 2) throw new ArgumentException($"resolution {resolution} must be at least 2.");
        if (!(xMax > xMin) || !(yMax > yMin)) throw new ArgumentException("each range needs min < max.");
        var xs = Enumerable.Range(0, resolution).Select(i => xMin + (xMax - xMin) * i / (resolution - 1)).ToArray();
        var ys = Enumerable.Range(0, resolution).Select(i => yMin + (yMax - yMin) * i / (resolution - 1)).ToArray();
        var loss = new double[resolution, resolution];
        var sw = Stopwatch.StartNew();
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) };
        bool withGrid = gridGradients && projectGradient is not null;
        var du = withGrid ? new double[resolution, resolution] : null;
        var dv = withGrid ? new double[resolution, resolution] : null;
        Parallel.For(0, resolution, options, () => task.CreateObjective(), (j, _, f) =>
        {
            var g = withGrid ? new double[f.Dimension] : null;
            for (int i = 0; i < resolution; i++)
            {
                var x = map(xs[i], ys[j]);
                if (g is null) { loss[j, i] = f.Loss(x); continue; }
                double l = f.LossAndGradient(x, g);
                loss[j, i] = l;
                var (gu, gv) = double.IsFinite(l) ? projectGradient!(x, g) : (double.NaN, double.NaN);
                du![j, i] = gu; dv![j, i] = gv;
            }
            return f;
        }, _ => { });
        var arrows = new List<(double, double, double, double)>();
        if (arrowResolution > 1 && projectGradient is not null)
        {
            var ax = Enumerable.Range(0, arrowResolution).Select(i => xMin + (xMax - xMin) * (i + 0.5) / arrowResolution).ToArray();
            var ay = Enumerable.Range(0, arrowResolution).Select(i => yMin + (yMax - yMin) * (i + 0.5) / arrowResolution).ToArray();
            var result = new (double, double, double, double)[arrowResolution * arrowResolution];
            Parallel.For(0, arrowResolution, options, () => task.CreateObjective(), (j, _, f) =>
            {
                for (int i = 0; i < arrowResolution; i++)
                {
                    var x = map(ax[i], ay[j]);
                    var g = new double[x.Length];
                    double l = f.LossAndGradient(x, g);
                    var (gu, gv) = double.IsFinite(l) ? projectGradient(x, g) : (0, 0);
                    result[j * arrowResolution + i] = (ax[i], ay[j], -gu, -gv);
                }
                return f;
            }, _ => { });
            arrows.AddRange(result);
        }
        return new LandscapeResult(task.Name, xLabel, yLabel, xs, ys, loss, arrows.ToArray(), marker, sw.Elapsed.TotalSeconds, du, dv, markerLabel);
    }

    /// <summary>
    /// Heatmap with a colour bar, normalised negative-gradient arrows and the marker. <paramref name="logColor"/>: the
    /// colours show log₁₀ loss (non-positive losses take the smallest positive one).
    /// </summary>
    public static void Plot(LandscapeResult r, string path, bool logColor = false)
    {
        int ny = r.Ys.Length, nx = r.Xs.Length;
        var data = new double[ny, nx];
        double minPositive = r.Loss.Cast<double>().Where(v => double.IsFinite(v) && v > 0).DefaultIfEmpty(1).Min();
        double C(double v) => logColor ? Math.Log10(Math.Max(v, minPositive)) : v;
        double max = double.MinValue;
        foreach (var v in r.Loss) if (double.IsFinite(v)) max = Math.Max(max, C(v));
        for (int j = 0; j < ny; j++) for (int i = 0; i < nx; i++) data[j, i] = double.IsFinite(r.Loss[j, i]) ? C(r.Loss[j, i]) : max;
        var plt = new Plot();
        var hm = plt.Add.Heatmap(data);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        hm.FlipVertically = true;
        // Colour range up to the 99th percentile, so a few extreme cells do not wash out the rest.
        var finite = r.Loss.Cast<double>().Where(double.IsFinite).Select(C).Order().ToArray();
        if (finite.Length > 0) hm.ManualRange = new ScottPlot.Range(finite[0], Math.Max(finite[0] + 1e-12, finite[(int)(0.99 * (finite.Length - 1))]));
        double dx = (r.Xs[^1] - r.Xs[0]) / (nx - 1), dy = (r.Ys[^1] - r.Ys[0]) / (ny - 1);
        hm.Extent = new CoordinateRect(r.Xs[0] - dx / 2, r.Xs[^1] + dx / 2, r.Ys[0] - dy / 2, r.Ys[^1] + dy / 2);
        plt.Add.ColorBar(hm).Label = logColor ? "log₁₀ loss" : "loss";
        if (r.Arrows.Length > 0)
        {
            // Directions only (normalised −∇ in the slice's coordinates), drawn in data space as a segment from the
            // evaluation point with a dot at its head; zero gradients (flat regions) as small circles. (ScottPlot's
            // VectorField takes the vector in pixel space, y down, and drew many arrows reversed: see sphere:dim=2.)
            int side = Math.Max(1, (int)Math.Round(Math.Sqrt(r.Arrows.Length)));
            double lx = 0.8 * (r.Xs[^1] - r.Xs[0] + dx) / side, ly = 0.8 * (r.Ys[^1] - r.Ys[0] + dy) / side;
            foreach (var (x, y, gx, gy) in r.Arrows)
            {
                double n = Math.Sqrt(gx * gx + gy * gy);
                if (n > 0 && double.IsFinite(n))
                {
                    double ux = gx / n * lx / 2, uy = gy / n * ly / 2;
                    var line = plt.Add.Line(x - ux, y - uy, x + ux, y + uy);
                    line.Color = Colors.White; line.LineWidth = 1.5f; line.MarkerSize = 0;
                    var head = plt.Add.Marker(x + ux, y + uy, MarkerShape.FilledCircle, 5);
                    head.Color = Colors.White;
                }
                else
                {
                    var dot = plt.Add.Marker(x, y, MarkerShape.OpenCircle, 4);
                    dot.Color = Colors.White.WithAlpha(0.7);
                }
            }
        }
        if (r.Marker is var (mx, my))
        {
            var m = plt.Add.Marker(mx, my, MarkerShape.FilledSquare, 12);
            m.Color = Colors.Red;
            m.LegendText = r.MarkerLabel;
        }
        plt.Title($"{r.Task}: loss landscape ({nx}×{ny}){(r.Arrows.Length > 0 ? ", segments: normalised −∇ (dot = head)" : "")}");
        plt.XLabel(r.XLabel);
        plt.YLabel(r.YLabel);
        plt.Axes.SetLimits(r.Xs[0] - dx / 2, r.Xs[^1] + dx / 2, r.Ys[0] - dy / 2, r.Ys[^1] + dy / 2);
        plt.SavePng(path, 800, 650);
    }
}
