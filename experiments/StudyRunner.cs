using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using ContactOpt.Agents;
using ContactOpt.Budget;
using ContactOpt.Tasks;

namespace ContactOpt.Experiments;

/// <summary>A finished (or failed) run, as reported to progress listeners.</summary>
public sealed record RunOutcome(RunSpec Run, bool Succeeded, double BestLoss, double Seconds, string? Error);

/// <summary>Which part of a study this process runs: shard <see cref="Index"/> of <see cref="Count"/>.</summary>
public readonly record struct Shard(int Index, int Count)
{
    public static readonly Shard All = new(0, 1);
    /// <summary>Stable partition: run i of the study's run list belongs to shard i mod N.</summary>
    public bool Owns(int runIndex) => runIndex % Count == Index;
    public static Shard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int i) || !int.TryParse(parts[1], out int n))
            throw new ArgumentException($"shard '{text}' must look like i/N (for example 0/4).");
        if (n < 1) throw new ArgumentException($"shard '{text}': N = {n} must be at least 1.");
        if (i < 0 || i >= n) throw new ArgumentException($"shard '{text}': i = {i} must be in 0..{n - 1}.");
        return new Shard(i, n);
    }
    public override string ToString() => $"{Index}/{Count}";
}

/// <summary>
/// Runs every pending (task, agent, seed) of a study on J worker threads, each run deterministic from its seed
/// whatever the scheduling, and stores each run as it finishes. Finished runs in the store are skipped, so
/// re-running the same study resumes it.
/// </summary>
public sealed class StudyRunner(StudySpec study, TaskRegistry tasks, AgentRegistry agents, ResultStore store)
{
    public static string CodeVersion { get; } =
        typeof(StudyRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
    public static string Machine { get; } = $"{Environment.MachineName} ({Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription})";

    /// <summary>Runs of this shard that are not finished yet, in study order.</summary>
    public IReadOnlyList<RunSpec> Pending(Shard shard)
    {
        var done = store.FinishedKeys();
        return study.Runs().Where((r, i) => shard.Owns(i) && !done.Contains(r.Key)).ToList();
    }

    /// <summary>Runs the pending runs; returns the outcomes in completion order.</summary>
    public IReadOnlyList<RunOutcome> Run(int jobs, Shard shard, Action<RunOutcome>? onFinished = null, CancellationToken cancel = default)
    {
        if (jobs < 1) throw new ArgumentOutOfRangeException(nameof(jobs), jobs, "jobs must be at least 1.");
        var pending = Pending(shard);
        var outcomes = new ConcurrentQueue<RunOutcome>();
        var queue = new ConcurrentQueue<RunSpec>(pending);
        var workers = Enumerable.Range(0, Math.Min(jobs, Math.Max(1, pending.Count))).Select(_ => new Thread(() =>
        {
            while (!cancel.IsCancellationRequested && queue.TryDequeue(out var run))
            {
                var outcome = Execute(run, shard);
                outcomes.Enqueue(outcome);
                onFinished?.Invoke(outcome);
            }
        }, 16 * 1024 * 1024) { IsBackground = true, Name = "contactopt-run" }).ToList();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        return outcomes.ToList();
    }

    sealed class Collector : IEpisodeObserver
    {
        public readonly List<StoredEpisode> Episodes = new();
        public void OnEpisode(in EpisodeRecord r) => Episodes.Add(new StoredEpisode(r.Index, r.Loss, r.BestLoss, r.Gradient, r.ElapsedSeconds));
    }

    RunOutcome Execute(RunSpec run, Shard shard)
    {
        var sw = Stopwatch.StartNew();
        long id = -1;
        try
        {
            id = store.Start(run, CodeVersion, Machine, shard.Index);
            var task = tasks.Create(run.Task);
            var agent = agents.Create(run.Agent, run.Settings);
            using var owned = agent as IDisposable;                  // agents holding native memory (PPO, SAC) release it
            var collector = new Collector();
            var result = AgentRunner.Run(agent, new AgentContext(task, run.Budget, run.Seed, collector));
            store.Complete(id, result.BestLoss, result.BestParameters, result.NonFiniteEpisodes, sw.Elapsed.TotalSeconds, collector.Episodes);
            return new RunOutcome(run, true, result.BestLoss, sw.Elapsed.TotalSeconds, null);
        }
        catch (Exception e)
        {
            var message = $"{e.GetType().Name}: {e.Message}";
            if (id >= 0) store.Fail(id, message + "\n" + e.StackTrace);
            return new RunOutcome(run, false, double.PositiveInfinity, sw.Elapsed.TotalSeconds, message);
        }
    }
}
