using ContactOpt.Autodiff;

namespace ContactOpt.Tasks;

/// <summary>
/// The scalar route: a task whose segment is simulation code written once over the scalar type
/// <typeparamref name="T"/> of <see cref="IScalar{T}"/>, run with <see cref="Real"/> for loss-only rollouts,
/// <see cref="Dual4"/> for forward-mode gradients (d ≤ 4) and <see cref="Rev"/> on a scalar tape for the
/// segment's backward step. Suits systems of tens of state variables; large engines use the kernel route.
/// </summary>
public abstract class ScalarDynamics : Dynamics
{
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

    public sealed override SegmentWorkspace CreateWorkspace(WorkspaceOptions? options = null) => new ScalarWorkspace(this, options);

    /// <summary>
    /// A whole episode over <typeparamref name="T"/> from <paramref name="state"/> (modified in place): the
    /// forward-mode path of the parameter view. Same rules as the <see cref="SegmentTape"/>: the last segment adds
    /// the terminal cost, and <see cref="SegmentTape.IsDiverged"/> ends a diverging episode with +∞.
    /// </summary>
    public T Rollout<T>(Span<T> state, ReadOnlySpan<T> controls, ReadOnlySpan<T> parameters) where T : struct, IScalar<T>
    {
        int a = ActionSize;
        T loss = T.Constant(0);
        Span<double> values = state.Length <= 256 ? stackalloc double[state.Length] : new double[state.Length];
        for (int t = 0; t < Horizon; t++)
        {
            var action = controls.Slice(t * a, a);
            Step(state, action, parameters, t, null);
            var cost = StepCost<T>(state, action, t);
            if (t == Horizon - 1) cost += TerminalCost<T>(state);
            for (int i = 0; i < state.Length; i++) values[i] = state[i].Value;
            if (SegmentTape.IsDiverged(this, values, cost.Value)) return T.Constant(double.PositiveInfinity);
            loss += cost;
        }
        return loss;
    }
}

/// <summary>
/// The workspace of a <see cref="ScalarDynamics"/> task: plain doubles forward; the backward step records the
/// segment over <see cref="Rev"/> on a scalar tape and sweeps it. A forward pass with <c>record</c> keeps each
/// segment's nodes (one tape per episode, one node range per segment, with fresh leaves for the segment's
/// inputs) so the backward step of a recorded episode does not run the segment again.
/// </summary>
public sealed class ScalarWorkspace : SegmentWorkspace
{
    /// <summary>What a recorded segment kept: its node range, its input values and its outputs.</summary>
    sealed class Record
    {
        public int Start, End;
        public int StateLeaf, ActionLeaf, ParameterLeaf;
        public double[] Inputs = [];
        public Rev[] Next = [];
        public Rev Cost;
        public bool Valid;
    }

    readonly ScalarDynamics _dyn;
    readonly Tape _episodeTape = new();
    readonly Tape _scratchTape = new();
    readonly List<Record> _records = new();
    readonly Record _scratch = new();
    readonly Rev[] _s, _a, _p;
    readonly Rev[] _obsState, _obs;

    public ScalarWorkspace(ScalarDynamics dynamics, WorkspaceOptions? options) : base(dynamics, options)
    {
        _dyn = dynamics;
        _s = new Rev[dynamics.StateSize]; _a = new Rev[dynamics.ActionSize]; _p = new Rev[dynamics.ParameterNames.Count];
        _obsState = new Rev[dynamics.StateSize]; _obs = new Rev[dynamics.ObservationSize];
    }

    /// <summary>Nodes on the episode tape (for memory accounting and tests).</summary>
    public int RecordedNodes => _episodeTape.Count;

    public override void BeginEpisode()
    {
        _episodeTape.Clear();
        foreach (var r in _records) r.Valid = false;
    }

    protected override double SegmentForward(int t, ReadOnlySpan<double> state, ReadOnlySpan<double> action,
        ReadOnlySpan<double> parameters, Span<double> next, bool record, StepTrace? trace)
    {
        if (record)
        {
            while (_records.Count <= t) _records.Add(new Record());
            var r = _records[t];
            RecordSegment(_episodeTape, r, t, state, action, parameters, trace);
            for (int i = 0; i < next.Length; i++) next[i] = r.Next[i].Value;
            return r.Cost.Value;
        }
        state.CopyTo(next);
        var s = Episode.AsReal(next);
        var a = Episode.AsReal(action);
        _dyn.Step(s, a, Episode.AsReal(parameters), t, trace);
        return _dyn.StepCost<Real>(s, a, t).Value;
    }

