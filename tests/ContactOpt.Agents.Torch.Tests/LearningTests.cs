using System.Diagnostics;

namespace ContactOpt.Agents.Torch.Tests;

/// <summary>SB3's test_identity, continuous: the agent must learn to copy a random target within a few thousand steps.</summary>
public class LearningTests
{
    [Test]
    public void PpoLearnsIdentityBox()
    {
        var sw = Stopwatch.StartNew();
        var agent = new Ppo(new PpoOptions { NSteps = 512, BatchSize = 64, Gamma = 0.5, LearningRate = 1e-3 });
        using var env = new IdentityBoxEnv(eps: 0.2);
        agent.Learn(env, ActionScaling.For((Box)env.ActionSpace), seed: 0, totalSteps: 3000);
        double mean = Evaluate.MeanReturn(agent, new IdentityBoxEnv(eps: 0.2), 20, seed: 100);
        TestContext.Out.WriteLine($"ppo identity: mean return {mean} after {agent.Steps} steps ({sw.Elapsed.TotalSeconds:F1} s)");
        Assert.That(mean, Is.GreaterThanOrEqualTo(90));
    }

    [Test]
    public void SacLearnsIdentityBox()
    {
        var sw = Stopwatch.StartNew();
        var agent = new Sac(new SacOptions { LearningRate = 1e-3, Gamma = 0.5, NetArch = "64,64" });
        using var env = new IdentityBoxEnv(eps: 0.2);
        agent.Learn(env, ActionScaling.For((Box)env.ActionSpace), seed: 0, totalSteps: 600);
        double mean = Evaluate.MeanReturn(agent, new IdentityBoxEnv(eps: 0.2), 20, seed: 100);
        TestContext.Out.WriteLine($"sac identity: mean return {mean} after {agent.Steps} steps ({sw.Elapsed.TotalSeconds:F1} s)");
        Assert.That(mean, Is.GreaterThanOrEqualTo(90));
    }
}
