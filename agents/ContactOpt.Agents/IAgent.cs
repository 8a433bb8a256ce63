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
    /// <summary>A new budget-charging step view of the task.</summary>
    public BudgetedEnv Env(string? renderMode = null) => new(Task.CreateEnv(renderMode), Budget);

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
