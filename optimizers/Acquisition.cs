using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace ContactOpt.Optimizers;

/// <summary>Acquisition function minimised (LCB) or maximised (LogEI) to pick the next BO point.</summary>
public enum AcquisitionKind
{
    /// <summary>Lower confidence bound μ − κσ (the paper's LCB, κ = 1; BoTorch's UCB on −f with β = κ²).</summary>
    Lcb,
    /// <summary>log expected improvement below the best observed value (BoTorch's LogEI, numerically stable).</summary>
    LogEi,
}

/// <summary>How the acquisition function is optimised.</summary>
public sealed record AcquisitionSettings
{
    public AcquisitionKind Kind { get; init; } = AcquisitionKind.Lcb;
    public double Kappa { get; init; } = 1.0;
    /// <summary>Scrambled Sobol points on which the acquisition is evaluated first (BoTorch: raw_samples).</summary>
    public int RawSamples { get; init; } = 512;
    /// <summary>Bounded L-BFGS runs from the best raw samples (BoTorch: num_restarts), plus one from the incumbent.</summary>
    public int Restarts { get; init; } = 10;
    public int MaxIterations { get; init; } = 50;
}

/// <summary>LCB and LogEI on a fitted <see cref="GaussianProcess"/>, and their multi-start bounded optimisation in [0,1]ᵈ.</summary>
public static class Acquisition
{
    /// <summary>
    /// The acquisition value to <em>minimise</em> at unit point u (LCB, or −LogEI), with its gradient when
    /// <paramref name="gradient"/> is non-empty. <paramref name="bestStandardized"/> is the incumbent on the GP's standardised scale.
    /// </summary>
    public static double Value(GaussianProcess gp, AcquisitionKind kind, double kappa, double bestStandardized, ReadOnlySpan<double> u,
        Span<double> gradient, Span<double> scratchMean, Span<double> scratchVar)
    {
        bool wantGrad = gradient.Length > 0;
        double mu, v;
        if (!wantGrad)
        {
            gp.PredictStandardized(u, out mu, out v);
            return FromMoments(kind, kappa, bestStandardized, mu, v);
        }
        gp.PredictStandardized(u, out mu, out v, scratchMean, scratchVar);
        return FromMoments(kind, kappa, bestStandardized, mu, v, scratchMean, scratchVar, gradient);
    }

    /// <summary>
    /// <see cref="Value"/> with gradients at many points in one pass over the GP (each value and gradient bit-identical
    /// to the single-point call); non-finite values become 1e300 with a zero gradient, as the optimiser wants them.
    /// </summary>
    public static void ValueMany(GaussianProcess gp, AcquisitionKind kind, double kappa, double bestStandardized,
        IReadOnlyList<double[]> points, IReadOnlyList<double[]> gradients, Span<double> values, double[][] scratchMean, double[][] scratchVar)
    {
        int m = points.Count;
        Span<double> mu = m <= 64 ? stackalloc double[m] : new double[m];
        Span<double> v = m <= 64 ? stackalloc double[m] : new double[m];
        gp.PredictStandardizedMany(points, mu, v, scratchMean, scratchVar);
        for (int r = 0; r < m; r++)
        {
            double value = FromMoments(kind, kappa, bestStandardized, mu[r], v[r], scratchMean[r], scratchVar[r], gradients[r]);
            if (!double.IsFinite(value)) { value = 1e300; Array.Clear(gradients[r]); }
            values[r] = value;
        }
    }

    /// <summary>The acquisition to minimise and its gradient from the standardised moments and their gradients.</summary>
    static double FromMoments(AcquisitionKind kind, double kappa, double bestStandardized, double mu, double v,
        ReadOnlySpan<double> dMean, ReadOnlySpan<double> dVar, Span<double> gradient)
    {
        double s = Math.Sqrt(v);
        if (kind == AcquisitionKind.Lcb)
        {
            for (int j = 0; j < gradient.Length; j++) gradient[j] = dMean[j] - kappa * dVar[j] / (2 * s);
            return mu - kappa * s;
        }
        double z = (bestStandardized - mu) / s;
        double logH = LogH(z, out double dLogH);
        for (int j = 0; j < gradient.Length; j++)
        {
            double ds = dVar[j] / (2 * s);
            double dz = -dMean[j] / s - z * ds / s;
            gradient[j] = -(ds / s + dLogH * dz);
        }
        return -(Math.Log(s) + logH);
    }

    /// <summary>The acquisition to minimise from the standardised posterior mean and variance.</summary>
    static double FromMoments(AcquisitionKind kind, double kappa, double bestStandardized, double mu, double v)
    {
        double s = Math.Sqrt(v);
        if (kind == AcquisitionKind.Lcb) return mu - kappa * s;
        return -(Math.Log(s) + LogH((bestStandardized - mu) / s, out _));
    }

