using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ContactOpt.Agents;
using ContactOpt.Budget;

namespace ContactOpt.Cli.Commands;

/// <summary>
/// <c>contactopt run &lt;task&gt; --agent NAME [--budget N] [--seed S] [--set key=value ...] [--out DIR] [--json]</c>:
/// one agent, one task, one seed. Progress on stderr; best loss and parameters on stdout; DIR/trace.csv holds
/// every episode (episode, loss, best, gradient, seconds, then the parameters when d ≤ 64).
/// </summary>
public static class RunCommand
{
    public const int DefaultBudget = 100;
    const int MaxTraceParameters = 64;

    public static int Run(Args args)
    {
        var agentName = args.Option("agent");
        int budget = args.Int("budget", DefaultBudget, 1, 100_000_000);
        int seed = args.Int("seed", 0);
        var settings = ParseSettings(args.Options("set"));
        var outDir = args.Option("out");
        bool json = args.Flag("json");
        var task = Catalog.Task(args.Positional(0, "task name (see 'contactopt tasks')"));
        args.EnsureAllUsed(1);
        if (agentName is null) throw new UsageException("missing --agent NAME (see 'contactopt agents').");
        var agent = CreateAgent(agentName, settings);

        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        var progress = new Progress(budget, interactive: !Console.IsErrorRedirected);
        var context = new AgentContext(task, budget, seed, progress, cts.Token);
        var clock = Stopwatch.StartNew();
        bool interrupted = false;
        AgentResult result;
        try { result = AgentRunner.Run(agent, context); }
        catch (OperationCanceledException) { interrupted = true; result = context.Result(); }
        finally { Console.CancelKeyPress -= onCancel; }
        progress.Finish();

        if (outDir is not null) WriteTrace(outDir, progress.Rows, task.Dimension);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["task"] = task.Name, ["agent"] = agentName, ["seed"] = seed, ["episodes"] = result.Episodes,
                ["best_loss"] = double.IsFinite(result.BestLoss) ? result.BestLoss : null, ["best_params"] = result.BestParameters,
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
            if (outDir is not null) Console.WriteLine($"trace       {Path.Combine(outDir, "trace.csv")}");
        }
        return interrupted ? 130 : 0;
    }

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

    /// <summary>Writes DIR/trace.csv via a temporary file and a rename, so a reader never sees half a file.</summary>
    static void WriteTrace(string dir, List<EpisodeRecord> rows, int dimension)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "trace.csv");
        var tmp = path + ".tmp";
        bool withParams = dimension <= MaxTraceParameters;
        var sb = new StringBuilder("episode,loss,best,gradient,seconds");
        if (withParams) for (int i = 0; i < dimension; i++) sb.Append(",x").Append(i);
        sb.Append('\n');
        foreach (var r in rows)
        {
            sb.Append(r.Index).Append(',').Append(R(r.Loss)).Append(',').Append(R(r.BestLoss)).Append(',')
              .Append(r.Gradient ? "1" : "0").Append(',').Append(r.ElapsedSeconds.ToString("F6", CultureInfo.InvariantCulture));
            if (withParams) foreach (var x in r.Parameters) sb.Append(',').Append(R(x));
            sb.Append('\n');
        }
        File.WriteAllText(tmp, sb.ToString());
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Keeps every episode and shows progress on stderr: one updating line on a terminal, plain lines when redirected.</summary>
    sealed class Progress(int budget, bool interactive) : IEpisodeObserver
    {
        public List<EpisodeRecord> Rows { get; } = new();
        readonly Stopwatch _clock = Stopwatch.StartNew();
        double _lastShown = double.NegativeInfinity;
        int _nextLine = Math.Max(1, budget / 10);
        bool _dirty;

        public void OnEpisode(in EpisodeRecord r)
        {
            Rows.Add(r);
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
