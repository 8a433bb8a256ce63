using ContactOpt.Budget;
using ContactOpt.Envs;
using ContactOpt.Tasks;
using ContactOpt.Wrappers;

namespace ContactOpt.Agents.Torch.Tests;

/// <summary>Vectorised PPO (SB3's n_envs), training callbacks, progress output and action scaling derived from the env.</summary>
public class VectorPpoAndCallbackTests
{
    static readonly TaskRegistry Tasks = BuiltinTasks.CreateRegistry();
    static readonly AgentRegistry Agents = new(TorchAgents.Specs());
    [SetUp] public void OneThread() => TorchSharp.torch.set_num_threads(1);

    static readonly double[][] Probes = [[-0.9], [-0.3], [0.0], [0.4], [0.8]];

    static (double[] Returns, double[] Actions, long Steps) TrainVector(int seed, int nEnvs)
    {
        using var agent = new Ppo(new PpoOptions { NSteps = 64, NEnvs = nEnvs, BatchSize = 64, NEpochs = 2 });
        agent.Learn(() => new IdentityBoxEnv(length: 50), seed, totalSteps: 64 * nEnvs * 2);
        return (agent.Episodes.Select(e => e.Return).ToArray(), Probes.Select(o => agent.Act(o)[0]).ToArray(), agent.Steps);
    }

    [Test]
    public void VectorisedPpoIsDeterministicForASeedAndCountsAllSubEnvSteps()
    {
        var a = TrainVector(3, nEnvs: 3); var b = TrainVector(3, nEnvs: 3); var c = TrainVector(4, nEnvs: 3);
        Assert.That(a.Steps, Is.EqualTo(64 * 3 * 2), "two rollouts of n_steps × n_envs");
        Assert.That(a.Returns, Has.Length.EqualTo(3 * (2 * 64 / 50)), "each sub-env finished two 50-step episodes");
        Assert.That(b.Returns, Is.EqualTo(a.Returns));
        Assert.That(b.Actions, Is.EqualTo(a.Actions), "bit-identical policy");
        Assert.That(c.Actions, Is.Not.EqualTo(a.Actions));
        var one = TrainVector(3, nEnvs: 1);
        Assert.That(one.Actions, Is.Not.EqualTo(a.Actions), "three sub-envs train differently from one");
    }

