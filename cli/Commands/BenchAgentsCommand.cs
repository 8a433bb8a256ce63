using System.Diagnostics;
using System.Globalization;
using System.Text;
using ContactOpt.Agents;
using ContactOpt.Budget;
using ContactOpt.Optimizers;
using ContactOpt.Tasks;

namespace ContactOpt.Cli.Commands;

/// <summary>
/// <c>contactopt bench-agents [--tasks T,...] [--agents A,...] [--seeds N] [--budget N] [--threads N]
/// [--set agent.key=value ...] [--skip-timing | --timing-only] [--timing-points N] [--timing-dims D,...] [--out FILE.md]</c>:
/// the median best loss of each agent over seeds (the BO-Leap paper's protocol: best loss within the budget),
/// and the wall time of one BO trial (GP fit + acquisition optimisation) on N points. Markdown on stdout.
/// </summary>
public static class BenchAgentsCommand
{
    public static int Run(Args args)
    {
        Catalog.UsePlugins(args.Options("agents-from"));
        var tasks = (args.Option("tasks") ?? "ackley:dim=10;rastrigin:dim=10").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var agents = (args.Option("agents") ?? "rand,cmaes,randdescents,bo,bo-leap").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int seeds = args.Int("seeds", 10, 1, 10_000);
        int budget = args.Int("budget", 1000, 1, 10_000_000);
        int threads = args.Int("threads", Environment.ProcessorCount, 1, 1024);
        int timingPoints = args.Int("timing-points", 1000, 2, 100_000);
        var timingDims = (args.Option("timing-dims") ?? "10").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 1 && v <= 10_000 ? v
                : throw new UsageException($"--timing-dims '{t}' must be a list of dimensions 1…10000.")).ToArray();
        bool skipTiming = args.Flag("skip-timing"), timingOnly = args.Flag("timing-only");
        var outFile = args.Option("out");
        var overrides = new Dictionary<string, Dictionary<string, string>>();
        foreach (var item in args.Options("set"))
        {
            int dot = item.IndexOf('.'), eq = item.IndexOf('=');
            if (dot <= 0 || eq < dot + 2) throw new UsageException($"--set '{item}' must be agent.key=value.");
            var agent = item[..dot];
            if (!overrides.TryGetValue(agent, out var d)) overrides[agent] = d = new();
            d[item[(dot + 1)..eq]] = item[(eq + 1)..];
        }
        args.EnsureAllUsed(0);
        var registry = Catalog.Agents();
        foreach (var a in agents.Concat(overrides.Keys)) if (!registry.Contains(a)) throw new UsageException($"unknown agent '{a}'; known agents: {string.Join(", ", registry.All.Select(s => s.Name))}.");
        var instances = tasks.Select(Catalog.Task).ToList();
        // Validate every agent's settings before spending time.
        foreach (var t in instances) foreach (var a in agents) RunCommand.CreateAgent(a, Settings(a, t, overrides, registry));

