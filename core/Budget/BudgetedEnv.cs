using ContactOpt.Wrappers;

namespace ContactOpt.Budget;

/// <summary>
/// Charges one episode of an <see cref="EpisodeBudget"/> each time an episode of the step view ends, so RL
/// agents are counted exactly like optimisers. The episode's loss is −(return), or +∞ when the simulation
/// diverged (<c>info["diverged"]</c>); its parameters are the actions taken, concatenated. Resetting when
/// the budget is used up throws <see cref="BudgetExhaustedException"/>.
/// </summary>
public sealed class BudgetedEnv : Wrapper<double[], double[]>
{
    readonly EpisodeBudget _budget;
    readonly List<double> _actions = new();
    double _return;
    bool _inEpisode;

    public BudgetedEnv(Env<double[], double[]> env, EpisodeBudget budget) : base(env) { _budget = budget; }

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
            bool diverged = r.Information.TryGetValue("diverged", out var d) && d is true;
            _budget.Record(_actions.ToArray(), diverged ? double.PositiveInfinity : -_return, gradient: false);
        }
        return r;
    }
}
