using System.Diagnostics;
using ContactOpt.Experiments;

namespace ContactOpt.Cli.Commands;

/// <summary>
/// <c>contactopt compare &lt;task&gt;[,...] [--agents a,b] [--seeds N] [--budget N] [--jobs J] [--set agent.k=v ...]
/// [--out DIR] [--config FILE | --preset NAME] [--quiet]</c>. <c>--preset dawson2021</c> runs the Dawson (2021) reproduction
/// (the presets are the files of <c>studies/</c>).
/// </summary>
public static class CompareCommand
{
    /// <summary>Upper bound of --jobs (worker threads).</summary>
    public const int MaxJobs = 256;

    public static int Run(Args args)
    {
        var plugins = args.Options("agents-from");
        Catalog.UsePlugins(plugins);
        var config = args.Option("config");
        var preset = args.Option("preset");
        var agentsText = args.Option("agents");
        var seedsText = args.Option("seeds");
        var budgetText = args.Option("budget");
        var sets = args.Options("set");
        int jobs = args.Int("jobs", Math.Min(Environment.ProcessorCount, MaxJobs), 1, MaxJobs);
        var outDir = args.Option("out");
        bool quiet = args.Flag("quiet");
        var shardText = args.Option("shard");
        bool slurm = args.Flag("slurm"), submit = args.Flag("submit"), resubmit = args.Flag("resubmit-missing");
        var arraySizeText = args.Option("array-size");
        var partition = args.Option("partition");
        var time = args.Option("time");
        var cpusText = args.Option("cpus-per-task");
        var sbatch = args.Option("sbatch") ?? "sbatch";
        args.EnsureAllUsed(1);
        if (!slurm && (submit || resubmit || arraySizeText is not null || partition is not null || time is not null || cpusText is not null))
            throw new UsageException("--submit, --resubmit-missing, --array-size, --partition, --time and --cpus-per-task need --slurm.");
        if (slurm && plugins.Count > 0)
            throw new UsageException("--agents-from is not passed on to Slurm job arrays; run the shards with 'compare --shard i/n --agents-from FILE' instead.");
        if (slurm && shardText is not null) throw new UsageException("--slurm writes a job array over all shards; do not also give --shard.");

        var tasks = Catalog.Tasks();
        var agents = Catalog.Agents();
        StudySpec study;
        if (config is not null && preset is not null) throw new UsageException("give either --config FILE or --preset NAME, not both.");
        if (config is not null || preset is not null)
        {
            if (args.Positionals.Count > 0 || agentsText is not null || sets.Count > 0)
                throw new UsageException($"{(config is not null ? "--config" : "--preset")} describes the whole study; do not also give tasks, --agents or --set.");
            study = config is not null ? StudySpec.Load(config) : StudyPresets.Load(preset!);
            if (seedsText is not null) study = study with { Seeds = ParseInt(seedsText, "--seeds") };
            if (budgetText is not null) study = study with { Budget = ParseInt(budgetText, "--budget") };
        }
        else
        {
            var taskList = Catalog.SplitTaskList(args.Positional(0, "task name(s), comma-separated, --config FILE or --preset NAME"));
            var agentList = agentsText?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
                            ?? agents.All.Select(a => a.Name).ToList();
            study = new StudySpec
            {
                Tasks = taskList, Agents = agentList,
                Seeds = seedsText is null ? 10 : ParseInt(seedsText, "--seeds"),
                Budget = budgetText is null ? 1000 : ParseInt(budgetText, "--budget"),
                Settings = ParseSets(sets),
            };
        }
        // Validation first (names, sizes, every option), then one canonical spelling: one configuration, one fingerprint.
        study.Validate(tasks, agents);
        study = study.Canonical(tasks);
        var shard = shardText is null ? Shard.All : Shard.Parse(shardText);
        var dir = outDir ?? (preset is not null ? Path.Combine("runs", preset) : null) ?? Path.Combine("runs", string.Join("-", study.Tasks.Select(t => t.Replace(':', '_').Replace('=', '-').Replace(',', '_'))));
        var dbPath = Cluster.DatabaseFor(dir, shard);

        // Nothing is written before the directory is known to be this study's (or new): study file and store are checked read-only.
        if (string.IsNullOrWhiteSpace(dir)) throw new UsageException("--out is empty; give a directory.");
        if (File.Exists(dir)) throw new UsageException($"--out '{dir}' is a file, not a directory.");
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any()
            && !Cluster.IsStudyDirectory(dir))
            throw new UsageException($"'{dir}' exists and is not a ContactOpt study directory; choose another --out.");
        Cluster.CheckStudy(dir, study);
        foreach (var existing in Cluster.Stores(dir)) ResultStore.CheckWritable(existing, study);
        if (slurm) return Slurm(dir, study, arraySizeText, cpusText, partition, time, submit, resubmit, sbatch);
        if (shard.Count > 1 && File.Exists(Path.Combine(dir, "slurm", "array.json")) && Cluster.ArraySize(dir) != shard.Count)
            throw new UsageException($"'{dir}' is split into {Cluster.ArraySize(dir)} shards; --shard {shard} does not match.");

