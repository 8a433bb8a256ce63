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

/// <summary>Thrown when a store cannot be used for this study (another study, another schema version).</summary>
public sealed class StoreMismatchException(string message) : Exception(message);

/// <summary>
/// The embedded SQLite result store of a study. A run is inserted as 'running' when it starts; its whole trace
/// and its 'done' status are written in one transaction when it ends, so a crash never leaves a half-written
/// finished run. Opening a store removes runs that never finished (they are redone). Thread-safe (one writer).
/// </summary>
public sealed class ResultStore : IDisposable
{
    public const int SchemaVersion = 1;
    readonly SqliteConnection _db;
    readonly object _lock = new();

    ResultStore(SqliteConnection db) { _db = db; }

    public string Path { get; private init; } = "";

    /// <summary>
    /// Opens (or creates) the store for a study. A store written for another study or by an incompatible
    /// version is refused with <see cref="StoreMismatchException"/>; nothing is overwritten.
    /// </summary>
    public static ResultStore Open(string path, StudySpec? study, bool cleanInterrupted = true)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        try { Directory.CreateDirectory(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new IOException($"cannot create directory '{dir}': {e.Message}", e); }
        bool existed = File.Exists(full);
        if (!existed && study is null) throw new ArgumentException($"no results database at '{path}'.");
        SqliteConnection db;
        try
        {
            db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false }.ToString());
            db.Open();
        }
        catch (SqliteException e) { throw new IOException($"cannot open results database '{path}': {e.Message}", e); }
        var store = new ResultStore(db) { Path = full };
        try
        {
            store.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;");
            if (!existed || store.Scalar("SELECT count(*) FROM sqlite_master WHERE name='meta'") is 0L)
                store.CreateSchema(study!);
            else store.CheckCompatible(study, path);
            if (cleanInterrupted) store.RemoveUnfinished();
        }
        catch (SqliteException e) { db.Dispose(); throw new StoreMismatchException($"'{path}' is not a usable results database: {e.Message}"); }
        catch { db.Dispose(); throw; }
        return store;
    }

    void CreateSchema(StudySpec study)
    {
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
    }

    void CheckCompatible(StudySpec? study, string path)
    {
        var version = GetMeta("schema_version");
        if (version != SchemaVersion.ToString(CultureInfo.InvariantCulture))
            throw new StoreMismatchException($"'{path}' was written by an incompatible version of ContactOpt (schema {version ?? "unknown"}, this version reads {SchemaVersion}).");
        if (study is not null && GetMeta("fingerprint") != study.Fingerprint())
            throw new StoreMismatchException($"'{path}' holds a different study (fingerprint {GetMeta("fingerprint")}, this one is {study.Fingerprint()}); " +
                "choose another --out directory or repeat the original command to resume it.");
    }

    /// <summary>The study this store was created for.</summary>
    public StudySpec Study() => StudySpec.FromJson(GetMeta("study") ?? throw new StoreMismatchException("store has no study."));

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
                    r.IsDBNull(8) ? [] : JsonSerializer.Deserialize<double[]>(r.GetString(8))!,
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
        File.WriteAllText(System.IO.Path.Combine(directory, "runs.csv"), sb.ToString());
        var eb = new StringBuilder("task,agent,seed,episode,loss,best,gradient,elapsed\n");
        foreach (var r in runs)
            foreach (var e in Episodes(r.Id))
                eb.Append(ci, $"{Csv(r.Task)},{Csv(r.Agent)},{r.Seed},{e.Episode},{e.Loss.ToString("R", ci)},{e.Best.ToString("R", ci)},{(e.Gradient ? 1 : 0)},{e.Elapsed.ToString("R", ci)}\n");
        File.WriteAllText(System.IO.Path.Combine(directory, "episodes.csv"), eb.ToString());
        File.WriteAllText(System.IO.Path.Combine(directory, "runs.json"), JsonSerializer.Serialize(runs.Select(r => new
        {
            r.Task, r.Agent, r.Seed, r.Budget, r.Episodes, best_loss = double.IsFinite(r.BestLoss) ? r.BestLoss : (double?)null,
            best_params = r.BestParameters, r.NonFinite, wall_seconds = r.WallSeconds, settings = r.Settings, code_version = r.CodeVersion, machine = r.Machine,
        }), new JsonSerializerOptions { WriteIndented = true }));
    }

    static string Csv(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
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

    public void Dispose() { lock (_lock) _db.Dispose(); }
}
