using ContactOpt.Budget;
using ContactOpt.Tasks;

namespace ContactOpt.Agents;

/// <summary>
/// Everything an agent gets for one run: the task, the seed, and an episode budget that every evaluation is
/// charged to. Agents obtain their views through <see cref="Objective"/> (parameter view) or
/// <see cref="Env"/> (step view); both charge the same budget, so optimisers and RL agents are counted alike.
/// </summary>
public sealed class AgentContext
{
    public AgentContext(TaskInstance task, int budget, int seed, IEpisodeObserver? observer = null, CancellationToken cancellation = default)
    {
        Task = task ?? throw new ArgumentNullException(nameof(task));
        Seed = seed;
        Budget = new EpisodeBudget(budget, observer);
        Cancellation = cancellation;
    }

    public TaskInstance Task { get; }
    public int Seed { get; }
    public EpisodeBudget Budget { get; }
    public CancellationToken Cancellation { get; }

    /// <summary>A new budget-charging parameter view of the task.</summary>
    public BudgetedObjective Objective() => new(Task.CreateObjective(), Budget);
    /// <summary>
    /// A new budget-charging step view of the task. When the task starts its episodes from random states
    /// (<see cref="HasRandomStart"/>), each finished episode is charged the loss of its actions replayed on the
    /// parameter view (the fixed start every optimiser is scored on), so an agent's best loss is the loss of its
    /// best parameters on the same objective for every agent; an episode whose actions do not fill the parameter
    /// vector (it ended early) keeps −(return).
    /// </summary>
    public BudgetedEnv Env(string? renderMode = null)
    {
        if (!HasRandomStart(Task)) return new BudgetedEnv(Task.CreateEnv(renderMode), Budget);
        var objective = Task.CreateObjective();
        return new BudgetedEnv(Task.CreateEnv(renderMode), Budget,
            actions => actions.Length == objective.Dimension ? objective.Loss(actions) : null);
    }

    /// <summary>True when the task's initial state depends on the generator (episodes of its step view start from random states).</summary>
    public static bool HasRandomStart(TaskInstance task)
    {
        int n = task.Dynamics.StateSize;
        var a = new double[n];
        task.Dynamics.InitialState(a, Rng.Create(0));
        var b = new double[n];
        for (int seed = 1; seed <= 3; seed++)
        {
            task.Dynamics.InitialState(b, Rng.Create(seed));
            if (!a.AsSpan().SequenceEqual(b)) return true;
        }
        return false;
    }

    /// <summary>The run's result so far.</summary>
    public AgentResult Result() => new(Budget.BestLoss, Budget.BestParameters ?? [], Budget.Used, Budget.NonFinite);
}

/// <summary>Outcome of one run: best loss and parameters over all episodes.</summary>
public sealed record AgentResult(double BestLoss, double[] BestParameters, int Episodes, int NonFiniteEpisodes);

/// <summary>
/// An agent that runs on any task within an episode budget. It must be deterministic given
/// <see cref="AgentContext.Seed"/>, draw no unseeded randomness, and stop when the budget is used up
/// (a further evaluation throws <see cref="BudgetExhaustedException"/>, which the runner treats as the end).
/// </summary>
public interface IAgent
{
    string Name { get; }
    void Run(AgentContext context);
}

/// <summary>Runs an agent and returns its result; the budget running out ends the run normally.</summary>
public static class AgentRunner
{
    public static AgentResult Run(IAgent agent, AgentContext context)
    {
        try { agent.Run(context); }
        catch (BudgetExhaustedException) { }
        return context.Result();
    }
}
