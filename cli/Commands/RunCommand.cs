using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ContactOpt.Agents;
using ContactOpt.Budget;

namespace ContactOpt.Cli.Commands;

/// <summary>
/// <c>contactopt run &lt;task&gt; --agent NAME [--budget N] [--seed S] [--set key=value ...] [--out DIR] [--json]</c>:
/// one agent, one task, one seed. Progress on stderr (learning agents: steps, steps/s, episodes and mean return;
/// none with --quiet); best loss and parameters on stdout; DIR/trace.csv holds
/// every episode (episode, loss, best, gradient, seconds, then the parameters when d ≤ 64).
/// </summary>
public static class RunCommand
{
    public const int DefaultBudget = 100;
    const int MaxTraceParameters = 64;

    public const int MaxBudget = 100_000_000;

    public static int Run(Args args)
    {
        Catalog.UsePlugins(args.Options("agents-from"));
        var agentName = args.Option("agent");
        int budget = args.Int("budget", DefaultBudget, 1, MaxBudget);
        int seed = args.Int("seed", 0);
        var settings = ParseSettings(args.Options("set"));
        var outDir = args.Option("out");
        bool json = args.Flag("json");
        var savePolicy = args.Option("save-policy");
        var evalText = args.Option("eval-episodes");
        bool quiet = args.Flag("quiet");
        var task = Catalog.Task(args.Positional(0, "task name (see 'contactopt tasks')"));
        args.EnsureAllUsed(1);
        if (agentName is null) throw new UsageException("missing --agent NAME (see 'contactopt agents').");
        var agent = CreateAgent(agentName, settings);
        using var owned = agent as IDisposable;
        var learner = agent as ILearningAgent;
        int? evalEpisodes = evalText is null ? null : ParseEvalEpisodes(evalText);
        if (learner is null && savePolicy is not null)
            throw new UsageException($"--save-policy: agent '{agentName}' does not learn a policy (only learning agents such as ppo and sac do).");
        if (learner is null && evalEpisodes > 0)
            throw new UsageException($"--eval-episodes: agent '{agentName}' does not learn a policy to evaluate.");
        int evalCount = learner is null ? 0 : evalEpisodes ?? DefaultEvalEpisodes;
        if (savePolicy is not null)
        {
            if (string.IsNullOrWhiteSpace(savePolicy) || Directory.Exists(savePolicy)) throw new UsageException($"--save-policy '{savePolicy}' must be a file path.");
            Experiments.AtomicFile.EnsureWritableDirectory(Path.GetDirectoryName(Path.GetFullPath(savePolicy))!, "--save-policy's folder");
        }
        int maxBudget = Catalog.Agents().Spec(agentName).MaxBudget;
        if (budget > maxBudget) throw new UsageException($"agent '{agentName}' accepts budgets up to {maxBudget} episodes (its memory grows with every episode); --budget is {budget}.");
        // The output directory is checked (created, written to) before any episode is spent.
        if (outDir is not null) Experiments.AtomicFile.EnsureWritableDirectory(outDir, "--out");

        using var trace = outDir is null ? null : new TraceWriter(Path.Combine(outDir, "trace.csv"), task.Dimension);
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        // Learning agents report training progress (steps, steps/s, episodes, mean return); the others their episodes.
        bool interactive = !Console.IsErrorRedirected;
        bool training = !quiet && agent is ITrainingCallbacks { Callback: null };
        if (training) ((ITrainingCallbacks)agent).Callback = new ProgressCallback(Console.Error, interactive);
        var progress = new Progress(budget, interactive, trace, show: !quiet && !training);
        var context = new AgentContext(task, budget, seed, progress, cts.Token);
        var clock = Stopwatch.StartNew();
        bool interrupted = false;
        AgentResult result;
        try { result = AgentRunner.Run(agent, context); }
        catch (OperationCanceledException) { interrupted = true; result = context.Result(); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Validation accepted the settings; what fails now (a numerical blow-up, NaN actions) is a failed run, not bad input.
            progress.Finish();
            throw new RunFailedException($"run {task.Name}/{agentName}/seed {seed} failed after {context.Budget.Used} of {budget} episodes: {e.GetType().Name}: {e.Message}", e);
        }
        finally { Console.CancelKeyPress -= onCancel; }
        progress.Finish();

        trace?.Commit();
        // After training: the deterministic policy on fresh episodes (not charged to the budget), and the saved policy.
        double? evalReturn = null;
        if (learner is { IsReady: true } && evalCount > 0)
        {
            using var evalEnv = task.CreateEnv();
            evalReturn = learner.MeanReturn(evalEnv, evalCount, EvalSeed(seed));
        }
        if (savePolicy is not null && learner is { IsReady: true }) learner.Save(savePolicy);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["task"] = task.Name, ["agent"] = agentName, ["seed"] = seed, ["episodes"] = result.Episodes,
                ["best_loss"] = double.IsFinite(result.BestLoss) ? result.BestLoss : null,
                ["best_params"] = result.BestParameters.Select(v => double.IsFinite(v) ? v : (double?)null).ToArray(),
                ["eval_episodes"] = evalReturn is null ? null : evalCount,
                ["eval_return"] = evalReturn is double er && double.IsFinite(er) ? er : null,
                ["policy"] = savePolicy is not null && learner is { IsReady: true } ? savePolicy : null,
            }));
        }
        else
        {
            Console.WriteLine($"task        {task.Name}");
            Console.WriteLine($"agent       {agentName}{(settings.Count > 0 ? " (" + string.Join(", ", settings.Select(kv => $"{kv.Key}={kv.Value}")) + ")" : "")}");
            Console.WriteLine($"seed        {seed}");
            Console.WriteLine($"episodes    {result.Episodes} of {budget}{(result.NonFiniteEpisodes > 0 ? $" ({result.NonFiniteEpisodes} non-finite)" : "")}{(interrupted ? " — interrupted" : "")}");
            Console.WriteLine($"best loss   {F(result.BestLoss)}");
            Console.WriteLine($"best params {string.Join(", ", result.BestParameters.Select(F))}");
            Console.WriteLine($"time        {clock.Elapsed.TotalSeconds:F2} s");
            if (evalReturn is double ev)
                Console.WriteLine($"eval return {F(ev)} (mean of {evalCount} deterministic episodes from seed {EvalSeed(seed)}, not charged to the budget)");
            if (savePolicy is not null && learner is { IsReady: true }) Console.WriteLine($"policy      {savePolicy}");
            if (outDir is not null) Console.WriteLine($"trace       {Path.Combine(outDir, "trace.csv")}");
        }
        return interrupted ? 130 : 0;
    }

    /// <summary>Episodes of the trained policy's evaluation when --eval-episodes is not given (learning agents only).</summary>
    public const int DefaultEvalEpisodes = 10;
    public const int MaxEvalEpisodes = 10_000;

    /// <summary>The evaluation's first seed: away from the training seed, so evaluation starts differ from training's first.</summary>
    public static int EvalSeed(int seed) => unchecked(seed + 1_000_003);

    static int ParseEvalEpisodes(string s) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= MaxEvalEpisodes && !(s.Length > 1 && s[0] == '0')
            ? n : throw new UsageException($"--eval-episodes '{s}' must be an integer in [0, {MaxEvalEpisodes}].");

    /// <summary>key=value pairs from repeated --set options.</summary>
    public static Dictionary<string, string> ParseSettings(IEnumerable<string> items)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            int eq = item.IndexOf('=');
            if (eq <= 0 || eq == item.Length - 1) throw new UsageException($"--set '{item}' is not of the form key=value.");
            var key = item[..eq].Trim();
            if (!settings.TryAdd(key, item[(eq + 1)..].Trim())) throw new UsageException($"--set {key} is given twice.");
        }
        return settings;
    }

    public static IAgent CreateAgent(string name, IReadOnlyDictionary<string, string> settings)
    {
        var registry = Catalog.Agents();
        if (!registry.Contains(name)) throw new UsageException($"unknown agent '{name}'; known agents: {string.Join(", ", registry.All.Select(s => s.Name))}.");
        try { return registry.Create(name, settings); }
        catch (ArgumentException e) { throw new UsageException(e.Message.StartsWith("agent '", StringComparison.Ordinal) ? e.Message : $"agent '{name}': {e.Message}"); }
    }

    static string F(double v) => double.IsFinite(v) ? v.ToString("G10", CultureInfo.InvariantCulture) : "+inf";
    static string R(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : double.IsNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";

    /// <summary>
    /// Streams DIR/trace.csv into a temporary sibling as episodes finish (memory stays constant whatever the
    /// budget) and renames it into place at the end, so a reader never sees half a file.
    /// </summary>
    sealed class TraceWriter : IDisposable
    {
        readonly string _path, _tmp;
        readonly StreamWriter _w;
        readonly bool _withParams;
        bool _committed;

        public TraceWriter(string path, int dimension)
        {
            _path = path;
            _tmp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, ".trace.csv.tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            _w = new StreamWriter(_tmp, false, new UTF8Encoding(false), 1 << 16);
            _withParams = dimension <= MaxTraceParameters;
            var sb = new StringBuilder("episode,loss,best,gradient,seconds");
            if (_withParams) for (int i = 0; i < dimension; i++) sb.Append(",x").Append(i);
            _w.Write(sb.Append('\n').ToString());
        }

        public void Add(in EpisodeRecord r)
        {
            _w.Write(r.Index.ToString(CultureInfo.InvariantCulture)); _w.Write(','); _w.Write(R(r.Loss)); _w.Write(','); _w.Write(R(r.BestLoss)); _w.Write(',');
            _w.Write(r.Gradient ? "1" : "0"); _w.Write(','); _w.Write(r.ElapsedSeconds.ToString("F6", CultureInfo.InvariantCulture));
            if (_withParams) foreach (var x in r.Parameters) { _w.Write(','); _w.Write(R(x)); }
            _w.Write('\n');
        }

        public void Commit()
        {
            _w.Flush();
            _w.Dispose();
            File.Move(_tmp, _path, overwrite: true);
            _committed = true;
        }

        public void Dispose()
        {
            if (_committed) return;
            _w.Dispose();
            try { File.Delete(_tmp); } catch (IOException) { }
        }
    }

    /// <summary>Shows progress on stderr (one updating line on a terminal, plain lines when redirected) and streams each episode to the trace.</summary>
    sealed class Progress(int budget, bool interactive, TraceWriter? trace, bool show) : IEpisodeObserver
    {
        readonly Stopwatch _clock = Stopwatch.StartNew();
        double _lastShown = double.NegativeInfinity;
        int _nextLine = Math.Max(1, budget / 10);
        bool _dirty;

        public void OnEpisode(in EpisodeRecord r)
        {
            trace?.Add(r);
            if (!show) return;
            int done = r.Index + 1;
            if (interactive)
            {
                double t = _clock.Elapsed.TotalSeconds;
                if (t - _lastShown >= 0.1 || done == budget)
                {
                    Console.Error.Write($"\r  episodes {done}/{budget}  best {F(r.BestLoss)}   ");
                    _lastShown = t; _dirty = true;
                }
            }
            else if (done >= _nextLine || done == budget)
            {
                Console.Error.WriteLine($"episodes {done}/{budget}  best {F(r.BestLoss)}  ({_clock.Elapsed.TotalSeconds:F1} s)");
                while (_nextLine <= done) _nextLine += Math.Max(1, budget / 10);
            }
        }

        public void Finish()
        {
            if (interactive && _dirty) Console.Error.WriteLine();
        }
    }
}