    [Test]
    public void VectorisedPpoIsIdenticalOnTwoThreads()
    {
        var results = new double[2][];
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() => { TorchSharp.torch.set_num_threads(1); results[i] = TrainVector(5, 2).Actions; })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        Assert.That(results[1], Is.EqualTo(results[0]));
        Assert.That(TrainVector(5, 2).Actions, Is.EqualTo(results[0]));
    }

    /// <summary>Records the seeds its resets get.</summary>
    sealed class SeedLog(List<int?> seeds, Env<double[], double[]> inner) : Wrapper<double[], double[]>(inner)
    {
        public override ResetResult<double[]> Reset(int? seed = null, Info? options = null) { seeds.Add(seed); return Env.Reset(seed, options); }
    }

    [Test]
    public void RolloutsFollowSb3LayoutSeedsAndPerEnvBootstrapping()
    {
        // Two sub-envs: one truncated by a time limit after 3 steps, one terminating after 5; rewards 1, 2, 3, ...
        const double gamma = 0.9;
        var seeds = new List<int?>();
        int made = 0;
        Env<double[], double[]> Make() => made++ == 0
            ? new SeedLog(seeds, new TimeLimit<double[], double[]>(new ChainEnv([1, 2, 3, 4, 5], terminateAt: 0), 3))
            : new SeedLog(seeds, new ChainEnv([1, 2, 3, 4, 5], terminateAt: 5));
        var agent = new Ppo(new PpoOptions { NSteps = 4, NEnvs = 2, BatchSize = 4, Gamma = gamma });
        PpoRollout? seen = null;
        double vFinal = double.NaN, vLast1 = double.NaN;
        agent.RolloutCollected = ro => { seen ??= ro; vFinal = agent.ValueOf([0.3]); vLast1 = agent.ValueOf([0.4]); };
        agent.Learn(Make, seed: 10, totalSteps: 8);
        var ro = seen!;
        Assert.That(seeds.Take(2), Is.EqualTo(new int?[] { 10, 11 }), "sub-env i's first reset gets seed + i");
        Assert.That(seeds.Skip(2), Is.EqualTo(new int?[] { null }), "later resets continue the generator");
        Assert.That(ro.NumEnvs, Is.EqualTo(2));
        Assert.That(ro.Observations.Select(o => o[0]), Is.EqualTo(new[] { 0, 0.1, 0.2, 0, 0, 0.1, 0.2, 0.3 }).Within(1e-7), "env 0's steps, then env 1's");
        Assert.That(ro.EpisodeStarts, Is.EqualTo(new[] { true, false, false, true, true, false, false, false }));
        Assert.That(ro.Rewards.Take(4), Is.EqualTo(new[] { 1, 2, 3 + gamma * vFinal, 1 }).Within(1e-5), "the truncation bootstraps from the final observation");
        Assert.That(ro.Rewards.Skip(4), Is.EqualTo(new[] { 1.0, 2, 3, 4 }).Within(1e-12));
        Assert.That(ro.LastDones, Is.EqualTo(new[] { false, false }));
        Assert.That(ro.LastValues[1], Is.EqualTo(vLast1).Within(1e-6), "env 1 bootstraps from V(its next observation)");
        Assert.That(ro.LastValue, Is.EqualTo(ro.LastValues[^1]));
        // Advantages are per sub-env: env 1's last step is bootstrapped by its own value, not env 0's.
        var adv = new double[4]; var ret = new double[4];
        Ppo.ComputeGae(ro.Rewards.AsSpan(4, 4), ro.Values.AsSpan(4, 4), ro.EpisodeStarts.AsSpan(4, 4), ro.LastValues[1], false, gamma, 0.95, adv, ret);
        Assert.That(ro.Advantages.Skip(4), Is.EqualTo(adv).Within(1e-12));
    }

    [Test]
    public void VectorisedPpoLearnsIdentityBox()
    {
        var agent = new Ppo(new PpoOptions { NSteps = 128, NEnvs = 4, Gamma = 0.5, LearningRate = 1e-3 });
        agent.Learn(() => new IdentityBoxEnv(eps: 0.2), seed: 0, totalSteps: 8192);
        double mean = agent.MeanReturn(new IdentityBoxEnv(eps: 0.2), 20, seed: 100);
        Assert.That(mean, Is.GreaterThanOrEqualTo(90), $"mean return after {agent.Steps} steps");
    }

    [TestCase("grasp", 20, 4, 20)]
    [TestCase("pendulum", 7, 3, 5)]
    public void SubEnvsSharingABudgetNeverOverspendIt(string taskName, int budget, int nEnvs, int atLeast)
    {
        var ctx = new AgentContext(Tasks.Create(taskName), budget, seed: 1);
        var agent = (Ppo)Agents.Create("ppo", new Dictionary<string, string> { ["n_envs"] = nEnvs.ToString(), ["n_steps"] = "8", ["batch_size"] = "8" });
        var result = AgentRunner.Run(agent, ctx);
        Assert.That(result.Episodes, Is.InRange(atLeast, budget), "at most n_envs − 1 episodes are left when a sub-env cannot start one");
        Assert.That(agent.Episodes, Has.Count.EqualTo(result.Episodes));
    }

    [Test]
    public void BadVectorSettingsAreRefusedWithTheirNames()
    {
        var e = Assert.Throws<ArgumentException>(() => Agents.Create("ppo", new Dictionary<string, string> { ["n_envs"] = "0" }));
        Assert.That(e!.Message, Does.Contain("n_envs"));
        e = Assert.Throws<ArgumentException>(() => new Ppo(new PpoOptions { NSteps = 8, NEnvs = 2, BatchSize = 32 }));
        Assert.That(e!.Message, Does.Contain("n_steps × n_envs = 16"));
        var agent = new Ppo(new PpoOptions { NSteps = 8, NEnvs = 2, BatchSize = 8 });
        e = Assert.Throws<ArgumentException>(() => agent.Learn(new IdentityBoxEnv(), seed: 0, totalSteps: 16));
        Assert.That(e!.Message, Does.Contain("n_envs = 2").And.Contain("factory"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Ppo(new PpoOptions { NSteps = 8, BatchSize = 8 }).Learn(new IdentityBoxEnv(), seed: 0, totalSteps: 0));
        e = Assert.Throws<ArgumentException>(() => new Sac().Learn(new IdentityBoxEnv(), new ActionScaling([-1.0, -1], [1.0, 1]), seed: 0, totalSteps: 10));
        Assert.That(e!.Message, Does.Contain("2 dimensions"));
    }

    [Test]
    public void ActionScalingIsDerivedFromTheEnv()
    {
        var pendulum = ActionScaling.For(BuiltinTasks.Make("pendulum"));
        Assert.That((pendulum.Low, pendulum.High), Is.EqualTo((new[] { -2.0 }, new[] { 2.0 })));
        var flip = ActionScaling.For(new TimeLimit<double[], double[]>(Tasks.Create("flip").CreateEnv(), 1));
        Assert.That((flip.Low, flip.High), Is.EqualTo((new[] { -0.5, 0.0 }, new[] { 0.5, 1.0 })), "unbounded: the task's sampling box");
        var rescaled = ActionScaling.For(new RescaleAction(BuiltinTasks.Make("pendulum"), -1, 1));
        Assert.That((rescaled.Low, rescaled.High), Is.EqualTo((new[] { -1.0 }, new[] { 1.0 })), "the outer action space counts");
        var e = Assert.Throws<ArgumentException>(() => ActionScaling.For(new ClipAction(new IdentityBoxEnv())));
        Assert.That(e!.Message, Does.Contain("unbounded"));
        // Training with the derived scaling is training with the same scaling given by hand.
        var a = new Ppo(new PpoOptions { NSteps = 64, BatchSize = 32, NEpochs = 1 });
        a.Learn(BuiltinTasks.Make("pendulum"), seed: 2, totalSteps: 64);
        var b = new Ppo(new PpoOptions { NSteps = 64, BatchSize = 32, NEpochs = 1 });
        b.Learn(BuiltinTasks.Make("pendulum"), new ActionScaling([-2.0], [2.0]), seed: 2, totalSteps: 64);
        Assert.That(a.Act([1.0, 0.0, 0.3]), Is.EqualTo(b.Act([1.0, 0.0, 0.3])));
    }

    [Test]
    public void CheckpointsAreWrittenEveryNStepsAndLoad()
    {
        var dir = TempDir();
        try
        {
            var agent = new Ppo(new PpoOptions { NSteps = 64, NEnvs = 2, BatchSize = 64, NEpochs = 1 });
            var checkpoints = new CheckpointCallback(100, dir, "pend");
            agent.Learn(() => BuiltinTasks.Make("pendulum"), seed: 0, totalSteps: 256, callback: checkpoints);
            // Steps advance by 2 (n_envs): 100 is first reached at step 100, then 200.
            Assert.That(checkpoints.Saved.Select(Path.GetFileName), Is.EqualTo(new[] { "pend_100_steps.bin", "pend_200_steps.bin" }));
            var loaded = new Ppo();
            loaded.Load(checkpoints.Saved[1]);
            Assert.That(loaded.Options.NEnvs, Is.EqualTo(2), "the options travel with the file");
            Assert.That(loaded.Act([1.0, 0.0, 0.0]), Has.Length.EqualTo(1));
            Assert.Throws<ArgumentOutOfRangeException>(() => new CheckpointCallback(0, dir));
            Assert.Throws<ArgumentException>(() => new CheckpointCallback(10, dir, "a/b"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void EvalCallbackSavesTheBestModelAndCanStopTraining()
    {
        var dir = TempDir();
        try
        {
            var agent = new Sac(new SacOptions { NetArch = "32", BatchSize = 32, LearningStarts = 20 });
            using var evalEnv = new IdentityBoxEnv(length: 20);
            var eval = new EvalCallback(evalEnv, evalFrequency: 40, episodes: 3, bestModelFolder: dir, seed: 5);
            agent.Learn(new IdentityBoxEnv(length: 20), seed: 1, totalSteps: 200, callback: eval);
            Assert.That(eval.Evaluations.Select(e => e.Timesteps), Is.EqualTo(new long[] { 40, 80, 120, 160, 200 }));
            Assert.That(eval.BestMeanReturn, Is.EqualTo(eval.Evaluations.Max(e => e.MeanReturn)));
            Assert.That(eval.Evaluations.All(e => e.MeanLength == 20));
            // The saved best model gives the best evaluation's return again on the same starts.
            var best = new Sac();
            best.Load(eval.BestModelPath!);
            using var again = new IdentityBoxEnv(length: 20);
            Assert.That(best.MeanReturn(again, 3, seed: 5), Is.EqualTo(eval.BestMeanReturn).Within(1e-9));

            // A reward threshold reached at the first evaluation stops training there (SB3's StopTrainingOnRewardThreshold).
            var stopper = new StopTrainingOnRewardThreshold(0.0);
            var ppo = new Ppo(new PpoOptions { NSteps = 32, BatchSize = 32, NEpochs = 1 });
            ppo.Learn(new IdentityBoxEnv(length: 20), seed: 0, totalSteps: 1000,
                callback: new EvalCallback(new IdentityBoxEnv(length: 20), 50, episodes: 1, callbackOnNewBest: stopper));
            Assert.That(ppo.Steps, Is.EqualTo(50));
            Assert.That(stopper.LastMeanReturn, Is.GreaterThanOrEqualTo(0));
            Assert.Throws<ArgumentOutOfRangeException>(() => new StopTrainingOnRewardThreshold(double.NaN));
            Assert.Throws<ArgumentOutOfRangeException>(() => new EvalCallback(evalEnv, 10, episodes: 0));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    sealed class StopAt(long steps) : TrainingCallback
    {
        public int Starts, Ends, Rollouts;
        public override void OnTrainingStart(TrainingState s) => Starts++;
        public override bool OnStep(TrainingState s) => s.NumTimesteps < steps;
        public override void OnRolloutEnd(TrainingState s) => Rollouts++;
        public override void OnTrainingEnd(TrainingState s) => Ends++;
    }

    [Test]
    public void ACallbackStopsTrainingAtItsStepAndHooksRunOnce()
    {
        var sac = new Sac(new SacOptions { NetArch = "16", BatchSize = 16, LearningStarts = 10 });
        var stop = new StopAt(37);
        sac.Learn(new IdentityBoxEnv(length: 10), seed: 0, totalSteps: 1000, callback: stop);
        Assert.That(sac.Steps, Is.EqualTo(37));
        Assert.That((stop.Starts, stop.Ends, stop.Rollouts), Is.EqualTo((1, 1, 36)), "SAC collects train_freq = 1 step per rollout");
        var ppo = new Ppo(new PpoOptions { NSteps = 16, NEnvs = 2, BatchSize = 16, NEpochs = 1 });
        var stop2 = new StopAt(70);
        ppo.Learn(() => new IdentityBoxEnv(length: 10), seed: 0, totalSteps: 1000, callback: stop2);
        Assert.That(ppo.Steps, Is.EqualTo(70));
        Assert.That(stop2.Rollouts, Is.EqualTo(2), "two full rollouts of 32 steps before the stop");
        // The agent's own Callback property is used when Learn gets none (and by Run).
        var third = new StopAt(20);
        var ppo3 = new Ppo(new PpoOptions { NSteps = 16, BatchSize = 16, NEpochs = 1 }) { Callback = third };
        ppo3.Learn(new IdentityBoxEnv(length: 10), seed: 0, totalSteps: 1000);
        Assert.That(ppo3.Steps, Is.EqualTo(20));
    }

    [Test]
    public void ProgressPrintsPlainLinesWhenRedirectedAndOneLineOnATerminal()
    {
        var plain = new StringWriter();
        var ppo = new Ppo(new PpoOptions { NSteps = 50, NEnvs = 2, BatchSize = 50, NEpochs = 1 });
        ppo.Learn(() => new IdentityBoxEnv(length: 25), seed: 0, totalSteps: 200, callback: new ProgressCallback(plain, interactive: false, everySteps: 100));
        var lines = plain.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2), "the end repeats no line");
        Assert.That(lines[0], Does.StartWith("ppo  steps 100/200  ").And.Contain("steps/s").And.Contain("episodes 4  mean return "));
        Assert.That(lines[1], Does.StartWith("ppo  steps 200/200"));
        var stopped = new StringWriter();
        new Ppo(new PpoOptions { NSteps = 50, BatchSize = 50, NEpochs = 1 })
            .Learn(new IdentityBoxEnv(length: 25), seed: 0, totalSteps: 200, callback: new CallbackList(new ProgressCallback(stopped, false, everySteps: 100), new StopAtSteps(130)));
        Assert.That(stopped.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split("  ")[1]), Is.EqualTo(new[] { "steps 100/200", "steps 130/200" }));
        Assert.That(stopped.ToString().TrimEnd(), Does.EndWith("(done)"), "a final line when training ended between lines");
        Assert.That(plain.ToString(), Does.Not.Contain("\r"));
        var tty = new StringWriter();
        new Sac(new SacOptions { NetArch = "16", BatchSize = 16, LearningStarts = 10 })
            .Learn(new IdentityBoxEnv(length: 10), seed: 0, totalSteps: 30, callback: new ProgressCallback(tty, interactive: true));
        Assert.That(tty.ToString(), Does.StartWith("\r  sac  steps ").And.Contain("steps 30/30").And.EndWith(Environment.NewLine));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProgressCallback(plain, false, everySteps: -1));
    }

    sealed class StopAtSteps(long steps) : TrainingCallback { public override bool OnStep(TrainingState s) => s.NumTimesteps < steps; }

    static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), $"contactopt-cb-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        return d;
    }
}
