using ContactOpt.Autodiff;
using ContactOpt.Rendering;

namespace ContactOpt.Tasks;

/// <summary>∂L/∂(everything) for one recorded episode, where L = −(sum of rewards) = the episode loss.</summary>
public sealed record EpisodeGradient(double Loss, double[][] Actions, double[] Parameters, double[] InitialState);

/// <summary>
/// The step view of a task (Gymnasium semantics). One <see cref="Step"/> = one control segment; the episode
/// terminates after <see cref="Dynamics.Horizon"/> segments. Observation = the task's observation followed by
/// the time fraction t/H. Reward of a segment = −(its cost), so the return is −loss. A diverging simulation
/// truncates the episode with <c>info["diverged"] = true</c> and reward −<see cref="DivergedPenalty"/>.
/// Set <see cref="Recording"/> before <see cref="Reset"/> to record the episode; <see cref="Backward"/> then
/// returns ∂L/∂action for every step, ∂L/∂parameters and ∂L/∂initial state.
/// </summary>
public class DifferentiableEnv : Env<double[], double[]>
{
    public const double DivergedPenalty = 1e6;

    readonly Dynamics _dyn;
    readonly Box _actionSpace, _observationSpace;
    readonly double[] _parameters;
    double[] _state;
    double[] _lastAction;
    int _t;
    bool _needsReset = true;
    double _loss;

    // Recording (reverse mode): the same simulation over Rev.
    readonly Tape _tape = new();
    Rev[] _stateR = [], _initialR = [], _paramR = [];
    readonly List<Rev[]> _actionsR = new();
    Rev _lossR;
    bool _recorded;

    public DifferentiableEnv(Dynamics dynamics, string? renderMode = null, double[]? parameters = null)
    {
        if (renderMode is not null && renderMode != RenderModes.RgbArray)
            throw new ArgumentException($"render mode '{renderMode}' is not supported; use '{RenderModes.RgbArray}' or none.");
        _dyn = dynamics;
        RenderMode = renderMode;
        _parameters = parameters ?? dynamics.DefaultParameters();
        Episode.Validate(_parameters, dynamics.ParameterNames.Count, "parameters");
        _actionSpace = new Box(dynamics.ActionBounds.Low, dynamics.ActionBounds.High);
        int o = dynamics.ObservationSize + 1;
        var lo = Enumerable.Repeat(double.NegativeInfinity, o).ToArray();
        var hi = Enumerable.Repeat(double.PositiveInfinity, o).ToArray();
        lo[^1] = 0; hi[^1] = 1;
        _observationSpace = new Box(lo, hi);
        _state = new double[dynamics.StateSize];
        _lastAction = [];
    }

    public Dynamics Dynamics => _dyn;
    public override Space<double[]> ActionSpace => _actionSpace;
    public override Space<double[]> ObservationSpace => _observationSpace;
    public Box ActionBox => _actionSpace;
    /// <summary>Control segments done in this episode.</summary>
    public int StepIndex => _t;
    /// <summary>A copy of the current simulator state.</summary>
    public double[] State => (double[])_state.Clone();
    /// <summary>Loss accumulated so far in this episode (−return).</summary>
    public double EpisodeLoss => _loss;

    /// <summary>Record the next episodes for <see cref="Backward"/> (takes effect at the next reset).</summary>
    public bool Recording { get; set; }

    public override ResetResult<double[]> Reset(int? seed = null, Info? options = null)
    {
        ThrowIfDisposed();
        ResetRandom(seed);
        _dyn.InitialState(_state, NpRandom);
        _t = 0; _loss = 0; _lastAction = []; _needsReset = false; _recorded = false;
        if (Recording)
        {
            _tape.Clear();
            _actionsR.Clear();
            _stateR = new Rev[_state.Length];
            for (int i = 0; i < _state.Length; i++) _stateR[i] = _tape.Variable(_state[i]);
            _initialR = (Rev[])_stateR.Clone();
            _paramR = new Rev[_parameters.Length];
            for (int i = 0; i < _parameters.Length; i++) _paramR[i] = _tape.Variable(_parameters[i]);
            _lossR = Rev.Constant(0);
            _recorded = true;
        }
        return new(Observe(), new Info { ["step"] = 0 });
    }

