using ContactOpt.Budget;

namespace ContactOpt.Optimizers;

/// <summary>Hyperparameters of CMA-ES with IPOP restarts (<c>cmaes</c>).</summary>
public sealed record CmaEsOptions : IValidatable
{
    [Option("sigma0", "initial step size as a fraction of the mean width of the bounds/sampling box (pycma advice 0.2–0.3; the paper does not state σ₀)")]
    public double Sigma0 { get; init; } = 0.3;

    [Option("popsize", "population size λ of the first run; 0 = the tutorial default 4 + ⌊3 ln n⌋ (the paper: library default)", Min = 0, Max = 10000)]
    public int PopSize { get; init; } = 0;

    [Option("start", "mean of the first run: guess (task's initial guess), random or center; restarts always start at a uniformly random point")]
    public StartPoint Start { get; init; } = StartPoint.Guess;

    [Option("restarts", "IPOP: at most this many restarts after a run terminates, each doubling λ (pycma fmin2 restarts=9); 0 = plain CMA-ES", Min = 0, Max = 100)]
    public int Restarts { get; init; } = 9;

    [Option("incpopsize", "factor by which λ grows at each IPOP restart (pycma default 2)", Min = 1, Max = 10)]
    public double IncPopSize { get; init; } = 2.0;

    [Option("active", "active CMA: negative recombination weights for the worst half (cmaes library and pycma default: true)")]
    public bool Active { get; init; } = true;

    [Option("resamples", "samples outside the bounds are redrawn up to this many times, then clipped (cmaes library: 100)", Min = 0, Max = 1000)]
    public int Resamples { get; init; } = 100;

    [Option("tolfun", "termination: range of recent and current losses below this (pycma 1e-11)")]
    public double TolFun { get; init; } = 1e-11;

    [Option("tolx", "termination: σ·√C_ii and σ·|pc_i| all below tolx·σ₀ (pycma 1e-11, relative here)")]
    public double TolX { get; init; } = 1e-11;

    /// <summary>Largest population λ, given or reached by IPOP restarts (the declared bound of popsize).</summary>
    public const int MaxPopSize = 10000;

    public void Validate()
    {
        Check.Positive(Sigma0, "sigma0");
        if (PopSize < 0 || PopSize == 1) throw new ArgumentException($"option popsize={PopSize} must be 0 (default) or at least 2.");
        Check.Defined(Start, "start");
        Check.NonNegative(Restarts, "restarts");
        if (!(IncPopSize >= 1) || !double.IsFinite(IncPopSize)) throw new ArgumentException($"option incpopsize={IncPopSize} must be a finite number ≥ 1.");
        Check.NonNegative(Resamples, "resamples");
        Check.Positive(TolFun, "tolfun");
        Check.Positive(TolX, "tolx");
    }
}

/// <summary>
/// CMA-ES (Hansen's tutorial, <see cref="CmaState"/>) with IPOP restarts (Auger &amp; Hansen 2005): when a run
/// meets a termination criterion (tolfun, tolx, flat fitness, no-effect axis/coordinate, condition number
/// above 1e14, stagnation, max iterations) and restarts remain, a new run starts from a uniformly random mean
/// with λ multiplied by <see cref="CmaEsOptions.IncPopSize"/>. Gradient-free: one loss-only episode per sample.
/// Non-finite losses rank last. Bounds: resample then clip. When the budget ends mid-generation the partial
/// population is evaluated and the run stops; after the last restart terminates the run ends early.
/// </summary>
public sealed class CmaEs(CmaEsOptions options) : IOptimizer
{
    public CmaEsOptions Options { get; } = Validated(options);
    public string Name => "cmaes";

    static CmaEsOptions Validated(CmaEsOptions o) { o.Validate(); return o; }

    /// <summary>Population sizes and losses of each run, for tests and reports.</summary>
    public sealed record RunRecord(int Lambda, int Generations, int Evaluations, double BestLoss, string Termination);

    public IReadOnlyList<RunRecord> Runs => _runs;
    readonly List<RunRecord> _runs = new();

    public OptimizationResult Minimize(BudgetedObjective objective, int seed, CancellationToken cancellation = default)
    {
        _runs.Clear();
        var ev = new Evaluator(objective, cancellation);
        var rng = Rng.Create(seed);
        int n = ev.Dimension;
        double sigma0 = Options.Sigma0 * ev.Box.MeanWidth;
        int lambda = Options.PopSize > 0 ? Options.PopSize : 4 + (int)Math.Floor(3 * Math.Log(n));
        var mean = Check.Start(Options.Start, ev, rng);
        for (int run = 0; run <= Options.Restarts && !ev.Exhausted; run++)
        {
            if (run > 0)
            {
                lambda = (int)Math.Min(CmaEsOptions.MaxPopSize, Math.Round(lambda * Options.IncPopSize)); // IPOP growth stops at the declared bound
                mean = new double[n]; ev.Box.Uniform(rng, mean);
            }
            _runs.Add(RunOnce(ev, rng, mean, sigma0, lambda));
        }
        return ev.Result();
    }

