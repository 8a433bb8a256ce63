using ContactOpt.Agents;
using ContactOpt.Envs;
using Microsoft.Data.Sqlite;

namespace ContactOpt.Experiments.Tests;

public class StudyTests
{
    string _dir = "";
    static AgentRegistry Agents() => new([ProbeAgent.Spec("probe"), ProbeAgent.Spec("probe2")]);
    static StudySpec Small() => new()
    {
        Tasks = ["flip", "grasp"], Agents = ["probe", "probe2"], Seeds = 3, Budget = 12,
        Settings = new() { ["probe2"] = new() { ["scale"] = "0.5" } },
        Overrides = [new StudyOverride { Task = "flip", Agent = "probe", Budget = 7 }],
    };

    [SetUp] public void SetUp() { _dir = Path.Combine(Path.GetTempPath(), $"contactopt-study-{Guid.NewGuid():N}"); }
    [TearDown] public void TearDown() { SqliteConnection.ClearAllPools(); if (Directory.Exists(_dir)) Directory.Delete(_dir, true); }

    static List<string> Dump(ResultStore store) =>
        store.Runs().SelectMany(r => store.Episodes(r.Id).Select(e => $"{r.Task}|{r.Agent}|{r.Seed}|{r.Budget}|{e.Episode}|{e.Loss:R}|{e.Best:R}|{e.Gradient}")
            .Append($"{r.Task}|{r.Agent}|{r.Seed}|best {r.BestLoss:R}|{string.Join(",", r.BestParameters)}")).ToList();

    List<string> RunStudy(string name, int jobs)
    {
        using var store = ResultStore.Open(Path.Combine(_dir, name, "results.db"), Small());
        new StudyRunner(Small(), BuiltinTasks.CreateRegistry(), Agents(), store).Run(jobs, Shard.All);
        return Dump(store);
    }

    [Test]
    public void IdenticalSeedsGiveIdenticalStoresWhateverTheNumberOfJobs()
    {
        var one = RunStudy("a", 1);
        var two = RunStudy("b", 2);
        var four = RunStudy("c", 4);
        Assert.That(one, Has.Count.EqualTo(2 * 3 * 12 + 3 * 7 + 3 * 12 + 12));
        Assert.That(two, Is.EqualTo(one));
        Assert.That(four, Is.EqualTo(one));
    }

    [Test]
    public void ResumeAfterACrashMidTraceGivesIdenticalResults()
    {
        var reference = RunStudy("ref", 2);
        var path = Path.Combine(_dir, "crash", "results.db");
        var study = Small();
        using (var store = ResultStore.Open(path, study))
        {
            var runner = new StudyRunner(study, BuiltinTasks.CreateRegistry(), Agents(), store);
            // Finish some runs, then simulate a crash: a run started, part of its trace written, never completed.
            int finished = 0;
            using var cts = new CancellationTokenSource();
            runner.Run(1, Shard.All, _ => { if (++finished == 5) cts.Cancel(); }, cts.Token);
            var victim = runner.Pending(Shard.All)[0];
            long id = store.Start(victim, "test", "test");
            using var db = new SqliteConnection($"Data Source={path};Pooling=False");
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = $"INSERT INTO episodes(run_id, episode, loss, best, gradient, elapsed) VALUES ({id}, 0, 123.0, 123.0, 0, 0.0), ({id}, 1, 99.0, 99.0, 0, 0.0)";
            cmd.ExecuteNonQuery();
        }
        using (var store = ResultStore.Open(path, study))
        {
            Assert.That(store.Runs(finishedOnly: false).Count(r => r.Status != "done"), Is.EqualTo(0), "unfinished runs are removed on open");
            var runner = new StudyRunner(study, BuiltinTasks.CreateRegistry(), Agents(), store);
            Assert.That(runner.Pending(Shard.All), Has.Count.EqualTo(study.Runs().Count - 5));
            runner.Run(2, Shard.All);
            Assert.That(Dump(store), Is.EqualTo(reference));
            Assert.That(runner.Pending(Shard.All), Is.Empty);
        }
    }

