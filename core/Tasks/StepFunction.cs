using ContactOpt.Autodiff;

namespace ContactOpt.Tasks;

/// <summary>
/// One control segment as a differentiable function (state, action, parameters) → (next state, cost), with
/// its vector-Jacobian product. This is what a TorchSharp policy trained through the simulator calls per step.
/// The cost of segment t includes the terminal cost when t is the last segment. Single-threaded.
/// </summary>
public sealed class StepFunction
{
    readonly Dynamics _dyn;
    readonly Tape _tape = new();
    readonly Rev[] _s, _a, _p;

    public StepFunction(Dynamics dynamics)
    {
        _dyn = dynamics;
        _s = new Rev[dynamics.StateSize]; _a = new Rev[dynamics.ActionSize]; _p = new Rev[dynamics.ParameterNames.Count];
    }

    public Dynamics Dynamics => _dyn;

    /// <summary>next ← step(state, action); returns the segment's cost.</summary>
    public double Forward(ReadOnlySpan<double> state, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters, int t, Span<double> next)
    {
        Check(state, action, parameters, t);
        state.CopyTo(next);
        var s = Episode.AsReal(next);
        var a = Episode.AsReal(action);
        _dyn.Step(s, a, Episode.AsReal(parameters), t, null);
        var c = _dyn.StepCost<Real>(s, a, t);
        if (t == _dyn.Horizon - 1) c += _dyn.TerminalCost<Real>(s);
        return c.Value;
    }

    /// <summary>
    /// Given ∂L/∂next and ∂L/∂cost, accumulates ∂L/∂state, ∂L/∂action and ∂L/∂parameters (overwritten).
    /// </summary>
    public void Vjp(ReadOnlySpan<double> state, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters, int t,
        ReadOnlySpan<double> nextAdjoint, double costAdjoint,
        Span<double> stateAdjoint, Span<double> actionAdjoint, Span<double> parameterAdjoint)
    {
        Check(state, action, parameters, t);
        if (nextAdjoint.Length != _s.Length || stateAdjoint.Length != _s.Length || actionAdjoint.Length != _a.Length || parameterAdjoint.Length != _p.Length)
            throw new ArgumentException("adjoint buffers do not match the state, action and parameter sizes.");
        _tape.Clear();
        for (int i = 0; i < _s.Length; i++) _s[i] = _tape.Variable(state[i]);
        for (int i = 0; i < _a.Length; i++) _a[i] = _tape.Variable(action[i]);
        for (int i = 0; i < _p.Length; i++) _p[i] = _tape.Variable(parameters[i]);
        var s0 = (Rev[])_s.Clone(); var a0 = (Rev[])_a.Clone(); var p0 = (Rev[])_p.Clone();
        _dyn.Step<Rev>(_s, _a, _p, t, null);
        var c = _dyn.StepCost<Rev>(_s, _a, t);
        if (t == _dyn.Horizon - 1) c += _dyn.TerminalCost<Rev>(_s);
        _tape.ZeroAdjoints();
        for (int i = 0; i < _s.Length; i++) if (!_s[i].IsConstant) _tape.AddAdjoint(_s[i], nextAdjoint[i]);
        if (!c.IsConstant) _tape.AddAdjoint(c, costAdjoint);
        _tape.Propagate();
        for (int i = 0; i < s0.Length; i++) stateAdjoint[i] = _tape.Adjoint(s0[i]);
        for (int i = 0; i < a0.Length; i++) actionAdjoint[i] = _tape.Adjoint(a0[i]);
        for (int i = 0; i < p0.Length; i++) parameterAdjoint[i] = _tape.Adjoint(p0[i]);
    }

    void Check(ReadOnlySpan<double> state, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters, int t)
    {
        Episode.Validate(state, _dyn.StateSize, "state");
        Episode.Validate(action, _dyn.ActionSize, "action");
        Episode.Validate(parameters, _dyn.ParameterNames.Count, "parameters");
        if ((uint)t >= (uint)_dyn.Horizon) throw new ArgumentOutOfRangeException(nameof(t), t, $"segment index must be in 0..{_dyn.Horizon - 1}.");
    }
}
