namespace ContactOpt.Tasks;

/// <summary>
/// Automatic vs central finite-difference gradient at one point, over the checked coordinates
/// <see cref="Coordinates"/> (all of them unless a subset was asked for).
/// </summary>
public sealed record GradientCheckPoint(double[] X, double Loss, double[] Automatic, double[] FiniteDifference, double RelativeError, bool Smooth, int[] Coordinates);

/// <summary>Summary of a gradient check over several points.</summary>
public sealed record GradientCheckReport(IReadOnlyList<GradientCheckPoint> Points, double Step)
{
    public int SmoothCount => Points.Count(p => p.Smooth);
    public double MaxSmoothError => Points.Where(p => p.Smooth).Select(p => p.RelativeError).DefaultIfEmpty(double.NaN).Max();
    public double MedianError => Median(Points.Select(p => p.RelativeError));
    public int Agreeing(double tolerance) => Points.Count(p => p.RelativeError <= tolerance);
    static double Median(IEnumerable<double> v)
    {
        var a = v.Where(double.IsFinite).Order().ToArray();
        return a.Length == 0 ? double.NaN : a.Length % 2 == 1 ? a[a.Length / 2] : 0.5 * (a[a.Length / 2 - 1] + a[a.Length / 2]);
    }
}

/// <summary>
/// Checks exact gradients against central finite differences. Finite differences exist only to check: a point
/// is called <em>smooth</em> when the differences at step h and h/4 agree to 1e-5 (no contact event, branch
/// switch or extreme curvature within ±h); elsewhere disagreement is expected and reported, not hidden.
/// </summary>
public static class GradientCheck
{
    public const double SmoothTolerance = 1e-5;

    /// <param name="relativeStep">Step h = relativeStep · max(1, |xᵢ|).</param>
    /// <param name="coordinates">The coordinates to difference (null: all); high-dimensional tasks check a subset.</param>
    public static GradientCheckPoint At(IObjective f, ReadOnlySpan<double> x, double relativeStep = 1e-6, int[]? coordinates = null)
    {
        int d = f.Dimension;
        var g = new double[d];
        double loss = f.LossAndGradient(x, g);
        var idx = coordinates ?? Enumerable.Range(0, d).ToArray();
        var auto = idx.Select(i => g[i]).ToArray();
        var fd = new double[idx.Length];
        var fdFine = new double[idx.Length];
        var xp = x.ToArray();
        for (int k = 0; k < idx.Length; k++)
        {
            int i = idx[k];
            double h = relativeStep * Math.Max(1.0, Math.Abs(x[i]));
            fd[k] = Central(f, xp, i, h);
            fdFine[k] = Central(f, xp, i, h / 4);
        }
        double err = RelativeError(auto, fd);
        bool smooth = RelativeError(fdFine, fd) < SmoothTolerance;
        return new GradientCheckPoint(x.ToArray(), loss, auto, fd, err, smooth, idx);
    }

    static double Central(IObjective f, double[] x, int i, double h)
    {
        double xi = x[i];
        x[i] = xi + h; double up = f.Loss(x);
        x[i] = xi - h; double down = f.Loss(x);
        x[i] = xi;
        return (up - down) / (2 * h);
    }

    /// <summary>‖a − b‖ / max(‖a‖, ‖b‖, 1e-8).</summary>
    public static double RelativeError(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double diff = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { diff += (a[i] - b[i]) * (a[i] - b[i]); na += a[i] * a[i]; nb += b[i] * b[i]; }
        return Math.Sqrt(diff) / Math.Max(1e-8, Math.Max(Math.Sqrt(na), Math.Sqrt(nb)));
    }

    /// <summary>
    /// Checks <paramref name="points"/> points drawn uniformly from the sampling box; with
    /// <paramref name="maxCoordinates"/>, each point checks a seeded random subset of that many coordinates.
    /// </summary>
    public static GradientCheckReport Run(IObjective f, int points, int seed, double relativeStep = 1e-6, int? maxCoordinates = null)
    {
        if (maxCoordinates is < 1) throw new ArgumentOutOfRangeException(nameof(maxCoordinates), maxCoordinates, "need at least one coordinate.");
        if (points < 1) throw new ArgumentOutOfRangeException(nameof(points), points, "need at least one point.");
        var rng = Rng.Create(seed);
        var list = new List<GradientCheckPoint>();
        var x = new double[f.Dimension];
        for (int k = 0; k < points; k++)
        {
            for (int i = 0; i < x.Length; i++)
                x[i] = f.SamplingLower[i] + (f.SamplingUpper[i] - f.SamplingLower[i]) * rng.NextDouble();
            int[]? subset = maxCoordinates is int m && m < f.Dimension
                ? Enumerable.Range(0, f.Dimension).OrderBy(_ => rng.Next()).Take(m).Order().ToArray() : null;
            list.Add(At(f, x, relativeStep, subset));
        }
        return new GradientCheckReport(list, relativeStep);
    }
}
