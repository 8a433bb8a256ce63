using ContactOpt.Rendering;
using System.Globalization;
using ContactOpt.Autodiff;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.Analytic;

/// <summary>
/// A classic optimisation test function as a one-segment task (Horizon 1): the action is the parameter vector,
/// <see cref="Step{T}"/> copies it into the state, and <see cref="TerminalCost{T}"/> = f(state). Written once
/// over the scalar type, so loss-only rollouts use plain doubles and gradients come exactly from the project's
/// automatic differentiation (forward mode for d ≤ 4, reverse mode above).
/// </summary>
public abstract class AnalyticDynamics : ScalarDynamics, ISideView
{
    public override Frame RenderState(ReadOnlySpan<double> state, ReadOnlySpan<double> action, string? label = null) =>
        SideView.Render(this, state, action, label);

    public (int Width, int Height, double XMin, double XMax, double ZMin) View => (320, 240, -1, 1, -0.2);

    readonly Box _box;
    readonly double[] _guess;

    protected AnalyticDynamics(int dimension, double[] lower, double[] upper, double[] guess)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "dimension must be at least 1.");
        Dimension = dimension;
        _box = new Box(lower, upper);
        _guess = guess;
    }

    protected AnalyticDynamics(int dimension, double lower, double upper, double guess)
        : this(dimension, Fill(dimension, lower), Fill(dimension, upper), Fill(dimension, guess)) { }

    static double[] Fill(int n, double v) => Enumerable.Repeat(v, n).ToArray();

    public int Dimension { get; }
    /// <summary>Global minimum value f*.</summary>
    public abstract double MinimumValue { get; }
    /// <summary>A global minimiser x*.</summary>
    public abstract double[] Minimizer { get; }

    public override int StateSize => Dimension;
    public override int ActionSize => Dimension;
    public override int Horizon => 1;
    public override Box ActionBounds => _box;
    public override Box ActionSamplingBox => _box;
    public override void InitialGuess(int t, Span<double> action) => _guess.CopyTo(action);
    public override void InitialState(Span<double> state, Random rng) => state.Clear();

    public override void Step<T>(Span<T> state, ReadOnlySpan<T> action, ReadOnlySpan<T> parameters, int t, StepTrace? trace)
    {
        action.CopyTo(state);
        trace?.Record<T>(state, action);
    }

    public sealed override T TerminalCost<T>(ReadOnlySpan<T> x) => F(x);

    /// <summary>The test function.</summary>
    public abstract T F<T>(ReadOnlySpan<T> x) where T : struct, IScalar<T>;

    public void Draw(Canvas canvas, ReadOnlySpan<double> state, ReadOnlySpan<double> action) =>
        canvas.Label($"x = ({string.Join(", ", state.ToArray().Take(4).Select(v => v.ToString("G4", CultureInfo.InvariantCulture)))}{(state.Length > 4 ? ", …" : "")})");
}
