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
        var study = Catalog.Study(dir);
        int shards = Cluster.ArraySize(dir);
        ResultStore store;
        try { store = Cluster.Merge(dir, study, shards); }
        catch (StoreMismatchException e) { throw new UsageException(e.Message); }
        using var _ = store;
        if (shards > 1)
            foreach (var s in Cluster.Status(dir, study, shards).Where(s => !s.Complete))
                Console.Error.WriteLine($"report: shard {s.Index}/{shards} is incomplete ({s.Finished}/{s.Runs} runs finished{(s.HasDatabase ? "" : ", no results file")}); " +
                                        $"re-run it with: ./contactopt compare --config {Path.Combine(dir, Cluster.StudyFile)} --out {dir} --shard {s.Index}/{shards}");
        var report = new ReportBuilder(store, Catalog.Tasks());
        var path = report.Write(dir, filmstrips: !noFilm);
        store.Export(Path.Combine(dir, "export"));
        Console.WriteLine(report.SummaryTable());
        Console.WriteLine($"report: {path}");
        return 0;
    }
}
