using ContactOpt.Envs;
using ContactOpt.Wrappers;

namespace ContactOpt.Tests;

/// <summary>Gymnasium 1.x parity: make with env specs, the standard wrappers, and one info naming.</summary>
public class GymnasiumParityTests
{
    /// <summary>Records the actions it is given; observation = (step, last action...), reward = step.</summary>
    sealed class Recorder(double low, double high, int size = 1) : Env<double[], double[]>
    {
        readonly Box _a = new(low, high, size), _o = new(-100, 100, size + 1);
        int _t;
        public List<double[]> Actions { get; } = new();
        public override Space<double[]> ActionSpace => _a;
        public override Space<double[]> ObservationSpace => _o;
        public override ResetResult<double[]> Reset(int? seed = null, Info? options = null) { ResetRandom(seed); _t = 0; return new(new double[size + 1], new Info()); }
        public override StepResult<double[]> Step(double[] action)
        {
            _a.Validate(action, "action");
            Actions.Add((double[])action.Clone());
            _t++;
            return new([_t, .. action], _t, _t >= 4, false, new Info { ["t"] = _t });
        }
    }

    [Test]
    public void ClipActionClipsToTheWrappedBoxAndDeclaresAnUnboundedSpace()
    {
        var inner = new Recorder(-1, 1, 2);
        using var env = new ClipAction(inner);
        Assert.That(((Box)env.ActionSpace).Contains([1e9, -1e9]), Is.True);
        env.Reset(seed: 0);
        env.Step([5, -0.5]);
        Assert.That(inner.Actions[^1], Is.EqualTo(new[] { 1.0, -0.5 }));
        Assert.Throws<ArgumentException>(() => env.Step([double.NaN, 0]), "NaN is not clipped away");
    }

    [Test]
    public void RescaleActionMapsTheUnitBoxAffinelyOntoTheEnvsBox()
    {
        var inner = new Recorder(0, 4);
        using var env = new RescaleAction(inner);
        Assert.That(((Box)env.ActionSpace).Low, Is.EqualTo(new[] { -1.0 }));
        env.Reset(seed: 0);
        env.Step([-1]); env.Step([0]); env.Step([1]);
        Assert.That(inner.Actions.Select(a => a[0]), Is.EqualTo(new[] { 0.0, 2.0, 4.0 }));
        Assert.That(Assert.Throws<ArgumentException>(() => new RescaleAction(new Recorder(double.NegativeInfinity, 1)))!.Message, Does.Contain("bounded"));
        Assert.That(Assert.Throws<ArgumentException>(() => new RescaleAction(inner, 1, -1))!.Message, Does.Contain("[1, -1]"));
    }

    [Test]
    public void NormalizeObservationTracksTheRunningMeanAndVariance()
    {
        using var env = new NormalizeObservation(new Recorder(-10, 10));
        var seen = new List<double[]>();
        env.Reset(seed: 0); seen.Add([0, 0]);
        var rng = Rng.Create(3);
        var last = default(StepResult<double[]>);
        for (int i = 0; i < 4; i++)
        {
            var a = -10 + 20 * rng.NextDouble();
            last = env.Step([a]);
            seen.Add([i + 1, a]);
        }
        for (int k = 0; k < 2; k++)
        {
            double mean = seen.Average(o => o[k]);
            double var = seen.Average(o => (o[k] - mean) * (o[k] - mean));
            Assert.That(env.Statistics.Mean[k], Is.EqualTo(mean).Within(1e-3 * (1 + Math.Abs(mean))));
            Assert.That(env.Statistics.Var[k], Is.EqualTo(var).Within(1e-3 * (1 + var)));
            Assert.That(last.Observation[k], Is.EqualTo((seen[^1][k] - env.Statistics.Mean[k]) / Math.Sqrt(env.Statistics.Var[k] + 1e-8)).Within(1e-12));
        }
        Assert.That(((Box)env.ObservationSpace).IsBounded, Is.False);
        env.UpdateRunningMean = false;
        var frozen = env.Statistics.Count;
        env.Reset(seed: 1);
        Assert.That(env.Statistics.Count, Is.EqualTo(frozen));
    }

    [Test]
    public void NormalizeRewardDividesByTheStdOfTheDiscountedReturn()
    {
        using var env = new NormalizeReward<double[], double[]>(new Recorder(-1, 1), gamma: 0.5);
        env.Reset(seed: 0);
        double g = 0;
        var returns = new List<double>();
        for (int t = 1; t <= 3; t++) // the recorder terminates at step 4, where Gymnasium restarts the discounted sum
        {
            var r = env.Step([0]);
            g = g * 0.5 + t;
            returns.Add(g);
            Assert.That(r.Reward, Is.EqualTo(t / Math.Sqrt(env.Statistics.Var[0] + 1e-8)).Within(1e-12));
        }
        double mean = returns.Average();
        Assert.That(env.Statistics.Var[0], Is.EqualTo(returns.Average(x => (x - mean) * (x - mean))).Within(1e-3));
    }

