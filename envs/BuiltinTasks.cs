using ContactOpt.Envs.Analytic;
using ContactOpt.Envs.BoxFinger;
using ContactOpt.Envs.Mpm;
using ContactOpt.Envs.Cloth;
using ContactOpt.Envs.Rigid;
using ContactOpt.Envs.Pendulum;
using ContactOpt.Envs.SpringChain;
using ContactOpt.Tasks;

namespace ContactOpt.Envs;

/// <summary>The tasks that ship with ContactOpt.</summary>
public static class BuiltinTasks
{
    public static IEnumerable<TaskSpec> Specs()
    {
        yield return FlipDynamics.Spec;
        yield return GraspDynamics.Spec;
        yield return CartPoleTasks.OneLink;
        yield return CartPoleTasks.ThreeLink;
        yield return PinballTasks.OneByTwo;
        yield return PinballTasks.FourByFour;
        yield return BounceTasks.Spec;
        foreach (var spec in AnalyticTasks.Specs()) yield return spec;
        yield return PendulumDynamics.Spec;
        yield return ChainTask.Spec;
        foreach (var spec in PlasticineTasks.Specs()) yield return spec;
        yield return FluidTasks.Spec;
        foreach (var spec in ClothTasks.Specs()) yield return spec;
    }

    /// <summary>A new registry holding every built-in task; add your own with <see cref="TaskRegistry.Add"/>.</summary>
    public static TaskRegistry CreateRegistry() => new(Specs());

    /// <summary>Gymnasium's <c>make</c> over the built-in tasks (see <see cref="Gym.Make"/>): e.g. <c>BuiltinTasks.Make("pendulum")</c>.</summary>
    public static Env<double[], double[]> Make(string id, IReadOnlyDictionary<string, string>? options = null, int? maxEpisodeSteps = null, string? renderMode = null) =>
        Gym.Make(CreateRegistry(), id, options, maxEpisodeSteps, renderMode);
}
