using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;

namespace ContactOpt.Optimizers;

/// <summary>
/// The state and equations of (μ/μ_w, λ)-CMA-ES with the names of Hansen's tutorial (arXiv 1604.00772, 2016) —
/// mueff, cc, cs, c1, cmu, damps, chiN, pc, ps, B, D — so it can be checked line by line against it.
/// C = B·diag(D²)·Bᵀ is re-decomposed lazily (MathNet symmetric EVD) every λ/((c1 + cmu)·n·10) evaluations,
/// which keeps the cost at O(n²) per evaluation. Used by <see cref="CmaEs"/> and by the semi-local step of
/// <see cref="BoLeap"/> (there with equal weights and the mean supplied by gradient descent).
/// </summary>
public sealed class CmaState
{
    public readonly int N, Lambda, Mu;
    /// <summary>Recombination weights w₁ ≥ … ≥ w_λ (positive part sums to 1; negative part only for active CMA).</summary>
    public readonly double[] Weights;
    public readonly double Mueff, Cc, Cs, C1, Cmu, Damps, ChiN, Cm = 1.0;

    public double[] Mean;
    public double Sigma;
    public readonly double[] Pc, Ps;
    readonly double[,] _c;
    double[,] _b;
    double[] _d;
    int _generation;
    long _evaluations, _eigenEvaluations;

    /// <param name="equalWeights">μ equal weights 1/μ (BO-Leap's unweighted elite mean) instead of the tutorial's log weights.</param>
    /// <param name="active">Active CMA: negative weights for the worst λ − μ (tutorial §A, the cmaes library's default).</param>
    public CmaState(double[] mean, double sigma, int lambda, int mu = 0, bool equalWeights = false, bool active = false)
    {
        N = mean.Length;
        if (N < 1) throw new ArgumentException("CMA-ES needs at least one dimension.");
        if (lambda < 2) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "population size must be at least 2.");
        if (!(sigma > 0) || !double.IsFinite(sigma)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "initial step size must be positive.");
        Lambda = lambda;
        Mu = mu > 0 ? Math.Min(mu, lambda) : lambda / 2;
        int n = N;

        // Raw weights w'_i = ln((λ+1)/2) − ln i (or equal), positive part normalised to sum 1.
        var raw = new double[lambda];
        for (int i = 0; i < lambda; i++) raw[i] = equalWeights ? (i < Mu ? 1.0 : -1.0) : Math.Log((lambda + 1) / 2.0) - Math.Log(i + 1);
        double sumPos = 0, sumPos2 = 0, sumNeg = 0, sumNeg2 = 0;
        for (int i = 0; i < lambda; i++)
        {
            if (i < Mu) { sumPos += raw[i]; sumPos2 += raw[i] * raw[i]; }
            else { sumNeg += raw[i]; sumNeg2 += raw[i] * raw[i]; }
        }
        Mueff = sumPos * sumPos / sumPos2;
        double mueffNeg = sumNeg2 > 0 ? sumNeg * sumNeg / sumNeg2 : 0;

        Cc = (4 + Mueff / n) / (n + 4 + 2 * Mueff / n);
        Cs = (Mueff + 2) / (n + Mueff + 5);
        C1 = 2 / ((n + 1.3) * (n + 1.3) + Mueff);
        Cmu = Math.Min(1 - C1, 2 * (Mueff - 2 + 1 / Mueff) / ((n + 2) * (n + 2) + Mueff));
        Damps = 1 + 2 * Math.Max(0, Math.Sqrt((Mueff - 1) / (n + 1)) - 1) + Cs;
        ChiN = Math.Sqrt(n) * (1 - 1.0 / (4 * n) + 1.0 / (21.0 * n * n));

        Weights = new double[lambda];
        double negScale = 0;
        if (active && sumNeg2 > 0)
        {
            double alphaMu = 1 + C1 / Cmu;
            double alphaMueff = 1 + 2 * mueffNeg / (Mueff + 2);
            double alphaPosdef = (1 - C1 - Cmu) / (n * Cmu);
            negScale = Math.Min(alphaMu, Math.Min(alphaMueff, alphaPosdef)) / -sumNeg;
        }
        for (int i = 0; i < lambda; i++) Weights[i] = i < Mu ? raw[i] / sumPos : raw[i] * negScale;

