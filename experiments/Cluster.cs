using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ContactOpt.Experiments;

/// <summary>
/// Per-shard progress of a study split into a job array. <see cref="Running"/> counts runs a live process is
/// executing (its store's write lock is held); <see cref="Abandoned"/> counts runs marked running in a store
/// nobody writes any more (a killed process); they are redone on resume.
/// </summary>
public sealed record ShardStatus(int Index, int Runs, int Finished, int Running, int Failed, bool HasDatabase, int Abandoned = 0)
{
    public int Missing => Runs - Finished - Running - Failed - Abandoned;
    public bool Complete => Finished == Runs;
}

/// <summary>Settings of a SLURM job array for a study.</summary>
public sealed record SlurmOptions(int ArraySize, int CpusPerTask, string? Partition, string? Time);

/// <summary>
/// Running a study as a SLURM job array: a study directory shared by all nodes holds the study
/// (<c>study.json</c>), the array layout (<c>slurm/array.json</c>), the sbatch script, and one SQLite file per
/// shard (<c>results-shard{i}of{N}.db</c>). Shard i runs the runs whose index in the study is i mod N, so any
/// shard can be re-run alone. Every reader of a directory uses one rule (<see cref="Stores"/>): the results of
/// a study are the union of the finished runs in <c>results.db</c> and in every shard file, keyed on (task,
/// agent, seed), whichever way each was run (locally, by hand with <c>--shard</c>, or by SLURM).
/// </summary>
public static class Cluster
{
    public const string StudyFile = "study.json";
    public const string LocalDatabase = "results.db";
    /// <summary>Upper bound of --array-size and of slurm/array.json (SLURM's own MaxArraySize default is 1001).</summary>
    public const int MaxArraySize = 10_000;
    /// <summary>Upper bound of --cpus-per-task.</summary>
    public const int MaxCpusPerTask = 1024;
    static readonly Regex TimePattern = new(@"^(?:(?<d>\d{1,3})-(?<h>[01]?\d|2[0-3])|(?<h>\d{1,4})):(?<m>[0-5]\d):(?<s>[0-5]\d)\z");
    static readonly Regex ShardFile = new(@"^results-shard(?<i>0|[1-9]\d{0,4})of(?<n>[1-9]\d{0,4})\.db\z");

    public static string ShardDatabase(string dir, int index, int count) => Path.Combine(dir, $"results-shard{index}of{count}.db");

    /// <summary>The store file a process running <paramref name="shard"/> writes.</summary>
    public static string DatabaseFor(string dir, Shard shard) => shard.Count == 1 ? Path.Combine(dir, LocalDatabase) : ShardDatabase(dir, shard.Index, shard.Count);

    /// <summary>Checks, without writing anything, that a directory's study file (if any) is this study's.</summary>
    public static void CheckStudy(string dir, StudySpec study)
    {
        var path = Path.Combine(dir, StudyFile);
        if (!File.Exists(path)) return;
        var existing = ReadStudyFile(path);
        if (existing.Fingerprint() != study.Fingerprint())
            throw new StoreMismatchException($"'{dir}' holds a different study (fingerprint {existing.Fingerprint()}, this one is {study.Fingerprint()}); choose another --out.");
    }

    /// <summary>Writes (or checks) the study file of a directory; a directory of another study is refused.</summary>
    public static void SaveStudy(string dir, StudySpec study)
    {
        var path = Path.Combine(dir, StudyFile);
        if (File.Exists(path)) { CheckStudy(dir, study); return; }
        Directory.CreateDirectory(dir);
        AtomicFile.Write(path, study.ToJson());
    }

    static StudySpec ReadStudyFile(string path)
    {
        try { return StudySpec.FromJson(File.ReadAllText(path)); }
        catch (ArgumentException e) { throw new StoreMismatchException($"'{path}' is not a readable study file: {e.Message}"); }
    }

    /// <summary>The study of a directory: its study.json, or the study recorded in its results.db.</summary>
    public static StudySpec LoadStudy(string dir)
    {
        var path = Path.Combine(dir, StudyFile);
        if (File.Exists(path)) return ReadStudyFile(path);
        var db = Path.Combine(dir, LocalDatabase);
        if (File.Exists(db)) { using var s = ResultStore.OpenReadOnly(db, null); return s.Study(); }
        var shard = ShardFiles(dir).FirstOrDefault();
        if (shard.Path is not null) { using var s = ResultStore.OpenReadOnly(shard.Path, null); return s.Study(); }
        throw new ArgumentException($"'{dir}' is not a ContactOpt study directory (no {StudyFile} or results database).");
    }

