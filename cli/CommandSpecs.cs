using System.Reflection;
using System.Text;
using ContactOpt.Cli.Commands;

namespace ContactOpt.Cli;

/// <summary>One option of a command: <c>--name VALUE</c> (or a flag when <see cref="Value"/> is null), possibly repeatable.</summary>
public sealed record OptionSpec(string Name, string? Value, string Description, bool Repeatable = false)
{
    public string Syntax => "--" + Name + (Value is null ? "" : " " + Value) + (Repeatable ? " ..." : "");
}

/// <summary>
/// A command: name, summary, positional arguments, options and the code that runs it. The declarations are the
/// parser's: <see cref="Args"/> refuses to read an option a command did not declare (an internal error, so help and
/// parsing cannot drift apart), and <c>--help</c>, <c>contactopt help</c> and docs/cli.md are generated from them.
/// </summary>
public sealed record CommandSpec(string Name, string Summary, string Positionals, IReadOnlyList<OptionSpec> Options, Func<Args, int> Run,
    string? Details = null)
{
    public string Usage => $"contactopt {Name}{(Positionals.Length > 0 ? " " + Positionals : "")}{(Options.Count > 0 ? " [options]" : "")}";

    /// <summary>The text of <c>contactopt NAME --help</c>.</summary>
    public string Help()
    {
        var sb = new StringBuilder();
        sb.Append("usage: ").Append(Usage).Append("\n\n").Append(Summary).Append('\n');
        if (Details is not null) sb.Append('\n').Append(Details).Append('\n');
        sb.Append("\noptions:\n");
        int width = Math.Max(20, Options.Concat(CommandSpecs.Common).Max(o => o.Syntax.Length) + 2);
        foreach (var o in Options.Concat(CommandSpecs.Common)) sb.Append("  ").Append(o.Syntax.PadRight(width)).Append(o.Description).Append('\n');
        return sb.ToString();
    }
}

/// <summary>Every command of the CLI with its options: the one place they are declared and documented.</summary>
public static class CommandSpecs
{
    /// <summary>Options every command takes.</summary>
    public static readonly IReadOnlyList<OptionSpec> Common = [new("help", null, "show this help and exit (also -h)")];

    const string TaskArg = "<task>";
    static readonly OptionSpec AgentsFrom = new("agents-from", "FILE.dll",
        "load agents from a plugin assembly (public classes implementing ContactOpt.Agents.IAgentProvider)", Repeatable: true);

