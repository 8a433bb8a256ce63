using ContactOpt.Tasks;
using MathNet.Numerics.Distributions;

namespace ContactOpt.Experiments;

/// <summary>Settings of a gradient-quality study (<see cref="GradientQuality.Run"/>).</summary>
public sealed record GradientQualityOptions
{
    /// <summary>Points drawn uniformly from the sampling box.</summary>
    public int Points { get; init; } = 50;
    public int Seed { get; init; }
    /// <summary>Central-difference steps, relative: h = step · max(1, |xᵢ|).</summary>
    public double[] Steps { get; init; } = [1e-2, 1e-4, 1e-6];
    /// <summary>Gaussian smoothing widths as fractions of each coordinate's sampling-box width.</summary>
    public double[] Widths { get; init; } = [1e-3, 1e-2, 1e-1];
    /// <summary>Antithetic sample pairs per smoothed gradient.</summary>
    public int SmoothingSamples { get; init; } = 64;
    /// <summary>Random rays per point for the secant test.</summary>
    public int Rays { get; init; } = 16;
    /// <summary>Secant lengths along a ray, as fractions of the sampling box (the ray is scaled by each coordinate's width).</summary>
    public double[] Scales { get; init; } = [1e-4, 1e-3, 1e-2];
    /// <summary>σ of sgd's perturbation w = σε, in parameter units (sgd's default 0.5).</summary>
    public double SgdSigma { get; init; } = 0.5;
    /// <summary>Samples of sgd's estimator per point.</summary>
    public int SgdSamples { get; init; } = 64;
    /// <summary>Coordinates differenced per point (all when the dimension is at most this).</summary>
    public int MaxCoordinates { get; init; } = 8;
    /// <summary>Share of rays with an opposite-sign secant, at any scale but the coarsest, above which the gradient is flagged.</summary>
    public double WrongSignTolerance { get; init; } = 0.02;
    /// <summary>Share of points with an exactly zero gradient (while the loss changes along a ray) above which plateaus are flagged.</summary>
    public double FlatTolerance { get; init; } = 0.05;

    public void Validate()
    {
        if (Points < 1) throw new ArgumentException($"points = {Points}; need at least 1.");
        if (Rays < 1) throw new ArgumentException($"rays = {Rays}; need at least 1.");
        if (SmoothingSamples < 1) throw new ArgumentException($"smoothing samples = {SmoothingSamples}; need at least 1.");
        if (SgdSamples < 2) throw new ArgumentException($"sgd samples = {SgdSamples}; need at least 2.");
        if (MaxCoordinates < 1) throw new ArgumentException($"coordinates = {MaxCoordinates}; need at least 1.");
        void Positive(double[] v, string what, double max)
        {
            if (v.Length == 0) throw new ArgumentException($"{what}: give at least one value.");
            foreach (var s in v) if (!(s > 0 && s <= max) || !double.IsFinite(s)) throw new ArgumentException($"{what} value {s} must be in (0, {max}].");
        }
        Positive(Steps, "steps", 1); Positive(Widths, "widths", 1); Positive(Scales, "scales", 1);
        if (!(SgdSigma > 0) || !double.IsFinite(SgdSigma)) throw new ArgumentException($"sgd sigma {SgdSigma} must be positive and finite.");
    }
}

/// <summary>Everything measured at one point.</summary>
public sealed record GradientQualityPoint(
    double[] X, double Loss, double GradientNorm, int[] Coordinates,
    double[] FdRelativeError,          // per step
    double[] SmoothedCosine,           // per width: cosine(exact, smoothed) over all coordinates
    double[] SmoothedRelativeError,    // per width
    int[] SecantAgree, int[] SecantOpposite, int[] SecantZeroExact, // per scale: rays
    double SgdMeanCosine, double SgdRelativeVariance);

/// <summary>The study: points and summary figures.</summary>
public sealed record GradientQualityReport(GradientQualityOptions Options, IReadOnlyList<GradientQualityPoint> Points)
{
    /// <summary>Median over points of the finite-difference relative error at each step.</summary>
    public double[] MedianFdError => Options.Steps.Select((_, k) => Stats.Median(Points.Select(p => p.FdRelativeError[k]).Where(double.IsFinite))).ToArray();
    public double[] MedianSmoothedCosine => Options.Widths.Select((_, k) => Stats.Median(Points.Select(p => p.SmoothedCosine[k]).Where(double.IsFinite))).ToArray();
    /// <summary>Share of rays (over all points) whose secant has the opposite sign to the exact directional derivative, per scale.</summary>
    public double[] OppositeShare => Options.Scales.Select((_, k) => Share(p => p.SecantOpposite[k])).ToArray();
    public double[] AgreeShare => Options.Scales.Select((_, k) => Share(p => p.SecantAgree[k])).ToArray();
    /// <summary>Share of rays where the exact directional derivative is exactly 0 while the loss changes (a plateau edge), per scale.</summary>
    public double[] ZeroExactShare => Options.Scales.Select((_, k) => Share(p => p.SecantZeroExact[k])).ToArray();
    /// <summary>Points whose exact gradient is exactly zero.</summary>
    public int FlatPoints => Points.Count(p => p.GradientNorm == 0);
    public double MedianSgdRelativeVariance => Stats.Median(Points.Select(p => p.SgdRelativeVariance).Where(v => !double.IsNaN(v)));
    public double MedianSgdCosine => Stats.Median(Points.Select(p => p.SgdMeanCosine).Where(double.IsFinite));