    RunRecord RunOnce(Evaluator ev, Random rng, double[] mean, double sigma0, int lambda)
    {
        int n = ev.Dimension;
        var es = new CmaState(mean, sigma0, lambda, active: Options.Active);
        var xs = new double[lambda][];
        for (int k = 0; k < lambda; k++) xs[k] = new double[n];
        var losses = new double[lambda];
        var order = new int[lambda];
        var bestHistory = new List<double>();
        var medianHistory = new List<double>();
        int histLen = 10 + (int)Math.Ceiling(30.0 * n / lambda);
        int maxIter = (int)(100 + 150 * (n + 3) * (n + 3) / Math.Sqrt(lambda));
        int stagnationIter = (int)(100 + 100 * Math.Pow(n, 1.5) / lambda);
        double runBest = double.PositiveInfinity;
        int evals = 0;
        string why = "budget";
        while (true)
        {
            int count = Math.Min(lambda, ev.Remaining);
            if (count <= 0) break;
            for (int k = 0; k < count; k++)
            {
                es.Sample(rng, ev.Box, xs[k], Options.Resamples);
                losses[k] = ev.Loss(xs[k]);
                evals++;
                runBest = Math.Min(runBest, losses[k]);
            }
            if (count < lambda) break; // budget ended mid-generation
            for (int k = 0; k < lambda; k++) order[k] = k;
            // Stable sort: +∞ (non-finite episodes) rank last, ties keep sampling order.
            Array.Sort(order, (a, b) => losses[a] != losses[b] ? losses[a].CompareTo(losses[b]) : a.CompareTo(b));
            var sorted = order.Select(k => xs[k]).ToArray();
            double best = losses[order[0]], median = losses[order[lambda / 2]];
            es.Tell(sorted);
            bestHistory.Add(best); medianHistory.Add(median);
            if (Terminated(es, losses, order, bestHistory, medianHistory, histLen, maxIter, stagnationIter, sigma0, out var reason)) { why = reason; break; }
        }
        return new RunRecord(lambda, es.Generation, evals, runBest, why);
    }

    bool Terminated(CmaState es, double[] losses, int[] order, List<double> bestHist, List<double> medianHist,
        int histLen, int maxIter, int stagnationIter, double sigma0, out string why)
    {
        int n = es.N, lambda = es.Lambda, g = es.Generation;
        why = "";
        if (!double.IsFinite(es.Sigma) || es.Sigma <= 0 || !Check.AllFinite(es.Ps) || !Check.AllFinite(es.Mean) || !Check.AllFinite(es.Pc)) { why = "invalid state"; return true; }
        double best = losses[order[0]];
        if (!double.IsFinite(best)) { if (g >= 10) { why = "no finite loss"; return true; } return false; }
        // tolfun: all current finite losses and the recent best losses within tolfun.
        if (bestHist.Count >= histLen)
        {
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            for (int i = bestHist.Count - histLen; i < bestHist.Count; i++) { lo = Math.Min(lo, bestHist[i]); hi = Math.Max(hi, bestHist[i]); }
            foreach (var l in losses) { lo = Math.Min(lo, l); hi = Math.Max(hi, l); }
            if (hi - lo < Options.TolFun) { why = "tolfun"; return true; }
        }
        // flat fitness: the best and the ⌈0.7λ⌉-th loss coincide.
        if (losses[order[0]] == losses[order[Math.Min(lambda - 1, (int)Math.Ceiling(0.7 * lambda))]]) { why = "flat fitness"; return true; }
        // tolx
        bool small = true;
        for (int i = 0; i < n && small; i++)
            if (es.Sigma * Math.Sqrt(es.C(i, i)) >= Options.TolX * sigma0 || es.Sigma * Math.Abs(es.Pc[i]) >= Options.TolX * sigma0) small = false;
        if (small) { why = "tolx"; return true; }
        if (es.ConditionNumber > 1e14 || !(es.MinEigenvalue > 0)) { why = "conditioncov"; return true; }
        // no effect of a 0.1σ step along the principal axis g mod n, or of 0.2σ√C_ii on any coordinate.
        int axis = g % n;
        bool noAxis = true;
        for (int i = 0; i < n && noAxis; i++)
            if (es.Mean[i] != es.Mean[i] + 0.1 * es.Sigma * es.D[axis] * es.Axis(i, axis)) noAxis = false;
        if (noAxis) { why = "noeffectaxis"; return true; }
        for (int i = 0; i < n; i++)
            if (es.Mean[i] == es.Mean[i] + 0.2 * es.Sigma * Math.Sqrt(es.C(i, i))) { why = "noeffectcoord"; return true; }
        if (g >= maxIter) { why = "maxiter"; return true; }
        // stagnation: the medians of the best and median losses over the last 20% did not improve on those 20% earlier.
        if (g > stagnationIter)
        {
            int w = Math.Max(20, g / 5);
            if (bestHist.Count >= 2 * w && Median(bestHist, bestHist.Count - w, w) >= Median(bestHist, bestHist.Count - 2 * w, w)
                && Median(medianHist, medianHist.Count - w, w) >= Median(medianHist, medianHist.Count - 2 * w, w))
            { why = "stagnation"; return true; }
        }
        return false;
    }

    static double Median(List<double> v, int start, int count)
    {
        var a = v.GetRange(start, count).ToArray();
        Array.Sort(a);
        return count % 2 == 1 ? a[count / 2] : 0.5 * (a[count / 2 - 1] + a[count / 2]);
    }
}
