using ContactOpt.Experiments;

namespace ContactOpt.Cli.Commands;

/// <summary>
/// <c>contactopt report DIR [--out REPORTDIR] [--no-filmstrips]</c>: regenerates report.md, its figures and the
/// CSV/JSON export from every store of DIR (results.db and the shard files, merged by one rule), without writing
/// to any store; the report goes to REPORTDIR (default DIR), so a read-only study directory can be reported elsewhere.
/// </summary>
public static class ReportCommand
{
    public static int Run(Args args)
    {
        bool noFilm = args.Flag("no-filmstrips");
        var outDir = args.Option("out");
        var dir = args.Positional(0, "study directory");
        args.EnsureAllUsed(1);
        var study = Catalog.Study(dir);
        int shards = Cluster.ArraySize(dir);
        var target = outDir ?? dir;
        AtomicFile.EnsureWritableDirectory(target, outDir is null ? "the study directory (give --out to report elsewhere)" : "--out");
        using var store = Cluster.Merge(dir, study);
        foreach (var s in Cluster.Status(dir, study, shards).Where(s => !s.Complete))
            Console.Error.WriteLine(shards > 1
                ? $"report: shard {s.Index}/{shards} is incomplete ({s.Finished}/{s.Runs} runs finished{(s.HasDatabase ? "" : ", no results file")}); " +
                  $"re-run it with: ./contactopt compare --config {Path.Combine(dir, Cluster.StudyFile)} --out {dir} --shard {s.Index}/{shards}"
                : $"report: the study is incomplete ({s.Finished}/{s.Runs} runs finished); resume it with: ./contactopt compare --config {Path.Combine(dir, Cluster.StudyFile)} --out {dir}");
        var report = new ReportBuilder(store, Catalog.Tasks());
        var path = report.Write(target, filmstrips: !noFilm);
        store.Export(Path.Combine(target, "export"));
        Console.WriteLine(report.SummaryTable());
        Console.WriteLine($"report: {path}");
        return 0;
    }
}
