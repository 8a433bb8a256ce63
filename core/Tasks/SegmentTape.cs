using ContactOpt.Kernels;

namespace ContactOpt.Tasks;

/// <summary>What one segment of an episode did.</summary>
public readonly record struct SegmentOutcome(double Cost, bool Diverged, bool Terminated);

/// <summary>
/// The one differentiation mechanism of every view: an episode recorded as a list of control segments (as Warp's
/// and DiffTaichi's tapes are lists of kernel launches). <see cref="Advance"/> runs segment t through the
/// task's <see cref="SegmentWorkspace"/> and stores its input state (every <see cref="Dynamics.CheckpointEvery"/>-th
/// one; the others are recomputed on the way back); <see cref="Backward"/> walks the segments in reverse, each
/// with its own backward step, and returns ∂L/∂actions, ∂L/∂parameters and ∂L/∂initial state.
/// <para>The divergence rule lives here: a non-finite state or cost (or the task's <see cref="Dynamics.IsDiverged"/>)
/// ends the episode with loss +∞. One tape per view, used by one thread.</para>
/// </summary>
public sealed class SegmentTape : IDisposable
{
    readonly Dynamics _dyn;
    readonly SegmentWorkspace _ws;
    readonly FrameStore _states;
    readonly double[] _actions;
    readonly double[] _parameters;
    readonly double[] _state, _next;
    // Backward scratch: adjoints flowing between segments and per-segment outputs.
    readonly double[] _stateAdjoint, _nextAdjoint, _actionAdjoint, _parameterAdjoint;
    bool _record;

    public SegmentTape(Dynamics dynamics, WorkspaceOptions? options = null)
    {
        _dyn = dynamics ?? throw new ArgumentNullException(nameof(dynamics));
        _ws = dynamics.CreateWorkspace(options);
        int n = dynamics.StateSize;
        _states = new FrameStore(n, Math.Max(1, dynamics.CheckpointEvery));
        _actions = new double[dynamics.Horizon * dynamics.ActionSize];
        _parameters = new double[dynamics.ParameterNames.Count];
        _state = new double[n]; _next = new double[n];
        _stateAdjoint = new double[n]; _nextAdjoint = new double[n];
        _actionAdjoint = new double[dynamics.ActionSize]; _parameterAdjoint = new double[_parameters.Length];
    }

    public Dynamics Dynamics => _dyn;
    public SegmentWorkspace Workspace => _ws;
    /// <summary>Segments done in this episode.</summary>
    public int Step { get; private set; }
    /// <summary>The current state (after <see cref="Step"/> segments).</summary>
    public ReadOnlySpan<double> State => _state;
    /// <summary>Σ of the costs so far; +∞ once diverged.</summary>
    public double Loss { get; private set; }
    public bool Diverged { get; private set; }
    public bool Recording => _record;
    public bool Done => Diverged || Step == _dyn.Horizon;
    /// <summary>Doubles held for stored states (memory of a recorded episode, beside the workspace's own).</summary>
    public long StoredDoubles => _states.AllocatedDoubles;

    /// <summary>The divergence rule of every view: non-finite cost, non-finite state, or the task's own test.</summary>
    public static bool IsDiverged(Dynamics dynamics, ReadOnlySpan<double> state, double cost) =>
        !double.IsFinite(cost) || dynamics.IsDiverged(state);

    /// <summary>Starts an episode at <paramref name="initialState"/>; <paramref name="record"/> keeps it for <see cref="Backward"/>.</summary>
    public void Reset(ReadOnlySpan<double> initialState, ReadOnlySpan<double> parameters, bool record)
    {
        Episode.Validate(initialState, _dyn.StateSize, "initial state");
        Episode.Validate(parameters, _parameters.Length, "parameters");
        initialState.CopyTo(_state);
        parameters.CopyTo(_parameters);
        Step = 0; Loss = 0; Diverged = false; _record = record;
        _states.Clear();
        _ws.BeginEpisode();
    }

