// A user-written agent, registered in an AgentRegistry and run on a task within an episode budget.
// Usage: dotnet run --project examples/CustomAgent -- [task] [budget] [--set name=value ...]
//        e.g. dotnet run --project examples/CustomAgent -- flip 200 --set sigma0=0.2
using System.Globalization;
using ContactOpt;
using ContactOpt.Agents;
using ContactOpt.Budget;
using ContactOpt.Envs;
using ContactOpt.Examples.CustomAgent;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string taskName = args.Length > 0 && !args[0].StartsWith("--") ? args[0] : "flip";
int budget = args.Length > 1 && int.TryParse(args[1], out var b) ? b : 200;
var settings = new Dictionary<string, string>();
for (int i = 0; i < args.Length - 1; i++)
    if (args[i] == "--set" && args[i + 1].Split('=', 2) is [var k, var v]) settings[k] = v;

// 1. A registry: your agents (from the same IAgentProvider the CLI discovers with --agents-from), next to the
//    built-in ones if you like: new AgentRegistry(BuiltinAgents.Specs().Concat(new ExampleAgents().Specs())).
var agents = new AgentRegistry(new ExampleAgents().Specs());
var tasks = BuiltinTasks.CreateRegistry();
var task = tasks.Create(taskName);

Console.WriteLine($"task {task.Name} (dimension {task.Dimension}), budget {budget} episodes");
foreach (var spec in agents.All)
{
    Console.WriteLine($"\n{spec.Name}: {spec.Summary}");
    foreach (var o in spec.Options) Console.WriteLine($"  --set {o.Name}={o.Default,-8} {o.Description}");
    foreach (int seed in new[] { 0, 1, 2 })
    {
        // 2. Every run gets a fresh agent, a seed and a budget; the context charges every episode.
        var agent = agents.Create(spec.Name, spec.Name == HillClimber.Spec.Name ? settings : null);
        var progress = new Progress(budget);
        var result = AgentRunner.Run(agent, new AgentContext(task, budget, seed, progress));
        Console.WriteLine($"  seed {seed}: best loss {result.BestLoss:G6} after {result.Episodes} episodes " +
                          $"(best so far at 25/50/100%: {string.Join(" / ", progress.Marks.Select(m => m.ToString("G4")))})" +
                          (task.SuccessThreshold is double s ? (result.BestLoss < s ? "  success" : "  no success") : ""));
    }
}
return 0;

/// <summary>Records the best loss so far at 25%, 50% and 100% of the budget (any IEpisodeObserver sees every episode).</summary>
sealed class Progress(int budget) : IEpisodeObserver
{
    public List<double> Marks { get; } = new();
    public void OnEpisode(in EpisodeRecord r)
    {
        int i = r.Index + 1;
        if (i == budget / 4 || i == budget / 2 || i == budget) Marks.Add(r.BestLoss);
    }
}
