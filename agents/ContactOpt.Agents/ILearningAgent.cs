using ContactOpt.Budget;
using ContactOpt.Tasks;
using ContactOpt.Wrappers;

namespace ContactOpt.Agents;

/// <summary>
/// An agent that learns a policy. <see cref="IAgent.Run"/> trains it from scratch on the step view
/// <c>context.Env()</c> until the episode budget is used up (every finished episode is charged and reported, exactly like an optimiser's
/// evaluations); afterwards the policy can act, be saved and be loaded. Training is deterministic given
/// <see cref="AgentContext.Seed"/> (on one thread).
/// </summary>
public interface ILearningAgent : IAgent
{
    /// <summary>True once the agent has been trained or loaded.</summary>
    bool IsReady { get; }
    /// <summary>
    /// The policy's action for <paramref name="observation"/>, in the environment's units (the policy's [−1, 1]
    /// rescaled by <see cref="ActionScaling"/>). <paramref name="deterministic"/>: the mean action, no noise.
    /// </summary>
    double[] Act(double[] observation, bool deterministic = true);
    /// <summary>Writes the policy, its sizes and its action scaling to one file.</summary>
    void Save(string path);
    /// <summary>Reads a file written by <see cref="Save"/> of the same agent type.</summary>
    void Load(string path);
}

/// <summary>
/// Maps a policy's actions in [−1, 1]ⁿ to an environment's action box, coordinate by coordinate:
/// a = low + (u + 1)/2 · (high − low). Bounded coordinates use the action space's bounds; unbounded ones
/// (flip and grasp are unconstrained) use the task's <see cref="Dynamics.ActionSamplingBox"/>, so an RL policy
/// explores the same box that random search and CMA-ES sample from.
/// </summary>
public sealed class ActionScaling
{
    readonly double[] _low, _high;

    public ActionScaling(double[] low, double[] high)
    {
        ArgumentNullException.ThrowIfNull(low);
        ArgumentNullException.ThrowIfNull(high);
        if (low.Length != high.Length || low.Length == 0)
            throw new ArgumentException($"action scaling needs bounds of equal, non-zero length (got {low.Length} and {high.Length}).");
        for (int i = 0; i < low.Length; i++)
            if (!double.IsFinite(low[i]) || !double.IsFinite(high[i]) || !(high[i] > low[i]))
                throw new ArgumentException($"action scaling bound {i} is [{low[i]}, {high[i]}]; it must be finite with low < high.");
        _low = (double[])low.Clone(); _high = (double[])high.Clone();
    }

    public int Size => _low.Length;
    public double[] Low => (double[])_low.Clone();
    public double[] High => (double[])_high.Clone();

    /// <summary>
    /// Scaling for <paramref name="actionSpace"/>; coordinates it leaves unbounded take their range from
    /// <paramref name="fallback"/> (e.g. <see cref="Dynamics.ActionSamplingBox"/>).
    /// </summary>
    public static ActionScaling For(Box actionSpace, Box? fallback = null)
    {
        ArgumentNullException.ThrowIfNull(actionSpace);
        if (fallback is not null && fallback.Size != actionSpace.Size)
            throw new ArgumentException($"the fallback box has {fallback.Size} dimensions, the action space {actionSpace.Size}.");
        var low = new double[actionSpace.Size];
        var high = new double[actionSpace.Size];
        for (int i = 0; i < low.Length; i++)
        {
            double lo = actionSpace.LowAt(i), hi = actionSpace.HighAt(i);
            if (double.IsFinite(lo) && double.IsFinite(hi)) { low[i] = lo; high[i] = hi; continue; }
            if (fallback is null)
                throw new ArgumentException($"action coordinate {i} is unbounded ([{lo}, {hi}]) and no sampling box was given to scale the policy's [−1, 1] to.");
            low[i] = double.IsFinite(lo) ? Math.Max(lo, fallback.LowAt(i)) : fallback.LowAt(i);
            high[i] = double.IsFinite(hi) ? Math.Min(hi, fallback.HighAt(i)) : fallback.HighAt(i);
        }
        return new ActionScaling(low, high);
    }