    [Test]
    public void TransformObservationAndRewardApplyTheirFunctions()
    {
        using var env = new TransformReward<double[], double[]>(new TransformObservation(new Recorder(-1, 1), o => o.Select(v => 2 * v).ToArray()), r => r - 1);
        env.Reset(seed: 0);
        var s = env.Step([0.25]);
        Assert.That((s.Observation, s.Reward), Is.EqualTo((new[] { 2.0, 0.5 }, 0.0)));
    }

    [Test]
    public void MakeTimeLimitsTheTaskByItsSpec()
    {
        var tasks = BuiltinTasks.CreateRegistry();
        using var env = Gym.Make(tasks, "pendulum", new Dictionary<string, string> { ["g"] = "9.81" });
        Assert.That(env, Is.InstanceOf<TimeLimit<double[], double[]>>());
        Assert.That(env.Spec!.Id, Is.EqualTo("pendulum:g=9.81"));
        Assert.That(env.Spec.MaxEpisodeSteps, Is.EqualTo(200));
        Assert.That(env.Spec.Kwargs, Is.EqualTo(new Dictionary<string, string> { ["g"] = "9.81" }));
        Assert.That(env.Spec.RewardThreshold, Is.EqualTo(-200));
        env.Reset(seed: 0);
        int n = 0; StepResult<double[]> r;
        do { r = env.Step([0]); n++; } while (!r.Done);
        Assert.That((n, r.Truncated, r.Terminated), Is.EqualTo((200, true, false)));

        using var short50 = BuiltinTasks.Make("pendulum", maxEpisodeSteps: 50);
        short50.Reset(seed: 0);
        n = 0;
        do { r = short50.Step([0]); n++; } while (!r.Done);
        Assert.That((n, r.Truncated), Is.EqualTo((50, true)));
        Assert.That(short50.Spec!.MaxEpisodeSteps, Is.EqualTo(50));

        Assert.That(Assert.Throws<ArgumentException>(() => Gym.Make(tasks, "pendulum", maxEpisodeSteps: 500))!.Message, Does.Contain("max_episode_steps 500"));
        Assert.That(Assert.Throws<ArgumentException>(() => Gym.Make(tasks, "pendulum:g=9", new Dictionary<string, string> { ["g"] = "8" }))!.Message, Does.Contain("given both"));
        Assert.That(Assert.Throws<ArgumentException>(() => Gym.Make(tasks, "nosuch"))!.Message, Does.Contain("unknown task 'nosuch'"));
        Assert.That(Gym.Specs(tasks).Select(s => s.Id), Does.Contain("flip").And.Contain("pendulum"));
    }

    [Test]
    public void ResetAndStepNameTheirInfoAlike()
    {
        using var env = BuiltinTasks.Make("flip");
        var reset = env.Reset(seed: 0);
        var step = env.Step([0.35, 0.84]);
        Assert.That(reset.Info, Is.Not.Null);
        Assert.That(step.Info["step"], Is.EqualTo(1));
        var (_, _, _, _, info) = step;
        Assert.That(info, Is.SameAs(step.Info));
    }

    [Test]
    public void VectorEnvHasBatchedSpacesThatItsBatchesLieIn()
    {
        using var venv = new SyncVectorEnv<double[], double[]>([() => BuiltinTasks.Make("pendulum"), () => BuiltinTasks.Make("pendulum"), () => BuiltinTasks.Make("pendulum")]);
        Assert.That(venv.ActionSpace.Shape, Is.EqualTo(new[] { 3, 1 }));
        Assert.That(venv.ObservationSpace.Shape, Is.EqualTo(new[] { 3, 3 }));
        var (obs, _) = venv.Reset(seed: 5);
        Assert.That(venv.ObservationSpace.Contains(obs), Is.True);
        venv.ActionSpace.Seed(1);
        var a = venv.ActionSpace.Sample();
        Assert.That(venv.ActionSpace.Contains(a) && a.All(((Box)venv.SingleActionSpace).Contains), Is.True);
        var r = venv.Step(a);
        Assert.That(venv.ObservationSpace.Contains(r.Observations), Is.True);
        venv.ActionSpace.Seed(1);
        Assert.That(venv.ActionSpace.Sample(), Is.EqualTo(a), "seeded batched sampling is reproducible");
        Assert.That(venv.ActionSpace.Contains([[0.0], [0.0]]), Is.False, "a batch of the wrong size");
    }
}
