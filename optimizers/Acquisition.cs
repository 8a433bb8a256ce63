using MathNet.Numerics;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

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
    /// <summary>Bounded L-BFGS (MathNet BFGS-B) runs from the best raw samples (BoTorch: num_restarts), plus one from the incumbent.</summary>
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
        if (wantGrad) gp.PredictStandardized(u, out mu, out v, scratchMean, scratchVar);
        else gp.PredictStandardized(u, out mu, out v);
        double s = Math.Sqrt(v);
        if (kind == AcquisitionKind.Lcb)
        {
            if (wantGrad) for (int j = 0; j < gradient.Length; j++) gradient[j] = scratchMean[j] - kappa * scratchVar[j] / (2 * s);
            return mu - kappa * s;
        }
        double z = (bestStandardized - mu) / s;
        double logH = LogH(z, out double dLogH);
        if (wantGrad)
            for (int j = 0; j < gradient.Length; j++)
            {
                double ds = scratchVar[j] / (2 * s);
                double dz = -scratchMean[j] / s - z * ds / s;
                gradient[j] = -(ds / s + dLogH * dz);
            }
        return -(Math.Log(s) + logH);
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
    /// points (uniform random above Sobol's table), then runs MathNet's BFGS-B from the best
    /// <see cref="AcquisitionSettings.Restarts"/> of them and from <paramref name="incumbent"/>; returns the best point found.
    /// </summary>
    public static double[] Optimize(GaussianProcess gp, AcquisitionSettings s, double bestStandardized, double[]? incumbent, Random rng)
    {
        int d = gp.Dimension;
        var dm = new double[d]; var dv = new double[d];
        var raw = new List<(double Value, double[] U)>(s.RawSamples);
        var sobol = d <= Sobol.MaxDimension ? new Sobol(d, rng) : null;
        for (int k = 0; k < s.RawSamples; k++)
        {
            var u = new double[d];
            if (sobol is not null) sobol.Next(u); else for (int j = 0; j < d; j++) u[j] = rng.NextDouble();
            raw.Add((Value(gp, s.Kind, s.Kappa, bestStandardized, u, default, dm, dv), u));
        }
        raw.Sort((a, b) => a.Value.CompareTo(b.Value));
        var starts = raw.Take(s.Restarts).Select(r => r.U).ToList();
        if (incumbent is not null) starts.Add(incumbent.Select(v => Math.Clamp(v, 0, 1)).ToArray());

        double bestValue = raw.Count > 0 ? raw[0].Value : double.PositiveInfinity;
        double[] best = raw.Count > 0 ? (double[])raw[0].U.Clone() : Enumerable.Repeat(0.5, d).ToArray();
        var lower = Vector<double>.Build.Dense(d, 0.0);
        var upper = Vector<double>.Build.Dense(d, 1.0);
        var grad = new double[d];
        foreach (var start in starts)
        {
            double localBest = double.PositiveInfinity; double[]? localPoint = null;
            var objective = ObjectiveFunction.Gradient(p =>
            {
                var u = p.ToArray();
                for (int j = 0; j < d; j++) u[j] = Math.Clamp(u[j], 0, 1);
                double v = Value(gp, s.Kind, s.Kappa, bestStandardized, u, grad, dm, dv);
                if (!double.IsFinite(v)) { v = 1e300; Array.Clear(grad); }
                if (v < localBest) { localBest = v; localPoint = u; }
                return (v, Vector<double>.Build.DenseOfArray((double[])grad.Clone()));
            });
            try
            {
                new BfgsBMinimizer(1e-6, 1e-9, 1e-10, s.MaxIterations).FindMinimum(objective, lower, upper, Vector<double>.Build.DenseOfArray(start));
            }
            catch (Exception e) when (e is OptimizationException or ArgumentException or InvalidOperationException) { }
            if (localPoint is not null && localBest < bestValue) { bestValue = localBest; best = localPoint; }
        }
        return best;
    }
}