        var report = new StringBuilder();
        report.AppendLine($"Machine: {Environment.ProcessorCount} logical cores, {CpuModel()}, .NET {Environment.Version}; {threads} runs in parallel.");
        report.AppendLine();
        if (!timingOnly)
        {
            var jobs = (from ti in Enumerable.Range(0, instances.Count) from a in agents from s in Enumerable.Range(0, seeds) select (ti, a, s)).ToList();
            var results = new (double Best, double Seconds)[jobs.Count];
            int done = 0;
            var clock = Stopwatch.StartNew();
            Parallel.For(0, jobs.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, j =>
            {
                var (ti, a, s) = jobs[j];
                var task = instances[ti];
                var agent = registry.Create(a, Settings(a, task, overrides, registry));
                using var owned = agent as IDisposable;
                var sw = Stopwatch.StartNew();
                var r = AgentRunner.Run(agent, new AgentContext(task, budget, s));
                results[j] = (r.BestLoss, sw.Elapsed.TotalSeconds);
                int n = Interlocked.Increment(ref done);
                lock (results) Console.Error.WriteLine($"[{n}/{jobs.Count}] {task.Name} {a} seed {s}: best {r.BestLoss:G6} in {sw.Elapsed.TotalSeconds:F1} s");
            });
            report.AppendLine($"### Best loss after {budget} episodes, median over {seeds} seeds (min – max in brackets)");
            report.AppendLine();
            report.AppendLine("| task | " + string.Join(" | ", agents) + " |");
            report.AppendLine("|---|" + string.Concat(agents.Select(_ => "---|")));
            for (int ti = 0; ti < instances.Count; ti++)
            {
                var cells = agents.Select(a =>
                {
                    var v = jobs.Select((job, j) => (job, j)).Where(x => x.job.ti == ti && x.job.a == a).Select(x => results[x.j].Best).ToArray();
                    return $"{G(Median(v))} [{G(v.Min())} – {G(v.Max())}]";
                });
                report.AppendLine($"| {instances[ti].Name} (d={instances[ti].Dimension}) | {string.Join(" | ", cells)} |");
            }
            report.AppendLine();
            report.AppendLine("Mean wall time per run (s): " + string.Join(", ", agents.Select(a =>
                $"{a} {jobs.Select((job, j) => (job, j)).Where(x => x.job.a == a).Average(x => results[x.j].Seconds):F2}")) + $"; total {clock.Elapsed.TotalSeconds:F0} s.");
            report.AppendLine();
            report.AppendLine(SettingsLine(instances.Select(t => t.Name), agents, name => agent => Settings(agent, instances.First(t => t.Name == name), overrides, registry)));
            report.AppendLine();
        }
        if (!skipTiming) foreach (int dim in timingDims) report.Append(TrialTiming(timingPoints, dim, overrides, registry)).AppendLine();
        var text = report.ToString();
        Console.Write(text);
        if (outFile is not null)
        {
            var tmp = outFile + ".tmp";
            File.WriteAllText(tmp, text);
            File.Move(tmp, outFile, overwrite: true);
        }
        return 0;
    }

    /// <summary>
    /// "Settings: agent defaults, except task: agent k=v, …; …." naming only the tasks whose agents have settings
    /// ("Settings: agent defaults." when none has).
    /// </summary>
    public static string SettingsLine(IEnumerable<string> tasks, IReadOnlyList<string> agents, Func<string, Func<string, Dictionary<string, string>>> settings)
    {
        var parts = new List<string>();
        foreach (var t in tasks)
        {
            var forTask = settings(t);
            var items = agents.Select(a => (a, s: forTask(a))).Where(x => x.s.Count > 0)
                              .Select(x => $"{x.a} {string.Join(" ", x.s.Select(kv => $"{kv.Key}={kv.Value}"))}").ToList();
            if (items.Count > 0) parts.Add($"{t}: {string.Join(", ", items)}");
        }
        return parts.Count == 0 ? "Settings: agent defaults." : $"Settings: agent defaults, except {string.Join("; ", parts)}.";
    }

    /// <summary>Agent defaults, the task's gradient step size for agents with a <c>step_size</c> (but sgd), then the user's overrides.</summary>
    static Dictionary<string, string> Settings(string agent, TaskInstance task, Dictionary<string, Dictionary<string, string>> overrides, AgentRegistry registry)
    {
        var s = new Dictionary<string, string>();
        if (registry.Spec(agent).Options.Any(o => o.Name == "step_size") && agent is not "sgd" && task.GradientStepSize is double step)
            s["step_size"] = step.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        if (overrides.TryGetValue(agent, out var o)) foreach (var kv in o) s[kv.Key] = kv.Value;
        return s;
    }

    /// <summary>One BO trial (GP fit on all points + acquisition optimisation) with n uniformly random points of d-D Ackley.</summary>
    static string TrialTiming(int n, int dim, Dictionary<string, Dictionary<string, string>> overrides, AgentRegistry registry)
    {
        var task = Catalog.Task($"ackley:dim={dim.ToString(CultureInfo.InvariantCulture)}");
        var f = task.CreateObjective();
        var box = SearchBox.Of(f);
        var options = OptionsBinder.Bind(new BoLeapOptions(), overrides.TryGetValue("bo-leap", out var o) ? o : new Dictionary<string, string>());
        var rng = Rng.Create(0);
        var model = new BoModel(box, options, rng);
        var x = new double[box.Dimension];
        for (int i = 0; i < n; i++) { box.Uniform(rng, x); model.Add(x, f.Loss(x)); }
        const int Trials = 6;
        for (int t = 0; t < Trials; t++) model.Propose(); // the first is cold, the rest warm-start the hyperparameters
        var cold = model.Timings[0];
        var warm = model.Timings.Skip(1).ToList();
        double Med(Func<BoTrialTiming, double> sel) => Median(warm.Select(sel).ToArray());
        var sb = new StringBuilder();
        sb.AppendLine($"### One BO / BO-Leap trial with {n} points in {dim}-D (GP fit + acquisition optimisation), bo-leap defaults");
        sb.AppendLine();
        sb.AppendLine("| trial | GP fit CPU (s) | acquisition CPU (s) | total CPU (s) | total wall (s) |");
        sb.AppendLine("|---|---|---|---|---|");
        sb.AppendLine($"| first (cold hyperparameter start) | {cold.FitCpuSeconds:F3} | {cold.AcquisitionCpuSeconds:F3} | {cold.TotalCpuSeconds:F3} | {cold.TotalSeconds:F3} |");
        sb.AppendLine($"| later (warm start), median of {warm.Count} | {Med(t => t.FitCpuSeconds):F3} | {Med(t => t.AcquisitionCpuSeconds):F3} | {Med(t => t.TotalCpuSeconds):F3} | {Med(t => t.TotalSeconds):F3} |");
        sb.AppendLine();
        sb.AppendLine("CPU: the process's CPU time, all threads (clock_gettime(CLOCK_PROCESS_CPUTIME_ID)); wall time includes waiting for the core on a shared machine.");
        sb.AppendLine();
        sb.AppendLine($"Settings: fit_points={options.FitPoints}, fit_restarts={options.FitRestarts}, fit_maxiter={options.FitMaxIter}, raw_samples={options.RawSamples}, acq_restarts={options.AcqRestarts}, acq_maxiter={options.AcqMaxIter}, kernel={options.Kernel.ToString().ToLowerInvariant()}, prior={options.Prior.ToString().ToLowerInvariant()}.");
        return sb.ToString();
    }

    static double Median(double[] v)
    {
        var a = v.OrderBy(t => t).ToArray();
        return a.Length == 0 ? double.NaN : a.Length % 2 == 1 ? a[a.Length / 2] : 0.5 * (a[a.Length / 2 - 1] + a[a.Length / 2]);
    }

    static string G(double v) => double.IsFinite(v) ? v.ToString("G3", CultureInfo.InvariantCulture) : "inf";

    static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown CPU" : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { return "unknown CPU"; }
    }
}