    public override StepResult<double[]> Step(double[] action)
    {
        ThrowIfDisposed();
        if (_needsReset) throw new InvalidOperationException("Step called before Reset or after the episode ended; call Reset first.");
        _actionSpace.Validate(action, "action");
        double cost;
        if (_recorded)
        {
            var a = new Rev[action.Length];
            for (int i = 0; i < a.Length; i++) a[i] = _tape.Variable(action[i]);
            _actionsR.Add(a);
            _dyn.Step<Rev>(_stateR, a, _paramR, _t, null);
            var c = _dyn.StepCost<Rev>(_stateR, a, _t);
            if (_t == _dyn.Horizon - 1) c += _dyn.TerminalCost<Rev>(_stateR);
            _lossR += c;
            for (int i = 0; i < _state.Length; i++) _state[i] = _stateR[i].Value;
            cost = c.Value;
        }
        else
        {
            var s = Episode.AsReal(_state.AsSpan());
            var a = Episode.AsReal(action.AsSpan());
            _dyn.Step(s, a, Episode.AsReal(_parameters.AsSpan()), _t, null);
            var c = _dyn.StepCost<Real>(s, a, _t);
            if (_t == _dyn.Horizon - 1) c += _dyn.TerminalCost<Real>(s);
            cost = c.Value;
        }
        _lastAction = (double[])action.Clone();
        _t++;
        var info = new Info { ["step"] = _t };
        if (_dyn.IsDiverged(_state) || !double.IsFinite(cost))
        {
            _needsReset = true;
            _loss = double.PositiveInfinity;
            info["diverged"] = true;
            return new(ObserveSafe(), -DivergedPenalty, false, true, info);
        }
        _loss += cost;
        bool terminated = _t == _dyn.Horizon;
        if (terminated) { _needsReset = true; info["loss"] = _loss; }
        return new(Observe(), -cost, terminated, false, info);
    }

    /// <summary>
    /// Backpropagates the recorded episode: ∂L/∂action for every step taken, ∂L/∂parameters and ∂L/∂initial
    /// state, with L the loss accumulated so far (the full episode loss once it has terminated).
    /// </summary>
    public EpisodeGradient Backward()
    {
        if (!_recorded) throw new InvalidOperationException("Nothing recorded: set Recording = true before Reset.");
        if (_actionsR.Count == 0) throw new InvalidOperationException("No step recorded since the last reset.");
        if (!double.IsFinite(_loss)) throw new InvalidOperationException("The recorded episode diverged; its loss is +∞ and has no gradient.");
        _tape.ZeroAdjoints();
        if (!_lossR.IsConstant) _tape.AddAdjoint(_lossR, 1.0);
        _tape.Propagate();
        var actions = _actionsR.Select(a => a.Select(_tape.Adjoint).ToArray()).ToArray();
        return new EpisodeGradient(_lossR.Value, actions, _paramR.Select(_tape.Adjoint).ToArray(), _initialR.Select(_tape.Adjoint).ToArray());
    }

    double[] Observe()
    {
        var obs = new double[_dyn.ObservationSize + 1];
        _dyn.Observe(Episode.AsReal((ReadOnlySpan<double>)_state), Episode.AsReal(obs.AsSpan(0, _dyn.ObservationSize)));
        obs[^1] = (double)_t / _dyn.Horizon;
        return obs;
    }

    double[] ObserveSafe()
    {
        var obs = Observe();
        for (int i = 0; i < obs.Length; i++) if (!double.IsFinite(obs[i])) obs[i] = 0;
        return obs;
    }

    public override Frame? Render()
    {
        ThrowIfDisposed();
        if (RenderMode is null) return null;
        return DrawState(_dyn, _state, _lastAction, $"t = {_t}/{_dyn.Horizon}");
    }

    /// <summary>Draws one state with the task's view.</summary>
    public static Frame DrawState(Dynamics dyn, ReadOnlySpan<double> state, ReadOnlySpan<double> action, string? label = null)
    {
        var v = dyn.View;
        using var canvas = new Canvas(v.Width, v.Height, v.XMin, v.XMax, v.ZMin);
        dyn.Draw(canvas, state, action);
        if (label is not null) canvas.Label(label);
        return canvas.ToFrame();
    }
}