    [Test]
    public void FailedRunsAreRecordedAndRetriedOnResume()
    {
        var study = Small() with { Settings = new() { ["probe2"] = new() { ["fail_at"] = "3" } } };
        var path = Path.Combine(_dir, "fail", "results.db");
        using var store = ResultStore.Open(path, study);
        var outcomes = new StudyRunner(study, BuiltinTasks.CreateRegistry(), Agents(), store).Run(2, Shard.All);
        Assert.That(outcomes.Count(o => !o.Succeeded), Is.EqualTo(6));
        Assert.That(outcomes.First(o => !o.Succeeded).Error, Does.Contain("probe failure on purpose"));
        Assert.That(store.Runs(finishedOnly: false).Count(r => r.Status == "failed"), Is.EqualTo(6));
        Assert.That(store.Runs().Count, Is.EqualTo(6));
    }

    [Test]
    public void AStoreOfAnotherStudyIsRefusedAndLeftIntact()
    {
        var path = Path.Combine(_dir, "x", "results.db");
        using (var s = ResultStore.Open(path, Small())) new StudyRunner(Small(), BuiltinTasks.CreateRegistry(), Agents(), s).Run(2, Shard.All);
        long size = new FileInfo(path).Length;
        var other = Small() with { Seeds = 4 };
        var e = Assert.Throws<StoreMismatchException>(() => ResultStore.Open(path, other))!;
        Assert.That(e.Message, Does.Contain("holds a different study"));
        using var again = ResultStore.Open(path, Small());
        Assert.That(again.Runs(), Has.Count.EqualTo(Small().Runs().Count));
        Assert.That(new FileInfo(path).Length, Is.GreaterThanOrEqualTo(size));
    }

    [Test]
    public void AStoreFromAnIncompatibleVersionIsRefused()
    {
        var path = Path.Combine(_dir, "v", "results.db");
        using (var s = ResultStore.Open(path, Small())) s.SetMeta("schema_version", "999");
        Assert.That(Assert.Throws<StoreMismatchException>(() => ResultStore.Open(path, Small()))!.Message, Does.Contain("incompatible version"));
    }

    [Test]
    public void ReportHasATablePerTaskAndNonEmptyPngs()
    {
        var path = Path.Combine(_dir, "rep", "results.db");
        using var store = ResultStore.Open(path, Small());
        new StudyRunner(Small(), BuiltinTasks.CreateRegistry(), Agents(), store).Run(2, Shard.All);
        var report = new ReportBuilder(store, BuiltinTasks.CreateRegistry());
        var md = File.ReadAllText(report.Write(Path.Combine(_dir, "rep")));
        Assert.That(md, Does.Contain("## flip").And.Contain("## grasp"));
        Assert.That(md, Does.Contain("| probe | 3 | 7 |"), "flip/probe has the overridden budget");
        Assert.That(md, Does.Contain("| probe2 | 3 | 12 |"));
        foreach (var png in new[] { "flip-curves.png", "flip-bars.png", "grasp-curves.png", "grasp-bars.png", "flip-probe-film.png" })
        {
            var file = new FileInfo(Path.Combine(_dir, "rep", png));
            Assert.That(file.Exists && file.Length > 5000, Is.True, png);
        }
        var summaries = report.Summaries();
        var s = summaries.Single(x => x.Task == "grasp" && x.Agent == "probe");
        Assert.That(s.CiLow, Is.LessThanOrEqualTo(s.Mean));
        Assert.That(s.CiHigh, Is.GreaterThanOrEqualTo(s.Mean));
        store.Export(Path.Combine(_dir, "rep", "export"));
        var csv = File.ReadAllLines(Path.Combine(_dir, "rep", "export", "episodes.csv"));
        Assert.That(csv[0], Is.EqualTo("task,agent,seed,episode,loss,best,gradient,elapsed"));
        Assert.That(csv, Has.Length.EqualTo(1 + Small().Runs().Sum(r => r.Budget)));
    }