    /// <summary>
    /// Whether a directory belongs to a study: it holds a study file, a store, or the lock of a store that another
    /// compare is creating right now.
    /// </summary>
    public static bool IsStudyDirectory(string dir) =>
        File.Exists(Path.Combine(dir, StudyFile)) || Stores(dir).Count > 0
        || Directory.EnumerateFiles(dir, "results*.db.lock").Any(f => Path.GetFileName(f) == LocalDatabase + ".lock" || ShardFile.IsMatch(Path.GetFileName(f)[..^5]));

    /// <summary>Shard files present in a directory, ordered by shard count then index.</summary>
    public static IReadOnlyList<(string Path, int Index, int Count)> ShardFiles(string dir)
    {
        if (!Directory.Exists(dir)) return [];
        var list = new List<(string, int, int)>();
        foreach (var f in Directory.EnumerateFiles(dir, "results-shard*of*.db"))
        {
            var m = ShardFile.Match(Path.GetFileName(f));
            if (!m.Success) continue;
            int i = int.Parse(m.Groups["i"].Value, CultureInfo.InvariantCulture), n = int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
            if (i < n) list.Add((f, i, n));
        }
        return list.OrderBy(x => x.Item3).ThenBy(x => x.Item2).ToList();
    }

    /// <summary>
    /// Every store file of the directory, in the one order every reader uses: <c>results.db</c> first, then the
    /// shard files by shard count and index. A run finished in several files is taken from the first.
    /// </summary>
    public static IReadOnlyList<string> Stores(string dir)
    {
        var list = new List<string>();
        var local = Path.Combine(dir, LocalDatabase);
        if (File.Exists(local)) list.Add(local);
        list.AddRange(ShardFiles(dir).Select(s => s.Path));
        return list;
    }

