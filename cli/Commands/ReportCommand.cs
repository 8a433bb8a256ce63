using ContactOpt.Experiments;

namespace ContactOpt.Cli.Commands;

/// <summary><c>contactopt report DIR</c>: regenerates report.md, its figures and the CSV/JSON export from DIR/results.db.</summary>
public static class ReportCommand
{
    public static int Run(Args args)
    {
        bool noFilm = args.Flag("no-filmstrips");
        var dir = args.Positional(0, "study directory");
        args.EnsureAllUsed(1);
        var db = Path.Combine(dir, "results.db");
        if (!File.Exists(db)) throw new UsageException($"no results database in '{dir}' (expected {db}).");
        using var store = CompareCommand.OpenStore(db, null);
        var report = new ReportBuilder(store, Catalog.Tasks());
        var path = report.Write(dir, filmstrips: !noFilm);
        store.Export(Path.Combine(dir, "export"));
        Console.WriteLine(report.SummaryTable());
        Console.WriteLine($"report: {path}");
        return 0;
    }
}
