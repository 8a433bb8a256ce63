using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

namespace ContactOpt.Optimizers;

/// <summary>Covariance function of the GP.</summary>
public enum KernelKind
{
    /// <summary>ARD Matérn-5/2 with an output scale (BoTorch's SingleTaskGP default in 2022, the paper's era).</summary>
    Matern52,
    /// <summary>ARD squared exponential (RBF) with an output scale: the kernel written in the BO-Leap paper.</summary>
    Rbf,
}

/// <summary>GP hyperparameters, all on a log scale: ARD lengthscales (unit-cube inputs), output variance, noise variance.</summary>
public sealed record GpHyperparameters(double[] LogLengthscales, double LogOutputscale, double LogNoise)
{
    public double[] Lengthscales => LogLengthscales.Select(Math.Exp).ToArray();
    public double Outputscale => Math.Exp(LogOutputscale);
    public double Noise => Math.Exp(LogNoise);
}

/// <summary>How hyperparameters are fitted (MAP with the BoTorch legacy priors, by MathNet's BFGS-B).</summary>
public sealed record GpFitSettings
{
    /// <summary>At most this many points (a seeded random subset) enter the hyperparameter fit; all enter the posterior.</summary>
    public int FitPoints { get; init; } = 128;
    /// <summary>BFGS-B runs: the first from the previous fit (or the prior's typical values), the rest from random draws.</summary>
    public int Restarts { get; init; } = 2;
    public int MaxIterations { get; init; } = 50;
    /// <summary>Lower bound of the noise variance in standardised units (deterministic simulators: tiny).</summary>
    public double NoiseFloor { get; init; } = 1e-6;
}

/// <summary>The GP's covariance matrix could not be factorised even with jitter.</summary>
public sealed class GaussianProcessException(string message) : Exception(message);

/// <summary>
/// Exact GP regression (Rasmussen &amp; Williams, Alg. 2.1), hand-written because MathNet has none: inputs are
/// expected in the unit cube (the caller scales by the bounds or sampling box), outputs are standardised
/// (zero mean, unit variance; undone in <see cref="Predict"/>), zero prior mean on the standardised scale.
/// Hyperparameters: MAP of the exact marginal likelihood with BoTorch's legacy priors — lengthscale Gamma(3, 6),
/// outputscale Gamma(2, 0.15), noise Gamma(1.1, 0.05) — by MathNet's <see cref="BfgsBMinimizer"/> on the log
/// parameters with analytic gradients. Cholesky by MathNet; when it fails, diagonal jitter 1e-8…1e-2 (× the
/// output variance) is added, then a <see cref="GaussianProcessException"/> is thrown. Predictions with input
/// gradients cost O(n²) (two triangular solves) for acquisition optimisation.
/// </summary>
public sealed class GaussianProcess
{
    readonly int _n, _d;
    readonly double[] _x;      // n×d row-major, unit coordinates
    readonly double[] _y;      // standardised targets
    readonly double[] _l;      // Cholesky factor of K + noise·I (+ jitter), row-major
    readonly double[] _alpha;  // (K + noise·I)⁻¹ y
    readonly double[] _invL2;  // 1/ℓ_j²
    readonly double _s2;
    readonly double[] _k, _v, _w, _work, _g;

    public KernelKind Kernel { get; }
    public GpHyperparameters Hyperparameters { get; }
    public double YMean { get; }
    public double YScale { get; }
    public int Count => _n;
    public int Dimension => _d;
    /// <summary>Jitter that had to be added to the diagonal (0 when none).</summary>
    public double Jitter { get; }
    /// <summary>Log marginal likelihood of the (standardised) data under the hyperparameters.</summary>
    public double LogMarginalLikelihood { get; }

