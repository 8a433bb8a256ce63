using ContactOpt.Autodiff;
using ContactOpt.Rendering;

namespace ContactOpt.Tasks;

/// <summary>
/// Records the state every few substeps of a segment, for filmstrips and plots (values only).
/// </summary>
public sealed class StepTrace
{
    public StepTrace(int every) { if (every < 1) throw new ArgumentOutOfRangeException(nameof(every)); Every = every; }
    public int Every { get; }
    public List<double[]> States { get; } = new();
    public List<double[]> Actions { get; } = new();
    public void Record<T>(ReadOnlySpan<T> state, ReadOnlySpan<T> action) where T : struct, IScalar<T>
    {
        var s = new double[state.Length];
        for (int i = 0; i < s.Length; i++) s[i] = state[i].Value;
        var a = new double[action.Length];
        for (int i = 0; i < a.Length; i++) a[i] = action[i].Value;
        States.Add(s); Actions.Add(a);
    }
}

/// <summary>
/// The one simulation code path of a task, written once over the scalar type <typeparamref name="T"/> of
/// <see cref="IScalar{T}"/>: run with <see cref="Real"/> for loss-only rollouts, <see cref="Dual4"/> for
/// forward-mode gradients and <see cref="Rev"/> for reverse mode (the step view's recording, the
/// per-step vector-Jacobian products, high-dimensional parameter views).
/// An episode is <see cref="Horizon"/> control segments; segment t applies action t (held for the task's
/// substeps). Loss = Σₜ <see cref="StepCost{T}"/> + <see cref="TerminalCost{T}"/>; reward = −cost.
/// </summary>
public abstract class Dynamics
{
    public abstract int StateSize { get; }
    public abstract int ActionSize { get; }
    /// <summary>Control segments (gym steps) per episode.</summary>
    public abstract int Horizon { get; }
    public virtual int ObservationSize => StateSize;

    /// <summary>Declared physical parameters that gradients are also taken with respect to.</summary>
    public virtual IReadOnlyList<string> ParameterNames => [];
    public virtual double[] DefaultParameters() => [];

    /// <summary>Bounds of one action (may be infinite: the paper's flip and grasp are unconstrained).</summary>
    public abstract Box ActionBounds { get; }
    /// <summary>A finite box to sample actions from (random search, RL action scaling).</summary>
    public abstract Box ActionSamplingBox { get; }
    /// <summary>The initial guess for the action of segment <paramref name="t"/>.</summary>
    public abstract void InitialGuess(int t, Span<double> action);

    /// <summary>Writes the initial state; stochastic tasks draw only from <paramref name="rng"/>.</summary>
    public abstract void InitialState(Span<double> state, Random rng);

    /// <summary>Advances <paramref name="state"/> in place through control segment <paramref name="t"/>.</summary>
    public abstract void Step<T>(Span<T> state, ReadOnlySpan<T> action, ReadOnlySpan<T> parameters, int t, StepTrace? trace)
        where T : struct, IScalar<T>;

    /// <summary>Running cost after segment t (state is the state after the segment).</summary>
    public virtual T StepCost<T>(ReadOnlySpan<T> state, ReadOnlySpan<T> action, int t) where T : struct, IScalar<T> => T.Constant(0);
    /// <summary>Cost of the final state.</summary>
    public virtual T TerminalCost<T>(ReadOnlySpan<T> state) where T : struct, IScalar<T> => T.Constant(0);

    /// <summary>Observation of a state (default: the state itself). The env appends the time fraction t/H.</summary>
    public virtual void Observe<T>(ReadOnlySpan<T> state, Span<T> observation) where T : struct, IScalar<T>
        => state.CopyTo(observation);

    /// <summary>True when the state has left the range the simulator is valid in (default: non-finite).</summary>
    public virtual bool IsDiverged(ReadOnlySpan<double> state)
    {
        foreach (var v in state) if (!double.IsFinite(v)) return true;
        return false;
    }

    /// <summary>Draws a state (side view). <paramref name="action"/> may be empty before the first step.</summary>
    public virtual void Draw(Canvas canvas, ReadOnlySpan<double> state, ReadOnlySpan<double> action) =>
        canvas.Label("(no rendering for this task)");

    /// <summary>Canvas for this task's frames: pixel size and world window (xMin, xMax, zMin).</summary>
    public virtual (int Width, int Height, double XMin, double XMax, double ZMin) View => (320, 240, -1, 1, -0.2);

    /// <summary>Substeps between two recorded states in filmstrips.</summary>
    public virtual int TraceEvery => 1;
}
