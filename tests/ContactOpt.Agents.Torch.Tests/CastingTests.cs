using ContactOpt.Budget;
using ContactOpt.Envs;
using ContactOpt.Tasks;

namespace ContactOpt.Agents.Torch.Tests;

/// <summary>
/// Open-loop tasks cast as RL episodes: one step per control segment (flip and grasp: one step whose action is
/// the setpoint), reward = −cost, return = −loss; every finished episode is charged to the run's budget.
/// </summary>
public class CastingTests
{
    static readonly TaskRegistry Tasks = BuiltinTasks.CreateRegistry();
    static readonly AgentRegistry Agents = new(TorchAgents.Specs());

    [SetUp] public void OneThread() => TorchSharp.torch.set_num_threads(1);

    sealed class Recorder : IEpisodeObserver
    {
        public readonly List<EpisodeRecord> Records = new();
        public void OnEpisode(in EpisodeRecord record) => Records.Add(record);
    }

    [Test]
    public void UnboundedSetpointsAreScaledToTheSamplingBox()
    {
        var flip = ActionScaling.For(Tasks.Create("flip"));
        Assert.That((flip.Low, flip.High), Is.EqualTo((new[] { -0.5, 0.0 }, new[] { 0.5, 1.0 })));
        Assert.That(flip.ToEnv([-1.0, 1.0]), Is.EqualTo(new[] { -0.5, 1.0 }));
        Assert.That(flip.ToEnv([0.0, 0.0]), Is.EqualTo(new[] { 0.0, 0.5 }));
        Assert.That(flip.ToEnv([7.0, -3.0]), Is.EqualTo(new[] { 0.5, 0.0 }), "clipped to [−1, 1] first");
        var pendulum = ActionScaling.For(Tasks.Create("pendulum"));
        Assert.That((pendulum.Low, pendulum.High), Is.EqualTo((new[] { -2.0 }, new[] { 2.0 })));
        var ex = Assert.Throws<ArgumentException>(() => ActionScaling.For(new Box(double.NegativeInfinity, double.PositiveInfinity, 2)));
        Assert.That(ex!.Message, Does.Contain("unbounded"));
    }

    [TestCase("sac", "flip", "net_arch=32,32;learning_starts=10;batch_size=16", 40, 2)]
    [TestCase("ppo", "grasp", "n_steps=8;batch_size=4", 20, 4)]
    [TestCase("ppo", "pendulum", "n_steps=128;batch_size=32", 3, 200)]
    // The rigid tasks of issue 17: one control step per env step (cart-poles: 100 steps × the action size).
    [TestCase("ppo", "cartpole", "n_steps=64;batch_size=16", 3, 200)]
    [TestCase("sac", "cartpole3", "net_arch=32,32;learning_starts=50;batch_size=16;train_freq=100", 2, 400)]
    [TestCase("sac", "pinball16", "net_arch=32,32;learning_starts=4;batch_size=4", 6, 16)]
    [TestCase("ppo", "bounce", "n_steps=8;batch_size=4", 10, 3)]
    public void AgentsSpendExactlyTheEpisodeBudget(string agentName, string taskName, string settings, int budget, int parametersPerEpisode)
    {
        var task = Tasks.Create(taskName);
        var recorder = new Recorder();
        var ctx = new AgentContext(task, budget, seed: 1, recorder);
        var agent = (ILearningAgent)Agents.Create(agentName, settings.Split(';').Select(s => s.Split('=')).ToDictionary(p => p[0], p => p[1]));
        var result = AgentRunner.Run(agent, ctx);
        Assert.That(result.Episodes, Is.EqualTo(budget));
        Assert.That(recorder.Records, Has.Count.EqualTo(budget));
        Assert.That(recorder.Records.All(r => r.Parameters.Length == parametersPerEpisode), "one action per control segment");
        Assert.That(double.IsFinite(result.BestLoss));
        var scaling = ActionScaling.For(task);
        foreach (var r in recorder.Records)
            for (int i = 0; i < r.Parameters.Length; i++)
                Assert.That(r.Parameters[i], Is.InRange(scaling.Low[i % scaling.Size], scaling.High[i % scaling.Size]));
        // The reported loss of an episode is −(its return) and is reproduced by the parameter view.
        var objective = task.CreateObjective();
        if (taskName != "pendulum")
            Assert.That(recorder.Records[^1].Loss, Is.EqualTo(objective.Loss(recorder.Records[^1].Parameters)).Within(1e-9));
        Assert.That(agent.IsReady);
        Assert.That(agent.Act(task.CreateEnv().Reset(seed: 0).Observation).Length, Is.EqualTo(task.Dynamics.ActionSize));
    }

    /// <summary>
    /// 300 one-step flip episodes: the last 50 are much better than the first 100. Settings for short budgets:
    /// SAC with α₀ = 0.1 (with SB3's α₀ = 1 the entropy term dominates rewards of size ~1 for thousands of
    /// steps), PPO with 64-step rollouts (SB3's 2048 would not update once in 300 episodes).
    /// </summary>
    [TestCase("sac", "ent_coef=auto_0.1;net_arch=64,64;batch_size=64")]
    [TestCase("ppo", "n_steps=64;batch_size=16")]
    public void AgentsImproveOnFlipWithinTheBudget(string agentName, string settings)
    {
        var recorder = new Recorder();
        var ctx = new AgentContext(Tasks.Create("flip"), 300, seed: 0, recorder);
        AgentRunner.Run(Agents.Create(agentName, settings.Split(';').Select(s => s.Split('=')).ToDictionary(p => p[0], p => p[1])), ctx);
        double early = recorder.Records.Take(100).Average(r => r.Loss);
        double late = recorder.Records.Skip(250).Average(r => r.Loss);
        Assert.That(late, Is.LessThan(0.5 * early), $"mean loss of episodes 1–100: {early:F3}, 251–300: {late:F3}");
        Assert.That(ctx.Result().BestLoss, Is.LessThan(0.1), "flip's success threshold");
    }
}
