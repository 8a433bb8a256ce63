namespace ContactOpt.Tasks;

/// <summary>
/// One control segment as a differentiable function (state, action, parameters) → (next state, cost), with
/// its vector-Jacobian product: the segment tape's forward and backward step, one segment at a time. This is
/// what a TorchSharp policy trained through the simulator calls per step. The cost of segment t includes the
/// terminal cost when t is the last segment. Single-threaded.
/// </summary>
public sealed class StepFunction : IDisposable
{
    readonly Dynamics _dyn;
    readonly SegmentWorkspace _ws;
    readonly double[] _next;

    public StepFunction(Dynamics dynamics, WorkspaceOptions? workspace = null)
    {
        _dyn = dynamics ?? throw new ArgumentNullException(nameof(dynamics));
        _ws = dynamics.CreateWorkspace(workspace);
        _next = new double[dynamics.StateSize];
    }

    public Dynamics Dynamics => _dyn;
    /// <summary>The workspace (observation and its adjoint are there too).</summary>
    public SegmentWorkspace Workspace => _ws;

    /// <summary>next ← step(state, action); returns the segment's cost.</summary>
    public double Forward(ReadOnlySpan<double> state, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters, int t, Span<double> next)
    {
        Check(state, action, parameters, t);
        if (next.Length != _dyn.StateSize) throw new ArgumentException($"next has length {next.Length}, expected {_dyn.StateSize}.", nameof(next));
        return _ws.Forward(t, state, action, parameters, next);
    }

    /// <summary>
    /// Given ∂L/∂next and ∂L/∂cost, writes ∂L/∂state, ∂L/∂action and ∂L/∂parameters (overwritten).
    /// </summary>
    public void Vjp(ReadOnlySpan<double> state, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters, int t,
        ReadOnlySpan<double> nextAdjoint, double costAdjoint,
        Span<double> stateAdjoint, Span<double> actionAdjoint, Span<double> parameterAdjoint)
    {
        Check(state, action, parameters, t);
        int n = _dyn.StateSize;
        if (nextAdjoint.Length != n || stateAdjoint.Length != n || actionAdjoint.Length != _dyn.ActionSize || parameterAdjoint.Length != _dyn.ParameterNames.Count)
            throw new ArgumentException("adjoint buffers do not match the state, action and parameter sizes.");
        // Record the segment (the scalar route keeps its nodes, so the backward step does not run it again).
        _ws.BeginEpisode();
        _ws.Forward(t, state, action, parameters, _next, record: true);
        _ws.Backward(t, state, action, parameters, _next, nextAdjoint, costAdjoint, stateAdjoint, actionAdjoint, parameterAdjoint);
    }

    void Check(ReadOnlySpan<double> state, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters, int t)
    {
        Episode.Validate(state, _dyn.StateSize, "state");
        Episode.Validate(action, _dyn.ActionSize, "action");
        Episode.Validate(parameters, _dyn.ParameterNames.Count, "parameters");
        if ((uint)t >= (uint)_dyn.Horizon) throw new ArgumentOutOfRangeException(nameof(t), t, $"segment index must be in 0..{_dyn.Horizon - 1}.");
    }

    public void Dispose() => _ws.Dispose();
}