    GaussianProcess(double[][] x, double[] y, GpHyperparameters h, KernelKind kernel, bool standardize)
    {
        _n = x.Length;
        if (_n == 0) throw new ArgumentException("a GP needs at least one data point.");
        _d = x[0].Length;
        if (y.Length != _n) throw new ArgumentException($"x has {_n} rows but y has {y.Length} values.");
        Kernel = kernel; Hyperparameters = h;
        _x = new double[_n * _d];
        for (int i = 0; i < _n; i++)
        {
            if (x[i].Length != _d) throw new ArgumentException($"x row {i} has {x[i].Length} values, expected {_d}.");
            x[i].CopyTo(_x, i * _d);
        }
        foreach (var v in y) if (!double.IsFinite(v)) throw new ArgumentException("GP targets must be finite (impute non-finite losses first).");
        (YMean, YScale) = standardize ? Standardization(y) : (0.0, 1.0);
        _y = y.Select(v => (v - YMean) / YScale).ToArray();
        _invL2 = h.LogLengthscales.Select(u => Math.Exp(-2 * u)).ToArray();
        if (_invL2.Length != _d) throw new ArgumentException($"{_invL2.Length} lengthscales for {_d} dimensions.");
        _s2 = h.Outputscale;
        var k = CovarianceMatrix(_x, _n, _d, _invL2, _s2, kernel, h.Noise);
        (_l, Jitter) = Factor(k, _n, _s2);
        _alpha = new double[_n]; _work = new double[_n];
        DenseKernels.ForwardSubstitute(_l, _n, _y, _work);
        DenseKernels.BackSubstituteTransposed(_l, _n, _work, _alpha, new double[_n]);
        double logDet = 0;
        for (int i = 0; i < _n; i++) logDet += 2 * Math.Log(_l[i * _n + i]);
        LogMarginalLikelihood = -0.5 * DenseKernels.Dot(_y, _alpha) - 0.5 * logDet - 0.5 * _n * Math.Log(2 * Math.PI);
        _k = new double[_n]; _v = new double[_n]; _w = new double[_n]; _g = new double[_n];
    }

    /// <summary>Conditions a GP on data with fixed hyperparameters.</summary>
    public static GaussianProcess Condition(double[][] x, double[] y, GpHyperparameters hyperparameters, KernelKind kernel = KernelKind.Matern52, bool standardize = true)
        => new(x, y, hyperparameters, kernel, standardize);

    /// <summary>Fits hyperparameters (MAP) and conditions on all the data.</summary>
    public static GaussianProcess Fit(double[][] x, double[] y, KernelKind kernel, GpFitSettings settings, Random rng, GpHyperparameters? warmStart = null)
    {
        var h = FitHyperparameters(x, y, kernel, settings, rng, warmStart);
        return new GaussianProcess(x, y, h, kernel, standardize: true);
    }

    static (double Mean, double Scale) Standardization(double[] y)
    {
        // Computed on y / max|y| so that huge (finite) losses cannot overflow the sums.
        double big = 0; foreach (var t in y) big = Math.Max(big, Math.Abs(t));
        if (big == 0) return (0, 1);
        double m = 0; foreach (var t in y) m += t / big;
        m /= y.Length;
        double v = 0; foreach (var t in y) { double c = t / big - m; v += c * c; }
        double s = y.Length > 1 ? big * Math.Sqrt(v / (y.Length - 1)) : 0;
        m *= big;
        return (m, s > 1e-12 * Math.Max(1, Math.Abs(m)) && double.IsFinite(s) ? s : 1.0);
    }

    // ---------------------------------------------------------------- kernel

    // Beyond this scaled squared distance the covariance is below 1e-200 of the output variance (and ∞·0 must not
    // arise from points far outside the unit cube): it is taken as exactly 0.
    const double FarDistance2 = 1e5;

    static double Kern(double r2, double s2, KernelKind kernel)
    {
        if (!(r2 < FarDistance2)) return 0;
        if (kernel == KernelKind.Rbf) return s2 * Math.Exp(-0.5 * r2);
        double r = Math.Sqrt(r2), a = Math.Sqrt(5) * r;
        return s2 * (1 + a + 5.0 / 3.0 * r2) * Math.Exp(-a);
    }

    /// <summary>−(dk/dr)/r: ∂k/∂Δ_j = −KernDeriv·Δ_j/ℓ_j², and ∂k/∂(log ℓ_j) = KernDeriv·Δ_j²/ℓ_j².</summary>
    static double KernDeriv(double r2, double s2, KernelKind kernel)
    {
        if (!(r2 < FarDistance2)) return 0;
        if (kernel == KernelKind.Rbf) return s2 * Math.Exp(-0.5 * r2);
        double a = Math.Sqrt(5 * r2);
        return s2 * 5.0 / 3.0 * (1 + a) * Math.Exp(-a);
    }

    static double ScaledDistance2(ReadOnlySpan<double> a, ReadOnlySpan<double> b, double[] invL2)
    {
        double r2 = 0;
        for (int j = 0; j < a.Length; j++) { double t = a[j] - b[j]; r2 += t * t * invL2[j]; }
        return r2;
    }

