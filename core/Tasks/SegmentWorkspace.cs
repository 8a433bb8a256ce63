namespace ContactOpt.Tasks;

/// <summary>
/// The mutable side of a task for one view: segment t as a differentiable function
/// (state, action, parameters) → (next state, cost) with its backward step (adjoint of next state and cost →
/// adjoints of state, action and parameters). Every view differentiates through these two calls, recorded on a
/// <see cref="SegmentTape"/>. Single-threaded (its kernels may use their own deterministic parallel loops).
/// <para>The terminal-cost rule lives here once: the cost of the last segment includes
/// <see cref="TerminalForward"/>, and its backward includes <see cref="TerminalBackward"/>.</para>
/// </summary>
public abstract class SegmentWorkspace : IDisposable
{
    readonly double[] _nextAdjoint;
    readonly double[] _terminalParameterAdjoint;

    protected SegmentWorkspace(Dynamics dynamics, WorkspaceOptions? options)
    {
        Dynamics = dynamics ?? throw new ArgumentNullException(nameof(dynamics));
        Options = options ?? WorkspaceOptions.Default;
        _nextAdjoint = new double[dynamics.StateSize];
        _terminalParameterAdjoint = new double[dynamics.ParameterNames.Count];
    }

    public Dynamics Dynamics { get; }
    public WorkspaceOptions Options { get; }

    // ---- what a route implements ----

    /// <summary>
    /// Segment t: writes the state after the segment into <paramref name="next"/> and returns the segment's running
    /// cost. With <paramref name="record"/> the workspace may keep what <see cref="SegmentBackward"/> needs for
    /// this segment (the scalar route keeps its tape nodes); <paramref name="trace"/> gets intermediate states.
    /// </summary>
    protected abstract double SegmentForward(int t, ReadOnlySpan<double> state, ReadOnlySpan<double> action,
        ReadOnlySpan<double> parameters, Span<double> next, bool record, StepTrace? trace);

    /// <summary>
    /// The adjoint of <see cref="SegmentForward"/> at the given inputs: from ∂L/∂next and ∂L/∂cost, overwrites
    /// ∂L/∂state, ∂L/∂action and ∂L/∂parameters. Must be correct for any inputs (recompute what was not kept).
    /// </summary>
    protected abstract void SegmentBackward(int t, ReadOnlySpan<double> state, ReadOnlySpan<double> action,
        ReadOnlySpan<double> parameters, ReadOnlySpan<double> next, ReadOnlySpan<double> nextAdjoint, double costAdjoint,
        Span<double> stateAdjoint, Span<double> actionAdjoint, Span<double> parameterAdjoint);

    /// <summary>Cost of the final state (default 0).</summary>
    protected virtual double TerminalForward(ReadOnlySpan<double> state, ReadOnlySpan<double> parameters) => 0;

    /// <summary>Adjoint of <see cref="TerminalForward"/>: overwrites ∂L/∂state and ∂L/∂parameters.</summary>
    protected virtual void TerminalBackward(ReadOnlySpan<double> state, ReadOnlySpan<double> parameters, double costAdjoint,
        Span<double> stateAdjoint, Span<double> parameterAdjoint)
    {
        stateAdjoint.Clear(); parameterAdjoint.Clear();
    }

    /// <summary>The task's observation of a state (default: the state itself).</summary>
    public virtual void Observe(ReadOnlySpan<double> state, Span<double> observation) => state.CopyTo(observation);

    /// <summary>Adjoint of <see cref="Observe"/>: overwrites ∂L/∂state from ∂L/∂observation.</summary>
    public virtual void ObserveBackward(ReadOnlySpan<double> state, ReadOnlySpan<double> observationAdjoint, Span<double> stateAdjoint) =>
        observationAdjoint.CopyTo(stateAdjoint);

    /// <summary>Called when a new episode starts (drop what was kept for the previous one).</summary>
    public virtual void BeginEpisode() { }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    // ---- the composed segment every view uses ----

    /// <summary>next ← segment t; returns its cost, including the terminal cost when t is the last segment.</summary>
    public double Forward(int t, ReadOnlySpan<double> state, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters,
        Span<double> next, bool record = false, StepTrace? trace = null)
    {
        double cost = SegmentForward(t, state, action, parameters, next, record, trace);
        if (t == Dynamics.Horizon - 1) cost += TerminalForward(next, parameters);
        return cost;
    }

    /// <summary>
    /// The backward step of <see cref="Forward"/>: from ∂L/∂next and ∂L/∂cost, overwrites ∂L/∂state, ∂L/∂action
    /// and ∂L/∂parameters. <paramref name="next"/> is the state <see cref="Forward"/> produced from these inputs.
    /// </summary>
    public void Backward(int t, ReadOnlySpan<double> state, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters,
        ReadOnlySpan<double> next, ReadOnlySpan<double> nextAdjoint, double costAdjoint,
        Span<double> stateAdjoint, Span<double> actionAdjoint, Span<double> parameterAdjoint)
    {
        if (t == Dynamics.Horizon - 1)
        {
            // The terminal cost reads the segment's output: its adjoint joins ∂L/∂next before the segment's backward.
            TerminalBackward(next, parameters, costAdjoint, _nextAdjoint, _terminalParameterAdjoint);
            for (int i = 0; i < _nextAdjoint.Length; i++) _nextAdjoint[i] += nextAdjoint[i];
            SegmentBackward(t, state, action, parameters, next, _nextAdjoint, costAdjoint, stateAdjoint, actionAdjoint, parameterAdjoint);
            for (int i = 0; i < parameterAdjoint.Length; i++) parameterAdjoint[i] += _terminalParameterAdjoint[i];
        }
        else
            SegmentBackward(t, state, action, parameters, next, nextAdjoint, costAdjoint, stateAdjoint, actionAdjoint, parameterAdjoint);
    }
}