    double Share(Func<GradientQualityPoint, int> count) => Points.Sum(count) / (double)(Points.Count * Options.Rays);

    /// <summary>Problems found, one sentence each (empty: the exact gradient is trustworthy by these tests).</summary>
    public IReadOnlyList<string> Flags()
    {
        var flags = new List<string>();
        // The fine scales: all but the coarsest (over which genuine curvature and outcome changes may flip a secant).
        double coarsest = Options.Scales.Max();
        var fine = Enumerable.Range(0, Options.Scales.Length).Where(k => Options.Scales.Length == 1 || Options.Scales[k] < coarsest).ToList();
        int worst = fine.MaxBy(k => OppositeShare[k]);
        double wrong = OppositeShare[worst];
        if (wrong > Options.WrongSignTolerance)
            flags.Add($"wrong sign: along {wrong:P1} of the random rays the secant over {Options.Scales[worst]:G3} of the box has the opposite sign " +
                      $"to the exact directional derivative (tolerance {Options.WrongSignTolerance:P0}); descent directions from this gradient are unreliable.");
        double flat = FlatPoints / (double)Points.Count;
        double zeroRays = fine.Max(k => ZeroExactShare[k]);
        if (flat > Options.FlatTolerance || zeroRays > Options.FlatTolerance)
            flags.Add($"plateaus: the exact gradient is exactly zero at {FlatPoints}/{Points.Count} points, and zero along {zeroRays:P1} of the rays " +
                      "whose loss still changes (flat regions between jumps; a gradient method stalls there).");
        return flags;
    }
}

/// <summary>
/// Gradient quality of a task through its public parameter view (<see cref="IObjective"/>): the exact gradient
/// against central finite differences at several steps, against a Gaussian-smoothed gradient at several widths
/// (antithetic estimate of ∇E[f(x + σ·s⊙ε)], s = the sampling box's widths), sign agreement of the exact
/// directional derivative with secants along random rays at several lengths, and the variance of sgd's
/// perturbation estimator (J(x + w) − J(x))·w/σ² with w = σε. Task-agnostic: it knows nothing of physics.
/// Deterministic: point k draws from its own generator seeded by (seed, k), so any thread count gives the same result.
/// </summary>
public static class GradientQuality
{
    public static GradientQualityReport Run(Func<IObjective> create, GradientQualityOptions options, int threads = 1)
    {
        options.Validate();
        var probe = create();
        int d = probe.Dimension;
        var lo = probe.SamplingLower.ToArray(); var hi = probe.SamplingUpper.ToArray();
        var width = lo.Zip(hi, (a, b) => b - a).ToArray();
        var points = new GradientQualityPoint[options.Points];
        Parallel.For(0, options.Points, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, create, (k, _, f) =>
        {
            var rng = Rng.Create(unchecked(options.Seed * 1_000_003 + k));
            var x = new double[d];
            for (int i = 0; i < d; i++) x[i] = lo[i] + width[i] * rng.NextDouble();
            points[k] = At(f, x, width, options, rng);
            return f;
        }, _ => { });
        return new GradientQualityReport(options, points);
    }

