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

    public void Record(ReadOnlySpan<double> state, ReadOnlySpan<double> action)
    {
        States.Add(state.ToArray()); Actions.Add(action.ToArray());
    }
}

/// <summary>How a view's workspace runs: threads of its parallel kernels (results are identical for any value).</summary>
public sealed record WorkspaceOptions
{
    public WorkspaceOptions(int threads = 1)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be at least 1.");
        Threads = threads;
    }

    public int Threads { get; }
    public static WorkspaceOptions Default { get; } = new();
}

/// <summary>How the step view ends an episode at the horizon (see <see cref="Dynamics.HorizonKind"/>).</summary>
public enum HorizonKind { Terminal, TimeLimit }

/// <summary>What the step view does with an out-of-bounds action (see <see cref="Dynamics.OutOfRangeAction"/>).</summary>
public enum OutOfRangeAction { Reject, Clip }

/// <summary>
/// A task's simulator definition: sizes, bounds, initial state, declared physical parameters and drawing. It is
/// immutable and shared by every view and thread; the mutable part of a simulation (scratch buffers, stored
/// frames, a scalar tape) lives in a <see cref="SegmentWorkspace"/> that each view creates for itself with
/// <see cref="CreateWorkspace"/>. An episode is <see cref="Horizon"/> control segments; segment t applies
/// action t. Loss = Σₜ cost of segment t + terminal cost; reward = −cost.
/// <para>Two ways to implement the segments: <see cref="ScalarDynamics"/> (simulation code written once over a
/// scalar type: doubles, forward-mode duals, or the scalar tape) and the kernel route for large engines: a
/// direct subclass whose <see cref="CreateWorkspace"/> returns its own <see cref="SegmentWorkspace"/>, with
/// hand-written <c>Forward</c>/<c>Backward</c> kernels over structure-of-arrays buffers.</para>
/// </summary>
public abstract class Dynamics
{
    public abstract int StateSize { get; }
    public abstract int ActionSize { get; }
    /// <summary>Control segments (gym steps) per episode.</summary>
    public abstract int Horizon { get; }
    public virtual int ObservationSize => StateSize;

    /// <summary>
    /// How the step view ends an episode at <see cref="Horizon"/>: <see cref="HorizonKind.Terminal"/> (default:
    /// <c>terminated</c>, with the time fraction t/H appended to the observation, so the finite horizon is part of
    /// the MDP) or <see cref="HorizonKind.TimeLimit"/> (Gymnasium's time-limited envs such as Pendulum-v1:
    /// <c>truncated</c>, and the observation is the task's own, without t/H).
    /// </summary>
    public virtual HorizonKind HorizonKind => HorizonKind.Terminal;

    /// <summary>
    /// What the step view does with an action outside <see cref="ActionBounds"/>: <see cref="OutOfRangeAction.Reject"/>
    /// (default: an ArgumentException naming the value) or <see cref="OutOfRangeAction.Clip"/> (clip to the bounds
    /// first, as Gymnasium's Pendulum-v1 does). Wrong lengths and non-finite entries are rejected either way.
    /// </summary>
    public virtual OutOfRangeAction OutOfRangeAction => OutOfRangeAction.Reject;

    /// <summary>Declared physical parameters that gradients are also taken with respect to.</summary>
    public virtual IReadOnlyList<string> ParameterNames => [];
    public virtual double[] DefaultParameters() => [];
    /// <summary>Bounds of the declared physical parameters (for the <c>view=physical</c> parameter view).</summary>
    public virtual Box? ParameterBounds => null;

    /// <summary>
    /// Task-specific figures of a vector of the declared physical parameters (e.g. the distance to the hidden
    /// ground truth of an identification task), printed by <c>eval</c> and tabulated by study reports for the
    /// <c>view=physical</c> parameter view. Null (default): none.
    /// </summary>
    public virtual IReadOnlyList<KeyValuePair<string, double>>? ParameterMetrics(ReadOnlySpan<double> parameters) => null;

    /// <summary>Bounds of one action (may be infinite: the paper's flip and grasp are unconstrained).</summary>
    public abstract Box ActionBounds { get; }
    /// <summary>A finite box to sample actions from (random search, RL action scaling).</summary>
    public abstract Box ActionSamplingBox { get; }
    /// <summary>The initial guess for the action of segment <paramref name="t"/>.</summary>
    public abstract void InitialGuess(int t, Span<double> action);

    /// <summary>Writes the initial state; stochastic tasks draw only from <paramref name="rng"/>.</summary>
    public abstract void InitialState(Span<double> state, Random rng);

    /// <summary>A new workspace for one view (one thread).</summary>
    public abstract SegmentWorkspace CreateWorkspace(WorkspaceOptions? options = null);

    /// <summary>Segments between two stored states of a recorded episode (1 = store every segment's state).</summary>
    public virtual int CheckpointEvery => 1;

    /// <summary>True when the state has left the range the simulator is valid in (default: non-finite).</summary>
    public virtual bool IsDiverged(ReadOnlySpan<double> state)
    {
        foreach (var v in state) if (!double.IsFinite(v)) return true;
        return false;
    }

    /// <summary>
    /// One RGB frame of a state (the step view's <c>Render()</c>, filmstrips). The default is a blank grey frame;
    /// side-view tasks draw with the rendering project's <c>Canvas</c>, 3-D engines rasterise their own.
    /// </summary>
    public virtual Frame RenderState(ReadOnlySpan<double> state, ReadOnlySpan<double> action, string? label = null)
    {
        const int w = 320, h = 240;
        var rgb = new byte[w * h * 3];
        Array.Fill(rgb, (byte)200);
        return new Frame(w, h, rgb);
    }

    /// <summary>Substeps between two recorded states in filmstrips.</summary>
    public virtual int TraceEvery => 1;

    /// <summary>
    /// Optional named measures of an episode's final state, reported beside the loss by <c>eval</c> (for example
    /// PlasticineLab's normalised IoU with its success threshold). Not part of the objective and not stored in
    /// results databases. Default: none (<see cref="HasFinalStateMetrics"/> false, so no extra rollout is run).
    /// </summary>
    public virtual IReadOnlyList<StateMetric> FinalStateMetrics(ReadOnlySpan<double> finalState) => [];
    public virtual bool HasFinalStateMetrics => false;
}

/// <summary>A named measure of a final state (see <see cref="Dynamics.FinalStateMetrics"/>); <paramref name="Success"/> is null when the measure has no threshold.</summary>
public readonly record struct StateMetric(string Name, double Value, string Description, bool? Success = null);
