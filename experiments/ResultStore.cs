using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace ContactOpt.Experiments;

/// <summary>A finished run as stored.</summary>
public sealed record StoredRun(long Id, string Task, string Agent, int Seed, int Budget, string Settings, string Status,
    double BestLoss, double[] BestParameters, int Episodes, int NonFinite, double WallSeconds, string CodeVersion,
    string Machine, string Started, string? Ended, string? Error, int Shard);

/// <summary>One stored episode of a run.</summary>
public readonly record struct StoredEpisode(int Episode, double Loss, double Best, bool Gradient, double Elapsed);

/// <summary>Thrown when a store cannot be used for this study (another study, another schema version, a corrupt file).</summary>
public sealed class StoreMismatchException(string message) : Exception(message);

/// <summary>Thrown when another process holds the write lock of a store (another compare runs on it).</summary>
public sealed class StoreBusyException(string message) : Exception(message);

/// <summary>
/// The embedded SQLite result store of a study. A run is inserted as 'running' when it starts; its whole trace
/// and its 'done' status are written in one transaction when it ends, so a crash never leaves a half-written
/// finished run. There is one writer per store file: <see cref="Open"/> takes an OS lock (<c>flock</c> on
/// <c>FILE.lock</c>, which SLURM's shared file systems honour) and refuses a second writer; the schema and the
/// study it holds are created in one transaction, so a kill at any instant leaves an empty or a complete store.
/// <see cref="OpenReadOnly"/> opens a store without writing anything (it works on read-only directories), and
/// <see cref="InMemory"/> is the scratch store that merged views are built in. Thread-safe.
/// </summary>
public sealed class ResultStore : IDisposable
{
    public const int SchemaVersion = 1;
    readonly SqliteConnection _db;
    readonly object _lock = new();
    FileStream? _writeLock;

    ResultStore(SqliteConnection db) { _db = db; }

    public string Path { get; private init; } = "";
    /// <summary>True for stores opened with <see cref="OpenReadOnly"/>.</summary>
    public bool ReadOnly { get; private init; }

    static readonly string[] RunColumns =
        ["id", "task", "agent", "seed", "budget", "settings", "status", "best_loss", "best_params", "episodes", "nonfinite",
         "wall_seconds", "code_version", "machine", "started", "ended", "error", "shard"];
    static readonly string[] EpisodeColumns = ["run_id", "episode", "loss", "best", "gradient", "elapsed"];