    /// <summary>Runs the next segment with <paramref name="action"/> (validated by the caller's space or bounds).</summary>
    public SegmentOutcome Advance(ReadOnlySpan<double> action, StepTrace? trace = null)
    {
        if (Done) throw new InvalidOperationException("The episode has ended; call Reset first.");
        if (action.Length != _dyn.ActionSize) throw new ArgumentException($"action has length {action.Length}, expected {_dyn.ActionSize}.", nameof(action));
        int t = Step;
        if (_record) _states.Append(_state);
        action.CopyTo(_actions.AsSpan(t * _dyn.ActionSize));
        double cost = _ws.Forward(t, _state, action, _parameters, _next, _record, trace);
        _next.CopyTo(_state.AsSpan());
        Step = t + 1;
        if (IsDiverged(_dyn, _state, cost))
        {
            Diverged = true;
            Loss = double.PositiveInfinity;
            return new SegmentOutcome(cost, true, false);
        }
        Loss += cost;
        return new SegmentOutcome(cost, false, Step == _dyn.Horizon);
    }

    /// <summary>
    /// Backpropagates the recorded segments 0..Step−1 with ∂L/∂(each segment's cost) = <paramref name="lossAdjoint"/>:
    /// writes ∂L/∂action of every segment done (Step × ActionSize values of <paramref name="actionsAdjoint"/>),
    /// ∂L/∂parameters and ∂L/∂initial state.
    /// </summary>
    public void Backward(Span<double> actionsAdjoint, Span<double> parameterAdjoint, Span<double> initialStateAdjoint, double lossAdjoint = 1.0)
    {
        if (!_record) throw new InvalidOperationException("Nothing recorded: reset with record = true.");
        if (Step == 0) throw new InvalidOperationException("No segment recorded since the last reset.");
        if (Diverged) throw new InvalidOperationException("The recorded episode diverged; its loss is +∞ and has no gradient.");
        int a = _dyn.ActionSize, n = _dyn.StateSize;
        if (actionsAdjoint.Length < Step * a) throw new ArgumentException($"actionsAdjoint has length {actionsAdjoint.Length}, need {Step * a}.", nameof(actionsAdjoint));
        if (parameterAdjoint.Length != _parameters.Length) throw new ArgumentException($"parameterAdjoint has length {parameterAdjoint.Length}, expected {_parameters.Length}.", nameof(parameterAdjoint));
        if (initialStateAdjoint.Length != n) throw new ArgumentException($"initialStateAdjoint has length {initialStateAdjoint.Length}, expected {n}.", nameof(initialStateAdjoint));

        parameterAdjoint.Clear();
        Array.Clear(_nextAdjoint);              // the final state carries no cost beyond its segment's
        int every = _states.Every;
        int last = Step - 1;
        for (int blockStart = last / every * every; blockStart >= 0; blockStart -= every)
        {
            int blockEnd = Math.Min(blockStart + every, Step);  // segments [blockStart, blockEnd)
            // Rebuild the block's input states from its checkpoint (segment blockStart reads the checkpoint itself,
            // segment blockStart + k ≥ 1 reads block slot k).
            var checkpoint = _states.Checkpoint(blockStart);
            for (int k = 1; k < blockEnd - blockStart; k++)
            {
                int s = blockStart + k - 1;
                ReadOnlySpan<double> from = k == 1 ? checkpoint : _states.BlockSlot(k - 1);
                _ws.Forward(s, from, _actions.AsSpan(s * a, a), _parameters, _states.BlockSlot(k), record: false);
            }
            for (int s = blockEnd - 1; s >= blockStart; s--)
            {
                ReadOnlySpan<double> input = s == blockStart ? checkpoint : _states.BlockSlot(s - blockStart);
                ReadOnlySpan<double> next = s == last ? _state
                    : s + 1 < blockEnd ? _states.BlockSlot(s + 1 - blockStart)
                    : _states.Checkpoint(s + 1);
                _ws.Backward(s, input, _actions.AsSpan(s * a, a), _parameters, next, _nextAdjoint, lossAdjoint,
                    _stateAdjoint, _actionAdjoint, _parameterAdjoint);
                _actionAdjoint.CopyTo(actionsAdjoint.Slice(s * a, a));
                for (int i = 0; i < parameterAdjoint.Length; i++) parameterAdjoint[i] += _parameterAdjoint[i];
                _stateAdjoint.CopyTo(_nextAdjoint.AsSpan());
            }
        }
        _nextAdjoint.CopyTo(initialStateAdjoint);
    }

    public void Dispose() => _ws.Dispose();
}
