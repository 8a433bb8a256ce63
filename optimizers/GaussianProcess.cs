using MathNet.Numerics;

namespace ContactOpt.Optimizers;

/// <summary>Covariance function of the GP.</summary>
public enum KernelKind
{
    /// <summary>ARD Matérn-5/2 with an output scale (BoTorch's SingleTaskGP default in 2022, the paper's era).</summary>
    Matern52,
    /// <summary>ARD squared exponential (RBF) with an output scale: the kernel written in the BO-Leap paper.</summary>
    Rbf,
}

/// <summary>Prior on the ARD lengthscales (and the noise) in the MAP fit.</summary>
public enum LengthscalePrior
{
    /// <summary>
    /// Hvarfner, Hellsten &amp; Nardi (ICML 2024), BoTorch's default since 0.12: ℓ ~ LogNormal(√2 + ½·ln d, √3),
    /// ℓ ≥ 0.025; noise variance ~ LogNormal(−4, 1). The median lengthscale grows as √d, so that in high d the
    /// GP starts from functions that vary slowly in each coordinate instead of white noise.
    /// </summary>
    DimScaled,
    /// <summary>BoTorch's legacy SingleTaskGP priors (before 0.12): ℓ ~ Gamma(3, 6), ℓ in [0.01, 100]; noise ~ Gamma(1.1, 0.05).</summary>
    Gamma,
}

/// <summary>GP hyperparameters, all on a log scale: ARD lengthscales (unit-cube inputs), output variance, noise variance.</summary>
public sealed record GpHyperparameters(double[] LogLengthscales, double LogOutputscale, double LogNoise)
{
    public double[] Lengthscales => LogLengthscales.Select(Math.Exp).ToArray();
    public double Outputscale => Math.Exp(LogOutputscale);
    public double Noise => Math.Exp(LogNoise);
}

/// <summary>How hyperparameters are fitted (MAP under the lengthscale prior, by the bounded L-BFGS).</summary>
public sealed record GpFitSettings
{
    /// <summary>At most this many points (a seeded random subset) enter the hyperparameter fit; all enter the posterior.</summary>
    public int FitPoints { get; init; } = 128;
    /// <summary>Lengthscale (and noise) prior of the MAP fit.</summary>
    public LengthscalePrior Prior { get; init; } = LengthscalePrior.DimScaled;
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
/// Hyperparameters: MAP of the exact marginal likelihood under the dimension-scaled priors of Hvarfner et al. 2024
/// (<see cref="LengthscalePrior.DimScaled"/>, default) or BoTorch's legacy Gamma priors, outputscale Gamma(2, 0.15)
/// in both, by a bounded L-BFGS (<see cref="BoundedLbfgs"/>) on the log parameters with analytic gradients
/// computed in one pass over the point pairs (O(n²d + n³) per evaluation, O(d) per kernel entry). Cholesky by <see cref="DenseKernels.TryCholesky"/> (hand-written: 4× faster than MathNet's managed one at n = 1,000); when it fails, diagonal jitter 1e-8…1e-2 (× the
/// output variance) is added, then a <see cref="GaussianProcessException"/> is thrown. Predictions with input
/// gradients cost O(n²) (two triangular solves) for acquisition optimisation.
/// </summary>
public sealed class GaussianProcess
{
    readonly int _n, _d;
    readonly double[] _x;      // n×d row-major, unit coordinates divided by the lengthscales
    readonly double[] _y;      // standardised targets
    readonly double[] _l;      // Cholesky factor of K + noise·I (+ jitter), row-major
    readonly double[] _alpha;  // (K + noise·I)⁻¹ y
    readonly double[] _invL;   // 1/ℓ_j
    readonly double[] _us;     // query scaled by 1/ℓ
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
        if (h.LogLengthscales.Length != _d) throw new ArgumentException($"{h.LogLengthscales.Length} lengthscales for {_d} dimensions.");
        _invL = h.LogLengthscales.Select(u => Math.Exp(-u)).ToArray();
        _x = new double[_n * _d];
        for (int i = 0; i < _n; i++)
        {
            if (x[i].Length != _d) throw new ArgumentException($"x row {i} has {x[i].Length} values, expected {_d}.");
            for (int j = 0; j < _d; j++) _x[i * _d + j] = x[i][j] * _invL[j];
        }
        foreach (var v in y) if (!double.IsFinite(v)) throw new ArgumentException("GP targets must be finite (impute non-finite losses first).");
        (YMean, YScale) = standardize ? Standardization(y) : (0.0, 1.0);
        _y = y.Select(v => (v - YMean) / YScale).ToArray();
        _s2 = h.Outputscale;
        var k = CovarianceMatrix(_x, _n, _d, _s2, kernel, h.Noise, null);
        (_l, Jitter) = Factor(k, _n, _s2);
        _alpha = new double[_n]; _work = new double[_n];
        DenseKernels.ForwardSubstitute(_l, _n, _y, _work);
        DenseKernels.BackSubstituteTransposed(_l, _n, _work, _alpha, new double[_n]);
        double logDet = 0;
        for (int i = 0; i < _n; i++) logDet += 2 * Math.Log(_l[i * _n + i]);
        LogMarginalLikelihood = -0.5 * DenseKernels.Dot(_y, _alpha) - 0.5 * logDet - 0.5 * _n * Math.Log(2 * Math.PI);
        _k = new double[_n]; _v = new double[_n]; _w = new double[_n]; _g = new double[_n];
        _us = new double[_d];
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