    /// <summary>
    /// Opens (or creates) the store for a study as its only writer, and removes runs that never finished (they
    /// are redone). A store written for another study, by an incompatible version, or a file that is not a
    /// ContactOpt store is refused with <see cref="StoreMismatchException"/> and left untouched; a store another
    /// process writes is refused with <see cref="StoreBusyException"/>.
    /// </summary>
    public static ResultStore Open(string path, StudySpec? study, bool cleanInterrupted = true)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        if (!File.Exists(full) && study is null) throw new ArgumentException($"no results database at '{path}'.");
        try { Directory.CreateDirectory(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new IOException($"cannot create directory '{dir}': {e.Message}", e); }
        var writeLock = AcquireWriteLock(full);
        SqliteConnection db;
        try
        {
            db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false, Mode = SqliteOpenMode.ReadWriteCreate }.ToString());
            db.Open();
        }
        catch (SqliteException e) { writeLock.Dispose(); throw new IOException($"cannot open results database '{path}': {OneLine(e.Message)}", e); }
        var store = new ResultStore(db) { Path = full, _writeLock = writeLock };
        try
        {
            store.Exec("PRAGMA busy_timeout=10000;");
            var tables = store.Tables();
            if (tables.Count == 0) store.CreateSchema(study ?? throw new StoreMismatchException($"'{path}' holds no study."));
            else
            {
                store.CheckSchema(tables, path);
                store.CheckCompatible(study, path);
            }
            // Rollback journal (not WAL): a closed store is one self-contained file that readers open without
            // write access to its directory; every run still commits in one transaction.
            store.Exec("PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;");
            if (cleanInterrupted) store.RemoveUnfinished();
        }
        catch (SqliteException e) { store.Dispose(); throw new StoreMismatchException($"'{path}' is not a usable results database: {OneLine(e.Message)}"); }
        catch { store.Dispose(); throw; }
        return store;
    }

    /// <summary>
    /// Opens an existing store without writing to it or its directory (no schema, no journal-mode change, no
    /// cleanup); checks that it is a ContactOpt store of a compatible version (and of <paramref name="study"/>
    /// when given). Problems are reported as <see cref="StoreMismatchException"/> naming the file.
    /// </summary>
    public static ResultStore OpenReadOnly(string path, StudySpec? study)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new ArgumentException($"no results database at '{path}'.");
        // A hot journal without a live writer: a process was killed inside a commit. Only a writer may roll it back.
        if (File.Exists(full + "-journal") && !IsBeingWritten(full))
            throw new StoreMismatchException($"'{path}' was left in the middle of a write by a process that was killed; repeat its compare command to recover it (readers never write).");
        SqliteConnection db;
        try
        {
            db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
            db.Open();
        }
        catch (SqliteException e) { throw new StoreMismatchException($"cannot read results database '{path}': {OneLine(e.Message)}"); }
        var store = new ResultStore(db) { Path = full, ReadOnly = true };
        try
        {
            store.Exec("PRAGMA busy_timeout=10000;");
            var tables = store.Tables();
            if (tables.Count == 0) throw new StoreMismatchException($"'{path}' is not a ContactOpt results database (it is empty).");
            store.CheckSchema(tables, path);
            store.CheckCompatible(study, path);
            store.CheckRows(path);
        }
        catch (SqliteException e) { store.Dispose(); throw new StoreMismatchException($"'{path}' is not a usable results database: {OneLine(e.Message)}"); }
        catch { store.Dispose(); throw; }
        return store;
    }

    /// <summary>
    /// Checks, without writing, that the writer could take over the store at <paramref name="path"/> for
    /// <paramref name="study"/>: throws <see cref="StoreMismatchException"/> for another study, another version
    /// or a foreign file. A store that a live process writes, or that a killed process left before its schema
    /// was committed (empty, or with a hot journal only a writer may roll back), is left for the writer to judge.
    /// </summary>
    public static void CheckWritable(string path, StudySpec study)
    {
        if (!File.Exists(path) || IsBeingWritten(path) || new FileInfo(path).Length == 0 || File.Exists(path + "-journal")) return;
        using var store = OpenReadOnly(path, study);
    }

    /// <summary>An empty store in memory for <paramref name="study"/> (merged views of several store files).</summary>
    public static ResultStore InMemory(StudySpec study)
    {
        var db = new SqliteConnection("Data Source=:memory:");
        db.Open();
        var store = new ResultStore(db) { Path = ":memory:" };
        store.CreateSchema(study);
        return store;
    }

    /// <summary>Whether a process holds the write lock of the store at <paramref name="path"/> now (without taking it for long).</summary>
    public static bool IsBeingWritten(string path)
    {
        var lockPath = System.IO.Path.GetFullPath(path) + ".lock";
        if (!File.Exists(lockPath)) return false;
        try
        {
            // Read access suffices for flock; nothing is written, so this works on read-only directories too.
            using var probe = new FileStream(lockPath, FileMode.Open, FileAccess.Read, FileShare.None);
            return false;
        }
        catch (IOException) { return true; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// Takes the exclusive lock of a store file (<c>FILE.lock</c>; .NET maps <see cref="FileShare.None"/> to
    /// <c>flock(LOCK_EX)</c> on Unix, released by the OS when the process dies, however it dies) and records the
    /// owner in <c>FILE.lock.owner</c> for the message a second writer gets.
    /// </summary>
    static FileStream AcquireWriteLock(string full)
    {
        var lockPath = full + ".lock";
        var ownerPath = lockPath + ".owner";
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var fs = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                try
                {
                    var tmp = ownerPath + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
                    File.WriteAllText(tmp, $"pid {Environment.ProcessId} on {Environment.MachineName}, since {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC");
                    File.Move(tmp, ownerPath, overwrite: true);
                }
                catch { fs.Dispose(); throw; }
                return fs;
            }
            catch (UnauthorizedAccessException e) { throw new IOException($"cannot lock results database '{full}': {e.Message}", e); }
            catch (IOException) when (File.Exists(lockPath))
            {
                // A status probe holds the lock for an instant; a real writer holds it for the whole run.
                if (sw.ElapsedMilliseconds < 1000) { Thread.Sleep(25); continue; }
                string owner;
                try { owner = File.ReadAllText(ownerPath).Trim(); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { owner = "another process"; }
                throw new StoreBusyException($"another compare is running here ({OneLine(owner)}) and writes '{full}'; wait for it to finish or stop it.");
            }
        }
    }

    List<string> Tables()
    {
        var list = new List<string>();
        using var cmd = Cmd("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name");
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(r.GetString(0));
        return list;
    }

    List<string> Columns(string table)
    {
        var list = new List<string>();
        using var cmd = Cmd($"SELECT name FROM pragma_table_info('{table}')");
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(r.GetString(0));
        return list;
    }

    void CheckSchema(List<string> tables, string path)
    {
        if (!tables.Contains("meta") || !tables.Contains("runs") || !tables.Contains("episodes"))
            throw new StoreMismatchException($"'{path}' is not a ContactOpt results database (tables: {string.Join(", ", tables)}).");
        foreach (var (table, expected) in new[] { ("runs", RunColumns), ("episodes", EpisodeColumns) })
        {
            var missing = expected.Except(Columns(table)).ToList();
            if (missing.Count > 0) throw new StoreMismatchException($"'{path}' is not a usable results database: table {table} lacks column(s) {string.Join(", ", missing)}.");
        }
    }

    /// <summary>Rejects rows no version of ContactOpt writes (a seed stored as text, an unknown status), so they are never read as 0.</summary>
    void CheckRows(string path)
    {
        var bad = Scalar("""
            SELECT count(*) FROM runs WHERE typeof(id)<>'integer' OR typeof(task)<>'text' OR typeof(agent)<>'text' OR typeof(seed)<>'integer'
              OR typeof(budget)<>'integer' OR typeof(settings)<>'text' OR status NOT IN ('running','done','failed') OR typeof(shard)<>'integer'
              OR (status='done' AND (typeof(best_params)<>'text' OR typeof(episodes)<>'integer' OR typeof(nonfinite)<>'integer'
                  OR typeof(wall_seconds) NOT IN ('real','integer') OR typeof(best_loss) NOT IN ('real','integer','null')))
            """);
        if (bad is not 0L) throw new StoreMismatchException($"'{path}' is corrupt: {bad} run row(s) hold values of the wrong type.");
        var badEpisodes = Scalar("""
            SELECT count(*) FROM episodes WHERE typeof(run_id)<>'integer' OR typeof(episode)<>'integer' OR typeof(gradient)<>'integer'
              OR typeof(elapsed) NOT IN ('real','integer') OR typeof(loss) NOT IN ('real','integer','null') OR typeof(best) NOT IN ('real','integer','null')
            """);
        if (badEpisodes is not 0L) throw new StoreMismatchException($"'{path}' is corrupt: {badEpisodes} episode row(s) hold values of the wrong type.");
    }

    static string OneLine(string s) => string.Join(' ', s.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    void CreateSchema(StudySpec study)
    {
        lock (_lock)
        {
            // One transaction: a kill at any instant leaves either no tables (the next open creates them) or a complete store.
            using var tx = _db.BeginTransaction();
            Exec("""
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY, task TEXT NOT NULL, agent TEXT NOT NULL, seed INTEGER NOT NULL,
                    budget INTEGER NOT NULL, settings TEXT NOT NULL, status TEXT NOT NULL,
                    best_loss REAL, best_params TEXT, episodes INTEGER, nonfinite INTEGER, wall_seconds REAL,
                    code_version TEXT, machine TEXT, started TEXT, ended TEXT, error TEXT, shard INTEGER NOT NULL DEFAULT 0,
                    UNIQUE(task, agent, seed));
                CREATE TABLE episodes (
                    run_id INTEGER NOT NULL REFERENCES runs(id), episode INTEGER NOT NULL, loss REAL, best REAL,
                    gradient INTEGER NOT NULL, elapsed REAL NOT NULL, PRIMARY KEY(run_id, episode));
                """);
            SetMeta("schema_version", SchemaVersion.ToString(CultureInfo.InvariantCulture));
            SetMeta("fingerprint", study.Fingerprint());
            SetMeta("study", study.ToJson());
            SetMeta("created", DateTime.UtcNow.ToString("o"));
            tx.Commit();
        }
    }

    void CheckCompatible(StudySpec? study, string path)
    {
        var version = GetMeta("schema_version");
        if (version != SchemaVersion.ToString(CultureInfo.InvariantCulture))
            throw new StoreMismatchException($"'{path}' was written by an incompatible version of ContactOpt (schema {OneLine(version ?? "unknown")}, this version reads {SchemaVersion}).");
        var fingerprint = GetMeta("fingerprint");
        if (study is not null && fingerprint != study.Fingerprint())
            throw new StoreMismatchException($"'{path}' holds a different study (fingerprint {OneLine(fingerprint ?? "none")}, this one is {study.Fingerprint()}); " +
                "choose another --out directory or repeat the original command to resume it.");
    }

    /// <summary>The study this store was created for.</summary>
    public StudySpec Study()
    {
        var json = GetMeta("study") ?? throw new StoreMismatchException($"'{Path}' holds no study.");
        try { return StudySpec.FromJson(json); }
        catch (ArgumentException e) { throw new StoreMismatchException($"'{Path}' holds an unreadable study: {OneLine(e.Message)}"); }
    }

    public string? GetMeta(string key) => Scalar("SELECT value FROM meta WHERE key=$k", ("$k", key)) as string;
    public void SetMeta(string key, string value) => Exec("INSERT OR REPLACE INTO meta(key, value) VALUES($k, $v)", ("$k", key), ("$v", value));

    /// <summary>Deletes runs that started but never finished (and their episodes); returns how many.</summary>
    public int RemoveUnfinished()
    {
        lock (_lock)
        {
            using var tx = _db.BeginTransaction();
            Exec("DELETE FROM episodes WHERE run_id IN (SELECT id FROM runs WHERE status <> 'done')");
            int n = Exec("DELETE FROM runs WHERE status <> 'done'");
            tx.Commit();
            return n;
        }
    }

    public HashSet<string> FinishedKeys()
    {
        lock (_lock)
        {
            var set = new HashSet<string>();
            using var cmd = Cmd("SELECT task, agent, seed FROM runs WHERE status='done'");
            using var r = cmd.ExecuteReader();
            while (r.Read()) set.Add($"{r.GetString(0)}|{r.GetString(1)}|{r.GetInt32(2)}");
            return set;
        }
    }

    /// <summary>Marks a run as started; returns its id.</summary>
    public long Start(RunSpec run, string codeVersion, string machine, int shard = 0)
    {
        lock (_lock)
        {
            Exec("DELETE FROM runs WHERE task=$t AND agent=$a AND seed=$s AND status <> 'done'", ("$t", run.Task), ("$a", run.Agent), ("$s", run.Seed));
            return (long)Scalar("""
                INSERT INTO runs(task, agent, seed, budget, settings, status, code_version, machine, started, shard)
                VALUES($t, $a, $s, $b, $set, 'running', $c, $m, $st, $sh) RETURNING id
                """, ("$t", run.Task), ("$a", run.Agent), ("$s", run.Seed), ("$b", run.Budget), ("$set", run.SettingsJson),
                ("$c", codeVersion), ("$m", machine), ("$st", DateTime.UtcNow.ToString("o")), ("$sh", shard))!;
        }
    }

    /// <summary>Writes a finished run's trace and result in one transaction.</summary>
    public void Complete(long id, double bestLoss, double[] bestParameters, int nonFinite, double wallSeconds, IReadOnlyList<StoredEpisode> episodes)
    {
        lock (_lock)
        {
            using var tx = _db.BeginTransaction();
            using (var cmd = Cmd("INSERT INTO episodes(run_id, episode, loss, best, gradient, elapsed) VALUES($r, $e, $l, $b, $g, $t)"))
            {
                var pr = cmd.Parameters.Add("$r", SqliteType.Integer); var pe = cmd.Parameters.Add("$e", SqliteType.Integer);
                var pl = cmd.Parameters.Add("$l", SqliteType.Real); var pb = cmd.Parameters.Add("$b", SqliteType.Real);
                var pg = cmd.Parameters.Add("$g", SqliteType.Integer); var pt = cmd.Parameters.Add("$t", SqliteType.Real);
                cmd.Prepare();
                foreach (var e in episodes)
                {
                    pr.Value = id; pe.Value = e.Episode; pl.Value = Db(e.Loss); pb.Value = Db(e.Best); pg.Value = e.Gradient ? 1 : 0; pt.Value = e.Elapsed;
                    cmd.ExecuteNonQuery();
                }
            }
            Exec("""
                UPDATE runs SET status='done', best_loss=$bl, best_params=$bp, episodes=$n, nonfinite=$nf, wall_seconds=$w, ended=$e
                WHERE id=$id
                """, ("$bl", Db(bestLoss)), ("$bp", JsonSerializer.Serialize(bestParameters)), ("$n", episodes.Count), ("$nf", nonFinite),
                ("$w", wallSeconds), ("$e", DateTime.UtcNow.ToString("o")), ("$id", id));
            tx.Commit();
        }
    }

    /// <summary>
    /// Copies the finished runs of another store (a shard) that this store does not hold yet, with their traces,
    /// in one transaction; returns how many were added. Runs already present are never duplicated.
    /// </summary>
    public int ImportFinished(ResultStore other)
    {
        var have = FinishedKeys();
        int added = 0;
        var runs = other.Runs().Where(r => !have.Contains($"{r.Task}|{r.Agent}|{r.Seed}")).Select(r => (Run: r, Episodes: other.Episodes(r.Id))).ToList();
        lock (_lock)
        {
            using var tx = _db.BeginTransaction();
            foreach (var (r, episodes) in runs)
            {
                Exec("DELETE FROM episodes WHERE run_id IN (SELECT id FROM runs WHERE task=$t AND agent=$a AND seed=$s)", ("$t", r.Task), ("$a", r.Agent), ("$s", r.Seed));
                Exec("DELETE FROM runs WHERE task=$t AND agent=$a AND seed=$s", ("$t", r.Task), ("$a", r.Agent), ("$s", r.Seed));
                long id = (long)Scalar("""
                    INSERT INTO runs(task, agent, seed, budget, settings, status, best_loss, best_params, episodes, nonfinite, wall_seconds,
                                     code_version, machine, started, ended, shard)
                    VALUES($t, $a, $s, $b, $set, 'done', $bl, $bp, $n, $nf, $w, $c, $m, $st, $en, $sh) RETURNING id
                    """, ("$t", r.Task), ("$a", r.Agent), ("$s", r.Seed), ("$b", r.Budget), ("$set", r.Settings), ("$bl", Db(r.BestLoss)),
                    ("$bp", JsonSerializer.Serialize(r.BestParameters)), ("$n", r.Episodes), ("$nf", r.NonFinite), ("$w", r.WallSeconds),
                    ("$c", r.CodeVersion), ("$m", r.Machine), ("$st", r.Started), ("$en", (object?)r.Ended ?? DBNull.Value), ("$sh", r.Shard))!;
                using var cmd = Cmd("INSERT INTO episodes(run_id, episode, loss, best, gradient, elapsed) VALUES($r, $e, $l, $b, $g, $t)");
                var pr = cmd.Parameters.Add("$r", SqliteType.Integer); var pe = cmd.Parameters.Add("$e", SqliteType.Integer);
                var pl = cmd.Parameters.Add("$l", SqliteType.Real); var pb = cmd.Parameters.Add("$b", SqliteType.Real);
                var pg = cmd.Parameters.Add("$g", SqliteType.Integer); var pt = cmd.Parameters.Add("$t", SqliteType.Real);
                foreach (var e in episodes)
                {
                    pr.Value = id; pe.Value = e.Episode; pl.Value = Db(e.Loss); pb.Value = Db(e.Best); pg.Value = e.Gradient ? 1 : 0; pt.Value = e.Elapsed;
                    cmd.ExecuteNonQuery();
                }
                added++;
            }
            tx.Commit();
        }
        return added;
    }

    /// <summary>Records a run that failed with an error (it is retried on the next resume).</summary>
    public void Fail(long id, string error)
    {
        lock (_lock) Exec("UPDATE runs SET status='failed', error=$e, ended=$t WHERE id=$id", ("$e", error), ("$t", DateTime.UtcNow.ToString("o")), ("$id", id));
    }

    double[] Parameters(string json)
    {
        double[]? x;
        try { x = JsonSerializer.Deserialize<double[]>(json); }
        catch (JsonException) { x = null; }
        return x ?? throw new StoreMismatchException($"'{Path}' is corrupt: best_params '{OneLine(json.Length > 40 ? json[..40] + "…" : json)}' is not a list of numbers.");
    }

    public List<StoredRun> Runs(bool finishedOnly = true)
    {
        lock (_lock)
        {
            var list = new List<StoredRun>();
            using var cmd = Cmd($"SELECT id, task, agent, seed, budget, settings, status, best_loss, best_params, episodes, nonfinite, wall_seconds, code_version, machine, started, ended, error, shard FROM runs {(finishedOnly ? "WHERE status='done'" : "")} ORDER BY task, agent, seed");
            using var r = cmd.ExecuteReader();
            while (r.Read())
                list.Add(new StoredRun(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt32(4), r.GetString(5), r.GetString(6),
                    r.IsDBNull(7) ? double.PositiveInfinity : r.GetDouble(7),
                    r.IsDBNull(8) ? [] : Parameters(r.GetString(8)),
                    r.IsDBNull(9) ? 0 : r.GetInt32(9), r.IsDBNull(10) ? 0 : r.GetInt32(10), r.IsDBNull(11) ? 0 : r.GetDouble(11),
                    r.IsDBNull(12) ? "" : r.GetString(12), r.IsDBNull(13) ? "" : r.GetString(13), r.IsDBNull(14) ? "" : r.GetString(14),
                    r.IsDBNull(15) ? null : r.GetString(15), r.IsDBNull(16) ? null : r.GetString(16), r.GetInt32(17)));
            return list;
        }
    }

    public List<StoredEpisode> Episodes(long runId)
    {
        lock (_lock)
        {
            var list = new List<StoredEpisode>();
            using var cmd = Cmd("SELECT episode, loss, best, gradient, elapsed FROM episodes WHERE run_id=$r ORDER BY episode", ("$r", runId));
            using var r = cmd.ExecuteReader();
            while (r.Read())
                list.Add(new StoredEpisode(r.GetInt32(0), r.IsDBNull(1) ? double.PositiveInfinity : r.GetDouble(1),
                    r.IsDBNull(2) ? double.PositiveInfinity : r.GetDouble(2), r.GetInt32(3) != 0, r.GetDouble(4)));
            return list;
        }
    }

    /// <summary>Writes runs.csv and episodes.csv (and runs.json) into a directory.</summary>
    public void Export(string directory)
    {
        Directory.CreateDirectory(directory);
        var runs = Runs();
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("task,agent,seed,budget,episodes,best_loss,nonfinite,wall_seconds,settings\n");
        foreach (var r in runs)
            sb.Append(ci, $"{Csv(r.Task)},{Csv(r.Agent)},{r.Seed},{r.Budget},{r.Episodes},{r.BestLoss.ToString("R", ci)},{r.NonFinite},{r.WallSeconds.ToString("R", ci)},{Csv(r.Settings)}\n");
        AtomicFile.Write(System.IO.Path.Combine(directory, "runs.csv"), sb.ToString());
        var eb = new StringBuilder("task,agent,seed,episode,loss,best,gradient,elapsed\n");
        foreach (var r in runs)
            foreach (var e in Episodes(r.Id))
                eb.Append(ci, $"{Csv(r.Task)},{Csv(r.Agent)},{r.Seed},{e.Episode},{e.Loss.ToString("R", ci)},{e.Best.ToString("R", ci)},{(e.Gradient ? 1 : 0)},{e.Elapsed.ToString("R", ci)}\n");
        AtomicFile.Write(System.IO.Path.Combine(directory, "episodes.csv"), eb.ToString());
        AtomicFile.Write(System.IO.Path.Combine(directory, "runs.json"), JsonSerializer.Serialize(runs.Select(r => new
        {
            r.Task, r.Agent, r.Seed, r.Budget, r.Episodes, best_loss = double.IsFinite(r.BestLoss) ? r.BestLoss : (double?)null,
            best_params = r.BestParameters, r.NonFinite, wall_seconds = r.WallSeconds, settings = r.Settings, code_version = r.CodeVersion, machine = r.Machine,
        }), new JsonSerializerOptions { WriteIndented = true }));
    }

    static string Csv(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
    static object Db(double v) => double.IsFinite(v) ? v : DBNull.Value;

    SqliteCommand Cmd(string sql, params (string, object)[] ps)
    {
        var c = _db.CreateCommand();
        c.CommandText = sql;
        foreach (var (k, v) in ps) c.Parameters.AddWithValue(k, v);
        return c;
    }
    int Exec(string sql, params (string, object)[] ps) { using var c = Cmd(sql, ps); return c.ExecuteNonQuery(); }
    object? Scalar(string sql, params (string, object)[] ps) { using var c = Cmd(sql, ps); return c.ExecuteScalar(); }

    public void Dispose()
    {
        lock (_lock)
        {
            _db.Dispose();
            _writeLock?.Dispose();   // after the connection: the lock covers the whole life of the writer
            _writeLock = null;
        }
    }
}
