namespace ContactOpt.Tasks;

/// <summary>Automatic vs central finite-difference gradient at one point.</summary>
public sealed record GradientCheckPoint(double[] X, double Loss, double[] Automatic, double[] FiniteDifference, double RelativeError, bool Smooth);

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
/// is called <em>smooth</em> when the differences at step h and h/4 agree (no contact event or branch switch
/// within ±h); elsewhere disagreement is expected and reported, not hidden.
/// </summary>
public static class GradientCheck
{
    /// <param name="relativeStep">Step h = relativeStep · max(1, |xᵢ|).</param>
    public static GradientCheckPoint At(IObjective f, ReadOnlySpan<double> x, double relativeStep = 1e-6)
    {
        int d = f.Dimension;
        var g = new double[d];
        double loss = f.LossAndGradient(x, g);
        var fd = new double[d];
        var fdFine = new double[d];
        var xp = x.ToArray();
        for (int i = 0; i < d; i++)
        {
            double h = relativeStep * Math.Max(1.0, Math.Abs(x[i]));
            fd[i] = Central(f, xp, i, h);
            fdFine[i] = Central(f, xp, i, h / 4);
        }
        double err = RelativeError(g, fd);
        bool smooth = RelativeError(fdFine, fd) < 1e-3;
        return new GradientCheckPoint(x.ToArray(), loss, g, fd, err, smooth);
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

    /// <summary>Checks <paramref name="points"/> points drawn uniformly from the sampling box.</summary>
    public static GradientCheckReport Run(IObjective f, int points, int seed, double relativeStep = 1e-6)
    {
        if (points < 1) throw new ArgumentOutOfRangeException(nameof(points), points, "need at least one point.");
        var rng = Rng.Create(seed);
        var list = new List<GradientCheckPoint>();
        var x = new double[f.Dimension];
        for (int k = 0; k < points; k++)
        {
            for (int i = 0; i < x.Length; i++)
                x[i] = f.SamplingLower[i] + (f.SamplingUpper[i] - f.SamplingLower[i]) * rng.NextDouble();
            list.Add(At(f, x, relativeStep));
        }
        return new GradientCheckReport(list, relativeStep);
    }
}
