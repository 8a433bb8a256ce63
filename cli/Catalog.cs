using ContactOpt.Agents;
using ContactOpt.Agents.Torch;
using ContactOpt.Envs;
using ContactOpt.Tasks;

namespace ContactOpt.Cli;

/// <summary>The registries the CLI works with: every built-in task and agent.</summary>
public static class Catalog
{
    public static TaskRegistry Tasks() => BuiltinTasks.CreateRegistry();
    /// <summary>
    /// Every built-in agent, then those of the plugins named by <c>--agents-from</c> in this command (see
    /// <see cref="UsePlugins"/>); a plugin agent whose name is taken is refused with a message naming it.
    /// </summary>
    public static AgentRegistry Agents()
    {
        var registry = new AgentRegistry(BuiltinAgents.Specs().Concat(TorchAgents.Specs()));
        foreach (var (path, specs) in Plugins.Value ?? [])
            foreach (var spec in specs)
            {
                if (registry.Contains(spec.Name))
                    throw new UsageException($"agent '{spec.Name}' of --agents-from '{path}' is already registered (built in or by an earlier plugin); rename it.");
                registry.Add(spec);
            }
        return registry;
    }

    // Per command invocation (and the threads it starts), so commands run in one process do not see each other's plugins.
    static readonly AsyncLocal<IReadOnlyList<(string Path, IReadOnlyList<AgentSpec> Specs)>?> Plugins = new();

    /// <summary>Forgets the plugins of an earlier command run in this process (called before each command).</summary>
    public static void ResetPlugins() => Plugins.Value = null;

    /// <summary>
    /// Loads the agent plugins given by repeated <c>--agents-from FILE.dll</c> (assemblies with a public
    /// <see cref="IAgentProvider"/>) for the rest of this command; returns their agent names.
    /// </summary>
    public static IReadOnlyList<string> UsePlugins(IReadOnlyList<string> paths)
    {
        var loaded = new List<(string, IReadOnlyList<AgentSpec>)>();
        foreach (var path in paths)
        {
            try { loaded.Add((path, AgentPlugins.Load(path))); }
            catch (ArgumentException e) { throw new UsageException("--agents-from: " + e.Message); }
        }
        Plugins.Value = loaded;
        _ = Agents(); // name clashes are reported now, before any work
        return loaded.SelectMany(l => l.Item2.Select(s => s.Name)).ToList();
    }

    /// <summary>
    /// Splits a comma-separated task list where a task may carry several options: a piece of the form key=value
    /// without a colon continues the previous task's options (<c>chain:masses=600,segments=4,flip</c> is two tasks).
    /// </summary>
    public static List<string> SplitTaskList(string text)
    {
        var tasks = new List<string>();
        foreach (var piece in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (tasks.Count > 0 && !piece.Contains(':') && piece.Contains('=') && tasks[^1].Contains(':')) tasks[^1] += "," + piece;
            else tasks.Add(piece);
        }
        return tasks;
    }

    /// <summary>Builds a task, turning option errors into usage errors.</summary>
    public static TaskInstance Task(string name)
    {
        try { return Tasks().Create(name); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }

    /// <summary>The study of a directory (study.json or results.db), turning problems into usage errors.</summary>
    public static Experiments.StudySpec Study(string dir)
    {
        if (string.IsNullOrWhiteSpace(dir)) throw new UsageException("the study directory is empty.");
        if (!Directory.Exists(dir)) throw new UsageException($"study directory '{dir}' does not exist.");
        return Experiments.Cluster.LoadStudy(dir);
    }

    /// <summary>Parameters from --params or the task's initial guess, with the dimension checked.</summary>
    public static double[] Params(TaskInstance task, string? text)
    {
        if (text is null) return task.CreateObjective().InitialGuess.ToArray();
        var x = Args.ParseVector(text, "--params");
        if (x.Length != task.Dimension)
            throw new UsageException($"--params has {x.Length} values but task '{task.Name}' has dimension {task.Dimension}.");
        return x;
    }
}
