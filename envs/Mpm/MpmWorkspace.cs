using ContactOpt.Tasks;

namespace ContactOpt.Envs.Mpm;

/// <summary>
/// What the shared MPM segment loop (<see cref="MpmSegmentWorkspace"/>) needs from a task on the engine: its scene,
/// how an episode is cut into segments of env steps, the substep-store budget and the per-substep primitive
/// displacements of an action with their adjoint.
/// </summary>
public interface IMpmSegments
{
    Scene Scene { get; }
    int Segments { get; }
    int EnvStepsPerSegment { get; }
    /// <summary>Whether a workspace keeps the recorded forward's substeps of the whole episode (see <see cref="MpmStore"/>).</summary>
    bool StoresEpisode { get; }
    /// <summary>Per-substep primitive displacements of an action (<see cref="Scene.VelocitySize"/> values).</summary>
    void Velocities(ReadOnlySpan<double> action, double[] velocity);
    /// <summary>Adjoint of <see cref="Velocities"/> from the velocity adjoint summed over a segment's substeps (overwrites).</summary>
    void VelocitiesBackward(ReadOnlySpan<double> action, ReadOnlySpan<double> velocitySumBar, Span<double> actionBar);
}

/// <summary>The substep-store policy of <see cref="MpmSegmentWorkspace"/> (one rule for every MPM task).</summary>
public static class MpmStore
{
    /// <summary>Default budget of a workspace's substep store (1 GiB).</summary>
    public const long DefaultBudgetBytes = 1L << 30;

    /// <summary>Bytes of the substep frames and records of one whole episode.</summary>
    public static long BytesPerEpisode(Scene scene, int segments, int envStepsPerSegment) =>
        8L * segments * ((envStepsPerSegment * (long)scene.Substeps + 1) * scene.FrameSize + envStepsPerSegment * (long)scene.Substeps * Engine.RecordSize * scene.Particles);
}

/// <summary>
/// Mutable side of a task on the MPM engine: the engine, ping-pong frames for the forward pass and, for the backward
/// pass, the substep frames and substep records (affine matrices, trial SVDs) of the segments. Storage policy
/// (<see cref="IMpmSegments.StoresEpisode"/>, <see cref="MpmStore"/>): when a whole episode fits the budget, the
/// recorded forward writes every segment's substeps into its own slot and the backward reads them; otherwise one slot
/// is rebuilt per segment by the backward from the segment's input state. Each substep's grid is recomputed by the
/// backward in both cases. The task supplies the per-env-step cost (<see cref="StepCost"/>, default none), the terminal
/// cost and the observation.
/// </summary>
public abstract class MpmSegmentWorkspace : SegmentWorkspace
{
    readonly IMpmSegments _t;
    readonly Engine _engine;
    readonly double[] _a, _b, _vel, _velBar, _velSum, _bar, _barIn;
    readonly bool _episode;
    // Slots: frames (steps + 1) and records (steps) of one segment; Horizon slots under the episode policy, else 1.
    readonly double[][][] _frames, _records;
    readonly double[][] _keptAction;
    readonly bool[] _kept;

    protected MpmSegmentWorkspace(Dynamics dynamics, IMpmSegments task, WorkspaceOptions? options) : base(dynamics, options)
    {
        _t = task;
        _engine = new Engine(task.Scene, Options.Threads);
        int fs = dynamics.StateSize, pp = task.Scene.VelocitySize;
        _a = new double[fs]; _b = new double[fs];
        _bar = new double[fs]; _barIn = new double[fs];
        _vel = new double[pp]; _velBar = new double[pp]; _velSum = new double[pp];
        _episode = task.StoresEpisode;
        int slots = _episode ? task.Segments : 1;
        _frames = new double[slots][][]; _records = new double[slots][][];
        _keptAction = new double[slots][]; _kept = new bool[slots];
    }

    public Engine Engine => _engine;
    /// <summary>Whether the recorded forward keeps every segment's substeps (see <see cref="IMpmSegments.StoresEpisode"/>).</summary>
    public bool StoresEpisode => _episode;
    /// <summary>Doubles held for substep frames and records (memory accounting).</summary>
    public long StoredDoubles
    {
        get
        {
            long n = 0;
            for (int i = 0; i < _frames.Length; i++)
                if (_frames[i] is not null) n += (long)_frames[i].Length * Dynamics.StateSize + (long)_records[i].Length * _engine.RecordLength;
            return n;
        }
    }

    /// <summary>Whether the task has a running cost after every env step (<see cref="StepCost"/>).</summary>
    protected virtual bool HasStepCost => false;
    /// <summary>Cost of the frame after one env step (summed over the segment's env steps).</summary>
    protected virtual double StepCost(double[] frame) => 0;
    /// <summary>Adjoint of <see cref="StepCost"/>: adds <paramref name="bar"/>·∂cost/∂frame to <paramref name="frameBar"/>.</summary>
    protected virtual void StepCostBackward(double[] frame, double bar, double[] frameBar) { }

    int Steps => _t.EnvStepsPerSegment * _t.Scene.Substeps;

