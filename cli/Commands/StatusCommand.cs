using ContactOpt.Experiments;

namespace ContactOpt.Cli.Commands;

/// <summary><c>contactopt status DIR</c>: runs finished / running / failed / missing per shard, and how to finish the study.</summary>
public static class StatusCommand
{
    public static int Run(Args args)
    {
        var dir = args.Positional(0, "study directory");
        args.EnsureAllUsed(1);
        var study = Catalog.Study(dir);
        int shards = Cluster.ArraySize(dir);
        IReadOnlyList<ShardStatus> status;
        try { status = Cluster.Status(dir, study, shards); }
        catch (StoreMismatchException e) { throw new UsageException(e.Message); }
        Console.WriteLine($"study {study.Fingerprint()} in {dir}: {study.Runs().Count} runs in {shards} shard(s)");
        Console.WriteLine($"{"shard",7} {"runs",6} {"finished",9} {"running",8} {"failed",7} {"missing",8}");
        foreach (var s in status)
            Console.WriteLine($"{s.Index + "/" + shards,7} {s.Runs,6} {s.Finished,9} {s.Running,8} {s.Failed,7} {s.Missing,8}{(s.HasDatabase ? "" : "  (no results file)")}");
        var incomplete = status.Where(s => !s.Complete).ToList();
        if (incomplete.Count == 0) { Console.WriteLine($"complete: merge and report with ./contactopt report {dir}"); return 0; }
        var config = Path.Combine(dir, Cluster.StudyFile);
        foreach (var s in incomplete)
            Console.WriteLine(shards == 1
                ? $"incomplete: resume with ./contactopt compare --config {config} --out {dir}"
                : $"shard {s.Index} incomplete: re-run with ./contactopt compare --config {config} --out {dir} --shard {s.Index}/{shards}");
        if (shards > 1) Console.WriteLine($"or resubmit all incomplete shards: ./contactopt compare --config {config} --out {dir} --slurm --array-size {shards} --resubmit-missing");
        return 0;
    }
}
