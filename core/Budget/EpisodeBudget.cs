using System.Diagnostics;
using ContactOpt.Tasks;

namespace ContactOpt.Budget;

/// <summary>One episode as reported to observers: the unit of every comparison.</summary>
public readonly record struct EpisodeRecord(int Index, double Loss, double BestLoss, bool Gradient, double[] Parameters, double ElapsedSeconds);

/// <summary>Receives every episode of a run, in order.</summary>
public interface IEpisodeObserver
{
    void OnEpisode(in EpisodeRecord record);
}

/// <summary>Thrown when an agent asks for an episode beyond its budget (a bug in the agent).</summary>
public sealed class BudgetExhaustedException(int limit) : InvalidOperationException($"the budget of {limit} episodes is used up.")
{
    public int Limit { get; } = limit;
}

/// <summary>
/// Counts episodes against a limit, keeps the best loss and parameters, and reports each episode.
/// Non-finite losses count as +∞ (the worst value) and are counted in <see cref="NonFinite"/>.
/// </summary>
public sealed class EpisodeBudget
{
    readonly IEpisodeObserver? _observer;
    readonly long _start = Stopwatch.GetTimestamp();
    double[]? _best;

    public EpisodeBudget(int limit, IEpisodeObserver? observer = null)
    {
        if (limit < 1) throw new ArgumentOutOfRangeException(nameof(limit), limit, "the budget must be at least 1 episode.");
        Limit = limit; _observer = observer;
    }

    public int Limit { get; }
    public int Used { get; private set; }
    public int Remaining => Limit - Used;
    public bool Exhausted => Used >= Limit;
    public int NonFinite { get; private set; }
    public double BestLoss { get; private set; } = double.PositiveInfinity;
    public double[]? BestParameters => _best is null ? null : (double[])_best.Clone();

    /// <summary>Throws <see cref="BudgetExhaustedException"/> when no episode is left.</summary>
    public void EnsureAvailable() { if (Exhausted) throw new BudgetExhaustedException(Limit); }

    /// <summary>Records one finished episode.</summary>
    public void Record(ReadOnlySpan<double> parameters, double loss, bool gradient)
    {
        EnsureAvailable();
        if (!double.IsFinite(loss)) { NonFinite++; loss = double.PositiveInfinity; }
        Used++;
        var p = parameters.ToArray();
        if (loss < BestLoss || _best is null) { BestLoss = Math.Min(BestLoss, loss); _best = p; }
        _observer?.OnEpisode(new EpisodeRecord(Used - 1, loss, BestLoss, gradient, p, Stopwatch.GetElapsedTime(_start).TotalSeconds));
    }
}

/// <summary>An objective that charges one episode per call to an <see cref="EpisodeBudget"/>.</summary>
public sealed class BudgetedObjective(IObjective inner, EpisodeBudget budget) : IObjective
{
    public IObjective Inner => inner;
    public EpisodeBudget Budget => budget;
    public int Dimension => inner.Dimension;
    public IReadOnlyList<double> Lower => inner.Lower;
    public IReadOnlyList<double> Upper => inner.Upper;
    public IReadOnlyList<double> SamplingLower => inner.SamplingLower;
    public IReadOnlyList<double> SamplingUpper => inner.SamplingUpper;
    public IReadOnlyList<double> InitialGuess => inner.InitialGuess;

    public double Loss(ReadOnlySpan<double> x)
    {
        budget.EnsureAvailable();
        double l = inner.Loss(x);
        budget.Record(x, l, gradient: false);
        return double.IsFinite(l) ? l : double.PositiveInfinity;
    }

    public double LossAndGradient(ReadOnlySpan<double> x, Span<double> gradient)
    {
        budget.EnsureAvailable();
        double l = inner.LossAndGradient(x, gradient);
        budget.Record(x, l, gradient: true);
        return double.IsFinite(l) ? l : double.PositiveInfinity;
    }
}
