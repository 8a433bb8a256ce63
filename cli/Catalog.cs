using ContactOpt.Agents;
using ContactOpt.Agents.Torch;
using ContactOpt.Envs;
using ContactOpt.Tasks;

namespace ContactOpt.Cli;

/// <summary>The registries the CLI works with: every built-in task and agent.</summary>
public static class Catalog
{
    public static TaskRegistry Tasks() => BuiltinTasks.CreateRegistry();
    public static AgentRegistry Agents() => new(BuiltinAgents.Specs().Concat(TorchAgents.Specs()));

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
