using ContactOpt.Budget;

namespace ContactOpt.Optimizers;

/// <summary>Which step drives BO-Leap's evolution paths (and so its σ adaptation).</summary>
public enum PathShift
{
    /// <summary>The elite mean's shift from the old mean, ⟨z⟩_μ of Hansen &amp; Ostermeier 2001 eqs. 14–17.</summary>
    Elite,
    /// <summary>The total shift of the mean, descent included (old mean → descent end).</summary>
    Descent,
}

/// <summary>
/// Hyperparameters of BO-Leap (Antonova et al., CoRL 2022). The paper's stated values are the defaults
/// (κ = 1, K = 10, σ₁ = 1, C₁ = I, 100 episodes per BO trial, halt after more than 3 stagnating steps); every
/// choice it leaves open is an option with the default named here (see docs/optimizers.md).
/// </summary>
public sealed record BoLeapOptions : BoCommonOptions
{
    [Option("popsize", "K: candidates sampled per semi-local iteration (paper: 10)", Min = 2, Max = 10000)]
    public int PopSize { get; init; } = 10;

    [Option("elite", "|Kbest|: best candidates whose unweighted mean starts the descent (not stated; CMA-ES μ = K/2 = 5)", Min = 1, Max = 10000)]
    public int Elite { get; init; } = 5;

    [Option("sigma0", "σ₁: initial local step size in raw parameter units, reset every BO trial (paper: 1.0)")]
    public double Sigma0 { get; init; } = 1.0;

    [Option("local_budget", "episodes of semi-local search per BO trial before the GP is refitted and LCB picks a new start (paper: 100)", Min = 1, Max = 1000000)]
    public int LocalBudget { get; init; } = 100;

    [Option("max_descent_steps", "J: at most this many gradient steps per descent (not stated; 10 as in the LUCiD reimplementation)", Min = 1, Max = 1000000)]
    public int MaxDescentSteps { get; init; } = 10;

    [Option("step_size", "gradient step α, raw parameter units (not stated in the paper; set it per task)")]
    public double StepSize { get; init; } = 0.01;

    [Option("patience", "halt a descent after more than this many consecutive stagnating or increasing steps (paper: 3)", Min = 0, Max = 1000000)]
    public int Patience { get; init; } = 3;

    [Option("min_improvement", "a step counts as improving only if it lowers the descent's best loss by more than this (not stated; 0)")]
    public double MinImprovement { get; init; } = 0;

    [Option("new_mean", "which descent point becomes the new population mean: last (the paper's s_J) or best")]
    public DescentEnd NewMean { get; init; } = DescentEnd.Last;

    [Option("path_shift", "step used in the σ/C evolution paths: elite (elite mean − old mean, H&O 2001 eqs. 14–17) or descent (descent end − old mean)")]
    public PathShift PathShift { get; init; } = PathShift.Elite;

    [Option("first_start", "first BO start, when the GP has no data (not stated): random, guess or center")]
    public StartPoint FirstStart { get; init; } = StartPoint.Random;

    [Option("resamples", "candidates outside the bounds are redrawn up to this many times, then clipped (cmaes library: 100)", Min = 0, Max = 1000)]
    public int Resamples { get; init; } = 100;

    public override void Validate()
    {
        base.Validate();
        if (PopSize < 2) throw new ArgumentException($"option popsize={PopSize} must be at least 2.");
        if (Elite < 1 || Elite > PopSize) throw new ArgumentException($"option elite={Elite} must be in [1, popsize={PopSize}].");
        Check.Positive(Sigma0, "sigma0");
        Check.Positive(LocalBudget, "local_budget");
        Check.Positive(MaxDescentSteps, "max_descent_steps");
        Check.Positive(StepSize, "step_size");
        Check.NonNegative(Patience, "patience");
        Check.NonNegative(MinImprovement, "min_improvement");
        Check.Defined(NewMean, "new_mean");
        Check.Defined(PathShift, "path_shift");
        Check.Defined(FirstStart, "first_start");
        Check.NonNegative(Resamples, "resamples");
    }
}

