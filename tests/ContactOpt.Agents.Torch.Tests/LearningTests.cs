namespace ContactOpt.Agents.Torch.Tests;

/// <summary>
/// SB3's test_identity (continuous), made stricter: the target is random every step and only actions within
/// eps = 0.2 of it are rewarded (a constant or random action earns about 20 per 100-step episode).
/// Both agents must reach 90 over 20 deterministic evaluation episodes within a few thousand steps.
/// </summary>
public class LearningTests
{
    [SetUp] public void OneThread() => TorchSharp.torch.set_num_threads(1);

    [Test]
    public void PpoLearnsIdentityBox()
    {
        var agent = new Ppo(new PpoOptions { NSteps = 512, Gamma = 0.5, LearningRate = 1e-3 });
        using var env = new IdentityBoxEnv(eps: 0.2);
        agent.Learn(env, ActionScaling.For((Box)env.ActionSpace), seed: 0, totalSteps: 8192);
        double mean = agent.MeanReturn(new IdentityBoxEnv(eps: 0.2), 20, seed: 100);
        Assert.That(mean, Is.GreaterThanOrEqualTo(90), $"mean return after {agent.Steps} steps");
    }

    [Test]
    public void SacLearnsIdentityBox()
    {
        var agent = new Sac(new SacOptions { LearningRate = 1e-3, Gamma = 0.5, NetArch = "64,64" });
        using var env = new IdentityBoxEnv(eps: 0.2);
        agent.Learn(env, ActionScaling.For((Box)env.ActionSpace), seed: 0, totalSteps: 1500);
        double mean = agent.MeanReturn(new IdentityBoxEnv(eps: 0.2), 20, seed: 100);
        Assert.That(mean, Is.GreaterThanOrEqualTo(90), $"mean return after {agent.Steps} steps");
    }
}
