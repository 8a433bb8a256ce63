using System.Diagnostics;
using ContactOpt.Budget;

namespace ContactOpt.Optimizers;

/// <summary>GP and acquisition hyperparameters shared by <c>bo-plain</c>, <c>bo</c> and <c>bo-leap</c>.</summary>
public abstract record BoCommonOptions : IValidatable
{
    [Option("kernel", "GP kernel: matern52 (ARD Matérn-5/2, BoTorch's 2022 default) or rbf (ARD squared exponential, the kernel written in the paper)")]
    public KernelKind Kernel { get; init; } = KernelKind.Matern52;

    [Option("prior", "lengthscale/noise prior of the MAP fit: dimscaled (Hvarfner et al. 2024, LogNormal(√2 + ½ ln d, √3); BoTorch ≥ 0.12) or gamma (BoTorch's legacy Gamma(3, 6))")]
    public LengthscalePrior Prior { get; init; } = LengthscalePrior.DimScaled;

    [Option("acquisition", "lcb (μ − κσ, the paper's choice) or logei (log expected improvement)")]
    public AcquisitionKind Acquisition { get; init; } = AcquisitionKind.Lcb;

    [Option("kappa", "LCB exploration coefficient κ (paper: 1.0)")]
    public double Kappa { get; init; } = 1.0;

    [Option("raw_samples", "scrambled Sobol points on which the acquisition is evaluated before L-BFGS (BoTorch tutorials: 512)", Min = 1, Max = 100000)]
    public int RawSamples { get; init; } = 512;

    [Option("acq_restarts", "bounded L-BFGS (BFGS-B) runs from the best raw samples, plus one from the incumbent (BoTorch tutorials: 10)", Min = 0, Max = 1000)]
    public int AcqRestarts { get; init; } = 10;

    [Option("acq_maxiter", "iterations per acquisition L-BFGS run", Min = 1, Max = 10000)]
    public int AcqMaxIter { get; init; } = 50;

    [Option("fit_points", "at most this many points (seeded random subset) enter the MAP hyperparameter fit; all enter the posterior", Min = 2, Max = 10000)]
    public int FitPoints { get; init; } = 128;

    [Option("fit_restarts", "BFGS-B runs of the hyperparameter fit: one warm-started from the previous trial, the others random", Min = 1, Max = 1000)]
    public int FitRestarts { get; init; } = 2;

    [Option("fit_maxiter", "iterations per hyperparameter BFGS-B run (BoTorch/scipy: up to 2000; bo-svae-dc: 100)", Min = 1, Max = 10000)]
    public int FitMaxIter { get; init; } = 50;

    [Option("refit_every", "fit the GP hyperparameters (MAP) on every k-th trial only; the trials between condition the last fit on all points (1 = refit every trial, as BoTorch's loop)", Min = 1, Max = 1000)]
    public int RefitEvery { get; init; } = 1;

    [Option("noise_floor", "lower bound on the GP noise variance in standardised units (deterministic simulators; BoTorch fixed-noise advice 1e-6)")]
    public double NoiseFloor { get; init; } = 1e-6;

    public virtual void Validate()
    {
        Check.Defined(Kernel, "kernel");
        Check.Defined(Acquisition, "acquisition");
        Check.Defined(Prior, "prior");
        Check.NonNegative(Kappa, "kappa");
        Check.Positive(RawSamples, "raw_samples");
        Check.NonNegative(AcqRestarts, "acq_restarts");
        Check.Positive(AcqMaxIter, "acq_maxiter");
        if (FitPoints < 2) throw new ArgumentException($"option fit_points={FitPoints} must be at least 2.");
        Check.Positive(FitRestarts, "fit_restarts");
        Check.Positive(FitMaxIter, "fit_maxiter");
        Check.Positive(RefitEvery, "refit_every");
        Check.Positive(NoiseFloor, "noise_floor");
        if (NoiseFloor >= 1) throw new ArgumentException($"option noise_floor={NoiseFloor} must be below 1 (outputs are standardised).");
    }

    internal GpFitSettings FitSettings => new() { Prior = Prior, FitPoints = FitPoints, Restarts = FitRestarts, MaxIterations = FitMaxIter, NoiseFloor = NoiseFloor };
    internal AcquisitionSettings AcquisitionSettings => new() { Kind = Acquisition, Kappa = Kappa, RawSamples = RawSamples, Restarts = AcqRestarts, MaxIterations = AcqMaxIter };
}