        // The only writer of this store from here on (a second compare on it is refused); then the study file.
        using var store = ResultStore.Open(dbPath, study);
        Cluster.SaveStudy(dir, study);
        var runner = new StudyRunner(study, tasks, agents, store);
        var pending = runner.Pending(shard);
        int total = study.Runs().Where((_, i) => shard.Owns(i)).Count();
        int already = total - pending.Count;
        var log = Console.Error;
        if (!quiet)
        {
            log.WriteLine($"compare: {study.Tasks.Count} task(s) × {study.Agents.Count} agent(s) × {study.Seeds} seed(s) = {total} runs{(shard.Count > 1 ? $" in shard {shard}" : "")}, {jobs} job(s); results in {dbPath}");
            if (already > 0) log.WriteLine($"compare: resuming, {already} of {total} runs already finished");
        }
        var progress = new Progress(total, already, quiet, log);
        var outcomes = runner.Run(jobs, shard, progress.OnFinished);
        progress.Finish();

        var failed = outcomes.Where(o => !o.Succeeded).ToList();
        foreach (var f in failed) log.WriteLine($"compare: run {f.Run.Task}/{f.Run.Agent}/seed {f.Run.Seed} failed: {CliApp.OneLine(f.Error ?? "")}");
        if (shard.Count == 1)
        {
            // The report reads every store of the directory by the one merge rule (shards run elsewhere included).
            using var merged = Cluster.Merge(dir, study);
            var report = new ReportBuilder(merged, tasks);
            var path = report.Write(dir);
            merged.Export(Path.Combine(dir, "export"));
            Console.WriteLine(report.SummaryTable());
            Console.WriteLine($"report: {path}");
        }
        else Console.WriteLine($"shard {shard} done: {outcomes.Count - failed.Count} runs finished, {failed.Count} failed; merge with 'contactopt report {dir}'.");
        return failed.Count == 0 ? 0 : 1;
    }

    static int Slurm(string dir, StudySpec study, string? arraySizeText, string? cpusText, string? partition, string? time,
        bool submit, bool resubmit, string sbatch)
    {
        int runs = study.Runs().Count;
        int size = arraySizeText is null ? (Cluster.ArraySize(dir) > 1 ? Cluster.ArraySize(dir) : Math.Min(runs, 10)) : ParseInt(arraySizeText, "--array-size");
        if (size < 1 || size > Math.Min(Cluster.MaxArraySize, runs))
            throw new UsageException($"--array-size {size} must be in [1, {Math.Min(Cluster.MaxArraySize, runs)}] (at most one shard per run, and at most {Cluster.MaxArraySize}).");
        int cpus = cpusText is null ? 1 : ParseInt(cpusText, "--cpus-per-task");
        if (cpus < 1 || cpus > MaxJobs) throw new UsageException($"--cpus-per-task {cpus} must be in [1, {MaxJobs}].");
        var options = new SlurmOptions(size, cpus, partition, time);
        var contactopt = Path.Combine(RepoRoot(), "contactopt");
        IReadOnlyList<int>? indices = null;
        if (resubmit)
        {
            if (Cluster.ArraySize(dir) != size) throw new UsageException($"'{dir}' has no job array of {size} shards to resubmit.");
            indices = Cluster.Status(dir, study, size).Where(s => !s.Complete).Select(s => s.Index).ToList();
            if (indices.Count == 0) { Console.WriteLine($"nothing to resubmit: all {size} shards of '{dir}' are complete."); return 0; }
        }
        string script;
        try { script = Cluster.WriteScript(dir, study, options, contactopt, indices); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        Cluster.SaveStudy(dir, study);
        Console.WriteLine($"wrote {script} ({(indices is null ? $"{size} shards" : $"shards {string.Join(",", indices)} of {size}")}, {runs} runs in all)");
        if (!submit && !resubmit)
        {
            Console.WriteLine($"submit with: sbatch {script}   (or add --submit); check with: contactopt status {dir}");
            return 0;
        }
        string job;
        try { job = Cluster.Submit(script, sbatch); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        Console.WriteLine($"submitted job {job}");
        return 0;
    }

    /// <summary>The repository root: the directory holding the contactopt wrapper, found upwards from the binary.</summary>
    internal static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "contactopt")) && File.Exists(Path.Combine(d.FullName, "ContactOpt.sln"))) return d.FullName;
        return Directory.GetCurrentDirectory();
    }

    /// <summary>An integer written plainly: optional '-', digits, no leading zeros, blanks or exponents.</summary>
    static int ParseInt(string s, string what) =>
        System.Text.RegularExpressions.Regex.IsMatch(s, @"^-?(0|[1-9][0-9]{0,9})\z") && int.TryParse(s, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v : throw new UsageException($"{what} '{s}' is not an integer.");

    static Dictionary<string, Dictionary<string, string>> ParseSets(IReadOnlyList<string> sets)
    {
        var d = new Dictionary<string, Dictionary<string, string>>();
        foreach (var s in sets)
        {
            int dot = s.IndexOf('.'), eq = s.IndexOf('=');
            if (dot <= 0 || eq < dot + 2) throw new UsageException($"--set '{s}' must look like agent.option=value.");
            var agent = s[..dot]; var key = s[(dot + 1)..eq]; var value = s[(eq + 1)..];
            if (!d.TryGetValue(agent, out var m)) d[agent] = m = new();
            if (!m.TryAdd(key, value)) throw new UsageException($"--set {agent}.{key} is given twice.");
        }
        return d;
    }

    /// <summary>Live progress on a terminal (one updating line), plain lines when redirected.</summary>
    sealed class Progress(int total, int already, bool quiet, TextWriter log)
    {
        readonly Stopwatch _sw = Stopwatch.StartNew();
        readonly object _lock = new();
        readonly bool _tty = !Console.IsErrorRedirected;
        int _done;

        public void OnFinished(RunOutcome o)
        {
            if (quiet) return;
            lock (_lock)
            {
                _done++;
                int done = already + _done;
                double eta = _done > 0 ? _sw.Elapsed.TotalSeconds / _done * (total - done) : 0;
                string what = $"{o.Run.Task}/{o.Run.Agent}/seed {o.Run.Seed}: {(o.Succeeded ? $"best {ReportBuilder.F(o.BestLoss)}" : "FAILED")} ({o.Seconds:0.0} s)";
                string line = $"[{done,4}/{total}] {100.0 * done / Math.Max(1, total),3:0}%  ETA {TimeSpan.FromSeconds(Math.Round(eta)):g}  {what}";
                if (_tty) log.Write("\r" + line.PadRight(Math.Min(120, Math.Max(line.Length, 100))));
                else log.WriteLine(line);
            }
        }

        public void Finish()
        {
            if (quiet) return;
            if (_tty && _done > 0) log.WriteLine();
            log.WriteLine($"compare: {_done} run(s) in {_sw.Elapsed.TotalSeconds:0.0} s");
        }
    }
}
