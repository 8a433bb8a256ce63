using ContactOpt.Wrappers;

namespace ContactOpt.Budget;

/// <summary>
/// Charges one episode of an <see cref="EpisodeBudget"/> each time an episode of the step view ends, so RL
/// agents are counted exactly like optimisers. The episode's loss is −(return), or +∞ when the simulation
/// diverged (<c>info["diverged"]</c>); its parameters are the actions taken, concatenated. Resetting when
/// the budget is used up throws <see cref="BudgetExhaustedException"/>.
/// With a <c>score</c> function, a finished episode that did not diverge is charged <c>score(actions)</c> instead
/// of −(return) (unless it returns null): for tasks whose episodes start from random states, this scores the actions on the parameter
/// view's fixed start, the objective every optimiser is scored on (see <c>AgentContext.Env</c>). The agent's
/// rewards are never changed.
/// </summary>
public sealed class BudgetedEnv : Wrapper<double[], double[]>
{
    readonly EpisodeBudget _budget;
    readonly List<double> _actions = new();
    double _return;
    bool _inEpisode;

    readonly Func<double[], double?>? _score;

    public BudgetedEnv(Env<double[], double[]> env, EpisodeBudget budget, Func<double[], double?>? score = null) : base(env)
    {
        _budget = budget; _score = score;
    }

    public EpisodeBudget Budget => _budget;

    public override ResetResult<double[]> Reset(int? seed = null, Info? options = null)
    {
        _budget.EnsureAvailable();
        _actions.Clear(); _return = 0; _inEpisode = true;
        return Env.Reset(seed, options);
    }

    public override StepResult<double[]> Step(double[] action)
    {
        if (!_inEpisode) throw new InvalidOperationException("Step called before Reset or after the episode ended; call Reset first.");
        var r = Env.Step(action);
        _actions.AddRange(action);
        _return += r.Reward;
        if (r.Done)
        {
            _inEpisode = false;
            bool diverged = r.Info.TryGetValue("diverged", out var d) && d is true;
            var actions = _actions.ToArray();
            double loss = diverged ? double.PositiveInfinity : _score?.Invoke(actions) ?? -_return;
            _budget.Record(actions, loss, gradient: false);
        }
        return r;
    }
}
