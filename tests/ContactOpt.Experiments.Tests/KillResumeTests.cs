using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace ContactOpt.Experiments.Tests;

/// <summary>A real crash: the CLI process is killed with SIGKILL mid-study, restarted, and must end identical.</summary>
[NonParallelizable]
public class KillResumeTests
{
    static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "contactopt.dll");

    static Process Start(string dir) =>
        Process.Start(new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Cli, "compare", "flip,grasp", "--agents", "rand", "--seeds", "8", "--budget", "1000", "--jobs", "1", "--out", dir, "--quiet" },
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;

    static int Done(string db)
    {
        if (!File.Exists(db)) return 0;
        try
        {
            using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT count(*) FROM runs WHERE status='done'";
            return Convert.ToInt32(cmd.ExecuteScalar());
        }
        catch (SqliteException) { return 0; }
    }

    [Test]
    public void AStudyKilledWithSigkillResumesToIdenticalResults()
    {
        var root = Path.Combine(Path.GetTempPath(), $"contactopt-kill-{Guid.NewGuid():N}");
        try
        {
            string killed = Path.Combine(root, "killed"), clean = Path.Combine(root, "clean");
            var p = Start(killed);
            var sw = Stopwatch.StartNew();
            while (Done(Path.Combine(killed, "results.db")) < 2 && !p.HasExited && sw.Elapsed < TimeSpan.FromSeconds(120)) Thread.Sleep(20);
            Assume.That(p.HasExited, Is.False, "the study finished before it could be killed");
            p.Kill(entireProcessTree: true);   // SIGKILL
            p.WaitForExit();
            int before = Done(Path.Combine(killed, "results.db"));
            Assert.That(before, Is.LessThan(16));

            var resumed = Start(killed);
            string err = resumed.StandardError.ReadToEnd();
            resumed.WaitForExit();
            Assert.That(resumed.ExitCode, Is.EqualTo(0), err);
            var full = Start(clean);
            full.StandardError.ReadToEnd();
            full.WaitForExit();
            Assert.That(full.ExitCode, Is.EqualTo(0));

            static IEnumerable<string> Strip(string f) => File.ReadAllLines(f).Select(l => string.Join(",", l.Split(',').Take(7)));
            Assert.That(Strip(Path.Combine(killed, "export", "episodes.csv")), Is.EqualTo(Strip(Path.Combine(clean, "export", "episodes.csv"))));
            Assert.That(File.ReadAllLines(Path.Combine(killed, "export", "runs.csv")), Has.Length.EqualTo(1 + 16));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (Directory.Exists(root)) Directory.Delete(root, true);
        }
    }
}
