using ContactOpt.Cli;

namespace ContactOpt.Tests;

/// <summary>Runs the CLI in this process and captures its exit code, standard output and standard error.</summary>
static class InProcessCli
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        var (so, se) = (Console.Out, Console.Error);
        Console.SetOut(o); Console.SetError(e);
        try { return (CliApp.Run(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(so); Console.SetError(se); }
    }
}
