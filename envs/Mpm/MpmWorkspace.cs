using ContactOpt.Tasks;

namespace ContactOpt.Envs.Mpm;

/// <summary>
/// Mutable side of an MPM task: the engine, ping-pong frames for the forward pass and, for the backward pass, the
/// substep frames of one segment (recomputed from the segment's input state; grids are recomputed per substep).
/// </summary>
public sealed class MpmWorkspace : SegmentWorkspace
{
    readonly MpmDynamics _d;
    readonly Engine _engine;
    readonly double[] _a, _b, _vel, _velBar, _velSum, _bar, _barIn;
    readonly List<double[]> _frames = new();

    public MpmWorkspace(MpmDynamics dynamics, WorkspaceOptions? options) : base(dynamics, options)
    {
        _d = dynamics;
        _engine = new Engine(dynamics.Scene, Options.Threads);
        int fs = dynamics.StateSize, pp = dynamics.Scene.VelocitySize;
        _a = new double[fs]; _b = new double[fs];
        _bar = new double[fs]; _barIn = new double[fs];
        _vel = new double[pp]; _velBar = new double[pp]; _velSum = new double[pp];
    }

    public Engine Engine => _engine;
    /// <summary>Doubles held for the substep frames of a segment (memory accounting).</summary>
    public long StoredDoubles => (long)_frames.Count * _d.StateSize;

    static void CheckAction(ReadOnlySpan<double> action)
    {
        for (int i = 0; i < action.Length; i++)
            if (!double.IsFinite(action[i])) throw new ArgumentException($"action[{i}] is {action[i]}; actions must be finite.", nameof(action));
    }

    protected override double SegmentForward(int t, ReadOnlySpan<double> state, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters,
        Span<double> next, bool record, StepTrace? trace)
    {
        CheckAction(action);
        _d.Velocities(action, _vel);
        state.CopyTo(_a);
        double[] cur = _a, nxt = _b;
        double cost = 0;
        var s = _d.Scene;
        for (int e = 0; e < _d.EnvStepsPerSegment; e++)
        {
            for (int k = 0; k < s.Substeps; k++)
            {
                _engine.Substep(cur, nxt, _vel);
                (cur, nxt) = (nxt, cur);
            }
            cost += _engine.Loss(cur, _d.Target, _d.Weights);
            trace?.Record(cur, action);
        }
        cur.CopyTo(next);
        return cost;
    }

    protected override void SegmentBackward(int t, ReadOnlySpan<double> state, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters,
        ReadOnlySpan<double> next, ReadOnlySpan<double> nextAdjoint, double costAdjoint,
        Span<double> stateAdjoint, Span<double> actionAdjoint, Span<double> parameterAdjoint)
    {
        CheckAction(action);
        _d.Velocities(action, _vel);
        var s = _d.Scene;
        int steps = _d.EnvStepsPerSegment * s.Substeps;
        while (_frames.Count < steps + 1) _frames.Add(new double[_d.StateSize]);
        state.CopyTo(_frames[0]);
        for (int j = 0; j < steps; j++) _engine.Substep(_frames[j], _frames[j + 1], _vel);

        nextAdjoint.CopyTo(_bar);
        actionAdjoint.Clear(); parameterAdjoint.Clear();
        var velSum = _velSum;
        Array.Clear(velSum);
        for (int e = _d.EnvStepsPerSegment - 1; e >= 0; e--)
        {
            _engine.LossBackward(_frames[(e + 1) * s.Substeps], _d.Target, _d.Weights, costAdjoint, _bar);
            for (int k = s.Substeps - 1; k >= 0; k--)
            {
                int j = e * s.Substeps + k;
                _engine.SubstepBackward(_frames[j], _vel, _frames[j + 1], _bar, _barIn, _velBar);
                for (int i = 0; i < velSum.Length; i++) velSum[i] += _velBar[i];
                _barIn.CopyTo(_bar, 0);
            }
        }
        _bar.CopyTo(stateAdjoint);
        _d.VelocitiesBackward(action, velSum, actionAdjoint);
    }

    public override void Observe(ReadOnlySpan<double> state, Span<double> observation)
    {
        var obs = _d.ObservedParticles;
        int vo = _d.Scene.VOffset, m = obs.Count;
        for (int i = 0; i < m; i++)
            for (int c = 0; c < 3; c++)
            {
                observation[3 * i + c] = state[3 * obs[i] + c];
                observation[3 * m + 3 * i + c] = state[vo + 3 * obs[i] + c];
            }
        int pp = 3 * _d.Scene.Primitives.Length;
        state.Slice(_d.Scene.PoseOffset, pp).CopyTo(observation.Slice(6 * m, pp));
        // Orientations of the rotating primitives.
        int o = 6 * m + pp;
        for (int k = 0; k < _d.Scene.Primitives.Length; k++)
            if (_d.Scene.Primitives[k].Rotates) { state.Slice(_d.Scene.RotOffset + 4 * k, 4).CopyTo(observation.Slice(o, 4)); o += 4; }
    }

    public override void ObserveBackward(ReadOnlySpan<double> state, ReadOnlySpan<double> observationAdjoint, Span<double> stateAdjoint)
    {
        stateAdjoint.Clear();
        var obs = _d.ObservedParticles;
        int vo = _d.Scene.VOffset, m = obs.Count;
        for (int i = 0; i < m; i++)
            for (int c = 0; c < 3; c++)
            {
                stateAdjoint[3 * obs[i] + c] += observationAdjoint[3 * i + c];
                stateAdjoint[vo + 3 * obs[i] + c] += observationAdjoint[3 * m + 3 * i + c];
            }
        int pp = 3 * _d.Scene.Primitives.Length;
        observationAdjoint.Slice(6 * m, pp).CopyTo(stateAdjoint.Slice(_d.Scene.PoseOffset, pp));
        int o = 6 * m + pp;
        for (int k = 0; k < _d.Scene.Primitives.Length; k++)
            if (_d.Scene.Primitives[k].Rotates) { observationAdjoint.Slice(o, 4).CopyTo(stateAdjoint.Slice(_d.Scene.RotOffset + 4 * k, 4)); o += 4; }
    }
}