        Mean = (double[])mean.Clone();
        Sigma = sigma;
        Pc = new double[n]; Ps = new double[n];
        _c = new double[n, n]; _b = new double[n, n]; _d = new double[n];
        for (int i = 0; i < n; i++) { _c[i, i] = 1; _b[i, i] = 1; _d[i] = 1; }
    }

    public int Generation => _generation;
    /// <summary>Square roots of the eigenvalues of C (as of the last decomposition).</summary>
    public ReadOnlySpan<double> D => _d;
    public double C(int i, int j) => _c[i, j];
    public double ConditionNumber { get { double mx = _d.Max(), mn = _d.Min(); return mx * mx / (mn * mn); } }

    /// <summary>
    /// Draws x = m + σ·B·D·z, z ~ N(0, I). Outside the box it is redrawn up to <paramref name="resamples"/> times,
    /// then clipped (the cmaes library's rule, used by the paper's CMA-ES baseline).
    /// </summary>
    public void Sample(Random rng, SearchBox box, Span<double> x, int resamples = 100)
    {
        int n = N;
        Span<double> z = n <= 512 ? stackalloc double[n] : new double[n];
        for (int attempt = 0; ; attempt++)
        {
            for (int i = 0; i < n; i++) z[i] = _d[i] * Normal.Sample(rng, 0.0, 1.0);
            for (int i = 0; i < n; i++)
            {
                double s = 0;
                for (int j = 0; j < n; j++) s += _b[i, j] * z[j];
                x[i] = Mean[i] + Sigma * s;
            }
            if (box.Contains(x)) return;
            if (attempt >= resamples) { box.Clip(x); return; }
        }
    }

    /// <summary>
    /// One standard generation update from the population <paramref name="xs"/> sorted best first (its mean
    /// update included). Non-finite losses must already sit at the end of the order.
    /// </summary>
    public void Tell(IReadOnlyList<double[]> sortedPopulation)
    {
        int n = N;
        var ys = Steps(sortedPopulation, Mean);
        var yw = new double[n];
        for (int k = 0; k < Math.Min(Mu, ys.Length); k++)
            for (int i = 0; i < n; i++) yw[i] += Weights[k] * ys[k][i];
        for (int i = 0; i < n; i++) Mean[i] += Cm * Sigma * yw[i];
        UpdatePathsAndCovariance(ys, yw, sortedPopulation.Count);
    }

    /// <summary>
    /// BO-Leap's semi-local update: the new mean comes from gradient descent (<paramref name="newMean"/>), and
    /// σ, C are adapted with the tutorial's path, rank-one and rank-μ equations. The evolution paths use
    /// <paramref name="pathShift"/>/σ as the selected step y_w (the elite mean's shift by default, which is what
    /// Hansen &amp; Ostermeier 2001 eqs. 14–17 use; or the total shift of the mean including the descent).
    /// </summary>
    public void TellWithMean(IReadOnlyList<double[]> sortedPopulation, double[] newMean, double[] pathShift)
    {
        int n = N;
        var ys = Steps(sortedPopulation, Mean);
        var yw = new double[n];
        for (int i = 0; i < n; i++) yw[i] = pathShift[i] / Sigma;
        Array.Copy(newMean, Mean, n);
        UpdatePathsAndCovariance(ys, yw, sortedPopulation.Count);
    }

    double[][] Steps(IReadOnlyList<double[]> xs, double[] mean)
    {
        var ys = new double[xs.Count][];
        for (int k = 0; k < xs.Count; k++)
        {
            ys[k] = new double[N];
            for (int i = 0; i < N; i++) ys[k][i] = (xs[k][i] - mean[i]) / Sigma;
        }
        return ys;
    }

    void UpdatePathsAndCovariance(double[][] ys, double[] yw, int evaluated)
    {
        int n = N;
        _generation++;
        _evaluations += evaluated;
        // ps ← (1−cs)·ps + sqrt(cs(2−cs)·mueff)·C^{-1/2}·y_w
        var invSqrtYw = InvSqrtC(yw);
        double csFactor = Math.Sqrt(Cs * (2 - Cs) * Mueff);
        double psNorm2 = 0;
        for (int i = 0; i < n; i++) { Ps[i] = (1 - Cs) * Ps[i] + csFactor * invSqrtYw[i]; psNorm2 += Ps[i] * Ps[i]; }
        double psNorm = Math.Sqrt(psNorm2);
        bool hsig = psNorm / Math.Sqrt(1 - Math.Pow(1 - Cs, 2 * _generation)) < (1.4 + 2.0 / (n + 1)) * ChiN;
        double ccFactor = Math.Sqrt(Cc * (2 - Cc) * Mueff);
        for (int i = 0; i < n; i++) Pc[i] = (1 - Cc) * Pc[i] + (hsig ? ccFactor * yw[i] : 0);

        // C ← (1 + c1·δ(hσ) − c1 − cmu·Σw)·C + c1·pc·pcᵀ + cmu·Σ w°_k·y_k·y_kᵀ
        int count = Math.Min(ys.Length, Lambda);
        var wo = new double[count];
        double sumW = 0;
        for (int k = 0; k < count; k++)
        {
            double w = Weights[k];
            sumW += w;
            if (w >= 0) wo[k] = w;
            else
            {
                var v = InvSqrtC(ys[k]);
                double norm2 = 0; foreach (var t in v) norm2 += t * t;
                wo[k] = norm2 > 0 ? w * n / norm2 : 0;
            }
        }
        double delta = hsig ? 0 : Cc * (2 - Cc);
        double decay = 1 + C1 * delta - C1 - Cmu * sumW;
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                double rankMu = 0;
                for (int k = 0; k < count; k++) if (wo[k] != 0) rankMu += wo[k] * ys[k][i] * ys[k][j];
                double v = decay * _c[i, j] + C1 * Pc[i] * Pc[j] + Cmu * rankMu;
                _c[i, j] = v; _c[j, i] = v;
            }

        // σ ← σ·exp((cs/damps)·(‖ps‖/chiN − 1))
        Sigma *= Math.Exp(Math.Min(1.0, (Cs / Damps) * (psNorm / ChiN - 1)));

        if (_evaluations - _eigenEvaluations > Lambda / ((C1 + Cmu) * n * 10)) Decompose();
    }

    /// <summary>C = B·D²·Bᵀ by MathNet's symmetric eigendecomposition (eigenvalues clamped at a tiny positive floor).</summary>
    public void Decompose()
    {
        int n = N;
        _eigenEvaluations = _evaluations;
        foreach (var v in _c) if (!double.IsFinite(v)) { MinEigenvalue = double.NaN; return; } // caller terminates the run
        var m = Matrix<double>.Build.DenseOfArray(_c);
        var evd = m.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
        var vectors = evd.EigenVectors;
        for (int j = 0; j < n; j++)
        {
            double ev = evd.EigenValues[j].Real;
            _d[j] = Math.Sqrt(Math.Max(ev, 1e-300));
            for (int i = 0; i < n; i++) _b[i, j] = vectors[i, j];
        }
        MinEigenvalue = evd.EigenValues[0].Real;
    }

    /// <summary>The smallest eigenvalue of C at the last decomposition (≤ 0 or NaN means C degenerated).</summary>
    public double MinEigenvalue { get; private set; } = 1;

    /// <summary>C^{-1/2}·v = B·D⁻¹·Bᵀ·v.</summary>
    public double[] InvSqrtC(ReadOnlySpan<double> v)
    {
        int n = N;
        var t = new double[n];
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int i = 0; i < n; i++) s += _b[i, j] * v[i];
            t[j] = s / _d[j];
        }
        var r = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int j = 0; j < n; j++) s += _b[i, j] * t[j];
            r[i] = s;
        }
        return r;
    }

    /// <summary>B's column j (the j-th principal axis of C).</summary>
    public double Axis(int i, int j) => _b[i, j];
}
