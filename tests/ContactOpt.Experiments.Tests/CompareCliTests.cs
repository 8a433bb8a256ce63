using ContactOpt.Cli;
using Microsoft.Data.Sqlite;

namespace ContactOpt.Experiments.Tests;

/// <summary>compare / report / status through the CLI entry point: outputs, resume, and one-line errors (exit 2).</summary>
[NonParallelizable]
public class CompareCliTests
{
    string _dir = "";
    [SetUp] public void SetUp() { _dir = Path.Combine(Path.GetTempPath(), $"contactopt-cli-{Guid.NewGuid():N}"); Directory.CreateDirectory(_dir); }
    [TearDown] public void TearDown() { SqliteConnection.ClearAllPools(); Directory.Delete(_dir, true); }

    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        var (so, se) = (Console.Out, Console.Error);
        Console.SetOut(o); Console.SetError(e);
        try { return (CliApp.Run(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(so); Console.SetError(se); }
    }

    string D(string name) => Path.Combine(_dir, name);

    [Test]
    public void CompareWritesAReportAndResumesWithoutRedoingRuns()
    {
        var args = new[] { "compare", "flip,sphere:dim=2", "--agents", "rand,gd", "--seeds", "2", "--budget", "5", "--out", D("s"), "--jobs", "2" };
        var (code, output, err) = Run(args);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("report:"));
        Assert.That(File.ReadAllText(D("s/report.md")), Does.Contain("## flip").And.Contain("## sphere:dim=2"));
        Assert.That(File.Exists(D("s/export/episodes.csv")), Is.True);
        var again = Run(args);
        Assert.That(again.Code, Is.EqualTo(0));
        Assert.That(again.Err, Does.Contain("resuming, 8 of 8 runs already finished"));
        var rep = Run("report", D("s"));
        Assert.That(rep.Code, Is.EqualTo(0));
        var status = Run("status", D("s"));
        Assert.That(status.Out, Does.Contain("complete"));
    }

    [Test]
    public void ConfigFileRunsAndDifferentStudyInTheSameDirectoryIsRefused()
    {
        File.WriteAllText(D("study.yaml"), "tasks: [flip]\nagents: [rand]\nseeds: 1\nbudget: 3\n");
        Assert.That(Run("compare", "--config", D("study.yaml"), "--out", D("c"), "--quiet").Code, Is.EqualTo(0));
        var (code, _, err) = Run("compare", "flip", "--agents", "rand", "--seeds", "2", "--budget", "3", "--out", D("c"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("holds a different study"));
    }

    [TestCase(new[] { "compare", "nosuch", "--agents", "rand" }, "unknown task 'nosuch'")]
    [TestCase(new[] { "compare", "flip", "--agents", "rand,nope" }, "unknown agent 'nope'")]
    [TestCase(new[] { "compare", "flip", "--agents", "rand", "--budget", "0" }, "budget = 0")]
    [TestCase(new[] { "compare", "flip", "--agents", "rand", "--budget", "ten" }, "--budget 'ten' is not an integer")]
    [TestCase(new[] { "compare", "flip", "--agents", "gd", "--set", "gd.nope=1" }, "no option 'nope'")]
    [TestCase(new[] { "compare", "flip", "--agents", "gd", "--set", "gd.step_size=abc" }, "step_size='abc'")]
    [TestCase(new[] { "compare", "flip", "--agents", "gd", "--set", "gdstep" }, "must look like agent.option=value")]
    [TestCase(new[] { "compare", "flip", "--agents", "rand", "--shard", "4/4" }, "must be in 0..3")]
    [TestCase(new[] { "compare", "flip", "--agents", "rand", "--shard", "0/0" }, "at least 1")]
    [TestCase(new[] { "compare", "flip", "--agents", "rand", "--submit" }, "need --slurm")]
    [TestCase(new[] { "compare", "flip", "--agents", "rand", "--slurm", "--time", "soon" }, "--time 'soon'")]
    [TestCase(new[] { "compare", "--config", "/nonexistent/study.json" }, "does not exist")]
    [TestCase(new[] { "report", "/nonexistent/dir" }, "does not exist")]
    [TestCase(new[] { "status", "/nonexistent/dir" }, "does not exist")]
    public void BadArgumentsGiveOneLineErrors(string[] args, string expected)
    {
        var a = args.ToList();
        if (a[0] == "compare" && !a.Contains("--out") && !a.Contains("--config")) a.AddRange(["--out", D("e")]);
        var (code, _, err) = Run(a.ToArray());
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err, Does.Contain(expected));
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void SlurmWritesAnArrayScriptAndAnUnreachableSbatchIsAClearError()
    {
        var args = new[] { "compare", "flip", "--agents", "rand", "--seeds", "4", "--budget", "3", "--out", D("sl"), "--slurm", "--array-size", "3", "--time", "00:10:00", "--partition", "debug" };
        var (code, output, err) = Run(args);
        Assert.That(code, Is.EqualTo(0), err);
        var script = File.ReadAllText(D("sl/slurm/array.sbatch"));
        Assert.That(script, Does.Contain("#SBATCH --array=0-2").And.Contain("--shard \"${SLURM_ARRAY_TASK_ID}/3\"").And.Contain("#SBATCH --time=00:10:00").And.Contain("#SBATCH --partition=debug"));
        var submit = Run([.. args, "--submit", "--sbatch", "/nonexistent/sbatch"]);
        Assert.That(submit.Code, Is.EqualTo(2));
        Assert.That(submit.Err, Does.Contain("cannot run '/nonexistent/sbatch'"));
        var resize = Run([.. args[..^6], "--slurm", "--array-size", "2"]);
        Assert.That(resize.Code, Is.EqualTo(2));
        Assert.That(resize.Err, Does.Contain("was split into 3 shards"));

        // Run shards 0 and 2 by hand; status names shard 1 as missing; report merges what is there and names it.
        Assert.That(Run("compare", "--config", D("sl/study.json"), "--out", D("sl"), "--shard", "0/3", "--quiet").Code, Is.EqualTo(0));
        Assert.That(Run("compare", "--config", D("sl/study.json"), "--out", D("sl"), "--shard", "2/3", "--quiet").Code, Is.EqualTo(0));
        var status = Run("status", D("sl"));
        Assert.That(status.Out, Does.Contain("shard 1 incomplete").And.Contain("--shard 1/3"));
        var report = Run("report", D("sl"));
        Assert.That(report.Code, Is.EqualTo(0));
        Assert.That(report.Err, Does.Contain("shard 1/3 is incomplete"));
        // Re-running a shard that already ran adds no duplicates.
        Assert.That(Run("compare", "--config", D("sl/study.json"), "--out", D("sl"), "--shard", "1/3", "--quiet").Code, Is.EqualTo(0));
        Assert.That(Run("compare", "--config", D("sl/study.json"), "--out", D("sl"), "--shard", "1/3", "--quiet").Code, Is.EqualTo(0));
        Assert.That(Run("report", D("sl")).Code, Is.EqualTo(0));
        Assert.That(File.ReadAllLines(D("sl/export/runs.csv")), Has.Length.EqualTo(1 + 4));

        // The merged result equals a local run of the same study.
        Assert.That(Run("compare", "flip", "--agents", "rand", "--seeds", "4", "--budget", "3", "--out", D("local"), "--quiet").Code, Is.EqualTo(0));
        static IEnumerable<string> Strip(string f) => File.ReadAllLines(f).Select(l => string.Join(",", l.Split(',').Take(7)));
        Assert.That(Strip(D("sl/export/episodes.csv")), Is.EqualTo(Strip(D("local/export/episodes.csv"))));
    }
}