    static GradientQualityPoint At(IObjective f, double[] x, double[] width, GradientQualityOptions o, Random rng)
    {
        int d = x.Length;
        var g = new double[d];
        double loss = f.LossAndGradient(x, g);
        double gNorm = Norm(g);
        int[] coords = d <= o.MaxCoordinates ? Enumerable.Range(0, d).ToArray()
            : Enumerable.Range(0, d).OrderBy(_ => rng.Next()).Take(o.MaxCoordinates).Order().ToArray();
        var probe = (double[])x.Clone();

        // Finite differences at each step over the chosen coordinates.
        var fdErr = new double[o.Steps.Length];
        var gSub = coords.Select(i => g[i]).ToArray();
        for (int s = 0; s < o.Steps.Length; s++)
        {
            var fd = new double[coords.Length];
            for (int c = 0; c < coords.Length; c++)
            {
                int i = coords[c];
                double h = o.Steps[s] * Math.Max(1.0, Math.Abs(x[i]));
                probe[i] = x[i] + h; double up = f.Loss(probe);
                probe[i] = x[i] - h; double down = f.Loss(probe);
                probe[i] = x[i];
                fd[c] = (up - down) / (2 * h);
            }
            fdErr[s] = GradientCheck.RelativeError(gSub, fd);
        }

        // Gaussian-smoothed gradient: ∇ᵢ f_σ ≈ mean over antithetic pairs of (f(x + w) − f(x − w))/2 · εᵢ/(σ sᵢ), w = σ s ⊙ ε.
        var cos = new double[o.Widths.Length];
        var smErr = new double[o.Widths.Length];
        var eps = new double[d];
        var est = new double[d];
        for (int wI = 0; wI < o.Widths.Length; wI++)
        {
            double sigma = o.Widths[wI];
            Array.Clear(est);
            int used = 0;
            for (int m = 0; m < o.SmoothingSamples; m++)
            {
                for (int i = 0; i < d; i++) eps[i] = Normal.Sample(rng, 0, 1);
                for (int i = 0; i < d; i++) probe[i] = x[i] + sigma * width[i] * eps[i];
                double up = f.Loss(probe);
                for (int i = 0; i < d; i++) probe[i] = x[i] - sigma * width[i] * eps[i];
                double down = f.Loss(probe);
                if (!double.IsFinite(up) || !double.IsFinite(down)) continue;
                used++;
                double half = 0.5 * (up - down);
                for (int i = 0; i < d; i++) est[i] += half * eps[i] / (sigma * width[i]);
            }
            x.CopyTo(probe, 0);
            if (used == 0) { cos[wI] = double.NaN; smErr[wI] = double.NaN; continue; }
            for (int i = 0; i < d; i++) est[i] /= used;
            cos[wI] = Cosine(g, est);
            smErr[wI] = GradientCheck.RelativeError(g, est);
        }

        // Secants along random rays v = s ⊙ u (u a random unit vector): sign of (f(x + t v) − f(x)) vs sign of ∇f·v.
        var agree = new int[o.Scales.Length]; var opposite = new int[o.Scales.Length]; var zeroExact = new int[o.Scales.Length];
        var u = new double[d];
        double tol = 1e-12 * Math.Max(1.0, Math.Abs(loss));
        for (int r = 0; r < o.Rays; r++)
        {
            for (int i = 0; i < d; i++) u[i] = Normal.Sample(rng, 0, 1);
            double un = Norm(u);
            for (int i = 0; i < d; i++) u[i] = u[i] / un * width[i];
            double dir = 0;
            for (int i = 0; i < d; i++) dir += g[i] * u[i];
            for (int s = 0; s < o.Scales.Length; s++)
            {
                double t = o.Scales[s];
                for (int i = 0; i < d; i++) probe[i] = x[i] + t * u[i];
                double change = f.Loss(probe) - loss;
                bool changes = Math.Abs(change) > tol;
                if (dir == 0) { if (changes) zeroExact[s]++; else agree[s]++; }
                else if (!changes || Math.Sign(change) == Math.Sign(dir)) agree[s]++;
                else opposite[s]++;
            }
        }
        x.CopyTo(probe, 0);

        // sgd's estimator, scaled to estimate ∇J: (J(x + w) − J(x))·w/σ²; mean and total variance over samples.
        double sig = o.SgdSigma;
        var mean = new double[d];
        var samples = new List<double[]>(o.SgdSamples);
        for (int m = 0; m < o.SgdSamples; m++)
        {
            for (int i = 0; i < d; i++) { eps[i] = sig * Normal.Sample(rng, 0, 1); probe[i] = x[i] + eps[i]; }
            double lp = f.Loss(probe);
            if (!double.IsFinite(lp) || !double.IsFinite(loss)) continue;
            var e = new double[d];
            for (int i = 0; i < d; i++) { e[i] = (lp - loss) * eps[i] / (sig * sig); mean[i] += e[i]; }
            samples.Add(e);
        }
        double sgdCos = double.NaN, relVar = double.NaN;
        if (samples.Count >= 2)
        {
            for (int i = 0; i < d; i++) mean[i] /= samples.Count;
            double trace = 0;
            foreach (var e in samples) for (int i = 0; i < d; i++) trace += (e[i] - mean[i]) * (e[i] - mean[i]);
            trace /= samples.Count - 1;
            sgdCos = Cosine(g, mean);
            relVar = gNorm > 0 ? trace / (gNorm * gNorm) : double.PositiveInfinity;
        }
        return new GradientQualityPoint(x, loss, gNorm, coords, fdErr, cos, smErr, agree, opposite, zeroExact, sgdCos, relVar);
    }

    static double Norm(double[] v) { double s = 0; foreach (var a in v) s += a * a; return Math.Sqrt(s); }

    /// <summary>cos∠(a, b); NaN when either is zero or non-finite.</summary>
    public static double Cosine(double[] a, double[] b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
        double c = ab / Math.Sqrt(aa * bb);
        return double.IsFinite(c) ? c : double.NaN;
    }
}
