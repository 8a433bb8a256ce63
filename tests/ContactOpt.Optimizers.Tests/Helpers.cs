using ContactOpt.Agents;
using ContactOpt.Budget;
using ContactOpt.Envs;
using ContactOpt.Tasks;

namespace ContactOpt.Optimizers.Tests;

/// <summary>An objective from plain functions, for tests that need a custom landscape, guess or failure region.</summary>
public sealed class FuncObjective(int d, double lo, double hi, double[] guess, Func<double[], double> f, Func<double[], double[]> grad,
    double sampleLo = double.NaN, double sampleHi = double.NaN) : IObjective
{
    public int Dimension => d;
    public IReadOnlyList<double> Lower { get; } = Enumerable.Repeat(lo, d).ToArray();
    public IReadOnlyList<double> Upper { get; } = Enumerable.Repeat(hi, d).ToArray();
    public IReadOnlyList<double> SamplingLower { get; } = Enumerable.Repeat(double.IsNaN(sampleLo) ? lo : sampleLo, d).ToArray();
    public IReadOnlyList<double> SamplingUpper { get; } = Enumerable.Repeat(double.IsNaN(sampleHi) ? hi : sampleHi, d).ToArray();
    public IReadOnlyList<double> InitialGuess => guess;
    public double Loss(ReadOnlySpan<double> x)
    {
        foreach (var v in x) if (!double.IsFinite(v)) throw new ArgumentException("x must be finite (as EpisodeObjective requires).");
        return f(x.ToArray());
    }
    public double LossAndGradient(ReadOnlySpan<double> x, Span<double> gradient)
    {
        foreach (var v in x) if (!double.IsFinite(v)) throw new ArgumentException("x must be finite (as EpisodeObjective requires).");
        grad(x.ToArray()).CopyTo(gradient);
        return f(x.ToArray());
    }
}

/// <summary>Records every episode.</summary>
public sealed class TraceObserver : IEpisodeObserver
{
    public List<EpisodeRecord> Episodes { get; } = new();
    public void OnEpisode(in EpisodeRecord record) => Episodes.Add(record);
    /// <summary>Index of the first episode whose loss is below <paramref name="target"/>, or −1.</summary>
    public int FirstBelow(double target) => Episodes.FindIndex(e => e.Loss < target);
}

public static class Harness
{
    public static readonly TaskRegistry Tasks = BuiltinTasks.CreateRegistry();
    public static readonly AgentRegistry Agents = BuiltinAgents.CreateRegistry();

    public static string[] AgentNames => Agents.All.Select(s => s.Name).ToArray();

    /// <summary>Runs an optimizer on an objective within a budget, recording every episode.</summary>
    public static (OptimizationResult Result, TraceObserver Trace, EpisodeBudget Budget) Run(IOptimizer opt, IObjective f, int budget, int seed)
    {
        var trace = new TraceObserver();
        var b = new EpisodeBudget(budget, trace);
        var result = opt.Minimize(new BudgetedObjective(f, b), seed);
        return (result, trace, b);
    }

    public static (OptimizationResult Result, TraceObserver Trace, EpisodeBudget Budget) Run(IOptimizer opt, string task, int budget, int seed) =>
        Run(opt, Tasks.Create(task).CreateObjective(), budget, seed);

    /// <summary>An agent's optimizer, built through the registry with string settings (as the CLI does).</summary>
    public static IOptimizer Optimizer(string agent, params (string Key, string Value)[] settings) =>
        ((OptimizerAgent)Agents.Create(agent, settings.ToDictionary(s => s.Key, s => s.Value))).Optimizer;

    /// <summary>Small, fast settings for the BO agents in budget/determinism tests.</summary>
    public static (string, string)[] Fast(string agent) => agent switch
    {
        "bo" or "bo-leap" or "bo-plain" => [("raw_samples", "64"), ("acq_restarts", "2"), ("acq_maxiter", "15"), ("fit_maxiter", "15"), ("fit_restarts", "1")],
        _ => [],
    };
}