    public static IReadOnlyList<CommandSpec> All { get; } =
    [
        new("tasks", "list tasks: name, dimension, bounds, options", "",
            [new("verbose", null, "every option with its bounds, success thresholds and landscape presets")], TasksCommand.Run),
        new("eval", "loss (and gradient) of a task at a parameter vector", TaskArg,
            [new("params", "a,b,...", "the parameters (default: the task's initial guess)"),
             new("grad", null, "also compute the exact gradient"),
             new("json", null, "print JSON (non-finite values as null, with diverged/gradient_finite flags)")], EvalCommand.Run),
        new("gradcheck", "exact vs central finite-difference gradients at random points", TaskArg,
            [new("points", "N", "number of random points (default 20)"),
             new("seed", "S", "seed of the points (default 0)"),
             new("step", "H", "finite-difference step, in (0, 1) (default 1e-6)"),
             new("coords", "K", "random coordinates checked per point (default: all)"),
             new("json", null, "print JSON")], GradcheckCommand.Run),
        new("gradquality", "how far the exact gradient can be trusted: finite differences at several steps, smoothed gradients, secant signs, sgd variance", TaskArg,
            [new("points", "N", "number of random points"),
             new("seed", "S", "seed of the points and rays (default 0)"),
             new("steps", "h,...", "finite-difference steps"),
             new("widths", "s,...", "widths of the Gaussian-smoothed gradients"),
             new("scales", "t,...", "secant lengths along the rays"),
             new("rays", "R", "random rays per point"),
             new("samples", "M", "samples per smoothed gradient"),
             new("sgd-samples", "M", "samples of sgd's estimator for its variance"),
             new("sgd-sigma", "S", "sgd's perturbation standard deviation"),
             new("coords", "K", "coordinates checked per point"),
             new("jobs", "J", "worker threads (default: all cores)"),
             new("json", null, "print JSON"),
             new("out", "DIR", "write plots and tables to DIR")], GradqualityCommand.Run),
        new("render", "filmstrip PNG of an episode at a parameter vector", TaskArg,
            [new("params", "a,b,...", "the parameters (default: the task's initial guess)"),
             new("frames", "N", "frames in the strip, 1 to 64 (default 8)"),
             new("out", "FILE.png", "the PNG to write (required)")], RenderCommand.Run),
        new("bench", "median time of loss-only and loss-and-gradient episodes", "<task>[,<task>...]",
            [new("seconds", "S", "measuring time per task and mode, in (0, 600] (default 2)"),
             new("threads", "N", "threads inside each episode for kernel-route engines, 1 to 256 (default 1); results are identical for any N"),
             new("cpu", null, "also report the median CPU time of the episode's thread (Linux; on a loaded machine the figure to compare with one-core targets)"),
             new("json", null, "print JSON")], BenchCommand.Run),
        new("agents", "list agents with their options and defaults", "",
            [new("json", null, "print JSON"), AgentsFrom], AgentsCommand.Run),
        new("run", "run one agent on one task within an episode budget", TaskArg,
            [new("agent", "NAME", "the agent (required; see 'contactopt agents')"),
             new("budget", "N", $"episodes, 1 to {RunCommand.MaxBudget} (default {RunCommand.DefaultBudget})"),
             new("seed", "S", "the run's seed (default 0)"),
             new("set", "key=value", "an agent option", Repeatable: true),
             new("out", "DIR", "write DIR/trace.csv (every episode: loss, best, gradient, seconds, parameters)"),
             new("json", null, "print the result as JSON"),
             new("save-policy", "FILE", "learning agents (ppo, sac): save the trained policy to FILE (load it with the agent's Load)"),
             new("eval-episodes", "N", $"learning agents: mean return of the deterministic policy over N fresh episodes, 0 to {RunCommand.MaxEvalEpisodes} (default {RunCommand.DefaultEvalEpisodes})"),
             new("quiet", null, "no progress on stderr (learning agents otherwise show steps, steps/s, episodes and mean return)"),
             AgentsFrom], RunCommand.Run),
        new("bench-agents", "median best loss of agents over seeds, and the time of one BO trial (Markdown on stdout)", "",
            [new("tasks", "T;...", "tasks, separated by ';' (default ackley:dim=10;rastrigin:dim=10)"),
             new("agents", "A,...", "agents (default rand,cmaes,randdescents,bo,bo-leap)"),
             new("seeds", "N", "seeds per task and agent (default 10)"),
             new("budget", "N", "episodes per run (default 1000)"),
             new("threads", "N", "worker threads (default: all cores)"),
             new("set", "agent.key=value", "an agent option", Repeatable: true),
             new("skip-timing", null, "skip the BO trial timing"),
             new("timing-only", null, "only time a BO trial"),
             new("timing-points", "N", "points of the timed BO trial (default 1000)"),
             new("timing-dims", "D,...", "dimensions of the timed BO trials, each 1 to 10000 (default 10)"),
             new("out", "FILE.md", "also write the Markdown to FILE.md"),
             AgentsFrom], BenchAgentsCommand.Run),
        new("compare", "run a comparison study (tasks × agents × seeds) and write its report", "[<task>[,<task>...]]",
            [new("agents", "a,b,...", "agents (default: all)"),
             new("seeds", "N", "seeds per task and agent (default 10)"),
             new("budget", "N", "episodes per run (default 1000)"),
             new("jobs", "J", $"worker threads, 1 to {CompareCommand.MaxJobs} (default: all cores)"),
             new("set", "agent.key=value", "an agent option", Repeatable: true),
             new("out", "DIR", "the study directory (default runs/<tasks> or runs/<preset>)"),
             new("config", "FILE", "the study as a YAML or JSON file (instead of tasks, --agents and --set)"),
             new("preset", "NAME", "a study of studies/ by file name, e.g. dawson2021"),
             new("quiet", null, "no progress on stderr"),
             new("shard", "i/n", "run only shard i of n (for job arrays)"),
             new("slurm", null, "write a Slurm job-array script over all shards instead of running"),
             new("submit", null, "with --slurm: submit the script"),
             new("resubmit-missing", null, "with --slurm: resubmit the shards that are not complete"),
             new("array-size", "N", "with --slurm: number of shards (default min(runs, 10))"),
             new("partition", "P", "with --slurm: the partition"),
             new("time", "T", "with --slurm: the time limit per shard"),
             new("cpus-per-task", "N", "with --slurm: CPUs per shard (default 1)"),
             new("sbatch", "CMD", "with --submit: the sbatch command (default sbatch)"),
             AgentsFrom], CompareCommand.Run,
            "A custom agent runs beside the built-ins with --agents-from: e.g. --agents hillclimb,rand --agents-from MyAgents.dll.\n"
            + "Give --agents-from again when resuming such a study."),
        new("report", "regenerate a study's report from its results database", "<dir>",
            [new("out", "REPORTDIR", "write the report there (default: the study directory)"),
             new("no-filmstrips", null, "skip the filmstrips of each agent's best behaviour")], ReportCommand.Run),
        new("status", "progress of a study per shard (finished / running / failed / missing)", "<dir>", [], StatusCommand.Run),
        new("landscape", "2-D loss landscape heatmap (optionally with gradient arrows)", TaskArg,
            [new("dims", "i,j", "the two coordinates of the slice (default: the task's preset)"),
             new("around", "x,...", "the point the slice goes through"),
             new("range", "lo:hi,lo:hi | r", "the ranges of the two coordinates (or ±r around the point)"),
             new("res", "N", "grid cells per side"),
             new("grad", null, "draw gradient arrows"),
             new("arrows", "N", "arrows per side, 2 to 200 (default 20)"),
             new("symmetric", null, "a colour scale symmetric about 0"),
             new("log", null, "colours show log10 of the loss"),
             new("csv", "FILE.csv", "every cell's u, v, loss (and the gradient along the slice with --grad)"),
             new("jobs", "J", "worker threads (default: all cores)"),
             new("out", "FILE.png", "the PNG to write")], LandscapeCommand.Run,
            "Without --dims/--around/--range the task's preset slice is used (Dawson's Fig. 2 for flip, the mirrored Fig. 5 for grasp)."),
        new("help", "help on a command, or on every command with --all", "[<command>]",
            [new("all", null, "every command and option (the text of docs/cli.md)")], HelpCommand),
    ];

