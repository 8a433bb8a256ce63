using ContactOpt.Autodiff;
using ContactOpt.Rendering;

namespace ContactOpt.Tasks;

/// <summary>∂L/∂(everything) for one recorded episode, where L = −(sum of rewards) = the episode loss.</summary>
public sealed record EpisodeGradient(double Loss, double[][] Actions, double[] Parameters, double[] InitialState);

/// <summary>
/// The step view of a task (Gymnasium semantics). One <see cref="Step"/> = one control segment; the episode
/// terminates after <see cref="Dynamics.Horizon"/> segments and the observation is the task's observation followed
/// by the time fraction t/H — or, for tasks whose <see cref="Dynamics.HorizonKind"/> is a time limit (pendulum, as
/// Pendulum-v1), the episode is truncated there and the observation is the task's own. Out-of-bounds actions are
/// rejected or clipped as the task declares (<see cref="Dynamics.OutOfRangeAction"/>). Reward of a segment = −(its cost), so the return is −loss. A diverging simulation
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
    readonly SegmentTape _tape;
    readonly double[] _initialState;
    double[] _lastAction;
    bool _needsReset = true;
    readonly bool _timeLimit;

    public DifferentiableEnv(Dynamics dynamics, string? renderMode = null, double[]? parameters = null, WorkspaceOptions? workspace = null)
    {
        if (renderMode is not null && renderMode != RenderModes.RgbArray)
            throw new ArgumentException($"render mode '{renderMode}' is not supported; use '{RenderModes.RgbArray}' or none.");
        _dyn = dynamics;
        RenderMode = renderMode;
        _parameters = parameters ?? dynamics.DefaultParameters();
        Episode.Validate(_parameters, dynamics.ParameterNames.Count, "parameters");
        _actionSpace = new Box(dynamics.ActionBounds.Low, dynamics.ActionBounds.High);
        _timeLimit = dynamics.HorizonKind == HorizonKind.TimeLimit;
        int o = dynamics.ObservationSize + (_timeLimit ? 0 : 1);
        var lo = Enumerable.Repeat(double.NegativeInfinity, o).ToArray();
        var hi = Enumerable.Repeat(double.PositiveInfinity, o).ToArray();
        if (!_timeLimit) { lo[^1] = 0; hi[^1] = 1; }
        _observationSpace = new Box(lo, hi);
        _tape = new SegmentTape(dynamics, workspace);
        _initialState = new double[dynamics.StateSize];
        _tape.Reset(_initialState, _parameters, record: false);
        _lastAction = [];
    }

    public Dynamics Dynamics => _dyn;
    public override Space<double[]> ActionSpace => _actionSpace;
    public override Space<double[]> ObservationSpace => _observationSpace;
    public Box ActionBox => _actionSpace;
    /// <summary>Control segments done in this episode.</summary>
    public int StepIndex => _tape.Step;
    /// <summary>A copy of the current simulator state.</summary>
    public double[] State => _tape.State.ToArray();
    /// <summary>Loss accumulated so far in this episode (−return).</summary>
    public double EpisodeLoss => _tape.Loss;

    /// <summary>Record the next episodes for <see cref="Backward"/> (takes effect at the next reset).</summary>
    public bool Recording { get; set; }

    public override ResetResult<double[]> Reset(int? seed = null, Info? options = null)
    {
        ThrowIfDisposed();
        ResetRandom(seed);
        _dyn.InitialState(_initialState, NpRandom);
        _tape.Reset(_initialState, _parameters, Recording);
        _lastAction = []; _needsReset = false;
        return new(Observe(), new Info { ["step"] = 0 });
    }

    public override StepResult<double[]> Step(double[] action)
    {
        ThrowIfDisposed();
        if (_needsReset) throw new InvalidOperationException("Step called before Reset or after the episode ended; call Reset first.");
        if (_dyn.OutOfRangeAction == OutOfRangeAction.Clip) action = Clip(action);
        else _actionSpace.Validate(action, "action");
        var outcome = _tape.Advance(action);
        _lastAction = (double[])action.Clone();
        var info = new Info { ["step"] = _tape.Step };
        if (outcome.Diverged)
        {
            _needsReset = true;
            info["diverged"] = true;
            return new(ObserveSafe(), -DivergedPenalty, false, true, info);
        }
        if (outcome.Terminated) { _needsReset = true; info["loss"] = _tape.Loss; }
        if (outcome.Terminated && _timeLimit) return new(Observe(), -outcome.Cost, false, true, info);
        return new(Observe(), -outcome.Cost, outcome.Terminated, false, info);
    }

    /// <summary>The action clipped to the bounds (a new array); wrong lengths and non-finite entries still throw.</summary>
    double[] Clip(double[] action)
    {
        if (action is null) throw new ArgumentNullException(nameof(action), "action is null.");
        if (action.Length != _actionSpace.Size) throw new ArgumentException($"action has length {action.Length}, expected {_actionSpace.Size}.", nameof(action));
        var a = new double[action.Length];
        for (int i = 0; i < a.Length; i++)
        {
            if (!double.IsFinite(action[i])) throw new ArgumentException($"action[{i}] is {action[i]}; it must be finite.", nameof(action));
            a[i] = Math.Clamp(action[i], _actionSpace.LowAt(i), _actionSpace.HighAt(i));
        }
        return a;
    }

    /// <summary>
    /// Backpropagates the recorded episode: ∂L/∂action for every step taken, ∂L/∂parameters and ∂L/∂initial
    /// state, with L the loss accumulated so far (the full episode loss once it has terminated).
    /// </summary>
    public EpisodeGradient Backward()
    {
        if (!_tape.Recording) throw new InvalidOperationException("Nothing recorded: set Recording = true before Reset.");
        if (_tape.Step == 0) throw new InvalidOperationException("No step recorded since the last reset.");
        if (_tape.Diverged) throw new InvalidOperationException("The recorded episode diverged; its loss is +∞ and has no gradient.");
        int a = _dyn.ActionSize;
        var flat = new double[_tape.Step * a];
        var parameters = new double[_parameters.Length];
        var initial = new double[_dyn.StateSize];
        _tape.Backward(flat, parameters, initial);
        var actions = new double[_tape.Step][];
        for (int t = 0; t < actions.Length; t++) actions[t] = flat.AsSpan(t * a, a).ToArray();
        return new EpisodeGradient(_tape.Loss, actions, parameters, initial);
    }

    double[] Observe()
    {
        var obs = new double[_dyn.ObservationSize + (_timeLimit ? 0 : 1)];
        _tape.Workspace.Observe(_tape.State, obs.AsSpan(0, _dyn.ObservationSize));
        if (!_timeLimit) obs[^1] = (double)_tape.Step / _dyn.Horizon;
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
        return _dyn.RenderState(_tape.State, _lastAction, $"t = {_tape.Step}/{_dyn.Horizon}");
    }

    /// <summary>Draws one state with the task's view.</summary>
    public static Frame DrawState(Dynamics dyn, ReadOnlySpan<double> state, ReadOnlySpan<double> action, string? label = null) =>
        dyn.RenderState(state, action, label);

    protected override void Close() => _tape.Dispose();
}