/// <summary>Wall time of one BO trial (GP fit and acquisition optimisation), for benchmarks.</summary>
public readonly record struct BoTrialTiming(int Points, double FitSeconds, double AcquisitionSeconds, double FitCpuSeconds = 0, double AcquisitionCpuSeconds = 0)
{
    public double TotalSeconds => FitSeconds + AcquisitionSeconds;
    /// <summary>CPU time of the process during the trial (<see cref="CpuClock"/>).</summary>
    public double TotalCpuSeconds => FitCpuSeconds + AcquisitionCpuSeconds;
}

/// <summary>
/// The data set S of every evaluated point and the GP + acquisition step that proposes the next point.
/// Non-finite losses are stored as +∞ and imputed with the worst finite loss at fit time, so they repel the
/// search without poisoning the fit. Inputs are scaled to [0,1]ᵈ by the bounds (the sampling box where unbounded).
/// </summary>
public sealed class BoModel
{
    readonly SearchBox _box;
    readonly BoCommonOptions _o;
    readonly Random _rng;
    readonly List<double[]> _x = new();
    readonly List<double> _y = new();
    GpHyperparameters? _warm;
    int _trials;

    public BoModel(SearchBox box, BoCommonOptions options, Random rng) { _box = box; _o = options; _rng = rng; }

    public int Count => _x.Count;
    public GaussianProcess? LastModel { get; private set; }
    public List<BoTrialTiming> Timings { get; } = new();

    public void Add(ReadOnlySpan<double> x, double y)
    {
        _x.Add(x.ToArray());
        _y.Add(double.IsFinite(y) ? y : double.PositiveInfinity);
    }

    /// <summary>Fits the GP on all points and returns the acquisition's minimiser (uniformly random while no loss is finite).</summary>
    public double[] Propose()
    {
        int d = _box.Dimension;
        double worst = double.NegativeInfinity;
        foreach (var v in _y) if (double.IsFinite(v)) worst = Math.Max(worst, v);
        if (double.IsNegativeInfinity(worst))
        {
            var r = new double[d]; _box.Uniform(_rng, r); return r;
        }
        var t0 = Stopwatch.GetTimestamp();
        double c0 = CpuClock.Seconds();
        var u = new double[_x.Count][];
        var y = new double[_x.Count];
        int bestIndex = 0;
        for (int i = 0; i < u.Length; i++)
        {
            u[i] = new double[d];
            _box.ToUnit(_x[i], u[i]);
            y[i] = double.IsFinite(_y[i]) ? _y[i] : worst;
            if (y[i] < y[bestIndex]) bestIndex = i;
        }
        // MAP fit on every refit_every-th trial (the first always); between fits the last hyperparameters are
        // conditioned on all points, which costs one Cholesky instead of the fit's L-BFGS runs.
        GaussianProcess gp;
        if (_warm is null || _trials % _o.RefitEvery == 0)
        {
            gp = GaussianProcess.Fit(u, y, _o.Kernel, _o.FitSettings, _rng, _warm);
            _warm = gp.Hyperparameters;
        }
        else gp = GaussianProcess.Condition(u, y, _warm, _o.Kernel);
        _trials++;
        LastModel = gp;
        var t1 = Stopwatch.GetTimestamp();
        double c1 = CpuClock.Seconds();
        double bestStd = (y[bestIndex] - gp.YMean) / gp.YScale;
        var next = Acquisition.Optimize(gp, _o.AcquisitionSettings, bestStd, u[bestIndex], _rng);
        var t2 = Stopwatch.GetTimestamp();
        double c2 = CpuClock.Seconds();
        Timings.Add(new BoTrialTiming(u.Length, Stopwatch.GetElapsedTime(t0, t1).TotalSeconds, Stopwatch.GetElapsedTime(t1, t2).TotalSeconds, c1 - c0, c2 - c1));
        var x = new double[d];
        _box.FromUnit(next, x);
        return x;
    }
}

/// <summary>Hyperparameters of plain Bayesian optimisation (<c>bo-plain</c>).</summary>
public sealed record BayesOptOptions : BoCommonOptions
{
    public BayesOptOptions() { Acquisition = AcquisitionKind.LogEi; }

    [Option("init_points", "scrambled Sobol points evaluated before the first BO trial; 0 = 2·(d + 1)", Min = 0, Max = 10000)]
    public int InitPoints { get; init; } = 0;