    protected override void SegmentBackward(int t, ReadOnlySpan<double> state, ReadOnlySpan<double> action,
        ReadOnlySpan<double> parameters, ReadOnlySpan<double> next, ReadOnlySpan<double> nextAdjoint, double costAdjoint,
        Span<double> stateAdjoint, Span<double> actionAdjoint, Span<double> parameterAdjoint)
    {
        Tape tape;
        Record r;
        if (t < _records.Count && _records[t].Valid && Matches(_records[t], state, action, parameters))
        {
            tape = _episodeTape; r = _records[t];
        }
        else
        {
            _scratchTape.Clear();
            tape = _scratchTape; r = _scratch;
            RecordSegment(tape, r, t, state, action, parameters, null);
        }
        tape.ZeroAdjoints(r.Start, r.End);
        for (int i = 0; i < r.Next.Length; i++) if (!r.Next[i].IsConstant) tape.AddAdjoint(r.Next[i], nextAdjoint[i]);
        if (!r.Cost.IsConstant) tape.AddAdjoint(r.Cost, costAdjoint);
        tape.Propagate(r.Start, r.End);
        for (int i = 0; i < stateAdjoint.Length; i++) stateAdjoint[i] = tape.AdjointOf(r.StateLeaf + i);
        for (int i = 0; i < actionAdjoint.Length; i++) actionAdjoint[i] = tape.AdjointOf(r.ActionLeaf + i);
        for (int i = 0; i < parameterAdjoint.Length; i++) parameterAdjoint[i] = tape.AdjointOf(r.ParameterLeaf + i);
    }

    void RecordSegment(Tape tape, Record r, int t, ReadOnlySpan<double> state, ReadOnlySpan<double> action,
        ReadOnlySpan<double> parameters, StepTrace? trace)
    {
        int n = state.Length, na = action.Length, np = parameters.Length;
        if (r.Inputs.Length != n + na + np) r.Inputs = new double[n + na + np];
        if (r.Next.Length != n) r.Next = new Rev[n];
        state.CopyTo(r.Inputs); action.CopyTo(r.Inputs.AsSpan(n)); parameters.CopyTo(r.Inputs.AsSpan(n + na));
        r.Start = tape.Count;
        // Fresh, contiguous leaves: the segment's node range is self-contained, so it can be swept on its own.
        r.StateLeaf = tape.Count;
        for (int i = 0; i < n; i++) _s[i] = tape.Variable(state[i]);
        r.ActionLeaf = tape.Count;
        for (int i = 0; i < na; i++) _a[i] = tape.Variable(action[i]);
        r.ParameterLeaf = tape.Count;
        for (int i = 0; i < np; i++) _p[i] = tape.Variable(parameters[i]);
        _dyn.Step<Rev>(_s, _a, _p, t, trace);
        r.Cost = _dyn.StepCost<Rev>(_s, _a, t);
        _s.CopyTo(r.Next, 0);
        r.End = tape.Count;
        r.Valid = true;
    }

    static bool Matches(Record r, ReadOnlySpan<double> state, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters)
    {
        var inputs = r.Inputs.AsSpan();
        int n = state.Length, na = action.Length;
        return inputs.Length == n + na + parameters.Length
            && inputs[..n].SequenceEqual(state) && inputs.Slice(n, na).SequenceEqual(action) && inputs[(n + na)..].SequenceEqual(parameters);
    }

    protected override double TerminalForward(ReadOnlySpan<double> state, ReadOnlySpan<double> parameters) =>
        _dyn.TerminalCost(Episode.AsReal(state)).Value;

    protected override void TerminalBackward(ReadOnlySpan<double> state, ReadOnlySpan<double> parameters, double costAdjoint,
        Span<double> stateAdjoint, Span<double> parameterAdjoint)
    {
        _scratchTape.Clear();
        int leaf = _scratchTape.Count;
        for (int i = 0; i < state.Length; i++) _s[i] = _scratchTape.Variable(state[i]);
        var c = _dyn.TerminalCost<Rev>(_s);
        int end = _scratchTape.Count;
        _scratchTape.ZeroAdjoints(leaf, end);
        if (!c.IsConstant) _scratchTape.AddAdjoint(c, costAdjoint);
        _scratchTape.Propagate(leaf, end);
        for (int i = 0; i < stateAdjoint.Length; i++) stateAdjoint[i] = _scratchTape.AdjointOf(leaf + i);
        parameterAdjoint.Clear();
    }

    public override void Observe(ReadOnlySpan<double> state, Span<double> observation) =>
        _dyn.Observe(Episode.AsReal(state), Episode.AsReal(observation));

    public override void ObserveBackward(ReadOnlySpan<double> state, ReadOnlySpan<double> observationAdjoint, Span<double> stateAdjoint)
    {
        _scratchTape.Clear();
        int leaf = _scratchTape.Count;
        for (int i = 0; i < state.Length; i++) _obsState[i] = _scratchTape.Variable(state[i]);
        _dyn.Observe<Rev>(_obsState, _obs);
        int end = _scratchTape.Count;
        _scratchTape.ZeroAdjoints(leaf, end);
        for (int i = 0; i < _obs.Length; i++) if (!_obs[i].IsConstant) _scratchTape.AddAdjoint(_obs[i], observationAdjoint[i]);
        _scratchTape.Propagate(leaf, end);
        for (int i = 0; i < stateAdjoint.Length; i++) stateAdjoint[i] = _scratchTape.AdjointOf(leaf + i);
    }
}
