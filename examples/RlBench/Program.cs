// RL benchmark: PPO and SAC (SB3 defaults) on the pendulum, and on the contact tasks cast as episodes.
// Usage: dotnet run --project examples/RlBench -c Release -- [pendulum|contact|all] [--seeds 0,1,2]
//        [--algos sac,ppo] [--sac-episodes 100] [--ppo-episodes 500] [--contact-budget 1000] [--out out/rl-bench]
// Writes learning curves (PNG + CSV) to --out and prints a Markdown summary (wall times, returns, memory).
using System.Diagnostics;
using System.Globalization;
using System.Text;
using ContactOpt;
using ContactOpt.Agents;
using ContactOpt.Agents.Torch;
using ContactOpt.Budget;
using ContactOpt.Envs;
using ContactOpt.Tasks;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var opts = ParseArgs(args);
string what = opts.GetValueOrDefault("", "all");
int[] seeds = opts.GetValueOrDefault("seeds", "0,1,2").Split(',').Select(int.Parse).ToArray();
string[] algos = opts.GetValueOrDefault("algos", "sac,ppo").Split(',');
int sacEpisodes = int.Parse(opts.GetValueOrDefault("sac-episodes", "100"));   // 100 × 200 steps = 20k steps (SB3 zoo)
int ppoEpisodes = int.Parse(opts.GetValueOrDefault("ppo-episodes", "500"));   // 500 × 200 steps = 100k steps (SB3 zoo)
int contactBudget = int.Parse(opts.GetValueOrDefault("contact-budget", "1000"));
string outDir = opts.GetValueOrDefault("out", "out/rl-bench");
// Extra settings per agent (e.g. --ppo-set gamma=0.9,learning_rate=1e-3,n_steps=4096) and a tag for the file names.
var agentSettings = new Dictionary<string, string> { ["sac"] = opts.GetValueOrDefault("sac-set", ""), ["ppo"] = opts.GetValueOrDefault("ppo-set", "") };
string tag = opts.GetValueOrDefault("tag", "");
Directory.CreateDirectory(outDir);

var tasks = BuiltinTasks.CreateRegistry();
var agents = new AgentRegistry(TorchAgents.Specs());
var md = new StringBuilder();
md.AppendLine($"Machine: {Environment.ProcessorCount} logical cores, {Environment.OSVersion}, .NET {Environment.Version}; TorchSharp on 1 thread.");
md.AppendLine();

if (what is "pendulum" or "all") Pendulum();
if (what is "contact" or "all") Contact();
Console.WriteLine();
Console.WriteLine(md.ToString());
File.WriteAllText(Path.Combine(outDir, $"bench-rl-{what}{tag}.md"), md.ToString());
return 0;

void Pendulum()
{
    md.AppendLine($"### Pendulum{(tag == "" ? "" : " (" + tag + ")")}");
    foreach (var algo in algos) md.AppendLine($"- {algo}: {(agentSettings[algo] == "" ? "SB3 defaults" : agentSettings[algo])}");
    md.AppendLine();
    md.AppendLine("| agent | steps | seed | eval mean return (10 ep., deterministic) | last-10 training return | wall time | RSS at 25% → 100% |");
    md.AppendLine("|---|---|---|---|---|---|---|");
    var curves = new List<(string Label, EpisodeLog[] Log)>();
    var csv = new StringBuilder("agent,seed,step,episode,return\n");
    foreach (var algo in algos)
    {
        int episodes = algo == "sac" ? sacEpisodes : ppoEpisodes;
        var evals = new List<double>();
        foreach (int seed in seeds)
        {
            var task = tasks.Create("pendulum");
            var memory = new MemoryObserver(episodes);
            var ctx = new AgentContext(task, episodes, seed, memory);
            var agent = (ILearningAgent)agents.Create(algo, ParseSettings(agentSettings[algo]));
            var sw = Stopwatch.StartNew();
            AgentRunner.Run(agent, ctx);
            double wall = sw.Elapsed.TotalSeconds;
            var log = algo == "sac" ? ((Sac)agent).Episodes.ToArray() : ((Ppo)agent).Episodes.ToArray();
            double eval; using (var evalEnv = task.CreateEnv()) eval = agent.MeanReturn(evalEnv, 10, 10_000 + seed);
            evals.Add(eval);
            double last10 = log.TakeLast(10).Average(e => e.Return);
            md.AppendLine($"| {algo} | {log.Sum(e => e.Length):N0} | {seed} | {eval:F1} | {last10:F1} | {wall:F0} s | {memory.Describe()} |");
            Console.WriteLine($"pendulum {algo} seed {seed}: eval {eval:F1}, last-10 {last10:F1}, {wall:F0} s, RSS {memory.Describe()}");
            curves.Add(($"{algo} seed {seed}", log));
            foreach (var e in log) csv.AppendLine($"{algo},{seed},{e.Step},{e.Episode},{e.Return:R}");
            (agent as IDisposable)?.Dispose();
        }
        md.AppendLine($"| **{algo} mean ± std** | | {seeds.Length} seeds | **{evals.Average():F1} ± {Std(evals):F1}** | | | |");
    }
    md.AppendLine();
    File.WriteAllText(Path.Combine(outDir, $"bench-rl-pendulum{tag}.csv"), csv.ToString());
    PlotCurves(curves, Path.Combine(outDir, $"bench-rl-pendulum{tag}.png"), "Pendulum: training episode return", "environment steps", "episode return");
    md.AppendLine($"Learning curves: `{Path.Combine(outDir, $"bench-rl-pendulum{tag}.png")}` (data: `bench-rl-pendulum{tag}.csv`).");
    md.AppendLine();
}

