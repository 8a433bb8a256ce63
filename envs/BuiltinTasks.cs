using ContactOpt.Envs.BoxFinger;
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
        yield return PendulumDynamics.Spec;
    }

    /// <summary>A new registry holding every built-in task; add your own with <see cref="TaskRegistry.Add"/>.</summary>
    public static TaskRegistry CreateRegistry() => new(Specs());
}
