namespace ContactOpt.Agents.Torch.Tests;

public class SaveLoadTests
{
    [SetUp] public void OneThread() => TorchSharp.torch.set_num_threads(1);

    static readonly double[][] Probes = [[-0.7], [0.0], [0.6]];

    static string TempFile() => Path.Combine(Path.GetTempPath(), $"contactopt-agent-{Guid.NewGuid():N}.bin");

    [Test]
    public void PpoRoundTrips()
    {
        var agent = new Ppo(new PpoOptions { NSteps = 64, BatchSize = 16 });
        using var env = new IdentityBoxEnv();
        agent.Learn(env, new ActionScaling([-1.0], [0.5]), seed: 2, totalSteps: 128);
        var path = TempFile();
        try
        {
            agent.Save(path);
            var loaded = new Ppo(new PpoOptions { NSteps = 64, BatchSize = 16 });
            Assert.That(loaded.IsReady, Is.False);
            Assert.Throws<InvalidOperationException>(() => loaded.Act([0.0]));
            loaded.Load(path);
            foreach (var o in Probes) Assert.That(loaded.Act(o), Is.EqualTo(agent.Act(o)));
            Assert.That(loaded.ValueOf([0.3]), Is.EqualTo(agent.ValueOf([0.3])));
            var ex = Assert.Throws<InvalidDataException>(() => new Sac().Load(path));
            Assert.That(ex!.Message, Does.Contain("'ppo' agent"));
            // The file stores the options: an agent created with others loads it and takes the stored ones.
            var other = new Ppo(new PpoOptions { NetArch = "32", Activation = Activation.Relu, NSteps = 128 });
            other.Load(path);
            Assert.That((other.Options.NetArch, other.Options.Activation, other.Options.NSteps, other.Options.BatchSize),
                Is.EqualTo(("64,64", Activation.Tanh, 64, 16)));
            foreach (var o in Probes) Assert.That(other.Act(o), Is.EqualTo(agent.Act(o)));
            Assert.That(other.Options, Is.EqualTo(agent.Options), "every option round-trips");
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void SacRoundTrips()
    {
        var agent = new Sac(new SacOptions { NetArch = "32,32", LearningStarts = 20, BatchSize = 16 });
        using var env = new IdentityBoxEnv();
        agent.Learn(env, ActionScaling.For((Box)env.ActionSpace), seed: 2, totalSteps: 60);
        var path = TempFile();
        try
        {
            agent.Save(path);
            var loaded = new Sac();                      // default net_arch 256,256: the stored 32,32 is used
            loaded.Load(path);
            Assert.That(loaded.Options, Is.EqualTo(agent.Options));
            foreach (var o in Probes) Assert.That(loaded.Act(o), Is.EqualTo(agent.Act(o)));
            File.WriteAllBytes(path, [1, 2, 3]);
            Assert.Throws<InvalidDataException>(() => loaded.Load(path));
            Assert.Throws<FileNotFoundException>(() => loaded.Load(path + ".missing"));
        }
        finally { File.Delete(path); }
    }
}
