using System.Text.RegularExpressions;
using ContactOpt.Cli;
using ContactOpt.Envs;
using Microsoft.Data.Sqlite;

namespace ContactOpt.Experiments.Tests;

/// <summary>Study presets (studies/*.yaml), the documentation's links, and the smaller CLI fixes of issue 14.</summary>
[NonParallelizable]
public class PresetAndDocTests
{
    string _dir = "";
    [SetUp] public void SetUp() { _dir = Path.Combine(Path.GetTempPath(), $"contactopt-preset-{Guid.NewGuid():N}"); Directory.CreateDirectory(_dir); }
    [TearDown] public void TearDown() { SqliteConnection.ClearAllPools(); Directory.Delete(_dir, true); }

    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        var (so, se) = (Console.Out, Console.Error);
        Console.SetOut(o); Console.SetError(e);
        try { return (CliApp.Run(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(so); Console.SetError(se); }
    }

    static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "ContactOpt.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    [Test]
    public void EveryFileOfTheStudiesFolderIsAPresetWithTheSameText()
    {
        var files = Directory.GetFiles(Path.Combine(RepoRoot(), "studies"), "*.yaml").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal).ToList();
        Assert.That(StudyPresets.Names(), Is.EqualTo(files));
        Assert.That(files, Does.Contain("dawson2021").And.Contain("rigid"));
        foreach (var name in files)
            Assert.That(StudyPresets.Text(name), Is.EqualTo(File.ReadAllText(Path.Combine(RepoRoot(), "studies", name + ".yaml"))), name);
        Assert.That(Assert.Throws<ArgumentException>(() => StudyPresets.Load("dawson"))!.Message, Does.Contain("'dawson'").And.Contain("dawson2021"));
    }

    [Test]
    public void EveryPresetLoadsValidatesAndRunsAtATinyBudget()
    {
        var tasks = BuiltinTasks.CreateRegistry();
        var agents = Catalog.Agents();
        foreach (var name in StudyPresets.Names())
        {
            var preset = StudyPresets.Load(name);
            preset.Validate(tasks, agents);
            // Tasks that declare test options (TaskSpec.TestOptions: the MPM and fluid scenes, cloth-id at preset=tiny) run
            // with them: the point is that every preset loads, validates and runs with each of its agents, not the cost
            // of its default resolution. The study's own options stay unless the test options set the same key.
            string Tiny(string task)
            {
                var (name, opts) = task.IndexOf(':') is int c and >= 0 ? (task[..c], task[(c + 1)..]) : (task, "");
                if (tasks.Spec(name).TestOptions is not string test) return task;
                var testOptions = test.Split(',', StringSplitOptions.RemoveEmptyEntries);
                var testKeys = testOptions.Select(o => o.Split('=')[0]).ToHashSet();
                var kept = opts.Split(',', StringSplitOptions.RemoveEmptyEntries).Where(o => !testKeys.Contains(o.Split('=')[0])).Concat(testOptions);
                return $"{name}:{string.Join(",", kept)}";
            }
            var tiny = preset with
            {
                Seeds = 1, Budget = 2, Tasks = preset.Tasks.Select(Tiny).ToList(),
                Overrides = preset.Overrides.Select(o => o with { Task = o.Task.Length > 0 ? Tiny(o.Task) : o.Task, Budget = o.Budget is null ? null : 3 }).ToList(),
            };
            using var store = ResultStore.Open(Path.Combine(_dir, name, "results.db"), tiny);
            var outcomes = new StudyRunner(tiny, tasks, agents, store).Run(2, Shard.All);
            Assert.That(outcomes.Where(o => !o.Succeeded).Select(o => $"{o.Run.Key}: {o.Error}"), Is.Empty, name);
            Assert.That(outcomes, Has.Count.EqualTo(tiny.Tasks.Count * tiny.Agents.Count), name);
        }
    }

