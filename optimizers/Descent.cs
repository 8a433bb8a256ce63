using ContactOpt.Budget;

namespace ContactOpt.Optimizers;

/// <summary>Which point a halted or finished descent hands on (BO-Leap's new mean).</summary>
public enum DescentEnd
{
    /// <summary>The last iterate, s_J in the paper's Algorithm 1.</summary>
    Last,
    /// <summary>The best evaluated iterate.</summary>
    Best,
}

/// <summary>What one bounded descent did.</summary>
public sealed record DescentOutcome(double[] Last, double[] Best, double BestLoss, int Steps, bool Halted, bool NonFinite);

/// <summary>
/// The bounded gradient descent shared by <c>randdescents</c>, <c>bo</c> and <c>bo-leap</c> (BO-Leap paper
/// §3): at most <c>maxSteps</c> loss-and-gradient episodes, θ ← clip(θ − α∇J(θ)) to the bounds, halted once
/// the loss has failed to improve on the descent's best by more than <c>minImprovement</c> for more than
/// <c>patience</c> consecutive steps ("halted if the loss stagnates or increases for more than three steps").
/// A non-finite loss or gradient halts the descent (there is no direction to follow).
/// </summary>
public static class BoundedDescent
{
    public static DescentOutcome Run(Evaluator ev, double[] start, double stepSize, int maxSteps, int patience, double minImprovement,
        int? episodeLimit = null, Action<double[], double>? onPoint = null)
    {
        int d = ev.Dimension;
        var s = (double[])start.Clone();
        ev.Box.Clip(s);
        var g = new double[d];
        double best = double.PositiveInfinity;
        var bestX = (double[])s.Clone();
        int stall = 0, steps = 0;
        bool halted = false, nonFinite = false;
        int limit = episodeLimit ?? int.MaxValue;
        while (steps < maxSteps && steps < limit && !ev.Exhausted)
        {
            double l = ev.LossAndGradient(s, g, out bool gradFinite);
            steps++;
            onPoint?.Invoke(s, l);
            if (l < best - minImprovement) { best = l; Array.Copy(s, bestX, d); stall = 0; }
            else stall++;
            if (!double.IsFinite(l) || !gradFinite) { halted = true; nonFinite = true; break; }
            if (stall > patience) { halted = true; break; }
            for (int i = 0; i < d; i++) s[i] -= stepSize * g[i];
            ev.Box.Clip(s);
            if (!Check.AllFinite(s)) { Array.Copy(bestX, s, d); halted = true; nonFinite = true; break; } // the step overflowed
        }
        return new DescentOutcome(s, bestX, best, steps, halted, nonFinite);
    }
}

/// <summary>Hyperparameters of random-restart descents (<c>randdescents</c>).</summary>
public sealed record RandomDescentsOptions : IValidatable
{
    [Option("step_size", "gradient step α in raw parameter units (not stated in the paper; set it per task)")]
    public double StepSize { get; init; } = 0.01;

    [Option("max_steps", "J: at most this many gradient steps per descent (not stated; 100 = BO-Leap's per-trial budget)", Min = 1, Max = 1000000)]
    public int MaxSteps { get; init; } = 100;

    [Option("patience", "halt a descent after more than this many consecutive non-improving steps (paper: 3)", Min = 0, Max = 1000000)]
    public int Patience { get; init; } = 3;

    [Option("min_improvement", "a step improves only if it lowers the descent's best loss by more than this (0 = any decrease)")]
    public double MinImprovement { get; init; } = 0;

    [Option("first_start", "start of the first descent: random (as every later one), guess or center")]
    public StartPoint FirstStart { get; init; } = StartPoint.Random;

    public void Validate()
    {
        Check.Positive(StepSize, "step_size");
        Check.Positive(MaxSteps, "max_steps");
        Check.NonNegative(Patience, "patience");
        Check.NonNegative(MinImprovement, "min_improvement");
        Check.Defined(FirstStart, "first_start");
    }
}

/// <summary>
/// RandDescents (BO-Leap paper's gradient-based baseline): repeated bounded gradient descents
/// (<see cref="BoundedDescent"/>), each from a point drawn uniformly in the bounds, until the budget is used.
/// </summary>
public sealed class RandomDescents(RandomDescentsOptions options) : IOptimizer
{
    public RandomDescentsOptions Options { get; } = Validated(options);
    public string Name => "randdescents";

    static RandomDescentsOptions Validated(RandomDescentsOptions o) { o.Validate(); return o; }

    public OptimizationResult Minimize(BudgetedObjective objective, int seed, CancellationToken cancellation = default)
    {
        var ev = new Evaluator(objective, cancellation);
        var rng = Rng.Create(seed);
        bool first = true;
        while (!ev.Exhausted)
        {
            var start = Check.Start(first ? Options.FirstStart : StartPoint.Random, ev, rng);
            first = false;
            BoundedDescent.Run(ev, start, Options.StepSize, Options.MaxSteps, Options.Patience, Options.MinImprovement);
        }
        return ev.Result();
    }
}
