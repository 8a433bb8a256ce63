namespace ContactOpt.Tasks;

/// <summary>
/// The parameter view of a task, as optimisers see it: x ∈ ℝᵈ, optional bounds, an initial guess, and one
/// full episode per call (an <em>episode</em> is the unit of every budget). Implementations are single-threaded;
/// create one per thread. A diverging episode returns +∞ (and a NaN gradient).
/// </summary>
public interface IObjective
{
    int Dimension { get; }
    /// <summary>Lower bounds (−∞ where unbounded).</summary>
    IReadOnlyList<double> Lower { get; }
    /// <summary>Upper bounds (+∞ where unbounded).</summary>
    IReadOnlyList<double> Upper { get; }
    /// <summary>A finite box for sampling start points (equals the bounds where they are finite).</summary>
    IReadOnlyList<double> SamplingLower { get; }
    IReadOnlyList<double> SamplingUpper { get; }
    IReadOnlyList<double> InitialGuess { get; }
    double Loss(ReadOnlySpan<double> x);
    /// <summary>Loss and its exact gradient (automatic differentiation), written into <paramref name="gradient"/>.</summary>
    double LossAndGradient(ReadOnlySpan<double> x, Span<double> gradient);
}
