using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ContactOpt.Experiments;

/// <summary>Per-shard progress of a study split into a job array.</summary>
public sealed record ShardStatus(int Index, int Runs, int Finished, int Running, int Failed, bool HasDatabase)
{
    public int Missing => Runs - Finished - Running - Failed;
    public bool Complete => Finished == Runs;
}

/// <summary>Settings of a SLURM job array for a study.</summary>
public sealed record SlurmOptions(int ArraySize, int CpusPerTask, string? Partition, string? Time);

/// <summary>
/// Running a study as a SLURM job array: a study directory shared by all nodes holds the study
/// (<c>study.json</c>), the array layout (<c>slurm/array.json</c>), the sbatch script, and one SQLite file per
/// shard (<c>results-shard{i}of{N}.db</c>). Shard i runs the runs whose index in the study is i mod N, so any
/// shard can be re-run alone; <see cref="Merge"/> gathers the shards into <c>results.db</c> without duplicates.
/// </summary>
public static class Cluster
{
    public const string StudyFile = "study.json";
    static readonly Regex TimePattern = new(@"^(\d+-)?\d{1,3}:\d{2}:\d{2}$");

    public static string ShardDatabase(string dir, int index, int count) => Path.Combine(dir, $"results-shard{index}of{count}.db");

    /// <summary>Writes (or checks) the study file of a directory; a directory of another study is refused.</summary>
    public static void SaveStudy(string dir, StudySpec study)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, StudyFile);
        if (File.Exists(path))
        {
            var existing = StudySpec.FromJson(File.ReadAllText(path));
            if (existing.Fingerprint() != study.Fingerprint())
                throw new StoreMismatchException($"'{dir}' holds a different study (fingerprint {existing.Fingerprint()}, this one is {study.Fingerprint()}); choose another --out.");
            return;
        }
        AtomicWrite(path, study.ToJson());
    }

    public static StudySpec LoadStudy(string dir)
    {
        var path = Path.Combine(dir, StudyFile);
        if (File.Exists(path)) return StudySpec.FromJson(File.ReadAllText(path));
        var db = Path.Combine(dir, "results.db");
        if (File.Exists(db)) { using var s = ResultStore.Open(db, null, cleanInterrupted: false); return s.Study(); }
        throw new ArgumentException($"'{dir}' is not a ContactOpt study directory (no {StudyFile} or results.db).");
    }

    /// <summary>The number of shards of the directory's job array (1 when it has none).</summary>
    public static int ArraySize(string dir)
    {
        var path = Path.Combine(dir, "slurm", "array.json");
        if (!File.Exists(path)) return 1;
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("shards").GetInt32();
    }

    /// <summary>Writes the sbatch script of the array (all shards, or only <paramref name="indices"/>); returns its path.</summary>
    public static string WriteScript(string dir, StudySpec study, SlurmOptions o, string contactopt, IReadOnlyList<int>? indices = null)
    {
        if (o.ArraySize < 1) throw new ArgumentException($"--array-size {o.ArraySize} must be at least 1.");
        if (o.CpusPerTask < 1) throw new ArgumentException($"--cpus-per-task {o.CpusPerTask} must be at least 1.");
        if (o.Time is not null && !TimePattern.IsMatch(o.Time)) throw new ArgumentException($"--time '{o.Time}' must look like HH:MM:SS or D-HH:MM:SS.");
        if (o.Partition is not null && !Regex.IsMatch(o.Partition, @"^[A-Za-z0-9_.\-]+$")) throw new ArgumentException($"--partition '{o.Partition}' is not a valid partition name.");
        var full = Path.GetFullPath(dir);
        var slurmDir = Path.Combine(full, "slurm");
        Directory.CreateDirectory(slurmDir);
        var arrayFile = Path.Combine(slurmDir, "array.json");
        if (File.Exists(arrayFile) && ArraySize(full) != o.ArraySize)
            throw new ArgumentException($"'{dir}' was split into {ArraySize(full)} shards; use --array-size {ArraySize(full)} (shards must stay stable).");
        AtomicWrite(arrayFile, JsonSerializer.Serialize(new { shards = o.ArraySize, fingerprint = study.Fingerprint() }));
        string array = indices is null ? $"0-{o.ArraySize - 1}" : string.Join(",", indices);
        var sb = new StringBuilder();
        sb.AppendLine("#!/bin/bash");
        sb.AppendLine($"#SBATCH --job-name=contactopt-{study.Fingerprint()[..8]}");
        sb.AppendLine($"#SBATCH --array={array}");
        sb.AppendLine($"#SBATCH --output={slurmDir}/shard-%a-job-%A.out");
        sb.AppendLine($"#SBATCH --cpus-per-task={o.CpusPerTask}");
        sb.AppendLine("#SBATCH --ntasks=1");
        if (o.Time is not null) sb.AppendLine($"#SBATCH --time={o.Time}");
        if (o.Partition is not null) sb.AppendLine($"#SBATCH --partition={o.Partition}");
        sb.AppendLine("# One shard of a ContactOpt study per array task; every shard writes its own SQLite file in the study directory.");
        sb.AppendLine("set -euo pipefail");
        sb.AppendLine($"exec {Quote(contactopt)} compare --config {Quote(Path.Combine(full, StudyFile))} --out {Quote(full)} \\");
        sb.AppendLine($"  --shard \"${{SLURM_ARRAY_TASK_ID}}/{o.ArraySize}\" --jobs {o.CpusPerTask} --quiet");
        var script = Path.Combine(slurmDir, indices is null ? "array.sbatch" : $"resubmit-{DateTime.UtcNow:yyyyMMddHHmmss}.sbatch");
        AtomicWrite(script, sb.ToString());
        return script;
    }

    /// <summary>Calls <c>sbatch --parsable</c>; returns the job id. Throws <see cref="ArgumentException"/> when sbatch is unusable.</summary>
    public static string Submit(string script, string sbatch = "sbatch")
    {
        var psi = new ProcessStartInfo(sbatch) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--parsable");
        psi.ArgumentList.Add(script);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new ArgumentException($"cannot run '{sbatch}': {e.Message} (is SLURM installed and on PATH?)"); }
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new ArgumentException($"sbatch failed (exit {p.ExitCode}): {error.Trim().Split('\n').FirstOrDefault()}");
        return output.Trim().Split(';')[0];
    }

    /// <summary>Progress of every shard, read without modifying any shard file.</summary>
    public static IReadOnlyList<ShardStatus> Status(string dir, StudySpec study, int shards)
    {
        var runs = study.Runs();
        var list = new List<ShardStatus>();
        for (int i = 0; i < shards; i++)
        {
            var shard = new Shard(i, shards);
            var owned = runs.Where((_, k) => shard.Owns(k)).Select(r => r.Key).ToHashSet();
            var db = shards == 1 ? Path.Combine(dir, "results.db") : ShardDatabase(dir, i, shards);
            if (!File.Exists(db)) { list.Add(new ShardStatus(i, owned.Count, 0, 0, 0, false)); continue; }
            using var store = ResultStore.Open(db, study, cleanInterrupted: false);
            var all = store.Runs(finishedOnly: false).Where(r => owned.Contains($"{r.Task}|{r.Agent}|{r.Seed}")).ToList();
            list.Add(new ShardStatus(i, owned.Count, all.Count(r => r.Status == "done"), all.Count(r => r.Status == "running"),
                all.Count(r => r.Status == "failed"), true));
        }
        return list;
    }

    /// <summary>Merges every shard file of the directory into <c>results.db</c>; returns the merged store.</summary>
    public static ResultStore Merge(string dir, StudySpec study, int shards)
    {
        var store = ResultStore.Open(Path.Combine(dir, "results.db"), study, cleanInterrupted: false);
        if (shards > 1)
            for (int i = 0; i < shards; i++)
            {
                var db = ShardDatabase(dir, i, shards);
                if (!File.Exists(db)) continue;
                using var shard = ResultStore.Open(db, study, cleanInterrupted: false);
                store.ImportFinished(shard);
            }
        return store;
    }

    static string Quote(string s) => "'" + s.Replace("'", "'\"'\"'") + "'";

    static void AtomicWrite(string path, string text)
    {
        var tmp = path + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