    /// <summary>K + noise·I from inputs already divided by the lengthscales; the scaled squared distances go to <paramref name="r2"/> (lower triangle) when given.</summary>
    static double[] CovarianceMatrix(double[] xs, int n, int d, double s2, KernelKind kernel, double noise, double[]? r2)
    {
        var k = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            var xi = xs.AsSpan(i * d, d);
            k[i * n + i] = s2 + noise;
            for (int j = 0; j < i; j++)
            {
                double q = DenseKernels.SquaredDistance(xi, xs.AsSpan(j * d, d));
                if (r2 is not null) r2[i * n + j] = q;
                double v = Kern(q, s2, kernel);
                k[i * n + j] = v; k[j * n + i] = v;
            }
        }
        return k;
    }

    /// <summary>Cholesky (<see cref="DenseKernels.TryCholesky"/>) with escalating jitter; returns the row-major lower factor.</summary>
    static (double[] L, double Jitter) Factor(double[] k, int n, double s2)
    {
        double jitter = 0;
        var l = new double[n * n];
        for (int attempt = 0; ; attempt++)
        {
            if (DenseKernels.TryCholesky(k, n, jitter, l)) return (l, jitter);
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

    /// <summary>
    /// Standardised means and variances of many points (as <see cref="PredictStandardized(ReadOnlySpan{double}, out double, out double)"/>,
    /// bit-identical), with the triangular solves done in blocks so that the factor is read once per block.
    /// </summary>
    public void PredictStandardizedMany(IReadOnlyList<double[]> points, Span<double> means, Span<double> variances)
    {
        const int Block = 16;
        var kb = new double[Block * _n]; var vb = new double[Block * _n];
        for (int start = 0; start < points.Count; start += Block)
        {
            int m = Math.Min(Block, points.Count - start);
            for (int r = 0; r < m; r++)
            {
                CrossCovariance(points[start + r]);
                means[start + r] = DenseKernels.Dot(_k, _alpha);
                _k.CopyTo(kb, r * _n);
            }
            DenseKernels.ForwardSubstituteMany(_l, _n, kb, vb, m);
            for (int r = 0; r < m; r++)
            {
                var v = vb.AsSpan(r * _n, _n);
                variances[start + r] = Math.Max(_s2 - DenseKernels.Dot(v, v), 1e-12 * _s2);
            }
        }
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
        // ∂k_i/∂u_j = −g_i·(ũ_j − x̃_ij)/ℓ_j with ũ = u/ℓ, x̃ = x/ℓ; ∂μ = Σ ∂k_i α_i; ∂σ² = −2 Σ ∂k_i w_i (w = K⁻¹k).
        // Σ_i c_i (ũ − x̃_i) = ũ·Σc − X̃ᵀc: one axpy per point and output.
        double sm = 0, sv = 0;
        dMean.Clear(); dVariance.Clear();
        for (int i = 0; i < _n; i++)
        {
            double gi = _g[i];
            if (gi == 0) continue;
            double cm = -gi * _alpha[i], cv = 2 * gi * _w[i];
            sm += cm; sv += cv;
            var xi = _x.AsSpan(i * _d, _d);
            DenseKernels.Axpy2(-cm, -cv, xi, dMean, dVariance);
        }
        for (int j = 0; j < _d; j++)
        {
            dMean[j] = (dMean[j] + sm * _us[j]) * _invL[j];
            dVariance[j] = clamped ? 0 : (dVariance[j] + sv * _us[j]) * _invL[j];
        }
    }

    // Scratch of the batched prediction (rows of n per point), grown on demand; a GP is used by one thread at a time.
    double[] _bk = [], _bg = [], _bv = [], _bw = [], _bwork = [], _bus = [];

    /// <summary>
    /// <see cref="PredictStandardized(ReadOnlySpan{double}, out double, out double, Span{double}, Span{double})"/> for
    /// many points at once, each result bit-identical to the single-point call: the factor and the inputs are read once
    /// for all points (the acquisition's L-BFGS restarts are evaluated in lockstep through this).
    /// </summary>
    public void PredictStandardizedMany(IReadOnlyList<double[]> points, Span<double> means, Span<double> variances,
        IReadOnlyList<double[]> dMeans, IReadOnlyList<double[]> dVariances)
    {
        int m = points.Count, n = _n, d = _d;
        if (_bk.Length < m * n)
        {
            _bk = new double[m * n]; _bg = new double[m * n]; _bv = new double[m * n]; _bw = new double[m * n]; _bwork = new double[m * n];
        }
        if (_bus.Length < m * d) _bus = new double[m * d];
        for (int r = 0; r < m; r++)
        {
            var u = points[r];
            if (u.Length != d) throw new ArgumentException($"point has {u.Length} values, expected {d}.");
            for (int j = 0; j < d; j++) _bus[r * d + j] = u[j] * _invL[j];
        }
        for (int i = 0; i < n; i++)
        {
            var xi = _x.AsSpan(i * d, d);
            for (int r = 0; r < m; r++)
            {
                double r2 = DenseKernels.SquaredDistance(_bus.AsSpan(r * d, d), xi);
                _bk[r * n + i] = Kern(r2, _s2, Kernel);
                _bg[r * n + i] = KernDeriv(r2, _s2, Kernel);
            }
        }
        for (int r = 0; r < m; r++) means[r] = DenseKernels.Dot(_bk.AsSpan(r * n, n), _alpha);
        DenseKernels.ForwardSubstituteMany(_l, n, _bk, _bv, m);
        Span<bool> clamped = m <= 64 ? stackalloc bool[m] : new bool[m];
        for (int r = 0; r < m; r++)
        {
            var v = _bv.AsSpan(r * n, n);
            double raw = _s2 - DenseKernels.Dot(v, v);
            clamped[r] = raw < 1e-12 * _s2;
            variances[r] = clamped[r] ? 1e-12 * _s2 : raw;
        }
        DenseKernels.BackSubstituteTransposedMany(_l, n, _bv, _bw, _bwork, m);
        Span<double> sm = m <= 64 ? stackalloc double[m] : new double[m];
        Span<double> sv = m <= 64 ? stackalloc double[m] : new double[m];
        sm.Clear(); sv.Clear();
        for (int r = 0; r < m; r++) { dMeans[r].AsSpan(0, d).Clear(); dVariances[r].AsSpan(0, d).Clear(); }
        for (int i = 0; i < n; i++)
        {
            var xi = _x.AsSpan(i * d, d);
            for (int r = 0; r < m; r++)
            {
                double gi = _bg[r * n + i];
                if (gi == 0) continue;
                double cm = -gi * _alpha[i], cv = 2 * gi * _bw[r * n + i];
                sm[r] += cm; sv[r] += cv;
                DenseKernels.Axpy2(-cm, -cv, xi, dMeans[r].AsSpan(0, d), dVariances[r].AsSpan(0, d));
            }
        }
        for (int r = 0; r < m; r++)
        {
            var us = _bus.AsSpan(r * d, d);
            var dMean = dMeans[r]; var dVariance = dVariances[r];
            for (int j = 0; j < d; j++)
            {
                dMean[j] = (dMean[j] + sm[r] * us[j]) * _invL[j];
                dVariance[j] = clamped[r] ? 0 : (dVariance[j] + sv[r] * us[j]) * _invL[j];
            }
        }
    }

    void CrossCovariance(ReadOnlySpan<double> u)
    {
        if (u.Length != _d) throw new ArgumentException($"point has {u.Length} values, expected {_d}.");
        for (int j = 0; j < _d; j++) _us[j] = u[j] * _invL[j];
        for (int i = 0; i < _n; i++)
        {
            double r2 = DenseKernels.SquaredDistance(_us, _x.AsSpan(i * _d, _d));
            _k[i] = Kern(r2, _s2, Kernel);
            _g[i] = KernDeriv(r2, _s2, Kernel);
        }
    }

    // ---------------------------------------------------------------- hyperparameter fit

    // Gamma(a, b) priors on the values (BoTorch legacy SingleTaskGP): lengthscale (3, 6), outputscale (2, 0.15), noise (1.1, 0.05).
    const double LsA = 3, LsB = 6, OsA = 2, OsB = 0.15, NoiseA = 1.1, NoiseB = 0.05;
    // Hvarfner et al. 2024 (BoTorch ≥ 0.12): ℓ ~ LogNormal(√2 + ½ ln d, √3), noise ~ LogNormal(−4, 1).
    const double LsSigma = 1.7320508075688772, NoiseMu = -4, NoiseSigma = 1;

    /// <summary>μ of the dimension-scaled lengthscale prior LogNormal(μ, √3): √2 + ½·ln d.</summary>
    public static double DimScaledLengthscaleMu(int d) => Math.Sqrt(2) + 0.5 * Math.Log(d);

    /// <summary>Log-density of a LogNormal(μ, σ) at v = e^u, and its derivative with respect to u (the fit's coordinate).</summary>
    internal static double LogNormalLogDensity(double u, double mu, double sigma, out double dU)
    {
        double z = (u - mu) / sigma;
        dU = -1 - z / sigma;
        return -u - Math.Log(sigma) - 0.5 * Math.Log(2 * Math.PI) - 0.5 * z * z;
    }

    /// <summary>Log-density of a Gamma(a, rate b) at v = e^u, and its derivative with respect to u.</summary>
    internal static double GammaLogDensity(double u, double a, double b, out double dU)
    {
        double v = Math.Exp(u);
        dU = (a - 1) - b * v;
        return a * Math.Log(b) - SpecialFunctions.GammaLn(a) + (a - 1) * u - b * v;
    }

    /// <summary>Log prior density of one lengthscale ℓ = e^u in d dimensions, with its derivative in u.</summary>
    public static double LengthscaleLogPrior(LengthscalePrior prior, int d, double logLengthscale, out double dLogLengthscale)
        => prior == LengthscalePrior.DimScaled
            ? LogNormalLogDensity(logLengthscale, DimScaledLengthscaleMu(d), LsSigma, out dLogLengthscale)
            : GammaLogDensity(logLengthscale, LsA, LsB, out dLogLengthscale);

    static double NoiseLogPrior(LengthscalePrior prior, double logNoise, out double dU)
        => prior == LengthscalePrior.DimScaled
            ? LogNormalLogDensity(logNoise, NoiseMu, NoiseSigma, out dU)
            : GammaLogDensity(logNoise, NoiseA, NoiseB, out dU);

    /// <summary>Box of the log parameters: lengthscales (0.01…100 legacy; ≥ 0.025 dimension-scaled, as BoTorch), outputscale, noise.</summary>
    static (double[] Lower, double[] Upper) Bounds(LengthscalePrior prior, int d, double noiseFloor)
    {
        var lo = new double[d + 2]; var hi = new double[d + 2];
        double lsLo = prior == LengthscalePrior.DimScaled ? Math.Log(0.025) : Math.Log(0.01);
        double lsHi = prior == LengthscalePrior.DimScaled ? Math.Log(1e4) : Math.Log(100);
        for (int j = 0; j < d; j++) { lo[j] = lsLo; hi[j] = lsHi; }
        lo[d] = Math.Log(0.01); hi[d] = Math.Log(100);
        lo[d + 1] = Math.Log(noiseFloor); hi[d + 1] = Math.Log(1.0);
        return (lo, hi);
    }

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

        var (lower, upper) = Bounds(settings.Prior, d, settings.NoiseFloor);
        var work = new FitWorkspace(xs, ys, m, d, kernel, settings.Prior);
        double bestValue = double.PositiveInfinity;
        double[] best = Start(null, d, settings, rng, lower, upper);
        for (int r = 0; r < Math.Max(1, settings.Restarts); r++)
        {
            var start = r == 0 ? Start(warmStart, d, settings, null, lower, upper) : Start(null, d, settings, rng, lower, upper);
            double localBest = double.PositiveInfinity; double[]? localPoint = null;
            var result = BoundedLbfgs.Minimize((p, g) =>
            {
                double v = work.NegativeLogPosterior(p, g);
                if (double.IsFinite(v) && v < localBest) { localBest = v; localPoint = (double[])p.Clone(); }
                return v;
            }, start, lower, upper, settings.MaxIterations, gradientTolerance: 1e-5, relativeTolerance: 1e-9);
            if (localPoint is not null && localBest < bestValue) { bestValue = localBest; best = localPoint; }
            _ = result;
        }
        return new GpHyperparameters(best[..d], best[d], best[d + 1]);
    }

    static double[] Start(GpHyperparameters? h, int d, GpFitSettings s, Random? rng, double[] lo, double[] hi)
    {
        var p = new double[d + 2];
        bool scaled = s.Prior == LengthscalePrior.DimScaled;
        // Typical lengthscale: the prior's mode (dimension-scaled: e^(μ − σ²) ≈ 0.20·√d, as BoTorch initialises it;
        // legacy: the Gamma mode 1/3 widened with √d).
        double lsMode = scaled ? DimScaledLengthscaleMu(d) - LsSigma * LsSigma : Math.Log(LsA - 1) - Math.Log(LsB) + 0.5 * Math.Log(d);
        if (h is not null && h.LogLengthscales.Length == d)
        {
            h.LogLengthscales.CopyTo(p, 0); p[d] = h.LogOutputscale; p[d + 1] = h.LogNoise;
        }
        else if (rng is null)
        {
            for (int j = 0; j < d; j++) p[j] = lsMode;
            p[d] = 0; p[d + 1] = scaled ? NoiseMu - NoiseSigma * NoiseSigma : Math.Log(1e-4);
        }
        else
        {
            if (scaled) for (int j = 0; j < d; j++) p[j] = lsMode + (rng.NextDouble() * 2 - 1) * 2.0; // e^±2 around the mode
            else for (int j = 0; j < d; j++) p[j] = Math.Log(0.05) + rng.NextDouble() * (Math.Log(2.0 * Math.Sqrt(d)) - Math.Log(0.05));
            p[d] = Math.Log(0.3) + rng.NextDouble() * (Math.Log(3) - Math.Log(0.3));
            p[d + 1] = Math.Log(s.NoiseFloor) + rng.NextDouble() * (Math.Log(1e-2) - Math.Log(s.NoiseFloor));
        }
        for (int j = 0; j < p.Length; j++) p[j] = Math.Clamp(p[j], lo[j], hi[j]);
        return p;
    }

    /// <summary>The MAP objective (−log marginal likelihood − log prior) and its gradient at log-parameters p (exposed for gradient tests).</summary>
    internal static double NegativeLogPosterior(double[][] x, double[] y, KernelKind kernel, double[] p, out double[] gradient,
        LengthscalePrior prior = LengthscalePrior.DimScaled)
    {
        int n = x.Length, d = x[0].Length;
        var xs = new double[n * d];
        for (int i = 0; i < n; i++) x[i].CopyTo(xs, i * d);
        gradient = new double[d + 2];
        return new FitWorkspace(xs, (double[])y.Clone(), n, d, kernel, prior).NegativeLogPosterior(p, gradient);
    }

    /// <summary>The negative log posterior of the hyperparameters and its gradient, on a fixed data subset.</summary>
    sealed class FitWorkspace(double[] x, double[] y, int n, int d, KernelKind kernel, LengthscalePrior prior)
    {
        readonly double[] _inv = new double[n * n], _m = new double[n * n], _alpha = new double[n], _tmp = new double[n], _work = new double[n];
        readonly double[] _r2 = new double[n * n], _xs = new double[n * d], _invL = new double[d], _acc = new double[d];

        public double NegativeLogPosterior(double[] p, double[] grad)
        {
            Array.Clear(grad);
            for (int j = 0; j < d; j++) _invL[j] = Math.Exp(-p[j]);
            for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) _xs[i * d + j] = x[i * d + j] * _invL[j];
            double s2 = Math.Exp(p[d]), noise = Math.Exp(p[d + 1]);
            var k = CovarianceMatrix(_xs, n, d, s2, kernel, noise, _r2);
            double[] l;
            try { l = Factor(k, n, s2).L; }
            catch (GaussianProcessException) { return 1e300; }
            DenseKernels.ForwardSubstitute(l, n, y, _tmp);
            DenseKernels.BackSubstituteTransposed(l, n, _tmp, _alpha, _work);
            double logDet = 0;
            for (int i = 0; i < n; i++) logDet += 2 * Math.Log(l[i * n + i]);
            double nll = 0.5 * DenseKernels.Dot(y, _alpha) + 0.5 * logDet + 0.5 * n * Math.Log(2 * Math.PI);
            DenseKernels.InverseFromCholesky(l, n, _inv, _m);
            // ∂NLL/∂θ = −½ Σ_ik W_ik ∂K_ik/∂θ with W = ααᵀ − K⁻¹. One pass over the pairs, reusing the squared
            // distances of the covariance: ∂K_ij/∂(log ℓ_q) = KernDeriv·(x̃_iq − x̃_jq)², accumulated over pairs then
            // scaled (the scaled inputs already carry 1/ℓ_q², so nothing is left to multiply).
            Array.Clear(_acc);
            double traceW = 0, sumWK = 0;
            for (int i = 0; i < n; i++)
            {
                double wii = _alpha[i] * _alpha[i] - _inv[i * n + i];
                traceW += wii;
                sumWK += wii * s2;
                var xi = _xs.AsSpan(i * d, d);
                for (int j = 0; j < i; j++)
                {
                    double w = _alpha[i] * _alpha[j] - _inv[i * n + j];
                    double r2 = _r2[i * n + j];
                    sumWK += 2 * w * k[i * n + j];
                    double c = 2 * w * KernDeriv(r2, s2, kernel);
                    if (c != 0) DenseKernels.AddSquaredDifference(c, xi, _xs.AsSpan(j * d, d), _acc);
                }
            }
            for (int q = 0; q < d; q++) grad[q] = -0.5 * _acc[q];
            grad[d] = -0.5 * sumWK;
            grad[d + 1] = -0.5 * noise * traceW;
            // − log prior.
            double nlp = 0;
            for (int j = 0; j < d; j++)
            {
                nlp -= LengthscaleLogPrior(prior, d, p[j], out double dj);
                grad[j] -= dj;
            }
            nlp -= GammaLogDensity(p[d], OsA, OsB, out double ds); grad[d] -= ds;
            nlp -= NoiseLogPrior(prior, p[d + 1], out double dn); grad[d + 1] -= dn;
            return nll + nlp;
        }
    }
}
