using ContactOpt.Tasks;

namespace ContactOpt.Envs.SpringChain;

/// <summary>The <c>chain</c> task: the spring chain on either route (<c>route=kernel</c>, the default, or <c>scalar</c>).</summary>
public static class ChainTask
{
    public static TaskSpec Spec { get; } = new(
        "chain",
        "Damped mass-spring chain on a penalty ground; the driven end's velocity per segment swings the free end to a target.",
        [
            new TaskOption("route", "kernel", "kernel: hand-written kernels and adjoints; scalar: Step<T> on the scalar tape (the reference)", ["kernel", "scalar"]),
            new TaskOption("masses", "8", "number of point masses (2..2000)"),
            new TaskOption("segments", "10", "control segments (1..200); dimension = 2 × segments"),
            new TaskOption("substeps", "20", "semi-implicit Euler substeps per segment (1..1000), dt = 5 ms"),
            new TaskOption("checkpoint", "1", "kernel route: segments between stored states of a recorded episode (others are recomputed)"),
        ],
        Create);

    static TaskInstance Create(TaskOptions o)
    {
        var model = new ChainModel { Masses = o.GetInt("masses", 2, 2000), Segments = o.GetInt("segments", 1, 200), Substeps = o.GetInt("substeps", 1, 1000) };
        int checkpoint = o.GetInt("checkpoint", 1, 200);
        bool kernel = o.GetString("route") == "kernel";
        if (!kernel && checkpoint != 1) throw new ArgumentException("task option checkpoint of 'chain' applies to route=kernel only.");
        Dynamics dyn = kernel ? new ChainDynamics(model, checkpoint) : new ChainScalarDynamics(model);
        return new TaskInstance(
            TaskRegistry.CanonicalName("chain", o, Spec.Options),
            $"Spring chain of {model.Masses} masses (k = {model.Stiffness}, c = {model.Damping}, penalty ground): x = {model.Segments} segments × " +
            $"(vx, vz) of the driven end in [−{model.MaxSpeed}, {model.MaxSpeed}] m/s, {model.Substeps} substeps of {model.Dt * 1000} ms each; " +
            $"loss = squared distance of the free end to ({model.Target.X}, {model.Target.Z}) + {model.ActionWeight}·Σ|a|²; success: loss < 0.01. " +
            "Declared physical parameters: stiffness, damping (view=physical).",
            dyn,
            successThreshold: 0.01);
    }
}
