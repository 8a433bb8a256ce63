using System.Diagnostics;
using ContactOpt.Tasks;
using ScottPlot;

namespace ContactOpt.Experiments;

/// <summary>A 2-D slice of a task's loss: values on a grid, optional gradients on a coarser grid.</summary>
public sealed record LandscapeResult(
    string Task, string XLabel, string YLabel, double[] Xs, double[] Ys, double[,] Loss,
    (double X, double Y, double Dx, double Dy)[] Arrows, (double X, double Y)? Marker, double Seconds);

/// <summary>
/// Computes loss landscapes in parallel (one objective per worker thread). A slice maps grid point (u, v) to
/// full parameters either by a task preset (e.g. grasp's mirrored setpoints) or by varying coordinates
/// (i, j) of a base point.
/// </summary>
public static class Landscape
{
    public static LandscapeResult Compute(TaskInstance task, Func<double, double, double[]> map, string xLabel, string yLabel,
        double xMin, double xMax, double yMin, double yMax, int resolution, int arrowResolution, (double, double)? marker,
        Func<double[], double[], (double, double)>? projectGradient, int threads)
    {
        if (resolution < 2) throw new ArgumentException($"resolution {resolution} must be at least 2.");
        if (!(xMax > xMin) || !(yMax > yMin)) throw new ArgumentException("each range needs min < max.");
        var xs = Enumerable.Range(0, resolution).Select(i => xMin + (xMax - xMin) * i / (resolution - 1)).ToArray();
        var ys = Enumerable.Range(0, resolution).Select(i => yMin + (yMax - yMin) * i / (resolution - 1)).ToArray();
        var loss = new double[resolution, resolution];
        var sw = Stopwatch.StartNew();
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) };
        Parallel.For(0, resolution, options, () => task.CreateObjective(), (j, _, f) =>
        {
            for (int i = 0; i < resolution; i++) loss[j, i] = f.Loss(map(xs[i], ys[j]));
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
        return new LandscapeResult(task.Name, xLabel, yLabel, xs, ys, loss, arrows.ToArray(), marker, sw.Elapsed.TotalSeconds);
    }

    /// <summary>Heatmap with a colour bar, normalised negative-gradient arrows and the initial guess marked.</summary>
    public static void Plot(LandscapeResult r, string path)
    {
        int ny = r.Ys.Length, nx = r.Xs.Length;
        var data = new double[ny, nx];
        double max = double.MinValue;
        foreach (var v in r.Loss) if (double.IsFinite(v)) max = Math.Max(max, v);
        for (int j = 0; j < ny; j++) for (int i = 0; i < nx; i++) data[j, i] = double.IsFinite(r.Loss[j, i]) ? r.Loss[j, i] : max;
        var plt = new Plot();
        var hm = plt.Add.Heatmap(data);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        hm.FlipVertically = true;
        // Colour range up to the 99th percentile, so a few extreme cells do not wash out the rest.
        var finite = r.Loss.Cast<double>().Where(double.IsFinite).Order().ToArray();
        if (finite.Length > 0) hm.ManualRange = new ScottPlot.Range(finite[0], Math.Max(finite[0] + 1e-12, finite[(int)(0.99 * (finite.Length - 1))]));
        double dx = (r.Xs[^1] - r.Xs[0]) / (nx - 1), dy = (r.Ys[^1] - r.Ys[0]) / (ny - 1);
        hm.Extent = new CoordinateRect(r.Xs[0] - dx / 2, r.Xs[^1] + dx / 2, r.Ys[0] - dy / 2, r.Ys[^1] + dy / 2);
        plt.Add.ColorBar(hm).Label = "loss";
        if (r.Arrows.Length > 0)
        {
            // Directions only (normalised −∇ in the slice's coordinates); zero gradients (flat regions) as dots.
            var vectors = new List<RootedCoordinateVector>();
            foreach (var (x, y, gx, gy) in r.Arrows)
            {
                double n = Math.Sqrt(gx * gx + gy * gy);
                if (n > 0 && double.IsFinite(n))
                    vectors.Add(new RootedCoordinateVector(new Coordinates(x, y), new System.Numerics.Vector2((float)(gx / n), (float)(gy / n))));
                else
                {
                    var dot = plt.Add.Marker(x, y, MarkerShape.FilledCircle, 4);
                    dot.Color = Colors.White.WithAlpha(0.7);
                }
            }
            if (vectors.Count > 0)
            {
                var field = plt.Add.VectorField(vectors, Colors.White);
                field.MaximumArrowLength = (float)(560.0 / Math.Sqrt(r.Arrows.Length) * 0.8);
            }
        }
        if (r.Marker is var (mx, my))
        {
            var m = plt.Add.Marker(mx, my, MarkerShape.FilledSquare, 12);
            m.Color = Colors.Red;
            m.LegendText = "initial guess";
        }
        plt.Title($"{r.Task}: loss landscape ({nx}×{ny}){(r.Arrows.Length > 0 ? ", arrows: normalised −∇" : "")}");
        plt.XLabel(r.XLabel);
        plt.YLabel(r.YLabel);
        plt.Axes.SetLimits(r.Xs[0] - dx / 2, r.Xs[^1] + dx / 2, r.Ys[0] - dy / 2, r.Ys[^1] + dy / 2);
        plt.SavePng(path, 800, 650);
    }
}