    static double[] CovarianceMatrix(double[] x, int n, int d, double[] invL2, double s2, KernelKind kernel, double noise)
    {
        var k = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            var xi = x.AsSpan(i * d, d);
            k[i * n + i] = s2 + noise;
            for (int j = 0; j < i; j++)
            {
                double v = Kern(ScaledDistance2(xi, x.AsSpan(j * d, d), invL2), s2, kernel);
                k[i * n + j] = v; k[j * n + i] = v;
            }
        }
        return k;
    }

    /// <summary>Cholesky (MathNet) with escalating jitter; returns the row-major lower factor.</summary>
    static (double[] L, double Jitter) Factor(double[] k, int n, double s2)
    {
        double jitter = 0;
        for (int attempt = 0; ; attempt++)
        {
            var m = Matrix<double>.Build.Dense(n, n, k); // symmetric: column-major = row-major
            if (jitter > 0) for (int i = 0; i < n; i++) m[i, i] += jitter;
            try
            {
                var factor = m.Cholesky().Factor;
                var l = factor.ToRowMajorArray();
                bool ok = true;
                for (int i = 0; i < n && ok; i++) if (!(l[i * n + i] > 0) || !double.IsFinite(l[i * n + i])) ok = false;
                if (ok) return (l, jitter);
            }
            catch (ArgumentException) { }
            jitter = attempt == 0 ? 1e-8 * s2 : jitter * 10;
            if (jitter > 1e-2 * s2 * 1.0000001)
                throw new GaussianProcessException(
                    $"the GP covariance matrix of {n} points is not positive definite even with diagonal jitter {jitter / 10:G3} " +
                    $"(output variance {s2:G3}); the data may hold many near-duplicate points or the hyperparameters are degenerate.");
        }
    }

    // ---------------------------------------------------------------- prediction

    /// <summary>Posterior mean and standard deviation of the latent function at unit-cube point u, in the raw (un-standardised) scale.</summary>
    public (double Mean, double Std) Predict(ReadOnlySpan<double> u)
    {
        PredictStandardized(u, out double m, out double v);
        return (YMean + YScale * m, YScale * Math.Sqrt(v));
    }

    /// <summary>Posterior mean and variance on the standardised scale (O(n²)).</summary>
    public void PredictStandardized(ReadOnlySpan<double> u, out double mean, out double variance)
    {
        CrossCovariance(u);
        mean = DenseKernels.Dot(_k, _alpha);
        DenseKernels.ForwardSubstitute(_l, _n, _k, _v);
        variance = Math.Max(_s2 - DenseKernels.Dot(_v, _v), 1e-12 * _s2);
    }

    /// <summary>Standardised mean and variance with their gradients with respect to u.</summary>
    public void PredictStandardized(ReadOnlySpan<double> u, out double mean, out double variance, Span<double> dMean, Span<double> dVariance)
    {
        CrossCovariance(u);
        mean = DenseKernels.Dot(_k, _alpha);
        DenseKernels.ForwardSubstitute(_l, _n, _k, _v);
        double raw = _s2 - DenseKernels.Dot(_v, _v);
        bool clamped = raw < 1e-12 * _s2;
        variance = clamped ? 1e-12 * _s2 : raw;
        DenseKernels.BackSubstituteTransposed(_l, _n, _v, _w, _work);
        // ∂k_i/∂u_j = −g_i·(u_j − x_ij)/ℓ_j²; ∂μ = Σ ∂k_i α_i; ∂σ² = −2 Σ ∂k_i w_i (w = K⁻¹k).
        dMean.Clear(); dVariance.Clear();
        for (int i = 0; i < _n; i++)
        {
            double gi = _g[i];
            if (gi == 0) continue;
            double cm = -gi * _alpha[i], cv = 2 * gi * _w[i];
            var xi = _x.AsSpan(i * _d, _d);
            for (int j = 0; j < _d; j++)
            {
                double t = (u[j] - xi[j]) * _invL2[j];
                dMean[j] += cm * t;
                dVariance[j] += cv * t;
            }
        }
        if (clamped) dVariance.Clear();
    }

    void CrossCovariance(ReadOnlySpan<double> u)
    {
        if (u.Length != _d) throw new ArgumentException($"point has {u.Length} values, expected {_d}.");
        for (int i = 0; i < _n; i++)
        {
            double r2 = ScaledDistance2(u, _x.AsSpan(i * _d, _d), _invL2);
            _k[i] = Kern(r2, _s2, Kernel);
            _g[i] = KernDeriv(r2, _s2, Kernel);
        }
    }

    // ---------------------------------------------------------------- hyperparameter fit

    // Gamma(a, b) priors on the values (BoTorch legacy SingleTaskGP): lengthscale (3, 6), outputscale (2, 0.15), noise (1.1, 0.05).
    const double LsA = 3, LsB = 6, OsA = 2, OsB = 0.15, NoiseA = 1.1, NoiseB = 0.05;

    /// <summary>MAP hyperparameters on (a seeded random subset of) the data.</summary>
    public static GpHyperparameters FitHyperparameters(double[][] x, double[] y, KernelKind kernel, GpFitSettings settings, Random rng, GpHyperparameters? warmStart = null)
    {
        int n = x.Length, d = x[0].Length;
        // Subset for the fit.
        int[] idx = Enumerable.Range(0, n).ToArray();
        if (n > settings.FitPoints)
        {
            for (int i = 0; i < settings.FitPoints; i++) { int j = i + rng.Next(n - i); (idx[i], idx[j]) = (idx[j], idx[i]); }
            idx = idx[..settings.FitPoints];
            Array.Sort(idx);
        }
        int m = idx.Length;
        var xs = new double[m * d];
        var ys = new double[m];
        for (int i = 0; i < m; i++) { x[idx[i]].CopyTo(xs, i * d); ys[i] = y[idx[i]]; }
        var (mu, sc) = Standardization(ys);
        for (int i = 0; i < m; i++) ys[i] = (ys[i] - mu) / sc;

        var lower = Vector<double>.Build.Dense(d + 2);
        var upper = Vector<double>.Build.Dense(d + 2);
        for (int j = 0; j < d; j++) { lower[j] = Math.Log(0.01); upper[j] = Math.Log(100); }
        lower[d] = Math.Log(0.01); upper[d] = Math.Log(100);
        lower[d + 1] = Math.Log(settings.NoiseFloor); upper[d + 1] = Math.Log(1.0);

        var work = new FitWorkspace(xs, ys, m, d, kernel);
        double bestValue = double.PositiveInfinity;
        double[] best = Start(null, d, settings, rng, lower, upper);
        for (int r = 0; r < Math.Max(1, settings.Restarts); r++)
        {
            var start = r == 0 ? Start(warmStart, d, settings, null, lower, upper) : Start(null, d, settings, rng, lower, upper);
            var tracked = new BestTracker();
            var objective = ObjectiveFunction.Gradient(p =>
            {
                double v = work.NegativeLogPosterior(p, out var grad);
                tracked.Offer(p, v);
                return (v, Vector<double>.Build.DenseOfArray(grad));
            });
            try
            {
                var minimizer = new BfgsBMinimizer(1e-5, 1e-8, 1e-9, settings.MaxIterations);
                var result = minimizer.FindMinimum(objective, lower, upper, Vector<double>.Build.DenseOfArray(start));
                var p = result.MinimizingPoint.ToArray();
                double v = work.NegativeLogPosterior(Vector<double>.Build.DenseOfArray(p), out _);
                tracked.Offer(Vector<double>.Build.DenseOfArray(p), v);
            }
            catch (Exception e) when (e is OptimizationException or ArgumentException or InvalidOperationException) { }
            if (tracked.Value < bestValue) { bestValue = tracked.Value; best = tracked.Point!; }
        }
        return new GpHyperparameters(best[..d], best[d], best[d + 1]);
    }

    static double[] Start(GpHyperparameters? h, int d, GpFitSettings s, Random? rng, Vector<double> lo, Vector<double> hi)
    {
        var p = new double[d + 2];
        if (h is not null && h.LogLengthscales.Length == d)
        {
            h.LogLengthscales.CopyTo(p, 0); p[d] = h.LogOutputscale; p[d + 1] = h.LogNoise;
        }
        else if (rng is null)
        {
            for (int j = 0; j < d; j++) p[j] = Math.Log(LsA - 1) - Math.Log(LsB) + 0.5 * Math.Log(d); // prior mode 1/3, widened with √d
            p[d] = 0; p[d + 1] = Math.Log(1e-4);
        }
        else
        {
            for (int j = 0; j < d; j++) p[j] = Math.Log(0.05) + rng.NextDouble() * (Math.Log(2.0 * Math.Sqrt(d)) - Math.Log(0.05));
            p[d] = Math.Log(0.3) + rng.NextDouble() * (Math.Log(3) - Math.Log(0.3));
            p[d + 1] = Math.Log(s.NoiseFloor) + rng.NextDouble() * (Math.Log(1e-2) - Math.Log(s.NoiseFloor));
        }
        for (int j = 0; j < p.Length; j++) p[j] = Math.Clamp(p[j], lo[j], hi[j]);
        return p;
    }

    /// <summary>The MAP objective (−log marginal likelihood − log prior) and its gradient at log-parameters p (exposed for gradient tests).</summary>
    internal static double NegativeLogPosterior(double[][] x, double[] y, KernelKind kernel, double[] p, out double[] gradient)
    {
        int n = x.Length, d = x[0].Length;
        var xs = new double[n * d];
        for (int i = 0; i < n; i++) x[i].CopyTo(xs, i * d);
        return new FitWorkspace(xs, (double[])y.Clone(), n, d, kernel).NegativeLogPosterior(Vector<double>.Build.DenseOfArray(p), out gradient);
    }

    sealed class BestTracker
    {
        public double Value = double.PositiveInfinity;
        public double[]? Point;
        public void Offer(Vector<double> p, double v)
        {
            if (double.IsFinite(v) && v < Value) { Value = v; Point = p.ToArray(); }
        }
    }

    /// <summary>The negative log posterior of the hyperparameters and its gradient, on a fixed data subset.</summary>
    sealed class FitWorkspace(double[] x, double[] y, int n, int d, KernelKind kernel)
    {
        readonly double[] _inv = new double[n * n], _m = new double[n * n], _alpha = new double[n], _tmp = new double[n], _work = new double[n];
        readonly double[] _invL2 = new double[d];

        public double NegativeLogPosterior(Vector<double> p, out double[] grad)
        {
            grad = new double[d + 2];
            for (int j = 0; j < d; j++) _invL2[j] = Math.Exp(-2 * p[j]);
            double s2 = Math.Exp(p[d]), noise = Math.Exp(p[d + 1]);
            var k = CovarianceMatrix(x, n, d, _invL2, s2, kernel, noise);
            double[] l;
            try { l = Factor(k, n, s2).L; }
            catch (GaussianProcessException) { return 1e300; }
            DenseKernels.ForwardSubstitute(l, n, y, _tmp);
            DenseKernels.BackSubstituteTransposed(l, n, _tmp, _alpha, _work);
            double logDet = 0;
            for (int i = 0; i < n; i++) logDet += 2 * Math.Log(l[i * n + i]);
            double nll = 0.5 * DenseKernels.Dot(y, _alpha) + 0.5 * logDet + 0.5 * n * Math.Log(2 * Math.PI);
            DenseKernels.InverseFromCholesky(l, n, _inv, _m);
            // ∂NLL/∂θ = −½ Σ_ik W_ik ∂K_ik/∂θ with W = ααᵀ − K⁻¹.
            double traceW = 0, sumWK = 0;
            for (int i = 0; i < n; i++)
            {
                double wii = _alpha[i] * _alpha[i] - _inv[i * n + i];
                traceW += wii;
                sumWK += wii * s2;
                var xi = x.AsSpan(i * d, d);
                for (int j = 0; j < i; j++)
                {
                    double w = _alpha[i] * _alpha[j] - _inv[i * n + j];
                    var xj = x.AsSpan(j * d, d);
                    double r2 = ScaledDistance2(xi, xj, _invL2);
                    sumWK += 2 * w * Kern(r2, s2, kernel);
                    double c = 2 * w * KernDeriv(r2, s2, kernel);
                    for (int q = 0; q < d; q++) { double t = xi[q] - xj[q]; grad[q] -= 0.5 * c * t * t * _invL2[q]; }
                }
            }
            grad[d] = -0.5 * sumWK;
            grad[d + 1] = -0.5 * noise * traceW;
            // − log prior: Gamma(a, b) on v = e^u ⇒ −[(a − 1)·u − b·v], derivative −[(a − 1) − b·v].
            double nlp = 0;
            for (int j = 0; j < d; j++)
            {
                double ls = Math.Exp(p[j]);
                nlp -= (LsA - 1) * p[j] - LsB * ls; grad[j] -= (LsA - 1) - LsB * ls;
            }
            nlp -= (OsA - 1) * p[d] - OsB * s2; grad[d] -= (OsA - 1) - OsB * s2;
            nlp -= (NoiseA - 1) * p[d + 1] - NoiseB * noise; grad[d + 1] -= (NoiseA - 1) - NoiseB * noise;
            return nll + nlp;
        }
    }
}