    /// <summary>Slot <paramref name="i"/>, allocated on first use (then reused: warm episodes allocate nothing).</summary>
    (double[][] Frames, double[][] Records) Slot(int i)
    {
        if (_frames[i] is null)
        {
            int steps = Steps;
            var f = new double[steps + 1][]; var r = new double[steps][];
            for (int j = 0; j <= steps; j++) f[j] = new double[Dynamics.StateSize];
            for (int j = 0; j < steps; j++) r[j] = new double[_engine.RecordLength];
            _frames[i] = f; _records[i] = r; _keptAction[i] = new double[Dynamics.ActionSize];
        }
        return (_frames[i], _records[i]);
    }

    static void CheckAction(ReadOnlySpan<double> action)
    {
        for (int i = 0; i < action.Length; i++)
            if (!double.IsFinite(action[i])) throw new ArgumentException($"action[{i}] is {action[i]}; actions must be finite.", nameof(action));
    }

    protected sealed override double SegmentForward(int t, ReadOnlySpan<double> state, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters,
        Span<double> next, bool record, StepTrace? trace)
    {
        CheckAction(action);
        _t.Velocities(action, _vel);
        var s = _t.Scene;
        double cost = 0;
        if (record && _episode)
        {
            // Keep the substeps: the backward of this segment reads them instead of recomputing.
            _kept[t] = false;
            var (frames, records) = Slot(t);
            state.CopyTo(frames[0]);
            for (int e = 0; e < _t.EnvStepsPerSegment; e++)
            {
                for (int k = 0; k < s.Substeps; k++)
                {
                    int j = e * s.Substeps + k;
                    _engine.Substep(frames[j], frames[j + 1], _vel, records[j]);
                }
                var cur = frames[(e + 1) * s.Substeps];
                if (HasStepCost) cost += StepCost(cur);
                trace?.Record(cur, action);
            }
            frames[Steps].CopyTo(next);
            action.CopyTo(_keptAction[t]);
            _kept[t] = true;
            return cost;
        }
        state.CopyTo(_a);
        double[] c0 = _a, c1 = _b;
        for (int e = 0; e < _t.EnvStepsPerSegment; e++)
        {
            for (int k = 0; k < s.Substeps; k++)
            {
                _engine.Substep(c0, c1, _vel);
                (c0, c1) = (c1, c0);
            }
            if (HasStepCost) cost += StepCost(c0);
            trace?.Record(c0, action);
        }
        c0.CopyTo(next);
        return cost;
    }

    protected sealed override void SegmentBackward(int t, ReadOnlySpan<double> state, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters,
        ReadOnlySpan<double> next, ReadOnlySpan<double> nextAdjoint, double costAdjoint,
        Span<double> stateAdjoint, Span<double> actionAdjoint, Span<double> parameterAdjoint)
    {
        CheckAction(action);
        _t.Velocities(action, _vel);
        var s = _t.Scene;
        int steps = Steps, slot = _episode ? t : 0;
        var (frames, records) = Slot(slot);
        // The kept substeps serve only the exact inputs they were recorded from; anything else is rebuilt.
        if (!(_episode && _kept[slot] && state.SequenceEqual(frames[0]) && action.SequenceEqual(_keptAction[slot])))
        {
            _kept[slot] = false;
            state.CopyTo(frames[0]);
            for (int j = 0; j < steps; j++) _engine.Substep(frames[j], frames[j + 1], _vel, records[j]);
            action.CopyTo(_keptAction[slot]);
            _kept[slot] = _episode;
        }

        nextAdjoint.CopyTo(_bar);
        actionAdjoint.Clear(); parameterAdjoint.Clear();
        var velSum = _velSum;
        Array.Clear(velSum);
        for (int e = _t.EnvStepsPerSegment - 1; e >= 0; e--)
        {
            if (HasStepCost) StepCostBackward(frames[(e + 1) * s.Substeps], costAdjoint, _bar);
            for (int k = s.Substeps - 1; k >= 0; k--)
            {
                int j = e * s.Substeps + k;
                _engine.SubstepBackward(frames[j], _vel, frames[j + 1], records[j], _bar, _barIn, _velBar);
                for (int i = 0; i < velSum.Length; i++) velSum[i] += _velBar[i];
                _barIn.CopyTo(_bar, 0);
            }
        }
        _bar.CopyTo(stateAdjoint);
        _t.VelocitiesBackward(action, velSum, actionAdjoint);
    }
}

/// <summary>
/// Mutable side of a PlasticineLab task (<see cref="MpmDynamics"/>): the shared segment loop and store of
/// <see cref="MpmSegmentWorkspace"/>, PlasticineLab's loss after every env step, particle-subsample observations.
/// </summary>
public sealed class MpmWorkspace : MpmSegmentWorkspace
{
    readonly MpmDynamics _d;

    public MpmWorkspace(MpmDynamics dynamics, WorkspaceOptions? options) : base(dynamics, dynamics, options) => _d = dynamics;

    protected override bool HasStepCost => true;
    protected override double StepCost(double[] frame) => Engine.Loss(frame, _d.Target, _d.Weights);
    protected override void StepCostBackward(double[] frame, double bar, double[] frameBar) => Engine.LossBackward(frame, _d.Target, _d.Weights, bar, frameBar);

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
