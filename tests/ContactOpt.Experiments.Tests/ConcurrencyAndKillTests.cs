using System.Diagnostics;
using ContactOpt.Envs;
using Microsoft.Data.Sqlite;

namespace ContactOpt.Experiments.Tests;

/// <summary>
/// Real processes: two compares on one directory (one writer wins, the other is refused with the owner's pid and
/// the store stays intact), SIGKILLs at many instants (every one leaves a resumable or untouched directory that
/// ends identical to an uninterrupted run), and sbatch scripts that stay inert for hostile directory names.
/// </summary>
[NonParallelizable]
public class ConcurrencyAndKillTests
{
    static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "contactopt.dll");
    string _root = "";

    [SetUp] public void SetUp() { _root = Path.Combine(Path.GetTempPath(), $"contactopt-proc-{Guid.NewGuid():N}"); Directory.CreateDirectory(_root); }
    [TearDown] public void TearDown() { SqliteConnection.ClearAllPools(); if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Cli);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    static (int Code, string Err) Finish(Process p)
    {
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, err.Result);
    }

    static IEnumerable<string> Strip(string f) => File.ReadAllLines(f).Select(l => string.Join(",", l.Split(',').Take(7)));

    static void WaitForLock(string dir, Process p)
    {
        var sw = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(dir, "results.db.lock.owner")) && !p.HasExited && sw.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(10);
        Assert.That(p.HasExited, Is.False, "the first compare ended before the second started");
    }

    static void AssertIntact(string dir)
    {
        SqliteConnection.ClearAllPools();
        var status = HardeningTests.Cli("status", dir);
        Assert.That(status.Code, Is.EqualTo(0), status.Err);
        var row = status.Out.Split('\n').Single(l => l.TrimStart().StartsWith("0/1")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(row[5], Is.EqualTo("0"), $"no run may be marked failed by the refused writer: {status.Out}");
        using var store = ResultStore.OpenReadOnly(Path.Combine(dir, "results.db"), Cluster.LoadStudy(dir));
        Assert.That(store.Runs(finishedOnly: false).All(r => r.Status is "done" or "running"), Is.True);
    }

    /// <summary>A study long enough to still be running while a second compare starts; it is killed at the end.</summary>
    static string[] LongStudy(string dir) => ["compare", "cartpole", "--agents", "rand", "--seeds", "4", "--budget", "100000", "--jobs", "1", "--out", dir, "--quiet"];

    [Test]
    public void ASecondCompareOnARunningStudyIsRefusedWithTheOwnersPid()
    {
        var dir = Path.Combine(_root, "shared");
        var a = Start(LongStudy(dir));
        try
        {
            WaitForLock(dir, a);
            var (code, err) = Finish(Start(LongStudy(dir)));
            Assert.That(code, Is.EqualTo(2), err);
            Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), err);
            Assert.That(err, Does.Contain($"another compare is running here (pid {a.Id} "));
            Assert.That(a.HasExited, Is.False);
        }
        finally { if (!a.HasExited) a.Kill(entireProcessTree: true); a.WaitForExit(); }
        AssertIntact(dir);
    }

    [Test]
    public void TwoComparesStartedTogetherLeaveOneWriterAndAnIntactStore()
    {
        var dir = Path.Combine(_root, "together");
        var a = Start(LongStudy(dir));
        var b = Start(LongStudy(dir));
        try
        {
            // The loser gives up about a second after the winner took the lock; the winner keeps running.
            var sw = Stopwatch.StartNew();
            while (!a.HasExited && !b.HasExited && sw.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(10);
            var (loser, winner) = a.HasExited ? (a, b) : (b, a);
            Assert.That(loser.HasExited, Is.True, "neither compare was refused");
            var (code, err) = Finish(loser);
            Assert.That(code, Is.EqualTo(2), err);
            Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), err);
            Assert.That(err, Does.Contain($"another compare is running here (pid {winner.Id} "));
            Assert.That(winner.HasExited, Is.False);
        }
        finally
        {
            foreach (var p in new[] { a, b }) { if (!p.HasExited) p.Kill(entireProcessTree: true); p.WaitForExit(); }
        }
        AssertIntact(dir);
    }

    [Test]
    public void AKillAtAnyInstantLeavesAResumableOrUntouchedDirectory()
    {
        string Dir(string n) => Path.Combine(_root, n);
        string[] Study(string dir) => ["compare", "sphere", "--agents", "rand,gd", "--seeds", "3", "--budget", "40", "--jobs", "1", "--out", dir, "--quiet"];

        // Calibration: when the store is first created and how long an uninterrupted run takes.
        var clean = Dir("clean");
        var sw = Stopwatch.StartNew();
        var p = Start(Study(clean));
        double created = -1;
        while (!p.HasExited) { if (created < 0 && File.Exists(Path.Combine(clean, "results.db"))) created = sw.Elapsed.TotalMilliseconds; Thread.Sleep(1); }
        double total = sw.Elapsed.TotalMilliseconds;
        Assert.That(Finish(p).Code, Is.EqualTo(0));
        if (created < 0) created = total / 2;

        // ≥ 20 instants: the first 100 ms, densely around the store's creation, and seeded random ones over the whole run.
        var rng = new Random(16);
        var instants = new List<double> { 0, 20, 40, 60, 80, 100 };
        for (int i = 0; i < 10; i++) instants.Add(Math.Max(0, created - 40 + 8 * i + rng.NextDouble() * 4));
        for (int i = 0; i < 8; i++) instants.Add(rng.NextDouble() * total);
        Assert.That(instants, Has.Count.GreaterThanOrEqualTo(20));

        var killed = Dir("killed");
        int midCommit = 0;
        foreach (var t in instants)
        {
            var k = Start(Study(killed));
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalMilliseconds < t && !k.HasExited) Thread.Sleep(1);
            if (!k.HasExited) k.Kill(entireProcessTree: true);
            k.WaitForExit();
            SqliteConnection.ClearAllPools();
            // Untouched (no study yet) or a study that status can read.
            if (File.Exists(Path.Combine(killed, "study.json")))
            {
                var status = HardeningTests.Cli("status", killed);
                // Killed inside a commit: the store has a hot journal, which only the next writer rolls back.
                if (status.Code == 2 && status.Err.Contains("left in the middle of a write")) { midCommit++; continue; }
                Assert.That(status.Code, Is.EqualTo(0), $"after a kill at {t:0} ms: {status.Err}");
                // Nobody holds the lock after a kill: nothing reads as running (a run in flight reads as abandoned).
                var row = status.Out.Split('\n').Single(l => l.TrimStart().StartsWith("0/1")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                Assert.That(row[3], Is.EqualTo("0"), status.Out);
            }
        }
        TestContext.Out.WriteLine($"store created at {created:0} ms of {total:0} ms; {midCommit} kill(s) inside a commit");
        var resumed = HardeningTests.Cli(Study(killed));
        Assert.That(resumed.Code, Is.EqualTo(0), resumed.Err);
        Assert.That(Strip(Path.Combine(killed, "export", "episodes.csv")), Is.EqualTo(Strip(Path.Combine(clean, "export", "episodes.csv"))));
    }

    [Test]
    public void StatusTellsAbandonedRunsFromRunningOnes()
    {
        var dir = Path.Combine(_root, "abandoned");
        Assert.That(HardeningTests.Cli("compare", "sphere", "--agents", "rand", "--seeds", "2", "--budget", "3", "--jobs", "1", "--out", dir, "--quiet").Code, Is.EqualTo(0));
        // A run left 'running' by a process that died (no lock holder).
        using (var c = new SqliteConnection($"Data Source={Path.Combine(dir, "results.db")};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE runs SET status='running' WHERE seed=1";
            cmd.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();
        var status = HardeningTests.Cli("status", dir);
        Assert.That(status.Out, Does.Contain("abandoned:"), status.Out);
        Assert.That(status.Out.Split('\n').Single(l => l.TrimStart().StartsWith("0/1")), Does.Match(@"0/1\s+2\s+1\s+0\s+1\s+0\s+0"));
        // While a writer holds the lock the same row reads as running.
        using (var writer = ResultStore.Open(Path.Combine(dir, "results.db"), Cluster.LoadStudy(dir), cleanInterrupted: false))
        {
            var live = HardeningTests.Cli("status", dir);
            Assert.That(live.Out.Split('\n').Single(l => l.TrimStart().StartsWith("0/1")), Does.Match(@"0/1\s+2\s+1\s+1\s+0\s+0\s+0"), live.Out);
            var second = HardeningTests.Cli("compare", "sphere", "--agents", "rand", "--seeds", "2", "--budget", "3", "--jobs", "1", "--out", dir, "--quiet");
            Assert.That(second.Code, Is.EqualTo(2));
            Assert.That(second.Err, Does.Contain($"another compare is running here (pid {Environment.ProcessId}"));
        }
    }

    [TestCase("with space")]
    [TestCase("quote'd")]
    [TestCase("$(touch PWNED)")]
    [TestCase("`touch PWNED`")]
    [TestCase("semi;touch PWNED")]
    [TestCase("pct%j#hash")]
    public void TheSbatchScriptStaysInertForHostilePaths(string name)
    {
        var dir = Path.Combine(_root, name);
        var study = new StudySpec { Tasks = ["sphere"], Agents = ["rand"], Seeds = 2, Budget = 2 };
        var recorder = Path.Combine(_root, "fake contactopt");
        var argsFile = Path.Combine(_root, "args.txt");
        File.WriteAllText(recorder, $"#!/bin/bash\nprintf '%s\\n' \"$@\" > '{argsFile}'\n");
        if (OperatingSystem.IsWindows()) { Assert.Ignore("bash scripts"); return; }
        File.SetUnixFileMode(recorder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var script = Cluster.WriteScript(dir, study, new SlurmOptions(2, 1, null, null), recorder);

        var lines = File.ReadAllLines(script);
        foreach (var l in lines)
            Assert.That(l.StartsWith('#') || l == "set -euo pipefail" || l.StartsWith("exec ") || l.StartsWith("  --shard "), Is.True, $"unexpected line: {l}");
        foreach (var l in lines.Where(l => l.StartsWith("#SBATCH ")))
            Assert.That(SbatchArguments(l[8..]), Has.Count.EqualTo(1), l);
        var output = lines.Single(l => l.Contains("--output"));
        Assert.That(SbatchArguments(output[8..])[0], Is.EqualTo($"--output={Path.Combine(Path.GetFullPath(dir), "slurm").Replace("%", "%%")}/shard-%a-job-%A.out"));

        var psi = new ProcessStartInfo("bash") { WorkingDirectory = _root, UseShellExecute = false, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        psi.Environment["SLURM_ARRAY_TASK_ID"] = "1";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.EqualTo(0), err);
        Assert.That(File.Exists(Path.Combine(_root, "PWNED")), Is.False, "the script executed an injected command");
        var received = File.ReadAllLines(argsFile);
        Assert.That(received, Is.EqualTo(new[] { "compare", "--config", Path.Combine(Path.GetFullPath(dir), "study.json"), "--out", Path.GetFullPath(dir), "--shard", "1/2", "--jobs", "1", "--quiet" }));
    }

    [TestCase("new\nline")]
    [TestCase("new\nline\n#SBATCH --wrap=touch PWNED")]
    [TestCase("dq\"uote")]
    [TestCase("back\\slash")]
    public void PathsASbatchLineCannotHoldAreRefusedBeforeWriting(string name)
    {
        var dir = Path.Combine(_root, name);
        var (code, _, err) = HardeningTests.Cli("compare", "sphere", "--agents", "rand", "--seeds", "2", "--budget", "2", "--out", dir, "--slurm", "--array-size", "2");
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), err);
        Assert.That(err, Does.Contain("cannot quote safely"));
        Assert.That(Directory.Exists(dir), Is.False);
    }

    /// <summary>sbatch's reading of an #SBATCH line (src/sbatch/opt.c, _get_argument): blanks split, quotes group, '\' escapes, '#' ends.</summary>
    static List<string> SbatchArguments(string line)
    {
        var args = new List<string>();
        var cur = new System.Text.StringBuilder();
        char q = '\0'; bool escape = false, any = false;
        foreach (var c in line)
        {
            if (escape) { cur.Append(c); escape = false; any = true; continue; }
            if (c == '\\') { escape = true; continue; }
            if (q != '\0') { if (c == q) q = '\0'; else cur.Append(c); continue; }
            if (c is '"' or '\'') { q = c; any = true; continue; }
            if (c == '#') break;
            if (char.IsWhiteSpace(c)) { if (any) { args.Add(cur.ToString()); cur.Clear(); any = false; } continue; }
            cur.Append(c); any = true;
        }
        if (any) args.Add(cur.ToString());
        return args;
    }
}
