using ContactOpt.Cli;

namespace ContactOpt.Tests;

/// <summary>--help / -h on every command, --version, and help generated from the parser's own declarations.</summary>
[NonParallelizable]
public class CliHelpTests
{
    static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    static IEnumerable<string> Commands() => CommandSpecs.All.Select(c => c.Name);

    [TestCaseSource(nameof(Commands))]
    public void HelpAndDashHListEveryDeclaredOptionAndRunNothing(string command)
    {
        var spec = CommandSpecs.Find(command)!;
        foreach (var flag in new[] { "--help", "-h" })
        {
            // A task name before the flag must not be run (landscape -h used to take -h as a task name).
            var (code, output, err) = Run(command, "flip", flag);
            Assert.That(code, Is.EqualTo(0), $"{command} {flag}: {err}");
            Assert.That(err, Is.Empty);
            Assert.That(output, Does.StartWith($"usage: contactopt {command}"));
            foreach (var o in spec.Options) Assert.That(output, Does.Contain("--" + o.Name), $"{command} {flag} documents --{o.Name}");
        }
    }

    /// <summary>
    /// Each command reads all its options before it fails on an unknown one; reading an option its spec does not
    /// declare is an internal error (exit 1), so exit 2 here proves that help and parser agree on every option.
    /// </summary>
    [TestCaseSource(nameof(Commands))]
    public void EveryOptionACommandReadsIsDeclared(string command)
    {
        var positional = command is "report" or "status" ? "/nonexistent-study" : command == "help" ? "eval" : "sphere";
        var args = command switch
        {
            "tasks" or "agents" or "bench-agents" => new[] { command, "--zzz-undeclared" },
            "render" => new[] { command, positional, "--out", "x.png", "--zzz-undeclared" },
            _ => new[] { command, positional, "--zzz-undeclared" },
        };
        var (code, _, err) = Run(args);
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err.Trim(), Is.EqualTo($"contactopt {command}: unknown option --zzz-undeclared (see 'contactopt {command} --help')."));
    }

    [Test]
    public void VersionNamesTheCliAndTheLibraries()
    {
        var (code, output, _) = Run("--version");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output, Does.Match(@"^contactopt \d+\.\d+\.\d+.*ContactOpt\.Core \d+\.\d+\.\d+"));
    }

    [Test]
    public void TopLevelHelpListsEveryCommandAndHelpOnAnUnknownCommandIsOneLine()
    {
        var (code, output, _) = Run("--help");
        Assert.That(code, Is.EqualTo(0));
        foreach (var c in Commands()) Assert.That(output, Does.Contain("  " + c + " "));
        var (code2, _, err) = Run("help", "nosuch");
        Assert.That(code2, Is.EqualTo(2));
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(err, Does.Contain("unknown command 'nosuch'"));
    }

    /// <summary>docs/cli.md is the generated reference: regenerate it with <c>./contactopt help --all > docs/cli.md</c>.</summary>
    [Test]
    public void DocsCliMdIsTheGeneratedReference()
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "ContactOpt.sln"))) root = Path.GetDirectoryName(root);
        Assert.That(root, Is.Not.Null);
        var (code, output, _) = Run("help", "--all");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(File.ReadAllText(Path.Combine(root!, "docs", "cli.md")), Is.EqualTo(output),
            "docs/cli.md is stale: run ./contactopt help --all > docs/cli.md");
    }
}
