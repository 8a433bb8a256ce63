using ContactOpt.Budget;

namespace ContactOpt.Optimizers;

/// <summary>Hyperparameters of random search (<c>rand</c>).</summary>
public sealed record RandomSearchOptions : IValidatable
{
    [Option("include_guess", "evaluate the task's initial guess first (the paper's Rand samples only uniformly: false)")]
    public bool IncludeGuess { get; init; } = false;

    public void Validate() { }
}

/// <summary>
/// Random search (BO-Leap paper's Rand baseline): every episode is one loss-only evaluation at a point drawn
/// uniformly from the bounds (the task's sampling box where unbounded); the best point is kept.
/// </summary>
public sealed class RandomSearch(RandomSearchOptions options) : IOptimizer
{
    public RandomSearchOptions Options { get; } = options;
    public string Name => "rand";

    public OptimizationResult Minimize(BudgetedObjective objective, int seed, CancellationToken cancellation = default)
    {
        var ev = new Evaluator(objective, cancellation);
        var rng = Rng.Create(seed);
        var x = new double[ev.Dimension];
        if (Options.IncludeGuess && !ev.Exhausted)
        {
            var g = ev.InitialGuess.ToArray(); ev.Box.Clip(g); ev.Loss(g);
        }
        while (!ev.Exhausted)
        {
            ev.Box.Uniform(rng, x);
            ev.Loss(x);
        }
        return ev.Result();
    }
}
