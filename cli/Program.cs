using ContactOpt.Cli.Commands;

namespace ContactOpt.Cli;

/// <summary>Entry point of the contactopt command; <see cref="Run"/> is callable from tests.</summary>
public static class CliApp
{
    public static int Main(string[] args) => Run(args);

    /// <summary>
    /// Runs one command. Bad input prints one line on stderr and returns 2; a run that failed returns 1 with one
    /// line; any other exception is an internal fault: one line naming it and the log file holding its stack trace, exit 1.
    /// </summary>
    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.Write(CommandSpecs.Overview());
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] is "--version" or "-V")
        {
            Console.WriteLine(CommandSpecs.Version());
            return 0;
        }
        var command = CommandSpecs.Find(args[0]);
        if (command is null)
        {
            Console.Error.WriteLine($"contactopt: unknown command '{OneLine(args[0])}'; commands: {string.Join(", ", CommandSpecs.All.Select(c => c.Name))} (see 'contactopt --help').");
            return 2;
        }
        // --help / -h anywhere after the command (not as the value of an option): the command's help, nothing run.
        var rest = args.Skip(1).ToList();
        for (int i = 0; i < rest.Count; i++)
        {
            if (rest[i] is "--help" or "-h") { Console.Write(command.Help()); return 0; }
            if (rest[i].StartsWith("--", StringComparison.Ordinal) && !rest[i].Contains('=') && i + 1 < rest.Count
                && command.Options.FirstOrDefault(o => o.Name == rest[i][2..]) is { Value: not null }) i++;
        }
        try
        {
            Catalog.ResetPlugins();
            return command.Run(new Args(rest, command));
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
