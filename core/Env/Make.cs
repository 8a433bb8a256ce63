using System.Globalization;
using ContactOpt.Tasks;
using ContactOpt.Wrappers;

namespace ContactOpt;

/// <summary>
/// Gymnasium's EnvSpec for a task of a <see cref="TaskRegistry"/>: the id (the task's canonical name with its
/// options), the time limit <see cref="Make"/> applies (<c>max_episode_steps</c>, by default the task's horizon), the
/// task options the id carries, the reward threshold (−success threshold: a return above it is a success), and the
/// entry point (the task's summary).
/// </summary>
public sealed record EnvSpec(string Id, int MaxEpisodeSteps, IReadOnlyDictionary<string, string> Options, double? RewardThreshold, string Summary)
{
    /// <summary>Gymnasium's <c>spec.kwargs</c>: the task options as given (defaults omitted).</summary>
    public IReadOnlyDictionary<string, string> Kwargs => Options;
}

/// <summary>
/// Gymnasium's <c>gymnasium.make</c> and <c>gymnasium.spec</c> over a task registry:
/// <c>Gym.Make(tasks, "pendulum", new() { ["g"] = "9.81" })</c> is the step view of <c>pendulum:g=9.81</c> wrapped in
/// a <see cref="TimeLimit{TObs,TAction}"/> of its spec's <c>max_episode_steps</c> (override with
/// <paramref name="maxEpisodeSteps"/>, at most the task's horizon), with <see cref="Env{TObs,TAction}.Spec"/> set.
/// </summary>
public static class Gym
{
    /// <summary>The spec of <paramref name="id"/> (<c>name[:key=value,...]</c>) with extra <paramref name="options"/>.</summary>
    public static EnvSpec Spec(TaskRegistry tasks, string id, IReadOnlyDictionary<string, string>? options = null)
    {
        var task = tasks.Create(Combine(id, options));
        return SpecOf(task);
    }

    /// <summary>The spec of every registered task with its default options, in name order.</summary>
    public static IReadOnlyList<EnvSpec> Specs(TaskRegistry tasks) => tasks.All.Select(s => SpecOf(tasks.Create(s.Name))).ToList();

    /// <summary>A new step view of the task, time-limited by its spec (see the class summary).</summary>
    /// <exception cref="ArgumentException">Unknown task or option, an option given twice, or a bad <paramref name="maxEpisodeSteps"/>.</exception>
    public static Env<double[], double[]> Make(TaskRegistry tasks, string id, IReadOnlyDictionary<string, string>? options = null,
        int? maxEpisodeSteps = null, string? renderMode = null)
    {
        var task = tasks.Create(Combine(id, options));
        var spec = SpecOf(task);
        int horizon = task.Dynamics.Horizon;
        if (maxEpisodeSteps is int m)
        {
            if (m < 1 || m > horizon)
                throw new ArgumentException($"max_episode_steps {m} of '{spec.Id}' must be in [1, {horizon}] (the task's horizon).");
            spec = spec with { MaxEpisodeSteps = m };
        }
        var env = new TimeLimit<double[], double[]>(task.CreateEnv(renderMode), spec.MaxEpisodeSteps);
        env.Spec = spec;
        return env;
    }

    static EnvSpec SpecOf(TaskInstance task)
    {
        var options = new SortedDictionary<string, string>(StringComparer.Ordinal);
        int colon = task.Name.IndexOf(':');
        if (colon >= 0)
            foreach (var pair in task.Name[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = pair.IndexOf('=');
                if (eq > 0) options[pair[..eq]] = pair[(eq + 1)..];
            }
        double? threshold = task.SuccessThreshold is double s ? -s : null;
        return new EnvSpec(task.Name, task.Dynamics.Horizon, options, threshold, task.Description);
    }

    /// <summary>id plus options as one task name; an option given in both is refused.</summary>
    static string Combine(string id, IReadOnlyDictionary<string, string>? options)
    {
        if (string.IsNullOrWhiteSpace(id)) throw new ArgumentException("env id is empty.");
        if (options is null || options.Count == 0) return id;
        int colon = id.IndexOf(':');
        var inId = colon < 0 ? new HashSet<string>(StringComparer.Ordinal) : id[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')[0].Trim()).ToHashSet(StringComparer.Ordinal);
        foreach (var key in options.Keys)
        {
            if (string.IsNullOrWhiteSpace(key) || key.Contains(',') || key.Contains('=') || key.Contains(':'))
                throw new ArgumentException($"env option name '{key}' is not a plain name.");
            if (inId.Contains(key)) throw new ArgumentException($"env option '{key}' is given both in the id '{id}' and in the options.");
            if (options[key] is null || options[key].Contains(',')) throw new ArgumentException($"env option {key}='{options[key]}' is not a plain value.");
        }
        var extra = string.Join(",", options.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));
        return id + (colon < 0 ? ":" : ",") + extra;
    }

    /// <summary>Invariant formatting for option values built in code (<c>Gym.Option(9.81)</c> = "9.81").</summary>
    public static string Option(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
