using ContactOpt.Envs.Analytic;
using ContactOpt.Envs.BoxFinger;
using ContactOpt.Envs.Cloth;
using ContactOpt.Envs.Rigid;
using ContactOpt.Envs.Pendulum;
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
        foreach (var spec in ClothTasks.Specs()) yield return spec;
    }

    /// <summary>A new registry holding every built-in task; add your own with <see cref="TaskRegistry.Add"/>.</summary>
    public static TaskRegistry CreateRegistry() => new(Specs());
}
