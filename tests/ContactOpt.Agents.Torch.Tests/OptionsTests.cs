namespace ContactOpt.Agents.Torch.Tests;

/// <summary>Hyperparameters: SB3 defaults, CLI-style settings, and clear rejection of bad values.</summary>
public class OptionsTests
{
    static readonly AgentRegistry Registry = new(TorchAgents.Specs());

    static string Error(string agent, string key, string value) =>
        Assert.Throws<ArgumentException>(() => Registry.Create(agent, new Dictionary<string, string> { [key] = value }))!.Message;

    [Test]
    public void DefaultsAreSb3s()
    {
        var p = new PpoOptions();
        Assert.That((p.LearningRate, p.NSteps, p.BatchSize, p.NEpochs, p.Gamma, p.GaeLambda, p.ClipRange, p.MaxGradNorm, p.AdamEps),
            Is.EqualTo((3e-4, 2048, 64, 10, 0.99, 0.95, 0.2, 0.5, 1e-5)));
        Assert.That((p.EntCoef, p.VfCoef, p.NormalizeAdvantage, p.NetArch, p.Activation, p.LogStdInit, p.OrthoInit),
            Is.EqualTo((0.0, 0.5, true, "64,64", Activation.Tanh, 0.0, true)));
        var s = new SacOptions();
        Assert.That((s.LearningRate, s.BufferSize, s.LearningStarts, s.BatchSize, s.Tau, s.Gamma, s.TrainFreq, s.GradientSteps),
            Is.EqualTo((3e-4, 1_000_000, 100, 256, 0.005, 0.99, 1, 1)));
        Assert.That((s.EntCoef, s.TargetEntropy, s.NetArch, s.Activation), Is.EqualTo(("auto", "auto", "256,256", Activation.Relu)));
        Assert.That(s.ParseTargetEntropy(3), Is.EqualTo(-3));
        Assert.That((SacOptions.LogStdMin, SacOptions.LogStdMax), Is.EqualTo((-20.0, 2.0)));
    }

    [Test]
    public void SpecsListEveryOptionWithItsDefault()
    {
        var ppo = Registry.Spec("ppo");
        Assert.That(ppo.Options.Select(o => o.Name), Does.Contain("learning_rate").And.Contain("n_steps").And.Contain("clip_range"));
        Assert.That(ppo.Options.Single(o => o.Name == "learning_rate").Default, Is.EqualTo("0.0003"));
        Assert.That(Registry.Spec("sac").Options.Single(o => o.Name == "ent_coef").Default, Is.EqualTo("auto"));
    }

    [Test]
    public void SettingsBindOntoDefaults()
    {
        var agent = (Ppo)Registry.Create("ppo", new Dictionary<string, string> { ["n_steps"] = "64", ["batch_size"] = "16", ["activation"] = "relu" });
        Assert.That((agent.Options.NSteps, agent.Options.BatchSize, agent.Options.Activation, agent.Options.NEpochs), Is.EqualTo((64, 16, Activation.Relu, 10)));
        var sac = (Sac)Registry.Create("sac", new Dictionary<string, string> { ["ent_coef"] = "auto_0.1", ["target_entropy"] = "-2.5" });
        Assert.That(sac.Options.ParseEntCoef(), Is.EqualTo((true, 0.1)));
        Assert.That(sac.Options.ParseTargetEntropy(1), Is.EqualTo(-2.5));
    }

    [TestCase("ppo", "learning_rate", "NaN", "learning_rate = NaN")]
    [TestCase("ppo", "learning_rate", "-1e-3", "learning_rate = -0.001")]
    [TestCase("ppo", "n_steps", "0", "n_steps = 0")]
    [TestCase("ppo", "batch_size", "-64", "batch_size = -64")]
    [TestCase("ppo", "batch_size", "4096", "larger than n_steps")]
    [TestCase("ppo", "n_epochs", "0", "n_epochs = 0")]
    [TestCase("ppo", "gamma", "1.5", "gamma = 1.5")]
    [TestCase("ppo", "clip_range", "0", "clip_range = 0")]
    [TestCase("ppo", "max_grad_norm", "Infinity", "max_grad_norm = Infinity")]
    [TestCase("ppo", "net_arch", "64,abc", "'abc' is not a positive integer")]
    [TestCase("ppo", "net_arch", "", "at least one hidden layer")]
    [TestCase("ppo", "activation", "sigmoid", "must be one of: tanh, relu")]
    [TestCase("sac", "learning_rate", "nan", "learning_rate = NaN")]
    [TestCase("sac", "buffer_size", "0", "buffer_size = 0")]
    [TestCase("sac", "batch_size", "0", "batch_size = 0")]
    [TestCase("sac", "learning_starts", "-1", "learning_starts = -1")]
    [TestCase("sac", "tau", "0", "tau = 0")]
    [TestCase("sac", "tau", "1.5", "tau = 1.5")]
    [TestCase("sac", "ent_coef", "often", "ent_coef = 'often'")]
    [TestCase("sac", "ent_coef", "auto_-1", "after 'auto_'")]
    [TestCase("sac", "target_entropy", "high", "target_entropy = 'high'")]
    [TestCase("sac", "gradient_steps", "0", "gradient_steps = 0")]
    public void BadValuesAreRejectedWithTheirNameAndValue(string agent, string key, string value, string fragment)
    {
        var message = Error(agent, key, value);
        Assert.That(message, Does.Contain(fragment));
        Assert.That(message, Does.Contain(key).Or.Contain("option"));
    }

    [Test]
    public void UnparsableAndUnknownOptionsAreRejected()
    {
        Assert.That(Error("ppo", "n_steps", "many"), Does.Contain("n_steps='many' is not a valid int32"));
        Assert.That(Error("sac", "lr", "1e-3"), Does.Contain("agent 'sac' has no option 'lr'"));
        Assert.Throws<ArgumentException>(() => new Ppo(new PpoOptions { LearningRate = double.NaN }));
        Assert.Throws<ArgumentException>(() => new Sac(new SacOptions { Tau = double.NaN }));
    }
}