    [Test]
    public void TheDawsonPresetMatchesThePaperAndRunsFromTheCommandLine()
    {
        var d = StudyPresets.Load("dawson2021");
        Assert.That(d.Tasks, Is.EqualTo(new[] { "flip", "grasp" }));
        Assert.That((d.BudgetFor("flip", "gd"), d.BudgetFor("grasp", "gd"), d.BudgetFor("flip", "sgd"), d.BudgetFor("grasp", "sgd"), d.BudgetFor("flip", "cmaes")),
            Is.EqualTo((6, 101, 21, 2001, 200)));
        Assert.That(d.SettingsFor("grasp", "sgd"), Is.EquivalentTo(new Dictionary<string, string> { ["step_size"] = "0.5", ["sigma"] = "0.1" }));
        var dir = Path.Combine(_dir, "dawson");
        var (code, output, err) = Run("compare", "--preset", "dawson2021", "--seeds", "1", "--budget", "2", "--out", dir, "--jobs", "2", "--quiet");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("report:"));
        Assert.That(File.ReadAllText(Path.Combine(dir, "report.md")), Does.StartWith("# Dawson (2021) reproduction"));
        var bad = Run("compare", "--preset", "nope", "--out", Path.Combine(_dir, "x"));
        Assert.That(bad.Code, Is.EqualTo(2));
        Assert.That(bad.Err.Trim(), Does.Contain("unknown study preset 'nope'").And.Not.Contain("\n"));
        var both = Run("compare", "--preset", "rigid", "--config", "x.yaml");
        Assert.That((both.Code, both.Err.Contains("not both")), Is.EqualTo((2, true)));
        // A plain task list is an ordinary study, never a hidden preset.
        var plain = Run("compare", "flip,grasp", "--agents", "rand", "--seeds", "1", "--budget", "3", "--out", Path.Combine(_dir, "plain"), "--quiet");
        Assert.That(plain.Code, Is.EqualTo(0), plain.Err);
        Assert.That(File.ReadAllText(Path.Combine(_dir, "plain", "report.md")), Does.Not.Contain("Dawson (2021) reproduction"));
    }

    [Test]
    public void TheReadmeStudyExampleLoadsAsWritten()
    {
        var readme = File.ReadAllText(Path.Combine(RepoRoot(), "README.md"));
        var yaml = Regex.Match(readme, "```yaml\n(tasks:.*?)```", RegexOptions.Singleline);
        Assert.That(yaml.Success, "README has a study YAML example");
        var path = Path.Combine(_dir, "study.yaml");
        File.WriteAllText(path, yaml.Groups[1].Value);
        var study = StudySpec.Load(path);
        study.Validate(BuiltinTasks.CreateRegistry(), Catalog.Agents());
        Assert.That(study.SettingsFor("flip", "gd")["step_size"], Is.EqualTo("0.1"));
        Assert.That(readme, Does.Contain("./contactopt compare --preset dawson2021"), "the main job names its preset");
    }

    static readonly Regex MarkdownLink = new(@"!?\[[^\]]*\]\(([^)\s]+)(?:\s+""[^""]*"")?\)");
    /// <summary>Code spans that name a repository file: a relative path ending in a documentation or data extension.</summary>
    static readonly Regex PathSpan = new(@"`((?:\.\./|docs/|examples/|studies/|tests/|experiments/|core/|envs/|agents/|optimizers/|cli/)[\w./+-]*\.(?:md|yaml|yml|png|csv|txt|cs))`");

    [Test]
    public void EveryLinkAndFilePathInTheDocumentationResolvesInsideTheRepository()
    {
        var root = RepoRoot();
        var skip = new[] { "bin", "obj", "runs", "out", ".git", "TestResults", ".nuget-packages" };
        var files = Directory.EnumerateFiles(root, "*.md", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar).Any(p => skip.Contains(p))).ToList();
        Assert.That(files.Select(f => Path.GetRelativePath(root, f)), Does.Contain("README.md"));
        var broken = new List<string>();
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            var dir = Path.GetDirectoryName(file)!;
            foreach (Match m in MarkdownLink.Matches(text))
            {
                var target = m.Groups[1].Value;
                if (Regex.IsMatch(target, "^[a-z]+:") || target.StartsWith('#')) continue;
                target = target.Split('#')[0];
                var full = Path.GetFullPath(Path.Combine(dir, target));
                if (!full.StartsWith(root, StringComparison.Ordinal)) broken.Add($"{Path.GetRelativePath(root, file)}: link '{m.Groups[1].Value}' leaves the repository");
                else if (!File.Exists(full) && !Directory.Exists(full)) broken.Add($"{Path.GetRelativePath(root, file)}: link '{m.Groups[1].Value}' does not resolve");
            }
            foreach (Match m in PathSpan.Matches(text))
            {
                var target = m.Groups[1].Value;
                var fromRoot = Path.GetFullPath(Path.Combine(root, target));
                var fromFile = Path.GetFullPath(Path.Combine(dir, target));
                bool inside = fromRoot.StartsWith(root, StringComparison.Ordinal) || fromFile.StartsWith(root, StringComparison.Ordinal);
                if (!inside || !(File.Exists(fromRoot) || File.Exists(fromFile)))
                    broken.Add($"{Path.GetRelativePath(root, file)}: path `{target}` is not a file of the repository");
            }
        }
        Assert.That(broken, Is.Empty);
    }

    [Test]
    public void TasksVerboseStatesEachSuccessThresholdOnce()
    {
        var (code, output, _) = Run("tasks", "--verbose");
        Assert.That(code, Is.EqualTo(0));
        foreach (var block in Regex.Split(output, @"\n(?=\S)").Skip(1))
            Assert.That(Regex.Matches(block, "success:").Count, Is.EqualTo(1), block.Split('\n')[0]);
    }

    [Test]
    public void BenchAgentsSettingsLineNamesOnlyTasksWithSettings()
    {
        var none = Cli.Commands.BenchAgentsCommand.SettingsLine(["flip"], ["rand", "cmaes"], _ => _ => new Dictionary<string, string>());
        Assert.That(none, Is.EqualTo("Settings: agent defaults."));
        var some = Cli.Commands.BenchAgentsCommand.SettingsLine(["flip", "sphere"], ["gd", "rand"],
            t => a => t == "sphere" && a == "gd" ? new Dictionary<string, string> { ["step_size"] = "0.1" } : new Dictionary<string, string>());
        Assert.That(some, Is.EqualTo("Settings: agent defaults, except sphere: gd step_size=0.1."));
    }
}