    [Test]
    public void StudyValidationNamesTheProblem()
    {
        var tasks = BuiltinTasks.CreateRegistry();
        Assert.That(Assert.Throws<ArgumentException>(() => (Small() with { Tasks = ["nope"] }).Validate(tasks, Agents()))!.Message, Does.Contain("unknown task 'nope'"));
        Assert.That(Assert.Throws<ArgumentException>(() => (Small() with { Agents = ["probe", "zzz"] }).Validate(tasks, Agents()))!.Message, Does.Contain("unknown agent 'zzz'"));
        Assert.That(Assert.Throws<ArgumentException>(() => (Small() with { Seeds = 0 }).Validate(tasks, Agents()))!.Message, Does.Contain("seeds = 0"));
        Assert.That(Assert.Throws<ArgumentException>(() => (Small() with { Budget = -3 }).Validate(tasks, Agents()))!.Message, Does.Contain("budget = -3"));
        var badOption = Small() with { Settings = new() { ["probe"] = new() { ["speed"] = "1" } } };
        Assert.That(Assert.Throws<ArgumentException>(() => badOption.Validate(tasks, Agents()))!.Message, Does.Contain("no option 'speed'"));
        var badValue = Small() with { Settings = new() { ["probe"] = new() { ["scale"] = "-1" } } };
        Assert.That(Assert.Throws<ArgumentException>(() => badValue.Validate(tasks, Agents()))!.Message, Does.Contain("scale = -1"));
        var notNumber = Small() with { Settings = new() { ["probe"] = new() { ["scale"] = "abc" } } };
        Assert.That(Assert.Throws<ArgumentException>(() => notNumber.Validate(tasks, Agents()))!.Message, Does.Contain("scale='abc'"));
    }

    [Test]
    public void ConfigFilesInJsonAndYamlGiveTheSameStudy()
    {
        Directory.CreateDirectory(_dir);
        var json = Path.Combine(_dir, "s.json");
        File.WriteAllText(json, """{ "tasks": ["flip"], "agents": ["probe"], "seeds": 2, "budget": 5, "settings": { "probe": { "scale": "0.3" } } }""");
        var yaml = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(yaml, "tasks: [flip]\nagents: [probe]\nseeds: 2\nbudget: 5\nsettings:\n  probe:\n    scale: '0.3'\n");
        Assert.That(StudySpec.Load(yaml).Fingerprint(), Is.EqualTo(StudySpec.Load(json).Fingerprint()));
        var bad = Path.Combine(_dir, "bad.json");
        File.WriteAllText(bad, """{ "tasks": ["flip"], "agentz": ["probe"] }""");
        Assert.That(Assert.Throws<ArgumentException>(() => StudySpec.Load(bad))!.Message, Does.Contain("bad.json").And.Contain("agentz"));
        Assert.That(Assert.Throws<ArgumentException>(() => StudySpec.Load(Path.Combine(_dir, "missing.json")))!.Message, Does.Contain("does not exist"));
    }

    [Test]
    public void ShardsPartitionTheRunsStably()
    {
        var runs = Small().Runs();
        var shards = Enumerable.Range(0, 4).Select(i => new Shard(i, 4)).ToList();
        var owned = runs.Select((r, i) => shards.Count(s => s.Owns(i))).ToList();
        Assert.That(owned, Is.All.EqualTo(1));
        Assert.That(Assert.Throws<ArgumentException>(() => Shard.Parse("4/4"))!.Message, Does.Contain("must be in 0..3"));
        Assert.That(Assert.Throws<ArgumentException>(() => Shard.Parse("0/0"))!.Message, Does.Contain("at least 1"));
        Assert.That(Assert.Throws<ArgumentException>(() => Shard.Parse("x"))!.Message, Does.Contain("i/N"));
    }
}
