using ContactOpt.Envs;
using ContactOpt.Envs.Mpm;

namespace ContactOpt.Mpm.Tests;

/// <summary>Stored targets reproduce, and the utility that regenerates them.</summary>
public class TargetTests
{
    /// <summary>
    /// Regenerates envs/Mpm/Targets (run explicitly: dotnet test --filter RegenerateTargets; MPM_PRESETS=tiny,default,full,
    /// MPM_TASKS=rollingpin,... to regenerate only some tasks; default: every task).
    /// </summary>
    [Test, Explicit("writes the target data files")]
    public void RegenerateTargets()
    {
        var presets = (Environment.GetEnvironmentVariable("MPM_PRESETS") ?? "tiny,default").Split(',').Select(PlasticineTasks.PresetNamed);
        var tasks = Environment.GetEnvironmentVariable("MPM_TASKS") is { Length: > 0 } t ? t.Split(',') : null;
        var dir = Path.Combine(RepoRoot(), "envs", "Mpm", "Targets");
        TargetData.WriteAll(dir, presets, tasks);
    }

    static string RepoRoot()
    {
        var d = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "ContactOpt.sln"))) d = d.Parent;
        return d?.FullName ?? throw new DirectoryNotFoundException("repository root not found");
    }

    [TestCaseSource(nameof(TaskNames))]
    public void StoredTinyTargetIsReproducedBySimulatingTheReferenceMotion(string name)
    {
        var task = PlasticineTasks.All.Single(t => t.Name == name);
        var stored = TargetData.Get(task, PlasticineTasks.Tiny);
        var fresh = TargetData.Generate(task, PlasticineTasks.Tiny);
        Assert.That(fresh.Target.Mass, Is.EqualTo(stored.Mass).Within(1e-12));
        Assert.That(stored.TotalMass, Is.GreaterThan(0));
    }

    static IEnumerable<string> TaskNames() => PlasticineTasks.All.Select(t => t.Name);

    [Test]
    public void BadOptionsAreRejectedWithClearErrors()
    {
        var r = BuiltinTasks.CreateRegistry();
        Assert.That(() => r.Create("pinch:preset=huge"), Throws.ArgumentException.With.Message.Contains("preset"));
        Assert.That(() => r.Create("pinch:preset=tiny,w_sdf=-1"), Throws.ArgumentException.With.Message.Contains("w_sdf"));
        Assert.That(() => r.Create("pinch:preset=tiny,segments=3"), Throws.ArgumentException.With.Message.Contains("segments"));
        var task = r.Create("pinch:preset=tiny");
        using var f = task.CreateObjective();
        var x = new double[f.Dimension];
        x[1] = double.NaN;
        Assert.That(() => f.Loss(x), Throws.ArgumentException.With.Message.Contains("finite"));
        using var env = task.CreateEnv();
        env.Reset(seed: 0);
        Assert.That(() => env.Step([0, double.NaN, 0]), Throws.ArgumentException);
    }

    [Test]
    public void DimensionsFollowTheBoLeapParameterisation()
    {
        var r = BuiltinTasks.CreateRegistry();
        var expected = new Dictionary<string, int> { ["assembly"] = 30, ["pinch"] = 15, ["rollingpin"] = 15, ["rope"] = 30, ["table"] = 15, ["torus"] = 15, ["triplemove"] = 90, ["writer"] = 15 };
        foreach (var (name, dim) in expected) Assert.That(r.Create($"{name}:preset=tiny").Dimension, Is.EqualTo(dim), name);
    }
}
