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
        e.Profile = new long[12];
        Run();   // warm-up
        e.Profile = new long[12];
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
    /// Where the time of one whole recorded loss-and-gradient episode goes (the default-preset episode the objective
    /// runs: 5 recorded segments forward, then their backward): the engine's per-phase times (substep kernels, the
    /// per-env-step loss and its adjoint) and the rest of the episode (workspace copies, velocity sums, tape).
    /// MPM_BENCH_TASKS (default writer), MPM_BENCH_PRESET (default), MPM_BENCH_THREADS (1: thread CPU clock of the
    /// calling thread; more: wall clock, which then includes waiting for the other threads). Best of 3 after a warm-up.
    /// </summary>
    [Test, Explicit("benchmark")]
    public void EpisodePhases()
    {
        string preset = Environment.GetEnvironmentVariable("MPM_BENCH_PRESET") ?? "default";
        int threads = int.Parse(Environment.GetEnvironmentVariable("MPM_BENCH_THREADS") ?? "1", CultureInfo.InvariantCulture);
        var names = (Environment.GetEnvironmentVariable("MPM_BENCH_TASKS") ?? "writer").Split(',');
        Func<long> clock = threads == 1 ? ThreadCpuNs : () => (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));
        foreach (var name in names)
        {
            var task = BuiltinTasks.CreateRegistry().Create($"{name}:preset={preset}");
            var dyn = (MpmDynamics)task.Dynamics;
            var s = dyn.Scene;
            using var ws = (MpmWorkspace)dyn.CreateWorkspace(new WorkspaceOptions(threads));
            var e = ws.Engine;
            e.ProfileClock = clock;
            int h = dyn.Horizon, a = dyn.ActionSize, fs = dyn.StateSize;
            var rng = new Random(1);
            var x = new double[h * a];
            for (int i = 0; i < x.Length; i++) x[i] = 0.5 * (2 * rng.NextDouble() - 1);
            var states = new double[h + 1][];
            for (int t = 0; t <= h; t++) states[t] = new double[fs];
            dyn.InitialState(states[0], new Random(0));
            var bar = new double[fs]; var barIn = new double[fs]; var ab = new double[a]; var pb = Array.Empty<double>();
            long[] best = new long[12]; long bestF = 0, bestB = 0, bestTotal = long.MaxValue;
            for (int rep = 0; rep < 4; rep++)
            {
                e.Profile = new long[12];
                var proc = Process.GetCurrentProcess(); var c0 = proc.TotalProcessorTime;
                long t0 = clock();
                for (int t = 0; t < h; t++) ws.Forward(t, states[t], x.AsSpan(t * a, a), pb, states[t + 1], record: true);
                long t1 = clock();
                Array.Clear(bar);
                for (int t = h - 1; t >= 0; t--)
                {
                    ws.Backward(t, states[t], x.AsSpan(t * a, a), pb, states[t + 1], bar, 1.0, barIn, ab, pb);
                    (bar, barIn) = (barIn, bar);
                }
                long t2 = clock();
                proc.Refresh();
                TestContext.Out.WriteLine(FormattableString.Invariant($"  rep {rep}: clock {(t2 - t0) * 1e-9:F3} s, process CPU {(proc.TotalProcessorTime - c0).TotalSeconds:F3} s"));
                if (rep == 0) continue;   // warm-up
                if (t2 - t0 < bestTotal) { bestTotal = t2 - t0; bestF = t1 - t0; bestB = t2 - t1; Array.Copy(e.Profile, best, 12); }
            }
            // Bits of the last episode's results (to check that a speed change kept them): the final state, the
            // ∂L/∂(initial state) and ∂L/∂(first segment's action) as one hash.
            long hash = 0;
            foreach (var v in states[h]) hash = hash * 31 + BitConverter.DoubleToInt64Bits(v);
            foreach (var v in bar) hash = hash * 31 + BitConverter.DoubleToInt64Bits(v);
            foreach (var v in ab) hash = hash * 31 + BitConverter.DoubleToInt64Bits(v);
            double per = 1e-3 / ((double)h * dyn.EnvStepsPerSegment * s.Substeps * s.Particles);
            string[] ph = ["prepare", "constitutive", "p2g", "grid", "g2p", "bwd: recompute", "bwd: g2p", "bwd: grid", "bwd: p2g", "bwd: constitutive", "loss", "loss adjoint"];
            var o = TestContext.Out;
            o.WriteLine(FormattableString.Invariant($"{name}, {s.Particles} particles, {threads} thread(s), {(threads == 1 ? "thread CPU" : "wall")} clock, best of 3; result bits {hash:X16}, ∂L/∂a₀[0] = {ab[0]:R}"));
            double fsum = 0, bsum = 0;
            for (int i = 0; i < 12; i++)
            {
                bool fwd = i < 5 || i == 10;
                if (fwd) fsum += best[i]; else bsum += best[i];
                o.WriteLine(FormattableString.Invariant($"  {ph[i],-20} {best[i] * per:F3} µs/particle-substep  {best[i] * 1e-6:F1} ms"));
            }
            o.WriteLine(FormattableString.Invariant($"  {"forward rest",-20} {(bestF - fsum) * per:F3} µs/particle-substep  {(bestF - fsum) * 1e-6:F1} ms"));
            o.WriteLine(FormattableString.Invariant($"  {"backward rest",-20} {(bestB - bsum) * per:F3} µs/particle-substep  {(bestB - bsum) * 1e-6:F1} ms"));
            o.WriteLine(FormattableString.Invariant($"  {"forward",-20} {bestF * per:F3} µs/particle-substep  {bestF * 1e-6:F1} ms"));
            o.WriteLine(FormattableString.Invariant($"  {"backward",-20} {bestB * per:F3} µs/particle-substep  {bestB * 1e-6:F1} ms"));
        }
    }

    /// <summary>
    /// Best-of-<paramref name="reps"/> wall and CPU seconds (this process, all threads: what an unloaded core would
    /// take; wall times are inflated on the shared build machine) of a loss-only and a loss-and-gradient episode,
    /// after one warm-up episode of each kind, with a fresh objective of <paramref name="threads"/> threads.
    /// </summary>
    static (double Fwd, double FwdCpu, double Lg, double LgCpu) Measure(TaskInstance task, int threads, double[] x, double[] g, int reps)
    {
        using var f = task.CreateObjective(new WorkspaceOptions(threads));
        // Warm-up: one episode of each kind (the first loss-and-gradient episode allocates the substep store and
        // JIT-compiles the backward; before this, best-of-2 figures could include tier-up of the backward).
        f.Loss(x);
        f.LossAndGradient(x, g);
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
                if (Environment.GetEnvironmentVariable("MPM_BENCH_VERBOSE") == "1")
                    TestContext.Out.WriteLine(FormattableString.Invariant($"  {threads}T rep {k}: wall {sw.Elapsed.TotalSeconds:F3} s, CPU {(proc.TotalProcessorTime - c0).TotalSeconds:F3} s"));
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