/// <summary>
/// BO-Leap (Algorithm 1 of Antonova et al. 2022): a GP with LCB (κ = 1) picks a start point; a semi-local
/// search around it alternates (i) K loss-only samples from N(m, σ²C), (ii) a bounded gradient descent from the
/// unweighted mean of the best of them (≤ J steps, halted after more than 3 stagnating steps, iterates clipped
/// to the bounds), (iii) the descent end becomes the new mean m and σ, C get a CMA-ES update
/// (<see cref="CmaState.TellWithMean"/>, equal weights over the elite). After <c>local_budget</c> episodes the
/// GP is refitted on every point seen (samples and descent iterates) and LCB picks the next start.
/// </summary>
public sealed class BoLeap(BoLeapOptions options) : IOptimizer
{
    public BoLeapOptions Options { get; } = Validated(options);
    public string Name => "bo-leap";
    public BoModel? Model { get; private set; }
    /// <summary>Episodes spent in each BO trial of the last run.</summary>
    public List<int> TrialEpisodes { get; } = new();

    static BoLeapOptions Validated(BoLeapOptions o) { o.Validate(); return o; }

    public OptimizationResult Minimize(BudgetedObjective objective, int seed, CancellationToken cancellation = default)
    {
        var ev = new Evaluator(objective, cancellation);
        var rng = Rng.Create(seed);
        int d = ev.Dimension, k = Options.PopSize;
        var model = Model = new BoModel(ev.Box, Options, rng);
        TrialEpisodes.Clear();
        bool first = true;
        while (!ev.Exhausted)
        {
            var start = first ? Check.Start(Options.FirstStart, ev, rng) : model.Propose();
            first = false;
            var es = new CmaState(start, Options.Sigma0, k, Options.Elite, equalWeights: true, active: false);
            int used = 0;
            while (used < Options.LocalBudget && !ev.Exhausted)
            {
                // (i) population, loss only.
                var xs = new List<double[]>(k); var ls = new List<double>(k);
                while (xs.Count < k && used < Options.LocalBudget && !ev.Exhausted)
                {
                    var x = new double[d];
                    es.Sample(rng, ev.Box, x, Options.Resamples);
                    double l = ev.Loss(x);
                    used++;
                    model.Add(x, l);
                    xs.Add(x); ls.Add(l);
                }
                if (xs.Count < k) break; // the trial's budget ended inside the population
                var order = Enumerable.Range(0, k).OrderBy(i => ls[i]).ThenBy(i => i).ToArray();
                var sorted = order.Select(i => xs[i]).ToArray();
                // (ii) descent from the unweighted elite mean.
                var s0 = new double[d];
                for (int e = 0; e < Options.Elite; e++) for (int j = 0; j < d; j++) s0[j] += sorted[e][j] / Options.Elite;
                var outcome = BoundedDescent.Run(ev, s0, Options.StepSize, Options.MaxDescentSteps, Options.Patience, Options.MinImprovement,
                    episodeLimit: Options.LocalBudget - used, onPoint: (x, l) => model.Add(x, l));
                used += outcome.Steps;
                // (iii) new mean from the descent; σ and C adapted CMA-ES style.
                double[] newMean = outcome.Steps == 0 ? s0
                    : Options.NewMean == DescentEnd.Best || outcome.NonFinite ? (double.IsFinite(outcome.BestLoss) ? outcome.Best : s0)
                    : outcome.Last;
                var shift = new double[d];
                var from = Options.PathShift == PathShift.Elite ? s0 : newMean;
                for (int j = 0; j < d; j++) shift[j] = from[j] - es.Mean[j];
                es.TellWithMean(sorted, newMean, shift);
                if (!double.IsFinite(es.Sigma) || es.Sigma <= 0) break;
            }
            TrialEpisodes.Add(used);
        }
        return ev.Result();
    }
}
