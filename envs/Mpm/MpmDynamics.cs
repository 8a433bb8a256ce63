using ContactOpt.Rendering;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.Mpm;

/// <summary>
/// A PlasticineLab task on the MLS-MPM engine as a kernel-route <see cref="Dynamics"/>: the 50 env steps of an
/// episode are cut into <see cref="Horizon"/> control segments (BO-Leap: 5 segments of 10 env steps, one
/// constant velocity command per primitive per segment). The loss is PlasticineLab's, evaluated after every env
/// step and summed. The state is one engine frame (see <see cref="Scene"/>).
/// </summary>
public sealed class MpmDynamics : Dynamics, IMpmSegments
{
    readonly Box _bounds;
    readonly int[] _observed;

    public MpmDynamics(Scene scene, Target target, LossWeights weights, int segments, int envSteps = 50, int observedParticles = 64)
    {
        if (segments < 1 || envSteps % segments != 0)
            throw new ArgumentException($"segments={segments} must divide the {envSteps} env steps of an episode.");
        if (weights.Density < 0 || weights.Sdf < 0 || weights.Contact < 0 || !double.IsFinite(weights.Density + weights.Sdf + weights.Contact))
            throw new ArgumentException($"loss weights must be finite and ≥ 0 (got density {weights.Density}, sdf {weights.Sdf}, contact {weights.Contact}).");
        if (target.N != scene.N) throw new ArgumentException("target grid and scene grid differ.");
        if (scene.ActionSize == 0) throw new ArgumentException("the scene has no moving primitive.");
        Scene = scene; Target = target; Weights = weights; Segments = segments; EnvStepsPerSegment = envSteps / segments;
        _bounds = new Box(-1.0, 1.0, scene.ActionSize);
        // Fixed, seeded subsample of particles for the observation.
        int k = Math.Min(observedParticles, scene.Particles);
        var rng = new Random(12345);
        _observed = Enumerable.Range(0, scene.Particles).OrderBy(_ => rng.Next()).Take(k).Order().ToArray();
    }

    public Scene Scene { get; }
    /// <summary>The PlasticineLab task and preset this dynamics was built from (null for hand-made scenes).</summary>
    public PlasticineTask? Task { get; init; }
    public Preset? Preset { get; init; }
    public Target Target { get; }
    public LossWeights Weights { get; }
    public int Segments { get; }
    public int EnvStepsPerSegment { get; }
    public IReadOnlyList<int> ObservedParticles => _observed;

    /// <summary>
    /// Memory budget (bytes) of a workspace's substep store. When a whole episode of substep frames and records
    /// (<see cref="StoreBytesPerEpisode"/>) fits, the recorded forward keeps them and the backward recomputes nothing
    /// but each substep's grid; otherwise (e.g. the <c>full</c> preset) the backward rebuilds one segment at a time
    /// from its checkpointed input state. Both policies give bit-identical gradients. Default 1 GiB.
    /// </summary>
    public long StoreBudgetBytes { get; init; } = MpmStore.DefaultBudgetBytes;

    /// <summary>Bytes of the substep frames and records of one whole episode.</summary>
    public long StoreBytesPerEpisode => MpmStore.BytesPerEpisode(Scene, Segments, EnvStepsPerSegment);

    /// <summary>Whether a workspace keeps the recorded forward's substeps (see <see cref="StoreBudgetBytes"/>).</summary>
    public bool StoresEpisode => StoreBytesPerEpisode <= StoreBudgetBytes;

    public override int StateSize => Scene.FrameSize;
    public override int ActionSize => Scene.ActionSize;
    public override int Horizon => Segments;
    public override int ObservationSize => 6 * _observed.Length + 3 * Scene.Primitives.Length + 4 * RotatingPrimitives;
    /// <summary>Primitives whose orientation changes (their quaternions are observed after the positions).</summary>
    public int RotatingPrimitives => Scene.Primitives.Count(p => p.Rotates);
    public override Box ActionBounds => _bounds;
    public override Box ActionSamplingBox => _bounds;
    public override void InitialGuess(int t, Span<double> action) => action.Clear();
    public override void InitialState(Span<double> state, Random rng) => Scene.InitialFrame(state);
    public override int TraceEvery => Scene.Substeps;
    public override SegmentWorkspace CreateWorkspace(WorkspaceOptions? options = null) => new MpmWorkspace(this, options);