    const double Sqrt2 = 1.4142135623730951;
    static readonly double LogSqrt2Pi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>log h(z) with h(z) = φ(z) + z·Φ(z) (EI = σ·h(z)), stable for very negative z; derivative Φ(z)/h(z).</summary>
    public static double LogH(double z, out double derivative)
    {
        if (z > -1)
        {
            double phi = Normal.PDF(0, 1, z), cdf = Normal.CDF(0, 1, z);
            double h = phi + z * cdf;
            derivative = cdf / h;
            return Math.Log(h);
        }
        double logPhi = -0.5 * z * z - LogSqrt2Pi;
        if (z < -40)
        {
            double z2 = z * z;
            derivative = -z - 2 / z;
            return logPhi - 2 * Math.Log(-z) + Math.Log(1 - 3 / z2 + 15 / (z2 * z2));
        }
        // Mills ratio R = Φ(z)/φ(z) = √(π/2)·erfcx(−z/√2); h = φ·(1 + z·R).
        double r = Math.Sqrt(Math.PI / 2) * Erfcx(-z / Sqrt2);
        double q = 1 + z * r;
        derivative = r / q;
        return logPhi + Math.Log(q);
    }

    /// <summary>Scaled complementary error function exp(t²)·erfc(t) for t ≥ 0.</summary>
    static double Erfcx(double t)
    {
        if (t < 25) return SpecialFunctions.Erfc(t) * Math.Exp(t * t);
        double t2 = t * t;
        return 1 / (t * Math.Sqrt(Math.PI)) * (1 - 1 / (2 * t2) + 3 / (4 * t2 * t2) - 15 / (8 * t2 * t2 * t2));
    }

    /// <summary>
    /// Minimises the acquisition over [0,1]ᵈ: evaluates it on <see cref="AcquisitionSettings.RawSamples"/> scrambled Sobol
    /// points (uniform random above Sobol's table), then runs a bounded L-BFGS (<see cref="BoundedLbfgs"/>) from the best
    /// <see cref="AcquisitionSettings.Restarts"/> of them and from <paramref name="incumbent"/>; returns the best point found.
    /// </summary>
    public static double[] Optimize(GaussianProcess gp, AcquisitionSettings s, double bestStandardized, double[]? incumbent, Random rng)
    {
        int d = gp.Dimension;
        var raw = new List<(double Value, double[] U)>(s.RawSamples);
        var sobol = d <= Sobol.MaxDimension ? new Sobol(d, rng) : null;
        var points = new double[s.RawSamples][];
        for (int k = 0; k < s.RawSamples; k++)
        {
            var u = new double[d];
            if (sobol is not null) sobol.Next(u); else for (int j = 0; j < d; j++) u[j] = rng.NextDouble();
            points[k] = u;
        }
        // Raw samples in blocks (the factor is read once per block); same values as one Value call per point.
        var means = new double[points.Length]; var variances = new double[points.Length];
        gp.PredictStandardizedMany(points, means, variances);
        for (int k = 0; k < points.Length; k++) raw.Add((FromMoments(s.Kind, s.Kappa, bestStandardized, means[k], variances[k]), points[k]));
        raw.Sort((a, b) => a.Value.CompareTo(b.Value));
        var starts = raw.Take(s.Restarts).Select(r => r.U).ToList();
        if (incumbent is not null) starts.Add(incumbent.Select(v => Math.Clamp(v, 0, 1)).ToArray());

        double bestValue = raw.Count > 0 ? raw[0].Value : double.PositiveInfinity;
        double[] best = raw.Count > 0 ? (double[])raw[0].U.Clone() : Enumerable.Repeat(0.5, d).ToArray();
        var lower = new double[d];
        var upper = Enumerable.Repeat(1.0, d).ToArray();
        // All restarts run in lockstep, each round's points evaluated in one pass over the GP; each run takes the same
        // steps as alone. Per-run best points are then combined in start order, as a sequential loop would.
        var localBest = Enumerable.Repeat(double.PositiveInfinity, starts.Count).ToArray();
        var localPoint = new double[]?[starts.Count];
        var dms = new double[starts.Count][]; var dvs = new double[starts.Count][];
        for (int r = 0; r < starts.Count; r++) { dms[r] = new double[d]; dvs[r] = new double[d]; }
        BoundedLbfgs.MinimizeMany((pts, grads, values) => ValueMany(gp, s.Kind, s.Kappa, bestStandardized, pts, grads, values, dms, dvs),
            starts, lower, upper, s.MaxIterations, gradientTolerance: 1e-6, relativeTolerance: 1e-9,
            observe: (r, u, v) => { if (v < localBest[r]) { localBest[r] = v; localPoint[r] = (double[])u.Clone(); } });
        for (int r = 0; r < starts.Count; r++)
            if (localPoint[r] is not null && localBest[r] < bestValue) { bestValue = localBest[r]; best = localPoint[r]!; }
        return best;
    }
}