    /// <summary>
    /// Scaling derived from an environment (SB3 reads the action space the same way): the bounds of
    /// <paramref name="env"/>'s Box action space; coordinates it leaves unbounded take the task's sampling box when the
    /// innermost env is a task's step view (<see cref="DifferentiableEnv"/>) with actions of the same size.
    /// </summary>
    /// <exception cref="ArgumentException">The action space is not a Box, or a coordinate is unbounded with no sampling box to fall back on.</exception>
    public static ActionScaling For(Env<double[], double[]> env)
    {
        ArgumentNullException.ThrowIfNull(env);
        if (env.ActionSpace is not Box box) throw new ArgumentException($"the action space is a {env.ActionSpace.GetType().Name}; scaling needs a Box.");
        var fallback = env.Unwrapped is DifferentiableEnv d && d.Dynamics.ActionSamplingBox.Size == box.Size ? d.Dynamics.ActionSamplingBox : null;
        return For(box, fallback);
    }

    /// <summary>Scaling for a task's step view: its action bounds, or its sampling box where they are infinite.</summary>
    public static ActionScaling For(TaskInstance task) => For(task.Dynamics.ActionBounds, task.Dynamics.ActionSamplingBox);

    /// <summary>Environment action from a policy action; <paramref name="unit"/> is clipped to [−1, 1] first.</summary>
    public void ToEnv(ReadOnlySpan<double> unit, Span<double> action)
    {
        if (unit.Length != Size || action.Length != Size) throw new ArgumentException($"expected {Size} action values.");
        for (int i = 0; i < Size; i++)
        {
            double u = Math.Clamp(unit[i], -1.0, 1.0);
            action[i] = Math.Clamp(_low[i] + 0.5 * (u + 1.0) * (_high[i] - _low[i]), _low[i], _high[i]);
        }
    }

    public double[] ToEnv(ReadOnlySpan<double> unit) { var a = new double[Size]; ToEnv(unit, a); return a; }

    /// <summary>Policy action in [−1, 1] for an environment action (clipped to the box).</summary>
    public void ToUnit(ReadOnlySpan<double> action, Span<double> unit)
    {
        if (unit.Length != Size || action.Length != Size) throw new ArgumentException($"expected {Size} action values.");
        for (int i = 0; i < Size; i++) unit[i] = Math.Clamp(2.0 * (action[i] - _low[i]) / (_high[i] - _low[i]) - 1.0, -1.0, 1.0);
    }
}

/// <summary>Helpers for agents that train on the step view.</summary>
public static class StepViewExtensions
{
    /// <summary>
    /// The episode budget charged by <paramref name="env"/> or one of the environments it wraps, or null.
    /// A learning agent stops before a reset when it is exhausted, instead of relying on the exception.
    /// </summary>
    public static EpisodeBudget? FindBudget<TObs, TAction>(this Env<TObs, TAction> env)
    {
        for (var e = env; e is not null;)
        {
            if (e is BudgetedEnv b) return b.Budget;
            e = e is Wrapper<TObs, TAction> w ? w.Env : null;
        }
        return null;
    }
}

/// <summary>Evaluation of a trained agent on the step view.</summary>
public static class LearningAgentEvaluation
{
    /// <summary>
    /// Mean return of the agent's deterministic policy over <paramref name="episodes"/> episodes; the first reset
    /// uses <paramref name="seed"/>, later ones continue the env's generator.
    /// </summary>
    public static double MeanReturn(this ILearningAgent agent, Env<double[], double[]> env, int episodes, int seed)
    {
        if (episodes < 1) throw new ArgumentOutOfRangeException(nameof(episodes), episodes, "need at least one episode.");
        double total = 0;
        for (int e = 0; e < episodes; e++)
        {
            var obs = env.Reset(e == 0 ? seed : null).Observation;
            while (true)
            {
                var s = env.Step(agent.Act(obs));
                total += s.Reward;
                obs = s.Observation;
                if (s.Done) break;
            }
        }
        return total / episodes;
    }
}