void Contact()
{
    md.AppendLine($"### Contact tasks cast as episodes (budget {contactBudget} episodes)");
    md.AppendLine();
    md.AppendLine("| task | agent | settings | best loss per seed | mean best loss | mean loss of the last 100 episodes | wall time per run |");
    md.AppendLine("|---|---|---|---|---|---|---|");
    var curves = new List<(string, EpisodeLog[])>();
    foreach (var taskName in opts.GetValueOrDefault("tasks", "flip,grasp").Split(','))
    {
        var ppoSettings = agentSettings["ppo"] == "" ? "n_steps=64,batch_size=16" : agentSettings["ppo"];
        foreach (var (algo, settings) in new[] { ("sac", agentSettings["sac"]), ("ppo", ppoSettings), ("random", "") }.Where(a => a.Item1 == "random" || algos.Contains(a.Item1)))
        {
            var best = new List<double>(); var late = new List<double>(); double wall = 0;
            foreach (int seed in seeds)
            {
                var task = tasks.Create(taskName);
                var losses = new LossRecorder();
                var ctx = new AgentContext(task, contactBudget, seed, losses);
                IAgent agent = algo == "random" ? new UniformRandomAgent() : agents.Create(algo, ParseSettings(settings));
                var sw = Stopwatch.StartNew();
                var result = AgentRunner.Run(agent, ctx);
                wall += sw.Elapsed.TotalSeconds;
                best.Add(result.BestLoss);
                late.Add(losses.Losses.TakeLast(100).Average());
                (agent as IDisposable)?.Dispose();
            }
            md.AppendLine($"| {taskName} | {algo} | {(settings == "" ? "defaults" : settings)} | {string.Join(", ", best.Select(b => b.ToString("F4")))} | {best.Average():F4} | {late.Average():F3} | {wall / seeds.Length:F2} s |");
            Console.WriteLine($"{taskName} {algo}: best {string.Join(", ", best.Select(b => b.ToString("F4")))}");
        }
    }
    md.AppendLine();
}

static double Std(IReadOnlyList<double> v)
{
    if (v.Count < 2) return 0;
    double m = v.Average();
    return Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Count - 1));
}

static void PlotCurves(List<(string Label, EpisodeLog[] Log)> curves, string path, string title, string x, string y)
{
    var plot = new ScottPlot.Plot();
    foreach (var (label, log) in curves)
    {
        if (log.Length == 0) continue;
        // Moving average over 10 episodes, as training curves are noisy.
        var xs = log.Select(e => (double)e.Step).ToArray();
        var ys = log.Select((e, i) => log.Skip(Math.Max(0, i - 9)).Take(Math.Min(10, i + 1)).Average(l => l.Return)).ToArray();
        var s = plot.Add.ScatterLine(xs, ys);
        s.LegendText = label;
    }
    plot.Title(title);
    plot.XLabel(x);
    plot.YLabel(y + " (moving average of 10)");
    plot.ShowLegend(ScottPlot.Alignment.LowerRight);
    plot.SavePng(path, 900, 500);
}

static Dictionary<string, string> ParseArgs(string[] args)
{
    var d = new Dictionary<string, string>();
    for (int i = 0; i < args.Length; i++)
    {
        if (args[i].StartsWith("--")) { d[args[i][2..]] = i + 1 < args.Length ? args[++i] : ""; }
        else d[""] = args[i];
    }
    return d;
}

static Dictionary<string, string> ParseSettings(string s) =>
    s.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);

/// <summary>Process memory (RSS) at 25%, 50%, 75% and 100% of the training episodes: flat native memory means no leak.</summary>
sealed class MemoryObserver(int episodes) : IEpisodeObserver
{
    readonly List<(int Episode, long Bytes)> _marks = new();
    public void OnEpisode(in EpisodeRecord record)
    {
        int i = record.Index + 1;
        if (i == episodes / 4 || i == episodes / 2 || i == 3 * episodes / 4 || i == episodes)
        {
            using var p = Process.GetCurrentProcess();
            _marks.Add((i, p.WorkingSet64));
        }
    }
    public string Describe() => string.Join(" → ", _marks.Select(m => $"{m.Bytes / (1024 * 1024)} MB"));
}

/// <summary>The loss of every episode, in order.</summary>
sealed class LossRecorder : IEpisodeObserver
{
    public List<double> Losses { get; } = new();
    public void OnEpisode(in EpisodeRecord record) => Losses.Add(record.Loss);
}

/// <summary>Uniform random actions in the task's sampling box, one episode at a time (a baseline for the casts).</summary>
sealed class UniformRandomAgent : IAgent
{
    public string Name => "random";
    public void Run(AgentContext context)
    {
        var rng = Rng.Create(context.Seed);
        using var env = context.Env();
        var scaling = ActionScaling.For(context.Task);
        var unit = new double[scaling.Size];
        env.Reset(context.Seed);
        while (true)
        {
            bool done = false;
            while (!done)
            {
                for (int i = 0; i < unit.Length; i++) unit[i] = 2 * rng.NextDouble() - 1;
                done = env.Step(scaling.ToEnv(unit)).Done;
            }
            if (context.Budget.Exhausted) return;
            env.Reset();
        }
    }
}
