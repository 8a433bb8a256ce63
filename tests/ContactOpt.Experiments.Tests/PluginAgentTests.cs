using System.Reflection;
using ContactOpt.Agents;
using ContactOpt.Cli;
using Microsoft.Data.Sqlite;

namespace ContactOpt.Experiments.Tests;

/// <summary>
/// A custom agent from a plugin assembly (examples/CustomAgent, built by this test project and loaded from its DLL)
/// runs in compare beside the built-ins, in run, and is listed by agents; bad plugins are one-line errors.
/// </summary>
[NonParallelizable]
public class PluginAgentTests
{
    string _dir = "";
    [SetUp] public void SetUp() { _dir = Path.Combine(Path.GetTempPath(), $"contactopt-plugin-{Guid.NewGuid():N}"); Directory.CreateDirectory(_dir); }
    [TearDown] public void TearDown() { SqliteConnection.ClearAllPools(); Directory.Delete(_dir, true); }

    static string Plugin => typeof(PluginAgentTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "CustomAgentPlugin").Value!;

    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        var (so, se) = (Console.Out, Console.Error);
        Console.SetOut(o); Console.SetError(e);
        try { return (CliApp.Run(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(so); Console.SetError(se); }
    }

    [Test]
    public void ThePluginIsARealAssemblyOutsideTheTestOutput()
    {
        Assert.That(File.Exists(Plugin), Is.True, Plugin);
        Assert.That(File.Exists(Path.Combine(AppContext.BaseDirectory, "CustomAgent.dll")), Is.False, "the plugin is not part of the test's output");
        var specs = AgentPlugins.Load(Plugin);
        var assembly = specs[0].Create(new Dictionary<string, string>()).GetType().Assembly;
        Assert.That(assembly.Location, Is.EqualTo(Path.GetFullPath(Plugin)));
        Assert.That(System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(assembly), Is.Not.SameAs(System.Runtime.Loader.AssemblyLoadContext.Default),
            "loaded in a plugin context of its own");
        Assert.That(specs.Select(s => s.Name), Is.EqualTo(new[] { "hillclimb", "randompolicy" }));
        Assert.That(AgentPlugins.Load(Plugin), Is.SameAs(specs), "a plugin file is loaded once");
        // The plugin shares the host's contract types: its agents are the host's IAgent.
        Assert.That(specs[0].Create(new Dictionary<string, string>()), Is.InstanceOf<IAgent>());
    }

    [Test]
    public void ACustomAgentRunsInCompareBesideABuiltInAndIsReported()
    {
        var dir = Path.Combine(_dir, "study");
        var (code, output, err) = Run("compare", "sphere:dim=2", "--agents", "hillclimb,rand", "--agents-from", Plugin,
            "--seeds", "2", "--budget", "20", "--out", dir, "--jobs", "1", "--quiet");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("hillclimb").And.Contain("rand"));
        var report = File.ReadAllText(Path.Combine(dir, "report.md"));
        Assert.That(report, Does.Contain("hillclimb"));
        // Resuming without the plugin names the missing agent in one line.
        var again = Run("compare", "sphere:dim=2", "--agents", "hillclimb,rand", "--seeds", "2", "--budget", "20", "--out", dir, "--quiet");
        Assert.That(again.Code, Is.EqualTo(2));
        Assert.That(again.Err, Does.Contain("hillclimb"));
        Assert.That(again.Err.Trim().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void ACustomAgentRunsInRunWithItsOptionsAndIsListedByAgents()
    {
        var (code, output, err) = Run("run", "sphere:dim=2", "--agent", "hillclimb", "--set", "sigma0=0.2", "--budget", "30", "--agents-from", Plugin);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("agent       hillclimb (sigma0=0.2)").And.Contain("episodes    30 of 30"));
        var list = Run("agents", "--agents-from", Plugin);
        Assert.That(list.Out, Does.Contain("hillclimb").And.Contain("sigma0=0.1"));
        // Plugins belong to the command that named them.
        Assert.That(Run("agents").Out, Does.Not.Contain("hillclimb"));
    }

    [Test]
    public void BadPluginsAreOneLineErrorsWithExitCode2()
    {
        File.WriteAllText(Path.Combine(_dir, "not-an-assembly.dll"), "hello");
        var cases = new (string[] Args, string Expected)[]
        {
            (["run", "sphere", "--agent", "hillclimb", "--agents-from", Path.Combine(_dir, "missing.dll")], "does not exist"),
            (["run", "sphere", "--agent", "hillclimb", "--agents-from", Path.Combine(_dir, "not-an-assembly.dll")], "is not a .NET assembly"),
            // An assembly without an IAgentProvider: the core library.
            (["agents", "--agents-from", typeof(ContactOpt.Info).Assembly.Location], "has no public class implementing ContactOpt.Agents.IAgentProvider"),
            (["agents", "--agents-from", Plugin, "--agents-from", Plugin], "agent 'hillclimb' of --agents-from"),
            (["compare", "sphere", "--agents", "hillclimb", "--agents-from", Plugin, "--slurm", "--out", Path.Combine(_dir, "s")], "not passed on to Slurm"),
        };
        foreach (var (args, expected) in cases)
        {
            var (code, _, err) = Run(args);
            Assert.That(code, Is.EqualTo(2), string.Join(' ', args) + ": " + err);
            Assert.That(err, Does.Contain(expected));
            Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1));
        }
    }
}