    public static CommandSpec? Find(string name) => All.FirstOrDefault(c => c.Name == name);

    /// <summary>The version of the CLI and of the libraries it runs.</summary>
    public static string Version()
    {
        static string V(Assembly a) => a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
                                       ?? a.GetName().Version?.ToString() ?? "?";
        return $"contactopt {V(typeof(CommandSpecs).Assembly)} (ContactOpt.Core {V(typeof(ContactOpt.Info).Assembly)}, .NET {Environment.Version})";
    }

    /// <summary>The top-level usage text.</summary>
    public static string Overview()
    {
        var sb = new StringBuilder("usage: contactopt <command> [arguments]\n       contactopt <command> --help | -h\n       contactopt --version\n\ncommands:\n");
        foreach (var c in All) sb.Append($"  {c.Name,-13} {c.Summary}\n");
        sb.Append("\nTasks take options in their name: task:key=value,... (see 'contactopt tasks --verbose').\n");
        sb.Append("Bad input prints one line on stderr and exits with code 2.\n");
        return sb.ToString();
    }

    /// <summary>Every command's help as Markdown: the content of docs/cli.md.</summary>
    public static string Markdown()
    {
        var sb = new StringBuilder("# Command line reference\n\nGenerated by `./contactopt help --all` from the declarations the parser uses (`cli/CommandSpecs.cs`); a test keeps this file equal to that output.\n\n");
        sb.Append("```\n").Append(Overview()).Append("```\n");
        foreach (var c in All) sb.Append("\n## ").Append(c.Name).Append("\n\n```\n").Append(c.Help()).Append("```\n");
        return sb.ToString();
    }

    static int HelpCommand(Args args)
    {
        bool all = args.Flag("all");
        args.EnsureAllUsed(1);
        if (all) { Console.Write(Markdown()); return 0; }
        if (args.Positionals.Count == 0) { Console.Write(Overview()); return 0; }
        var name = args.Positionals[0];
        var spec = Find(name) ?? throw new UsageException($"unknown command '{name}'; commands: {string.Join(", ", All.Select(c => c.Name))}.");
        Console.Write(spec.Help());
        return 0;
    }
}