    /// <summary>
    /// Per-substep primitive velocities of an action (clipped to [−1, 1]), <see cref="Scene.VelocitySize"/> values:
    /// action·scale/substeps for the 3 displacement (or rolling-pin) channels of each primitive, then
    /// action·angular scale/substeps for the angular channels of a rotating one.
    /// </summary>
    public void Velocities(ReadOnlySpan<double> action, double[] velocity)
    {
        Array.Clear(velocity);
        var prims = Scene.Primitives;
        int np = prims.Length;
        for (int k = 0; k < np; k++)
        {
            if (prims[k].ActionDim == 0) continue;
            int o = Scene.ActionOffsets[k];
            for (int d = 0; d < 3; d++)
                velocity[3 * k + d] = Math.Clamp(action[o + d], -1, 1) * prims[k].ActionScale[d] / Scene.Substeps;
            if (prims[k].Motion == Motion.Rotate)
                for (int d = 0; d < 3; d++)
                    velocity[3 * np + 3 * k + d] = Math.Clamp(action[o + 3 + d], -1, 1) * prims[k].AngularScale[d] / Scene.Substeps;
        }
    }

    /// <summary>Adjoint of <see cref="Velocities"/>: ∂L/∂action from the per-substep velocity adjoint summed over the segment's substeps.</summary>
    public void VelocitiesBackward(ReadOnlySpan<double> action, ReadOnlySpan<double> velocitySumBar, Span<double> actionBar)
    {
        var prims = Scene.Primitives;
        int np = prims.Length;
        for (int k = 0; k < np; k++)
        {
            if (prims[k].ActionDim == 0) continue;
            int o = Scene.ActionOffsets[k];
            for (int d = 0; d < prims[k].ActionDim; d++)
            {
                double a = action[o + d];
                double scale = d < 3 ? prims[k].ActionScale[d] : prims[k].AngularScale[d - 3];
                double bar = d < 3 ? velocitySumBar[3 * k + d] : velocitySumBar[3 * np + 3 * k + d - 3];
                actionBar[o + d] = a < -1 || a > 1 ? 0 : bar * scale / Scene.Substeps;
            }
        }
    }

    /// <summary>
    /// PlasticineLab's normalised incremental IoU of a final state: (IoU − IoU₀)/(IoU_target − IoU₀) clipped to [0, 1],
    /// with IoU the soft IoU of grid masses normalised by their maxima and IoU_target that of the target with itself.
    /// </summary>
    public double NormalisedIou(ReadOnlySpan<double> state)
    {
        var (iou0, iou, self) = IouTerms(state);
        if (!(self > iou0)) return 0;
        return Math.Clamp((iou - iou0) / (self - iou0), 0, 1);
    }

    /// <summary>The soft IoUs behind <see cref="NormalisedIou"/>: of the initial state, of <paramref name="state"/> and of the target with itself.</summary>
    public (double Initial, double Final, double Target) IouTerms(ReadOnlySpan<double> state)
    {
        var e = new Engine(Scene, 1);
        var s0 = new double[StateSize];
        InitialState(s0, new Random(0));
        return (e.Iou(s0, Target), e.Iou(state.ToArray(), Target), Engine.SoftIou(Target.MaxMass, Target.SumSquares, Target.TotalMass, Target));
    }

    public override bool HasFinalStateMetrics => true;

    /// <summary>PlasticineLab's normalised incremental IoU of the final state, success at ≥ <see cref="PlasticineTasks.IouSuccess"/>.</summary>
    public override IReadOnlyList<StateMetric> FinalStateMetrics(ReadOnlySpan<double> finalState)
    {
        double iou = NormalisedIou(finalState);
        return [new StateMetric("iou", iou, $"PlasticineLab's normalised incremental IoU of the final grid mass with the target (success ≥ {PlasticineTasks.IouSuccess})",
            iou >= PlasticineTasks.IouSuccess)];
    }

    public override Frame RenderState(ReadOnlySpan<double> state, ReadOnlySpan<double> action, string? label = null) =>
        MpmRenderer.Render(this, state, label);
}
