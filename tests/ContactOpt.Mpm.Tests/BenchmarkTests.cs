using System.Diagnostics;
using System.Globalization;
using ContactOpt.Envs;
using ContactOpt.Envs.Mpm;
using ContactOpt.Tasks;

namespace ContactOpt.Mpm.Tests;

/// <summary>
/// Timings for docs/benchmarks.md (explicit: never part of CI; tests never time things otherwise).
/// Run: MPM_BENCH_PRESET=default MPM_BENCH_TASKS=pinch,writer dotnet test tests/ContactOpt.Mpm.Tests -c Release --filter Benchmarks --logger "console;verbosity=detailed"
/// </summary>
public class BenchmarkTests
{
    [Test, Explicit("benchmark")]
    public void Benchmarks()
    {
        string preset = Environment.GetEnvironmentVariable("MPM_BENCH_PRESET") ?? "default";
        var names = (Environment.GetEnvironmentVariable("MPM_BENCH_TASKS") ?? string.Join(",", PlasticineTasks.All.Select(t => t.Name))).Split(',');
        int reps = int.Parse(Environment.GetEnvironmentVariable("MPM_BENCH_REPS") ?? "1", CultureInfo.InvariantCulture);
        var r = BuiltinTasks.CreateRegistry();
        var o = TestContext.Out;
        o.WriteLine("| task | particles | substeps | fwd 1T (s) | µs/particle-substep (1T) | loss+grad 1T (s) | bwd/fwd | fwd 2T (s) | loss+grad 2T (s) | 2T speedup (loss+grad) | peak working set (MB) |");
        o.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var name in names)
        {
            var task = r.Create($"{name}:preset={preset}");
            var dyn = (MpmDynamics)task.Dynamics;
            var x = new double[task.Dimension];
            var rng = new Random(1);
            for (int i = 0; i < x.Length; i++) x[i] = 0.5 * (2 * rng.NextDouble() - 1);
            var g = new double[x.Length];
            double Best(Func<double> f) { double best = double.MaxValue; for (int k = 0; k < reps; k++) { var sw = Stopwatch.StartNew(); f(); best = Math.Min(best, sw.Elapsed.TotalSeconds); } return best; }
            using var f1 = task.CreateObjective(new WorkspaceOptions(1));
            using var f2 = task.CreateObjective(new WorkspaceOptions(2));
            f1.Loss(x);
            double fwd1 = Best(() => f1.Loss(x));
            double lg1 = Best(() => f1.LossAndGradient(x, g));
            double fwd2 = Best(() => f2.Loss(x));
            double lg2 = Best(() => f2.LossAndGradient(x, g));
            long substeps = (long)dyn.Preset!.EnvSteps * dyn.Scene.Substeps;
            double us = fwd1 / (dyn.Scene.Particles * (double)substeps) * 1e6;
            double peak = Process.GetCurrentProcess().PeakWorkingSet64 / 1e6;
            o.WriteLine(FormattableString.Invariant($"| {name} | {dyn.Scene.Particles} | {substeps} | {fwd1:F3} | {us:F2} | {lg1:F3} | {(lg1 - fwd1) / fwd1:F2} | {fwd2:F3} | {lg2:F3} | {lg1 / lg2:F2} | {peak:F0} |"));
        }
    }
}