    /// <summary>
    /// The number of shards of the directory's job array: from <c>slurm/array.json</c>, else from the shard
    /// files present (shards run by hand with --shard), else 1.
    /// </summary>
    public static int ArraySize(string dir)
    {
        var path = Path.Combine(dir, "slurm", "array.json");
        if (File.Exists(path))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { MaxDepth = 4 });
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("shards", out var n)
                    && n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out int shards) && shards >= 1 && shards <= MaxArraySize)
                    return shards;
                throw new StoreMismatchException($"'{path}' is corrupt: \"shards\" must be an integer in [1, {MaxArraySize}].");
            }
            catch (JsonException e) { throw new StoreMismatchException($"'{path}' is corrupt: {e.Message}"); }
        }
        var counts = ShardFiles(dir).Select(s => s.Count).Distinct().ToList();
        return counts.Count == 0 ? 1 : counts.Max();
    }

    /// <summary>
    /// A directory path as it may appear in the generated script. Paths with control characters (a newline would
    /// end the <c>#SBATCH</c> line and start a command) or characters that <c>#SBATCH</c> lines cannot quote are refused.
    /// </summary>
    static string ScriptSafePath(string full)
    {
        foreach (var c in full)
            if (char.IsControl(c) || c is '"' or '\\')
                throw new ArgumentException($"the study directory '{AtomicFile.Printable(full)}' contains '{AtomicFile.Printable(c.ToString())}', which a SLURM script cannot quote safely; choose another --out.");
        return full;
    }

    /// <summary>Writes the sbatch script of the array (all shards, or only <paramref name="indices"/>); returns its path.</summary>
    public static string WriteScript(string dir, StudySpec study, SlurmOptions o, string contactopt, IReadOnlyList<int>? indices = null)
    {
        if (o.ArraySize < 1 || o.ArraySize > MaxArraySize) throw new ArgumentException($"--array-size {o.ArraySize} must be in [1, {MaxArraySize}].");
        if (o.CpusPerTask < 1 || o.CpusPerTask > MaxCpusPerTask) throw new ArgumentException($"--cpus-per-task {o.CpusPerTask} must be in [1, {MaxCpusPerTask}].");
        if (o.Time is not null && !TimePattern.IsMatch(o.Time)) throw new ArgumentException($"--time '{AtomicFile.Printable(o.Time)}' must look like HH:MM:SS or D-HH:MM:SS (minutes and seconds below 60).");
        if (o.Partition is not null && !Regex.IsMatch(o.Partition, @"^[A-Za-z0-9_.\-]{1,64}\z")) throw new ArgumentException($"--partition '{AtomicFile.Printable(o.Partition)}' is not a valid partition name.");
        var full = ScriptSafePath(Path.GetFullPath(dir));
        if (contactopt.Any(char.IsControl)) throw new ArgumentException($"the contactopt path '{AtomicFile.Printable(contactopt)}' contains control characters.");
        var slurmDir = Path.Combine(full, "slurm");
        var arrayFile = Path.Combine(slurmDir, "array.json");
        if (File.Exists(arrayFile) && ArraySize(full) != o.ArraySize)
            throw new ArgumentException($"'{dir}' was split into {ArraySize(full)} shards; use --array-size {ArraySize(full)} (shards must stay stable).");
        Directory.CreateDirectory(slurmDir);
        AtomicFile.Write(arrayFile, JsonSerializer.Serialize(new { shards = o.ArraySize, fingerprint = study.Fingerprint() }));
        string array = indices is null ? $"0-{o.ArraySize - 1}" : string.Join(",", indices);
        var sb = new StringBuilder();
        sb.AppendLine("#!/bin/bash");
        sb.AppendLine($"#SBATCH --job-name=contactopt-{study.Fingerprint()[..8]}");
        sb.AppendLine($"#SBATCH --array={array}");
        // sbatch reads #SBATCH arguments with double quotes; '%' starts a file-name pattern, '%%' is a literal '%'.
        sb.AppendLine($"#SBATCH \"--output={slurmDir.Replace("%", "%%")}/shard-%a-job-%A.out\"");
        sb.AppendLine($"#SBATCH --cpus-per-task={o.CpusPerTask}");
        sb.AppendLine("#SBATCH --ntasks=1");
        if (o.Time is not null) sb.AppendLine($"#SBATCH --time={o.Time}");
        if (o.Partition is not null) sb.AppendLine($"#SBATCH --partition={o.Partition}");
        sb.AppendLine("# One shard of a ContactOpt study per array task; every shard writes its own SQLite file in the study directory.");
        sb.AppendLine("set -euo pipefail");
        sb.AppendLine($"exec {Quote(contactopt)} compare --config {Quote(Path.Combine(full, StudyFile))} --out {Quote(full)} \\");
        sb.AppendLine($"  --shard \"${{SLURM_ARRAY_TASK_ID}}/{o.ArraySize}\" --jobs {o.CpusPerTask} --quiet");
        var script = Path.Combine(slurmDir, indices is null ? "array.sbatch" : $"resubmit-{DateTime.UtcNow:yyyyMMddHHmmss}.sbatch");
        AtomicFile.Write(script, sb.ToString());
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

    /// <summary>
    /// Progress of every shard of an N-shard layout, read from the union of all store files (<see cref="Stores"/>)
    /// without writing to any of them. A run counts as running only while a process holds its store's write lock.
    /// </summary>
    public static IReadOnlyList<ShardStatus> Status(string dir, StudySpec study, int shards)
    {
        // Best state of every run over all files: done > running (live writer) > failed > abandoned.
        var state = new Dictionary<string, int>();
        var present = new HashSet<string>();
        foreach (var path in Stores(dir))
        {
            bool live = ResultStore.IsBeingWritten(path);
            using var store = ResultStore.OpenReadOnly(path, study);
            present.Add(path);
            foreach (var r in store.Runs(finishedOnly: false))
            {
                int rank = r.Status switch { "done" => 4, "running" => live ? 3 : 1, _ => 2 };
                var key = $"{r.Task}|{r.Agent}|{r.Seed}";
                if (!state.TryGetValue(key, out var old) || rank > old) state[key] = rank;
            }
        }
        var runs = study.Runs();
        var list = new List<ShardStatus>();
        for (int i = 0; i < shards; i++)
        {
            var shard = new Shard(i, shards);
            var owned = runs.Where((_, k) => shard.Owns(k)).Select(r => r.Key).ToList();
            int Count(int rank) => owned.Count(k => state.TryGetValue(k, out var s) && s == rank);
            bool hasDb = present.Contains(Path.GetFullPath(DatabaseFor(dir, shard))) || present.Contains(DatabaseFor(dir, shard));
            list.Add(new ShardStatus(i, owned.Count, Count(4), Count(3), Count(2), hasDb, Count(1)));
        }
        return list;
    }

    /// <summary>
    /// The finished runs of the directory merged by the rule of <see cref="Stores"/> into an in-memory store;
    /// nothing is written to the directory.
    /// </summary>
    public static ResultStore Merge(string dir, StudySpec study)
    {
        var merged = ResultStore.InMemory(study);
        try
        {
            foreach (var path in Stores(dir))
            {
                using var store = ResultStore.OpenReadOnly(path, study);
                merged.ImportFinished(store);
            }
        }
        catch { merged.Dispose(); throw; }
        return merged;
    }

    static string Quote(string s) => "'" + s.Replace("'", "'\"'\"'") + "'";
}