    public override void Validate()
    {
        base.Validate();
        Check.NonNegative(InitPoints, "init_points");
    }
}

/// <summary>
/// Plain (gradient-free) Bayesian optimisation: an initial scrambled-Sobol design, then one loss-only episode
/// per BO trial at the acquisition's optimum (LogEI by default; the GP is refitted every trial). Its cost grows
/// as n³ (fit) and n² per acquisition evaluation, so it is meant for budgets of a few hundred episodes.
/// </summary>
public sealed class BayesOpt(BayesOptOptions options) : IOptimizer
{
    public BayesOptOptions Options { get; } = Validated(options);
    public string Name => "bo-plain";
    public BoModel? Model { get; private set; }

    static BayesOptOptions Validated(BayesOptOptions o) { o.Validate(); return o; }

    public OptimizationResult Minimize(BudgetedObjective objective, int seed, CancellationToken cancellation = default)
    {
        var ev = new Evaluator(objective, cancellation);
        var rng = Rng.Create(seed);
        int d = ev.Dimension;
        var model = Model = new BoModel(ev.Box, Options, rng);
        int init = Options.InitPoints > 0 ? Options.InitPoints : 2 * (d + 1);
        var u = new double[d]; var x = new double[d];
        var sobol = d <= Sobol.MaxDimension ? new Sobol(d, rng) : null;
        for (int k = 0; k < init && !ev.Exhausted; k++)
        {
            if (sobol is not null) sobol.Next(u); else for (int j = 0; j < d; j++) u[j] = rng.NextDouble();
            ev.Box.FromUnit(u, x);
            model.Add(x, ev.Loss(x));
        }
        while (!ev.Exhausted)
        {
            var next = model.Propose();
            model.Add(next, ev.Loss(next));
        }
        return ev.Result();
    }
}

/// <summary>Hyperparameters of the paper's gradient-based BO baseline (<c>bo</c>).</summary>
public sealed record BoDescentsOptions : BoCommonOptions
{
    [Option("step_size", "gradient step α of each descent, raw parameter units (not stated in the paper; set it per task)")]
    public double StepSize { get; init; } = 0.01;

    [Option("max_steps", "J: at most this many gradient steps per BO trial (not stated; 100 = BO-Leap's per-trial budget)", Min = 1, Max = 1000000)]
    public int MaxSteps { get; init; } = 100;

    [Option("patience", "halt a descent after more than this many consecutive non-improving steps (paper: 3)", Min = 0, Max = 1000000)]
    public int Patience { get; init; } = 3;

    [Option("min_improvement", "a step improves only if it lowers the descent's best loss by more than this (0 = any decrease)")]
    public double MinImprovement { get; init; } = 0;

    [Option("first_start", "start of the first descent, before the GP has data: random, guess or center")]
    public StartPoint FirstStart { get; init; } = StartPoint.Random;

    public override void Validate()
    {
        base.Validate();
        Check.Positive(StepSize, "step_size");
        Check.Positive(MaxSteps, "max_steps");
        Check.NonNegative(Patience, "patience");
        Check.NonNegative(MinImprovement, "min_improvement");
        Check.Defined(FirstStart, "first_start");
    }
}

/// <summary>
/// The BO-Leap paper's "BO" baseline (its §2.4 reading): the GP + LCB picks a start point, a bounded gradient
/// descent (<see cref="BoundedDescent"/>) runs from it, and every visited point feeds the GP; repeat.
/// </summary>
public sealed class BoDescents(BoDescentsOptions options) : IOptimizer
{
    public BoDescentsOptions Options { get; } = Validated(options);
    public string Name => "bo";
    public BoModel? Model { get; private set; }

    static BoDescentsOptions Validated(BoDescentsOptions o) { o.Validate(); return o; }

    public OptimizationResult Minimize(BudgetedObjective objective, int seed, CancellationToken cancellation = default)
    {
        var ev = new Evaluator(objective, cancellation);
        var rng = Rng.Create(seed);
        var model = Model = new BoModel(ev.Box, Options, rng);
        bool first = true;
        while (!ev.Exhausted)
        {
            var start = first ? Check.Start(Options.FirstStart, ev, rng) : model.Propose();
            first = false;
            BoundedDescent.Run(ev, start, Options.StepSize, Options.MaxSteps, Options.Patience, Options.MinImprovement,
                onPoint: (x, l) => model.Add(x, l));
        }
        return ev.Result();
    }
}
