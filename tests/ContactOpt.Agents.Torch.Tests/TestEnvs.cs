namespace ContactOpt.Agents.Torch.Tests;

/// <summary>
/// SB3's IdentityEnvBox: the observation is a random target x ~ U[−1, 1]; reward 1 when the action is within
/// <c>eps</c> of it, else 0; a new target every step; truncated after <c>length</c> steps.
/// </summary>
public sealed class IdentityBoxEnv(double eps = 0.5, int length = 100) : Env<double[], double[]>
{
    readonly Box _action = new(-1, 1, 1), _obs = new(-1, 1, 1);
    double _target; int _t;

    public override Space<double[]> ActionSpace => _action;
    public override Space<double[]> ObservationSpace => _obs;

    public override ResetResult<double[]> Reset(int? seed = null, Info? options = null)
    {
        ResetRandom(seed);
        _t = 0; _target = 2 * NpRandom.NextDouble() - 1;
        return new([_target], new Info());
    }

    public override StepResult<double[]> Step(double[] action)
    {
        _action.Validate(action, "action");
        double r = Math.Abs(action[0] - _target) <= eps ? 1.0 : 0.0;
        _t++;
        _target = 2 * NpRandom.NextDouble() - 1;
        return new([_target], r, false, _t >= length, new Info());
    }
}

/// <summary>A deterministic chain: observation (t/10), reward <c>rewards[t]</c>; terminates after <c>terminateAt</c> steps (0: never).</summary>
public sealed class ChainEnv(double[] rewards, int terminateAt) : Env<double[], double[]>
{
    readonly Box _action = new(-1, 1, 1), _obs = new(0, 100, 1);
    int _t;

    public override Space<double[]> ActionSpace => _action;
    public override Space<double[]> ObservationSpace => _obs;

    public override ResetResult<double[]> Reset(int? seed = null, Info? options = null)
    {
        ResetRandom(seed);
        _t = 0;
        return new([0.0], new Info());
    }

    public override StepResult<double[]> Step(double[] action)
    {
        double r = rewards[_t % rewards.Length];
        _t++;
        return new([_t / 10.0], r, terminateAt > 0 && _t >= terminateAt, false, new Info());
    }
}
