using ContactOpt.Experiments;

namespace ContactOpt.Cli.Commands;

/// <summary>
/// <c>contactopt status DIR</c>: runs finished / running / abandoned / failed / missing per shard, and how to finish
/// the study. Reads every store of the directory (results.db and every shard file) without writing anything.
/// </summary>
public static class StatusCommand
{
    public static int Run(Args args)
    {
        var dir = args.Positional(0, "study directory");
        args.EnsureAllUsed(1);
        var study = Catalog.Study(dir);
        int shards = Cluster.ArraySize(dir);
        var status = Cluster.Status(dir, study, shards);
        Console.WriteLine($"study {study.Fingerprint()} in {dir}: {study.Runs().Count} runs in {shards} shard(s)");
        Console.WriteLine($"{"shard",7} {"runs",6} {"finished",9} {"running",8} {"abandoned",10} {"failed",7} {"missing",8}");
        foreach (var s in status)
            Console.WriteLine($"{s.Index + "/" + shards,7} {s.Runs,6} {s.Finished,9} {s.Running,8} {s.Abandoned,10} {s.Failed,7} {s.Missing,8}{(s.HasDatabase ? "" : "  (no results file)")}");
        if (status.Any(s => s.Abandoned > 0))
            Console.WriteLine("abandoned: runs marked running by a process that no longer runs (killed); they are redone on resume");
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
