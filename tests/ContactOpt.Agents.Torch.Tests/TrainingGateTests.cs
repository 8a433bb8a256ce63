using ContactOpt.Agents;

namespace ContactOpt.Agents.Torch.Tests;

/// <summary>Trainings in one process are serialised (TorchThreads.Exclusive), and each stays deterministic.</summary>
public class TrainingGateTests
{
    sealed class Overlap(int[] active, int[] maxActive) : TrainingCallback
    {
        public override void OnTrainingStart(TrainingState state)
        {
            int now = Interlocked.Increment(ref active[0]);
            lock (maxActive) maxActive[0] = Math.Max(maxActive[0], now);
        }
        public override bool OnStep(TrainingState state) { Thread.SpinWait(20); return true; }
        public override void OnTrainingEnd(TrainingState state) => Interlocked.Decrement(ref active[0]);
    }

    [Test]
    public void TwoThreadsNeverTrainAtOnceAndEachGetsItsSoloResult()
    {
        double[] Train(bool sac, int seed, TrainingCallback? cb)
        {
            using var env = new IdentityBoxEnv(length: 40);
            if (sac)
            {
                using var a = new Sac(new SacOptions { NetArch = "16,16", LearningStarts = 20, BatchSize = 8 });
                a.Learn(env, seed, 300, cb);
                return a.Act(new[] { 0.25 });
            }
            using var p = new Ppo(new PpoOptions { NSteps = 32, BatchSize = 16, NEpochs = 2 });
            p.Learn(env, seed, 300, cb);
            return p.Act(new[] { 0.25 });
        }
        var solo = new[] { Train(true, 1, null), Train(false, 2, null) };
        var active = new int[1]; var maxActive = new int[1];
        var results = new double[2][];
        var threads = new[]
        {
            new Thread(() => results[0] = Train(true, 1, new Overlap(active, maxActive))),
            new Thread(() => results[1] = Train(false, 2, new Overlap(active, maxActive))),
        };
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        Assert.That(maxActive[0], Is.EqualTo(1), "two trainings overlapped");
        Assert.That(results[0], Is.EqualTo(solo[0]), "SAC beside another training = SAC alone");
        Assert.That(results[1], Is.EqualTo(solo[1]), "PPO beside another training = PPO alone");
    }
}
