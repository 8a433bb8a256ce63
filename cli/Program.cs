using ContactOpt.Cli.Commands;

namespace ContactOpt.Cli;

/// <summary>Entry point of the contactopt command; <see cref="Run"/> is callable from tests.</summary>
public static class CliApp
{
    static Dictionary<string, (string Summary, Func<Args, int> Run)> Commands() => new()
    {
        ["tasks"] = ("list tasks (--verbose: options and details)", TasksCommand.Run),
        ["eval"] = ("loss (and --grad gradient) of a task at --params", EvalCommand.Run),
        ["gradcheck"] = ("exact vs central finite-difference gradients at random points", GradcheckCommand.Run),
        ["gradquality"] = ("gradient trust: finite differences at several steps, smoothed gradients, secant signs, sgd variance", GradqualityCommand.Run),
        ["render"] = ("filmstrip PNG of an episode at --params", RenderCommand.Run),
        ["bench"] = ("median time of loss-only and loss-and-gradient episodes", BenchCommand.Run),
        ["agents"] = ("list agents with their options and defaults", AgentsCommand.Run),
        ["run"] = ("run one agent on one task within an episode budget (trace.csv with --out)", RunCommand.Run),
        ["bench-agents"] = ("median best loss of agents over seeds, and the time of one BO trial", BenchAgentsCommand.Run),
        ["compare"] = ("run a comparison study (tasks × agents × seeds) and write its report", CompareCommand.Run),
        ["report"] = ("regenerate a study's report from its results database", ReportCommand.Run),
        ["status"] = ("progress of a study per shard (finished / running / failed / missing)", StatusCommand.Run),
        ["landscape"] = ("2-D loss landscape heatmap (optionally with gradient arrows)", LandscapeCommand.Run),
    };

    public static int Main(string[] args) => Run(args);

    /// <summary>
    /// Runs one command. Bad input prints one line on stderr and returns 2; a run that failed returns 1 with one
    /// line; any other exception is an internal fault: one line naming it and the log file holding its stack trace, exit 1.
    /// </summary>
    public static int Run(string[] args)
    {
        var commands = Commands();
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine("usage: contactopt <command> [arguments]\n\ncommands:");
            foreach (var (name, (summary, _)) in commands) Console.WriteLine($"  {name,-13} {summary}");
            Console.WriteLine("\nTasks take options in their name: task:key=value,... (see 'contactopt tasks --verbose').");
            return args.Length == 0 ? 2 : 0;
        }
        if (!commands.TryGetValue(args[0], out var command))
        {
            Console.Error.WriteLine($"contactopt: unknown command '{OneLine(args[0])}'; commands: {string.Join(", ", commands.Keys)}.");
            return 2;
        }
        try
        {
            return command.Run(new Args(args.Skip(1)));
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"contactopt {args[0]}: {OneLine(e.Message)}");
            return 2;
        }
        // Validation errors of the libraries (options, tasks, study files) and unusable paths: bad input.
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException
                                      or Experiments.StoreMismatchException or Experiments.StoreBusyException)
        {
            Console.Error.WriteLine($"contactopt {args[0]}: {OneLine(e.Message)}");
            return 2;
        }
        catch (RunFailedException e)
        {
            var log = CrashLog.Write(args, e.InnerException ?? e);
            Console.Error.WriteLine($"contactopt {args[0]}: {OneLine(e.Message)} (details in {log})");
            return 1;
        }
        catch (Exception e)
        {
            var log = CrashLog.Write(args, e);
            Console.Error.WriteLine($"contactopt {args[0]}: internal error ({e.GetType().Name}: {OneLine(e.Message)}); this is a bug, not bad input: details in {log}");
            return 1;
        }
    }

    /// <summary>A message on one line: line breaks (and other control characters, e.g. echoed from a path) shown as escapes.</summary>
    public static string OneLine(string message) => Experiments.AtomicFile.Printable(message.TrimEnd('\n', '\r'));
}

/// <summary>
/// A run that started and then failed (a numerical blow-up, an exception inside an agent): not bad input, so
/// exit code 1 with a pointer to the log.
/// </summary>
public sealed class RunFailedException(string message, Exception inner) : Exception(message, inner);

/// <summary>Writes the full details of an internal fault to a log file; returns its path.</summary>
public static class CrashLog
{
    public static string Write(string[] args, Exception e)
    {
        var dir = Path.Combine(Path.GetTempPath(), "contactopt-logs");
        var path = Path.Combine(dir, $"contactopt-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}.log");
        try
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(path, $"contactopt {string.Join(' ', args.Select(a => "'" + a + "'"))}\n{DateTime.UtcNow:o}\n\n{e}\n");
            return path;
        }
        catch (Exception io) when (io is IOException or UnauthorizedAccessException) { return $"(no log: {io.Message})"; }
    }
}
