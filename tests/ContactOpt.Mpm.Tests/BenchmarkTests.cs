using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
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
    [DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int ClockGetTime(int clock, out TimeSpec t);
    [StructLayout(LayoutKind.Sequential)] struct TimeSpec { public long Sec, NSec; }
    /// <summary>CPU time of the calling thread in ns (Linux CLOCK_THREAD_CPUTIME_ID): robust to other jobs on the machine.</summary>
    static long ThreadCpuNs() { ClockGetTime(3, out var t); return t.Sec * 1_000_000_000 + t.NSec; }

    /// <summary>
    /// Per-kernel CPU time of one thread (thread CPU clock, after a warm-up of 200 substeps so the JIT has
    /// finished): MPM_BENCH_TASK (default writer), MPM_BENCH_PRESET (default), 300 substeps forward then backward.
    /// </summary>
    [Test, Explicit("benchmark")]
    public void Phases()
    {
        string preset = Environment.GetEnvironmentVariable("MPM_BENCH_PRESET") ?? "default";
        var task = BuiltinTasks.CreateRegistry().Create($"{Environment.GetEnvironmentVariable("MPM_BENCH_TASK") ?? "writer"}:preset={preset}");
        var dyn = (MpmDynamics)task.Dynamics;
        var s = dyn.Scene;
        var e = new Engine(s, 1) { ProfileClock = ThreadCpuNs };
        var vel = new double[3 * s.Primitives.Length];
        dyn.Velocities(Enumerable.Repeat(-0.5, s.ActionSize).ToArray(), vel);
        int steps = 300;
        var frames = new List<double[]>();
        for (int k = 0; k <= steps; k++) frames.Add(new double[s.FrameSize]);
        var bar = new double[s.FrameSize]; var inBar = new double[s.FrameSize]; var vb = new double[vel.Length];
        void Run()
        {
            s.InitialFrame(frames[0]);
            for (int k = 0; k < steps; k++) e.Substep(frames[k], frames[k + 1], vel);
            Array.Clear(bar);
            for (int i = 0; i < s.Particles; i++) bar[i] = 1e-3;
            for (int k = steps - 1; k >= 0; k--) { e.SubstepBackward(frames[k], vel, frames[k + 1], bar, inBar, vb); (bar, inBar) = (inBar, bar); }
        }
        e.Profile = new long[10];
        Run();   // warm-up
        e.Profile = new long[10];
        Run();
        string[] names = ["prepare", "constitutive", "p2g", "grid", "g2p", "bwd: recompute", "bwd: g2p", "bwd: grid", "bwd: p2g", "bwd: constitutive"];
        double fwd = 0, bwd = 0;
        for (int i = 0; i < 10; i++)
        {
            double us = e.Profile[i] * 1e-3 / steps / s.Particles;
            if (i < 5) fwd += us; else bwd += us;
            TestContext.Out.WriteLine(FormattableString.Invariant($"{names[i],-20} {us:F3} µs/particle-substep"));
        }
        TestContext.Out.WriteLine(FormattableString.Invariant($"{"forward",-20} {fwd:F3} µs/particle-substep (thread CPU)"));
        TestContext.Out.WriteLine(FormattableString.Invariant($"{"backward",-20} {bwd:F3} µs/particle-substep (thread CPU, incl. the grid recompute)"));
    }

    /// <summary>
    /// Best-of-<paramref name="reps"/> wall and CPU seconds (this process, all threads: what an unloaded core would
    /// take; wall times are inflated on the shared build machine) of a loss-only and a loss-and-gradient episode,
    /// after one warm-up episode, with a fresh objective of <paramref name="threads"/> threads.
    /// </summary>
    static (double Fwd, double FwdCpu, double Lg, double LgCpu) Measure(TaskInstance task, int threads, double[] x, double[] g, int reps)
    {
        using var f = task.CreateObjective(new WorkspaceOptions(threads));
        f.Loss(x);
        double cpu = 0;
        double Best(Func<double> run)
        {
            double best = double.MaxValue; cpu = double.MaxValue;
            for (int k = 0; k < reps; k++)
            {
                var proc = Process.GetCurrentProcess();
                var c0 = proc.TotalProcessorTime; var sw = Stopwatch.StartNew();
                run();
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
                proc.Refresh();
                cpu = Math.Min(cpu, (proc.TotalProcessorTime - c0).TotalSeconds);
            }
            return best;
        }
        double fwd = Best(() => f.Loss(x)); double fwdCpu = cpu;
        double lg = Best(() => f.LossAndGradient(x, g));
        return (fwd, fwdCpu, lg, cpu);
    }

    [Test, Explicit("benchmark")]
    public void Benchmarks()
    {
        string preset = Environment.GetEnvironmentVariable("MPM_BENCH_PRESET") ?? "default";
        var names = (Environment.GetEnvironmentVariable("MPM_BENCH_TASKS") ?? string.Join(",", PlasticineTasks.All.Select(t => t.Name))).Split(',');
        int reps = int.Parse(Environment.GetEnvironmentVariable("MPM_BENCH_REPS") ?? "1", CultureInfo.InvariantCulture);
        var r = BuiltinTasks.CreateRegistry();
        var o = TestContext.Out;
        o.WriteLine("| task | particles | substeps | fwd 1T wall / CPU (s) | CPU µs per particle-substep (1T) | loss+grad 1T wall / CPU (s) | bwd/fwd (CPU) | fwd 2T wall / CPU (s) | loss+grad 2T wall / CPU (s) | 2T wall speedup (loss+grad) | peak working set after 1T (MB) | substep store |");
        o.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var name in names)
        {
            var task = r.Create($"{name}:preset={preset}");
            var dyn = (MpmDynamics)task.Dynamics;
            var x = new double[task.Dimension];
            var rng = new Random(1);
            for (int i = 0; i < x.Length; i++) x[i] = 0.5 * (2 * rng.NextDouble() - 1);
            var g = new double[x.Length];
            // One objective alive at a time (each workspace holds its substep store, and Measure's closures die with
            // it), so the peak working set after the 1-thread part is that of one loss-and-gradient episode (process
            // peak so far); MPM_BENCH_2T=0 skips the 2-thread part.
            var (fwd1, fwd1Cpu, lg1, lg1Cpu) = Measure(task, 1, x, g, reps);
            double peak1 = Process.GetCurrentProcess().PeakWorkingSet64 / 1e6;
            double fwd2 = double.NaN, fwd2Cpu = double.NaN, lg2 = double.NaN, lg2Cpu = double.NaN;
            if (Environment.GetEnvironmentVariable("MPM_BENCH_2T") != "0")
            {
                GC.Collect();
                (fwd2, fwd2Cpu, lg2, lg2Cpu) = Measure(task, 2, x, g, reps);
            }
            long substeps = (long)dyn.Preset!.EnvSteps * dyn.Scene.Substeps;
            double us = fwd1Cpu / (dyn.Scene.Particles * (double)substeps) * 1e6;
            o.WriteLine(FormattableString.Invariant($"| {name} | {dyn.Scene.Particles} | {substeps} | {fwd1:F2} / {fwd1Cpu:F2} | {us:F2} | {lg1:F2} / {lg1Cpu:F2} | {(lg1Cpu - fwd1Cpu) / fwd1Cpu:F2} | {fwd2:F2} / {fwd2Cpu:F2} | {lg2:F2} / {lg2Cpu:F2} | {lg1 / lg2:F2} | {peak1:F0} | {(dyn.StoresEpisode ? "episode" : "segment")} |"));
        }
    }
}
