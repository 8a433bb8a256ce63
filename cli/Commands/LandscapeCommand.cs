using System.Globalization;
using ContactOpt.Experiments;

namespace ContactOpt.Cli.Commands;

/// <summary>
/// <c>contactopt landscape &lt;task&gt; [--dims i,j] [--around x] [--range lo:hi,lo:hi | r] [--res N] [--grad]
/// [--arrows N] [--symmetric] [--log] [--csv FILE.csv] [--jobs J] [--out FILE.png]</c>. Without --dims/--around/--range the task's
/// preset slice is used (e.g. Dawson's Fig. 2 for flip, the mirrored Fig. 5 for grasp). --log: colours show log₁₀ loss;
/// --csv: every grid cell's u, v, loss (and, with --grad, the gradient along the slice at every cell).
/// </summary>
public static class LandscapeCommand
{
    public static int Run(Args args)
    {
        var dimsText = args.Option("dims");
        var aroundText = args.Option("around");
        var rangeText = args.Option("range");
        int? res = args.Option("res") is string r ? ParseRes(r) : null;
        bool grad = args.Flag("grad"), symmetric = args.Flag("symmetric"), logColor = args.Flag("log");
        var csvPath = args.Option("csv");
        int arrows = args.Int("arrows", 20, 2, 200);
        int jobs = args.Int("jobs", Math.Min(Environment.ProcessorCount, CompareCommand.MaxJobs), 1, CompareCommand.MaxJobs);
        var outPath = args.Option("out");
        var task = Catalog.Task(args.Positional(0, "task name (see 'contactopt tasks')"));
        args.EnsureAllUsed(1);
        outPath ??= $"landscape-{task.Name.Replace(':', '_')}.png";
        if (!outPath.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new UsageException($"--out '{outPath}' must end in .png.");
        var f = task.CreateObjective();
        var guess = f.InitialGuess.ToArray();
        bool usePreset = symmetric || (dimsText is null && aroundText is null && rangeText is null && task.Landscape is not null);
        if (symmetric && task.Landscape is null) throw new UsageException($"task '{task.Name}' has no preset (symmetric) slice; use --dims.");
        if (symmetric && (dimsText is not null || aroundText is not null))
            throw new UsageException($"--symmetric draws the task's preset slice; it cannot be combined with {(dimsText is not null ? "--dims" : "--around")} (drop one).");
        if (csvPath is not null && !csvPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) throw new UsageException($"--csv '{csvPath}' must end in .csv.");

        LandscapeResult result;
        if (usePreset)
        {
            var p = task.Landscape!;
            double xMin = p.XMin, xMax = p.XMax, yMin = p.YMin, yMax = p.YMax;
            if (rangeText is not null) (xMin, xMax, yMin, yMax) = ParseRange(rangeText, 0, 0);
            // Gradients are projected onto the slice: d/du L(map(u, v)) by the chain rule through the (linear) map.
            var (ju, jv) = SliceJacobian(p.ToParameters, 0.5 * (xMin + xMax), 0.5 * (yMin + yMax));
            (double, double)? marker = FindInSlice(p.ToParameters, guess, xMin, xMax, yMin, yMax);
            result = Landscape.Compute(task, p.ToParameters, p.XLabel, p.YLabel, xMin, xMax, yMin, yMax, res ?? p.Resolution,
                grad ? arrows : 0, marker, (x, g) => (Dot(g, ju), Dot(g, jv)), jobs, gridGradients: grad && csvPath is not null);
        }
        else
        {
            int i = 0, j = 1;
            if (dimsText is not null)
            {
                var d = dimsText.Split(',');
                if (d.Length != 2 || !int.TryParse(d[0], out i) || !int.TryParse(d[1], out j))
                    throw new UsageException($"--dims '{dimsText}' must be two indices i,j.");
            }
            if (task.Dimension < 2) throw new UsageException($"task '{task.Name}' has dimension {task.Dimension}; a landscape needs 2.");
            if (i < 0 || j < 0 || i >= task.Dimension || j >= task.Dimension || i == j)
                throw new UsageException($"--dims {i},{j} must be two different indices in 0..{task.Dimension - 1}.");
            var baseX = aroundText is null ? guess : Catalog.Params(task, aroundText);
            double xMin, xMax, yMin, yMax;
            if (rangeText is null)
            {
                (xMin, xMax) = (f.SamplingLower[i], f.SamplingUpper[i]);
                (yMin, yMax) = (f.SamplingLower[j], f.SamplingUpper[j]);
                if (aroundText is not null)
                {
                    double hx = 0.5 * (xMax - xMin), hy = 0.5 * (yMax - yMin);
                    (xMin, xMax, yMin, yMax) = (baseX[i] - hx / 2, baseX[i] + hx / 2, baseX[j] - hy / 2, baseX[j] + hy / 2);
                }
            }
            else (xMin, xMax, yMin, yMax) = ParseRange(rangeText, baseX[i], baseX[j]);
            double[] Map(double u, double v) { var x = (double[])baseX.Clone(); x[i] = u; x[j] = v; return x; }
            var (xLabel, yLabel) = AxisNames(task, i, j);
            result = Landscape.Compute(task, Map, xLabel, yLabel, xMin, xMax, yMin, yMax, res ?? 100, grad ? arrows : 0,
                (baseX[i], baseX[j]), (x, g) => (g[i], g[j]), jobs, gridGradients: grad && csvPath is not null,
                markerLabel: aroundText is null ? "initial guess" : "--around point");
        }
        Landscape.Plot(result, outPath, logColor);
        if (csvPath is not null)
        {
            try { result.WriteCsv(csvPath); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new UsageException($"--csv '{csvPath}': {e.Message}"); }
            Console.WriteLine($"wrote {csvPath}: {result.Xs.Length * result.Ys.Length} cells{(result.GradU is null ? "" : " with gradients")}");
        }
        Console.WriteLine($"wrote {outPath}: {result.Xs.Length}×{result.Ys.Length} losses in {result.Seconds:0.00} s on {jobs} thread(s)" +
                          (result.Arrows.Length > 0 ? $", {result.Arrows.Length} gradients" : ""));
        return 0;
    }

    /// <summary>
    /// Names of coordinates i and j: the task's preset labels when its preset slice is exactly those two coordinates
    /// (e.g. flip's x_des, z_des), else x[i], x[j].
    /// </summary>
    static (string, string) AxisNames(Tasks.TaskInstance task, int i, int j)
    {
        if (task.Landscape is { } p)
        {
            var (ju, jv) = SliceJacobian(p.ToParameters, 0.5 * (p.XMin + p.XMax), 0.5 * (p.YMin + p.YMax));
            bool Unit(double[] v, int k) => v.Length == task.Dimension && v.Select((a, m) => Math.Abs(a - (m == k ? 1 : 0))).Max() < 1e-6;
            if (Unit(ju, i) && Unit(jv, j)) return (p.XLabel, p.YLabel);
            if (Unit(ju, j) && Unit(jv, i)) return (p.YLabel, p.XLabel);
        }
        return ($"x[{i}]", $"x[{j}]");
    }

    static int ParseRes(string s) =>
        int.TryParse(s, out var v) && v >= 2 && v <= 2000 ? v : throw new UsageException($"--res '{s}' must be an integer in [2, 2000].");

    /// <summary>Largest coordinate magnitude of a slice (beyond it grid spacings and gradients overflow).</summary>
    const double MaxCoordinate = 1e12;

    static (double, double, double, double) ParseRange(string s, double cx, double cy)
    {
        var r = ParseRangeUnchecked(s, cx, cy);
        foreach (var v in new[] { r.Item1, r.Item2, r.Item3, r.Item4 })
            if (!(Math.Abs(v) <= MaxCoordinate)) throw new UsageException($"--range '{s}' reaches {v.ToString("G4", CultureInfo.InvariantCulture)}; slice coordinates must lie in [-1e12, 1e12].");
        return r;
    }

    static (double, double, double, double) ParseRangeUnchecked(string s, double cx, double cy)
    {
        var parts = s.Split(',');
        if (parts.Length == 1)
        {
            double r = Args.ParseDouble(parts[0], "--range");
            if (!(r > 0)) throw new UsageException($"--range {r} must be positive.");
            return (cx - r, cx + r, cy - r, cy + r);
        }
        if (parts.Length != 2) throw new UsageException($"--range '{s}' must be 'r' or 'lo:hi,lo:hi'.");
        (double, double) One(string p, string what)
        {
            var ab = p.Split(':');
            if (ab.Length != 2) throw new UsageException($"--range {what} '{p}' must be lo:hi.");
            double a = Args.ParseDouble(ab[0], $"--range {what}"), b = Args.ParseDouble(ab[1], $"--range {what}");
            if (!(b > a)) throw new UsageException($"--range {what} '{p}' needs lo < hi.");
            return (a, b);
        }
        var (x0, x1) = One(parts[0], "x"); var (y0, y1) = One(parts[1], "y");
        return (x0, x1, y0, y1);
    }

    static (double[], double[]) SliceJacobian(Func<double, double, double[]> map, double u, double v)
    {
        const double h = 1e-3;
        var a = map(u + h, v); var b = map(u - h, v); var c = map(u, v + h); var d = map(u, v - h);
        return (a.Zip(b, (p, q) => (p - q) / (2 * h)).ToArray(), c.Zip(d, (p, q) => (p - q) / (2 * h)).ToArray());
    }

    static double Dot(double[] a, double[] b) { double s = 0; for (int i = 0; i < a.Length; i++) s += a[i] * b[i]; return s; }

    /// <summary>The slice coordinates of the initial guess, when the guess lies on the slice.</summary>
    static (double, double)? FindInSlice(Func<double, double, double[]> map, double[] guess, double x0, double x1, double y0, double y1)
    {
        var (ju, jv) = SliceJacobian(map, 0, 0);
        var origin = map(0, 0);
        // Least squares for (u, v) with origin + u·ju + v·jv ≈ guess.
        double a = Dot(ju, ju), b = Dot(ju, jv), c = Dot(jv, jv);
        var r = guess.Zip(origin, (g, o) => g - o).ToArray();
        double p = Dot(ju, r), q = Dot(jv, r), det = a * c - b * b;
        if (Math.Abs(det) < 1e-12) return null;
        double u = (c * p - b * q) / det, v = (a * q - b * p) / det;
        var back = map(u, v);
        if (back.Zip(guess, (m, g) => Math.Abs(m - g)).Max() > 1e-9) return null;
        return u >= x0 && u <= x1 && v >= y0 && v <= y1 ? (u, v) : null;
    }
}
