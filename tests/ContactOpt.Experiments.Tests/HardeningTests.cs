using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ContactOpt.Cli;
using Microsoft.Data.Sqlite;

namespace ContactOpt.Experiments.Tests;

/// <summary>
/// Replays the fuzzing findings of issue 16 through the CLI entry point: every case ends with the documented exit
/// code (2 bad input, 1 failed run or internal fault, 0 fine), at most one line on stderr, and an unchanged study
/// store. Plus generated option values from every agent's declared bounds.
/// </summary>
[NonParallelizable]
public class HardeningTests
{
    string _root = "";
    string Base => Path.Combine(_root, "base");
    string D(string name) => Path.Combine(_root, name);

    static readonly string[] BaseStudy = ["compare", "sphere", "--agents", "rand", "--seeds", "2", "--budget", "3", "--jobs", "1", "--quiet"];

    [OneTimeSetUp]
    public void CreateBaseStudy()
    {
        _root = Path.Combine(Path.GetTempPath(), $"contactopt-hard-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_root);
        var (code, _, err) = Cli([.. BaseStudy, "--out", Base]);
        Assert.That(code, Is.EqualTo(0), err);
    }

    [OneTimeTearDown]
    public void Remove() { SqliteConnection.ClearAllPools(); if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    internal static (int Code, string Out, string Err) Cli(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        var (so, se) = (Console.Out, Console.Error);
        Console.SetOut(o); Console.SetError(e);
        try { return (CliApp.Run(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(so); Console.SetError(se); }
    }

    /// <summary>Hash of every store and study file of a directory (names and bytes).</summary>
    static string Snapshot(string dir)
    {
        var sb = new StringBuilder();
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(f => f.EndsWith(".db") || f.EndsWith(".json")).Order())
            sb.Append(Path.GetRelativePath(dir, f)).Append(':').Append(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))).Append('\n');
        return sb.ToString();
    }

    static void AssertOneLine(string err, string expected)
    {
        var lines = err.TrimEnd('\n').Split('\n');
        Assert.That(lines, Has.Length.EqualTo(1), err);
        Assert.That(lines[0], Does.StartWith("contactopt "));
        Assert.That(err, Does.Contain(expected));
        Assert.That(err, Does.Not.Contain("   at "), "no stack trace");
    }

    /// <summary>Runs a bad-input case against the base study and checks exit 2, one line, and an untouched store.</summary>
    void Refused(string expected, params string[] args)
    {
        var before = Snapshot(Base);
        var (code, _, err) = Cli(args.Select(a => a.Replace("{base}", Base).Replace("{root}", _root)).ToArray());
        Assert.That(code, Is.EqualTo(2), err);
        AssertOneLine(err, expected);
        Assert.That(Snapshot(Base), Is.EqualTo(before), "the base study's store changed");
    }

    string Write(string name, string text) { var p = D(name); Directory.CreateDirectory(Path.GetDirectoryName(p)!); File.WriteAllText(p, text); return p; }

    string CopyOfBase(string name)
    {
        var dir = D(name);
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.EnumerateFiles(Base)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    static void Sql(string db, string sql)
    {
        using var c = new SqliteConnection($"Data Source={db};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    // 4, 11: a refused compare writes nothing; the original study still resumes, reports and shows its status.
    [Test]
    public void ARefusedCompareLeavesTheDirectoryUsable()
    {
        Refused("holds a different study", "compare", "sphere", "--agents", "rand", "--seeds", "3", "--budget", "3", "--out", "{base}");
        Refused("holds a different study", "compare", "flip", "--agents", "gd", "--seeds", "1", "--budget", "2", "--out", "{base}");
        Assert.That(Cli("status", Base).Code, Is.EqualTo(0));
        Assert.That(Cli([.. BaseStudy, "--out", Base]).Code, Is.EqualTo(0));
    }

    // 6, 7, 11: malformed and dangerous study files.
    [TestCase("tasks: [null]\nagents: [rand]\n", "null entry")]
    [TestCase("tasks: null\nagents: [rand]\n", "'tasks' is null")]
    [TestCase("tasks: [sphere]\nagents: [rand]\nsettings: {rand: null}\n", "settings of agent 'rand' are null")]
    [TestCase("tasks: [sphere]\nagents: [rand]\noverrides: [null]\n", "'overrides' holds a null entry")]
    [TestCase("tasks: [sphere]\nagents: [rand]\nseeds: 010\n", "leading zero")]
    [TestCase("tasks: [sphere]\nagents: [rand]\nseeds: 2\nseeds: 3\n", "appears twice")]
    [TestCase("tasks: [sphere, ' sphere']\nagents: [rand]\n", "same task")]
    [TestCase("tasks: [flip, 'flip:corner_velocity=reference']\nagents: [rand]\n", "same task")]
    [TestCase("tasks: ['sphere:dim=3', 'sphere:dim=03']\nagents: [rand]\n", "same task")]
    [TestCase("tasks: [sphere]\nagents: [cmaes]\nsettings: {cmaes: {start: -1}}\n", "must be one of")]
    [TestCase("tasks: [sphere]\nagents: [rand]\nseeds: 1000000000\n", "seeds = 1000000000")]
    [TestCase("tasks: [sphere]\nagents: [rand]\nbudget: 1000000000\n", "budget = 1000000000")]
    [TestCase("tasks: [sphere]\nagents: [rand]\nseeds: \"10\"\n", "seeds")]
    [TestCase("--- {tasks: [sphere]}\n--- {tasks: [flip]}\n", "more than one YAML document")]
    [TestCase("tasks: [sphere]\nagents: [rand]\nextra: 1\n", "extra")]
    [TestCase("[", "line")]
    public void StudyFilesAreCheckedBeforeAnythingIsWritten(string yaml, string expected)
    {
        var config = Write("bad.yaml", yaml);
        var outDir = D("never");
        Refused(expected, "compare", "--config", config, "--out", outDir);
        Assert.That(Directory.Exists(outDir), Is.False, "nothing may be written for a refused study");
    }

    [Test]
    public void JsonStudiesRejectDuplicateKeysAndNulls()
    {
        Refused("Duplicate", "compare", "--config", Write("dup.json", "{\"tasks\": [\"sphere\"], \"agents\": [\"rand\"], \"seeds\": 2, \"seeds\": 3}"), "--out", D("never"));
        Refused("null", "compare", "--config", Write("null.json", "{\"tasks\": [\"sphere\"], \"agents\": null}"), "--out", D("never"));
        Refused("null", "compare", "--config", Write("nullsetting.json", "{\"tasks\": [\"sphere\"], \"agents\": [\"rand\"], \"settings\": {\"rand\": {\"include_guess\": null}}}"), "--out", D("never"));
    }

    [Test]
    public void YamlAliasBombsAndDeepNestingAreRefusedQuickly()
    {
        var bomb = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (int i = 1; i < 9; i++) bomb.Append($"{(char)('a' + i)}: &{(char)('a' + i)} [{string.Join(",", Enumerable.Repeat($"*{(char)('a' + i - 1)}", 9))}]\n");
        bomb.Append("tasks: [*i]\nagents: [rand]\n");
        var sw = Stopwatch.StartNew();
        Refused("aliases", "compare", "--config", Write("bomb.yaml", bomb.ToString()), "--out", D("never"));
        Refused("nesting deeper", "compare", "--config", Write("deep.yaml", "tasks: " + new string('[', 10000) + new string(']', 10000) + "\n"), "--out", D("never"));
        Refused("nesting deeper", "compare", "--config", Write("deepblock.yaml", string.Concat(Enumerable.Range(0, 200).Select(i => new string(' ', 2 * i) + "k:\n"))), "--out", D("never"));
        Refused("config", "compare", "--config", Write("deep.json", "{\"tasks\": " + new string('[', 10000) + new string(']', 10000) + "}"), "--out", D("never"));
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)));
    }

    // 6, 10: corrupt directories and databases; readers never write.
    [Test]
    public void CorruptStudyFilesAndDatabasesGiveOneLineErrorsAndAreNotWritten()
    {
        var corruptStudy = CopyOfBase("corrupt-study");
        File.WriteAllText(Path.Combine(corruptStudy, "study.json"), "{\"tasks\": [");
        foreach (var cmd in new[] { "status", "report" })
        {
            var (code, _, err) = Cli(cmd, corruptStudy);
            Assert.That(code, Is.EqualTo(2), err);
            AssertOneLine(err, "study.json");
        }

        var arrays = new[] { "{", "{\"shards\": -1}", "{\"shards\": 2000000000}", "{\"shards\": \"4\"}", "[]", "null" };
        foreach (var (text, i) in arrays.Select((t, i) => (t, i)))
        {
            var dir = CopyOfBase($"array-{i}");
            Write($"array-{i}/slurm/array.json", text);
            var before = Snapshot(dir);
            var (code, _, err) = Cli("status", dir);
            Assert.That(code, Is.EqualTo(2), $"{text}: {err}");
            AssertOneLine(err, "array.json");
            Assert.That(Snapshot(dir), Is.EqualTo(before));
        }

        var mutations = new Dictionary<string, string>
        {
            ["params"] = "UPDATE runs SET best_params='not json'",
            ["paramsnull"] = "UPDATE runs SET best_params='null'",
            ["seedtext"] = "UPDATE runs SET seed='abc' WHERE seed=0",
            ["status"] = "UPDATE runs SET status='weird'",
            ["column"] = "ALTER TABLE runs DROP COLUMN machine",
            ["meta"] = "DROP TABLE meta",
            ["fingerprint"] = "UPDATE meta SET value='other' WHERE key='fingerprint'",
            ["study"] = "UPDATE meta SET value='{' WHERE key='study'",
        };
        foreach (var (name, sql) in mutations)
        {
            var dir = CopyOfBase($"db-{name}");
            Sql(Path.Combine(dir, "results.db"), sql);
            SqliteConnection.ClearAllPools();
            if (name == "study") File.Delete(Path.Combine(dir, "study.json"));
            var before = Snapshot(dir);
            foreach (var cmd in new[] { "status", "report" })
            {
                var (code, _, err) = Cli(cmd, dir);
                Assert.That(code, Is.EqualTo(2), $"{name}/{cmd}: {err}");
                AssertOneLine(err, "results.db");
            }
            Assert.That(Snapshot(dir), Is.EqualTo(before), $"{name}: a reader changed the store");
            if (name == "study") continue;   // the fingerprint still matches: compare knows its study and may resume
            var resume = Cli([.. BaseStudy, "--out", dir]);
            Assert.That(resume.Code, Is.EqualTo(2), $"{name}/compare: {resume.Err}");
            AssertOneLine(resume.Err, "results.db");
            Assert.That(Snapshot(dir), Is.EqualTo(before), $"{name}: a refused command changed the store");
        }

        // A foreign SQLite file and an empty results.db are read, never written.
        var foreign = D("foreign");
        Directory.CreateDirectory(foreign);
        Sql(Path.Combine(foreign, "results.db"), "CREATE TABLE other (x INTEGER)");
        var empty = D("emptydb");
        Directory.CreateDirectory(empty);
        File.WriteAllBytes(Path.Combine(empty, "results.db"), []);
        foreach (var dir in new[] { foreign, empty })
        {
            var before = Snapshot(dir);
            foreach (var cmd in new[] { "status", "report" })
            {
                var (code, _, err) = Cli(cmd, dir);
                Assert.That(code, Is.EqualTo(2), err);
                AssertOneLine(err, "results.db");
            }
            Assert.That(Snapshot(dir), Is.EqualTo(before));
            Assert.That(Directory.EnumerateFiles(dir).Select(Path.GetFileName), Is.EquivalentTo(new[] { "results.db" }));
        }
        var (fc, _, ferr) = Cli([.. BaseStudy, "--out", foreign]);
        Assert.That(fc, Is.EqualTo(2), ferr);
        AssertOneLine(ferr, "not a ContactOpt results database");

        // A corrupt shard file stops --resubmit-missing with one line.
        var sharded = D("sharded");
        Assert.That(Cli("compare", "sphere", "--agents", "rand", "--seeds", "2", "--budget", "3", "--out", sharded, "--slurm", "--array-size", "2").Code, Is.EqualTo(0));
        File.WriteAllText(Path.Combine(sharded, "results-shard0of2.db"), "garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage");
        var (rc, _, rerr) = Cli("compare", "--config", Path.Combine(sharded, "study.json"), "--out", sharded, "--slurm", "--array-size", "2", "--resubmit-missing", "--sbatch", "/nonexistent/sbatch");
        Assert.That(rc, Is.EqualTo(2), rerr);
        AssertOneLine(rerr, "results-shard0of2.db");
    }

    [Test]
    public void StatusAndReportNeverWriteToStores()
    {
        var dir = CopyOfBase("readers");
        var before = Snapshot(dir);
        var files = Directory.EnumerateFiles(dir).Order().ToList();
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(dir, "results.db"));
        Assert.That(Cli("status", dir).Code, Is.EqualTo(0));
        Assert.That(Directory.EnumerateFiles(dir).Order(), Is.EqualTo(files), "status created files");
        var report = D("readers-report");
        var (code, output, err) = Cli("report", dir, "--out", report, "--no-filmstrips");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("report:"));
        Assert.That(File.Exists(Path.Combine(report, "report.md")), Is.True);
        Assert.That(Directory.EnumerateFiles(dir).Order(), Is.EqualTo(files), "report wrote into the study directory");
        Assert.That(Snapshot(dir), Is.EqualTo(before));
        Assert.That(File.GetLastWriteTimeUtc(Path.Combine(dir, "results.db")), Is.EqualTo(stamp));
        Assert.That(Directory.EnumerateFiles(report, ".*tmp*", SearchOption.AllDirectories), Is.Empty, "temporary files left behind");
    }

    // 5: shards run by hand without --slurm, and a full local store beside an array.json, are merged by one rule.
    [Test]
    public void ShardsRunByHandAndLocalStoresAreMergedByOneRule()
    {
        var dir = D("byhand");
        string[] study = ["compare", "sphere", "--agents", "rand", "--seeds", "3", "--budget", "3", "--jobs", "1", "--quiet", "--out", dir];
        Assert.That(Cli([.. study, "--shard", "0/2"]).Code, Is.EqualTo(0));
        Assert.That(Cli([.. study, "--shard", "1/2"]).Code, Is.EqualTo(0));
        var status = Cli("status", dir);
        Assert.That(status.Out, Does.Contain("in 2 shard(s)").And.Contain("complete:"), status.Out);
        Assert.That(Cli("report", dir, "--no-filmstrips").Code, Is.EqualTo(0));
        Assert.That(File.ReadAllLines(Path.Combine(dir, "export", "runs.csv")), Has.Length.EqualTo(1 + 3));

        var local = D("local-then-array");
        string[] localStudy = ["compare", "sphere", "--agents", "rand", "--seeds", "3", "--budget", "3", "--jobs", "1", "--quiet", "--out", local];
        Assert.That(Cli(localStudy).Code, Is.EqualTo(0));
        Assert.That(Cli([.. localStudy[..^2], "--out", local, "--slurm", "--array-size", "3"]).Code, Is.EqualTo(0));
        var s2 = Cli("status", local);
        Assert.That(s2.Out, Does.Contain("in 3 shard(s)").And.Contain("complete:"), s2.Out);
        Assert.That(Cli("report", local, "--no-filmstrips").Code, Is.EqualTo(0));
        Assert.That(File.ReadAllLines(Path.Combine(local, "export", "runs.csv")), Has.Length.EqualTo(1 + 3));
    }

    // 7, 11, 12: command-line sizes, spellings and paths.
    [TestCase("--seeds 1e9", "--seeds '1e9' is not an integer")]
    [TestCase("--seeds 1000000000", "seeds = 1000000000")]
    [TestCase("--seeds 010", "--seeds '010' is not an integer")]
    [TestCase("--budget 100000000", "budget = 100000000")]
    [TestCase("--jobs 100000", "--jobs 100000 must be in")]
    [TestCase("--set rand.include_guess=true --set rand.include_guess=false", "given twice")]
    [TestCase("--slurm --array-size 2000000000", "--array-size 2000000000")]
    [TestCase("--slurm --cpus-per-task 100000", "--cpus-per-task 100000")]
    [TestCase("--slurm --time 999:99:99", "--time '999:99:99'")]
    [TestCase("--slurm --partition a;b", "--partition 'a;b'")]
    public void CompareOptionsAreBounded(string extra, string expected) =>
        Refused(expected, ["compare", "sphere", "--agents", "rand", "--seeds", "2", "--budget", "3", "--out", "{root}/never", .. extra.Split(' ')]);

    [Test]
    public void TrailingNewlinesAndDuplicateTaskSpellingsAreRefused()
    {
        Refused("--time '01:00:00\\n'", "compare", "sphere", "--agents", "rand", "--out", "{root}/never", "--slurm", "--time", "01:00:00\n");
        Refused("listed twice", "compare", "sphere, sphere", "--agents", "rand", "--out", "{root}/never");
        Refused("same task", "compare", "sphere:dim=3,sphere:dim=03", "--agents", "rand", "--out", "{root}/never");
        Refused("must be one of", "run", "sphere", "--agent", "cmaes", "--set", "start=-1");
        Refused("must be one of", "run", "sphere", "--agent", "gd", "--set", "start=2");
        Refused("accepts budgets up to 2000", "run", "sphere", "--agent", "bo", "--budget", "100000");
        Refused("--range", "landscape", "sphere", "--range", "1e308", "--out", "{root}/never.png");
        Assert.That(Directory.Exists(D("never")), Is.False);
    }

    [Test]
    public void RunOutputPathsAreCheckedBeforeTheRun()
    {
        var file = Write("a-file", "x");
        // A budget that would take minutes: the check must come first.
        Refused("is a file", "run", "sphere", "--agent", "rand", "--budget", "100000000", "--out", file);
        Refused("is empty", "run", "sphere", "--agent", "rand", "--budget", "100000000", "--out", "");
        Refused("not a writable directory", "run", "sphere", "--agent", "rand", "--budget", "100000000", "--out", "/proc/contactopt");
        var ok = D("trace");
        var (code, _, err) = Cli("run", "sphere", "--agent", "rand", "--budget", "20", "--out", ok);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(File.ReadAllLines(Path.Combine(ok, "trace.csv")), Has.Length.EqualTo(21));
        Assert.That(Directory.EnumerateFiles(ok), Has.Exactly(1).Items);
    }

    // 8, 9: accepted values that blow up numerically are failed runs (exit 1, log), never "bad input".
    [TestCase("cartpole", "6", "sgd", "sigma=1e308")]
    [TestCase("cartpole", "6", "bo-leap", "sigma0=1e308")]
    [TestCase("cartpole", "6", "cmaes", "sigma0=1e308")]
    [TestCase("cartpole", "6", "gd", "step_size=1e308")]
    [TestCase("sphere", "12", "ppo", "n_steps=2", "batch_size=2", "learning_rate=1", "ent_coef=1000", "vf_coef=1000")]
    [TestCase("sphere", "12", "ppo", "n_steps=2", "batch_size=2", "adam_eps=1e-12", "log_std_init=2", "clip_range=1000", "max_grad_norm=1e6")]
    [TestCase("cartpole", "2", "sac", "learning_starts=1", "batch_size=2", "learning_rate=1")]
    public void NumericalBlowUpsAreFailedRunsNotBadInput(string task, string budget, string agent, params string[] sets)
    {
        var args = new List<string> { "run", task, "--agent", agent, "--budget", budget };
        foreach (var s in sets) args.AddRange(["--set", s]);
        var (code, _, err) = Cli(args.ToArray());
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("contactopt ")).ToList();
        Assert.That(code, Is.EqualTo(0).Or.EqualTo(1), err);
        if (code == 1)
        {
            Assert.That(lines, Has.Count.EqualTo(1), err);
            Assert.That(lines[0], Does.Contain("failed").And.Contain("details in"));
            Assert.That(err, Does.Not.Contain("   at "));
            var log = lines[0][(lines[0].LastIndexOf("details in ", StringComparison.Ordinal) + 11)..].TrimEnd(')');
            Assert.That(File.ReadAllText(log), Does.Contain("   at "), "the log holds the stack trace");
        }
    }

    [Test]
    public void EvalReportsNonFiniteValuesInValidJson()
    {
        var x = string.Join(",", Enumerable.Repeat("1e10", 200));
        var (code, output, err) = Cli("eval", "cartpole", "--params", x, "--grad", "--json");
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        Assert.That(doc.RootElement.TryGetProperty("gradient_finite", out _), Is.True);
        var (tc, text, _) = Cli("eval", "cartpole", "--params", x, "--grad");
        Assert.That(tc, Is.EqualTo(0));
        Assert.That(text, Does.Not.Contain("+inf (diverged)").Or.Contain("loss      +inf"));
    }

    [Test]
    public void AStudyNameCannotInjectMarkdown()
    {
        var config = Write("named.json", "{\"name\": \"x\\n# injected\\n\", \"tasks\": [\"sphere\"], \"agents\": [\"rand\"], \"seeds\": 1, \"budget\": 2}");
        var dir = D("named");
        Assert.That(Cli("compare", "--config", config, "--out", dir, "--quiet").Code, Is.EqualTo(0));
        var report = File.ReadAllLines(Path.Combine(dir, "report.md"));
        Assert.That(report.Count(l => l.StartsWith("# ")), Is.EqualTo(1));
        Assert.That(report, Has.None.EqualTo("# injected"));
    }

    /// <summary>Values of every declared option, generated from its declared bounds and kind.</summary>
    static IEnumerable<(string Value, bool InBounds)> Generated(Agents.AgentOption o)
    {
        var ci = CultureInfo.InvariantCulture;
        string S(double v) => v.ToString("R", ci);
        switch (o.Kind)
        {
            case "integer":
                if (!double.IsNaN(o.Min)) { yield return (S(o.Min), true); yield return (S(o.Min - 1), false); }
                if (!double.IsNaN(o.Max)) { yield return (S(o.Max), true); yield return (S(o.Max + 1), false); yield return ("2147483647", o.Max >= int.MaxValue); }
                yield return ("1e9", false); yield return ("1.5", false); yield return ("0x10", false); yield return ("010", false); yield return (" 5", false); yield return ("", false);
                break;
            case "number":
                if (!double.IsNaN(o.Min)) { yield return (S(o.Min), true); yield return (S(o.Min - Math.Max(1, Math.Abs(o.Min))), false); }
                if (!double.IsNaN(o.Max)) { yield return (S(o.Max), true); yield return (S(o.Max * 10 + 1), false); }
                yield return ("1e999", false); yield return ("NaN", false); yield return ("-Infinity", false); yield return ("abc", false); yield return ("0.10.1", false);
                break;
            case "choice":
                foreach (var c in o.Choices!) yield return (c, true);
                yield return ("0", false); yield return ("-1", false); yield return ("1", false); yield return ("nope", false);
                break;
            case "boolean":
                yield return ("true", true); yield return ("false", true); yield return ("1", false); yield return ("yes", false);
                break;
        }
    }

    [Test]
    public void GeneratedOptionValuesAreAcceptedExactlyWithinTheDeclaredBounds()
    {
        var registry = Catalog.Agents();
        int cases = 0;
        foreach (var spec in registry.All)
            foreach (var o in spec.Options)
            {
                if (o.Kind == "integer") Assert.That(o.Max, Is.Not.NaN, $"{spec.Name}.{o.Name} is size-like and must declare an upper bound");
                foreach (var (value, inBounds) in Generated(o))
                {
                    cases++;
                    var settings = new Dictionary<string, string> { [o.Name] = value };
                    Exception? error = null;
                    try { registry.Create(spec.Name, settings); }
                    catch (Exception e) { error = e; }
                    if (inBounds)
                    {
                        // In bounds, only a cross-option rule (batch_size ≤ n_steps, elite ≤ popsize) may refuse it, as an ArgumentException.
                        if (error is not null) Assert.That(error, Is.InstanceOf<ArgumentException>(), $"{spec.Name}.{o.Name}={value}: {error}");
                    }
                    else
                    {
                        Assert.That(error, Is.InstanceOf<ArgumentException>(), $"{spec.Name}.{o.Name}={value} was accepted");
                        Assert.That(error!.Message, Does.Contain(o.Name));
                        Assert.That(error.Message, Does.Not.Contain("\n"));
                    }
                }
            }
        Assert.That(cases, Is.GreaterThan(300));
        Assert.That(Assert.Throws<ArgumentException>(() => registry.Create("ppo", new Dictionary<string, string> { ["net_arch"] = "100000,100000" }))!.Message, Does.Contain("4096"));
        Assert.That(Assert.Throws<ArgumentException>(() => registry.Create("ppo", new Dictionary<string, string> { ["net_arch"] = string.Join(",", Enumerable.Repeat("8", 9)) }))!.Message, Does.Contain("at most 8"));
    }

    [Test]
    public void ExtremeAcceptedOptionValuesOfTheOptimisersRunOrFailCleanly()
    {
        // Every optimiser at each declared bound of each numeric option, on a small task with a tiny budget.
        var registry = Catalog.Agents();
        foreach (var spec in registry.All.Where(s => s.Name is not ("ppo" or "sac")))
            foreach (var o in spec.Options.Where(o => o.Kind is "integer" or "number"))
                foreach (var v in new[] { o.Min, o.Max }.Where(v => !double.IsNaN(v)))
                {
                    var value = v.ToString("R", CultureInfo.InvariantCulture);
                    var (code, _, err) = Cli("run", "sphere", "--agent", spec.Name, "--set", $"{o.Name}={value}", "--budget", "4");
                    Assert.That(code, Is.AnyOf(0, 1, 2), $"{spec.Name}.{o.Name}={value}: {err}");
                    if (code != 0) Assert.That(err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("contactopt ")), Is.EqualTo(1), err);
                    if (code == 2) Assert.That(err, Does.Contain(o.Name).Or.Contain("elite"), $"{spec.Name}.{o.Name}={value}: {err}");
                }
    }
}
