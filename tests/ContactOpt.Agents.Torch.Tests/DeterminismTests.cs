namespace ContactOpt.Agents.Torch.Tests;

/// <summary>SB3's test_deterministic: the same seed on one thread gives bit-identical training.</summary>
public class DeterminismTests
{
    [SetUp] public void OneThread() => TorchSharp.torch.set_num_threads(1);

    static readonly double[][] Probes = [[-0.9], [-0.3], [0.0], [0.4], [0.8]];

    static (double[] Returns, double[] Actions) TrainPpo(int seed)
    {
        var agent = new Ppo(new PpoOptions { NSteps = 256, NEpochs = 4 });
        using var env = new IdentityBoxEnv();
        agent.Learn(env, ActionScaling.For((Box)env.ActionSpace), seed, totalSteps: 768);
        var stochastic = Probes.Select(o => agent.Act(o, deterministic: false)[0]);
        return (agent.Episodes.Select(e => e.Return).ToArray(), Probes.Select(o => agent.Act(o)[0]).Concat(stochastic).ToArray());
    }

    static (double[] Returns, double[] Actions) TrainSac(int seed)
    {
        var agent = new Sac(new SacOptions { NetArch = "64", BatchSize = 64, LearningStarts = 50 });
        using var env = new IdentityBoxEnv(length: 50);
        agent.Learn(env, ActionScaling.For((Box)env.ActionSpace), seed, totalSteps: 300);
        var stochastic = Probes.Select(o => agent.Act(o, deterministic: false)[0]);
        return (agent.Episodes.Select(e => e.Return).ToArray(), Probes.Select(o => agent.Act(o)[0]).Concat(stochastic).ToArray());
    }

    [Test]
    public void PpoSameSeedSameTraining()
    {
        var a = TrainPpo(7); var b = TrainPpo(7); var c = TrainPpo(8);
        Assert.That(b.Returns, Is.EqualTo(a.Returns));
        Assert.That(b.Actions, Is.EqualTo(a.Actions), "bit-identical actions");
        Assert.That(c.Actions, Is.Not.EqualTo(a.Actions), "another seed trains differently");
    }

    [Test]
    public void SacSameSeedSameTraining()
    {
        var a = TrainSac(7); var b = TrainSac(7); var c = TrainSac(8);
        Assert.That(b.Returns, Is.EqualTo(a.Returns));
        Assert.That(b.Actions, Is.EqualTo(a.Actions), "bit-identical actions");
        Assert.That(c.Actions, Is.Not.EqualTo(a.Actions), "another seed trains differently");
    }

    [Test]
    public void SameSeedIsIdenticalAcrossThreads()
    {
        // Weights, noise and minibatches come from per-agent generators, so concurrent agents do not disturb each other.
        var results = new (double[] Returns, double[] Actions)[2];
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() => { TorchSharp.torch.set_num_threads(1); results[i] = TrainPpo(7); })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        var reference = TrainPpo(7);
        Assert.That(results[0].Actions, Is.EqualTo(reference.Actions));
        Assert.That(results[1].Actions, Is.EqualTo(reference.Actions));
    }
}
