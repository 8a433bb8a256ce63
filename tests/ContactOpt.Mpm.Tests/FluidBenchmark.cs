using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using ContactOpt.Envs.Mpm;
using ContactOpt.Tasks;

namespace ContactOpt.Mpm.Tests;

/// <summary>
/// Fluid-task timings for docs/benchmarks.md (explicit: never part of CI). Run:
/// FLUID_PRESET=default FLUID_REPS=2 dotnet test tests/ContactOpt.Mpm.Tests -c Release --filter Name=FluidEpisodeTimes --logger "console;verbosity=detailed"
/// </summary>
public class FluidBenchmark
{
    [Test, Explicit("benchmark")]
    public void FluidEpisodeTimes()
    {
        var preset = FluidTasks.PresetNamed(Environment.GetEnvironmentVariable("FLUID_PRESET") ?? "default");
        int reps = int.Parse(Environment.GetEnvironmentVariable("FLUID_REPS") ?? "2", CultureInfo.InvariantCulture);
        // FLUID_SUBSTEPS overrides the preset's substeps per control step (A/B runs of the substep count).
        if (Environment.GetEnvironmentVariable("FLUID_SUBSTEPS") is string sub)
            preset = preset with { Name = $"{preset.Name}-{sub}sub", SubstepsPerStep = int.Parse(sub, CultureInfo.InvariantCulture) };
        var d = FluidTasks.Build(preset);
        double[] x = [1.5, 0, 0, 0, 0, 1, 0, 2, 0, 2];
        var proc = Process.GetCurrentProcess();
        foreach (int threads in new[] { 1, 2 })
        {
            using var f = new EpisodeObjective(d, workspace: new WorkspaceOptions(threads));
            var g = new double[x.Length];
            f.LossAndGradient(x, g);   // warm-up
            (double Wall, double Cpu) Time(Action a)
            {
                double bestW = double.MaxValue, bestC = double.MaxValue;
                for (int r = 0; r < reps; r++)
                {
                    proc.Refresh(); var c0 = proc.TotalProcessorTime; var sw = Stopwatch.StartNew();
                    a();
                    double w = sw.Elapsed.TotalSeconds; proc.Refresh();
                    bestW = Math.Min(bestW, w); bestC = Math.Min(bestC, (proc.TotalProcessorTime - c0).TotalSeconds);
                }
                return (bestW, bestC);
            }
            var lo = Time(() => f.Loss(x));
            var lg = Time(() => f.LossAndGradient(x, g));
            long ps = (long)d.Scene.Particles * preset.ControlSteps * preset.SubstepsPerStep;
            TestContext.Out.WriteLine(FormattableString.Invariant(
                $"preset {preset.Name}, {d.Scene.Particles} particles, {preset.ControlSteps * preset.SubstepsPerStep} substeps, {threads} thread(s): loss {lo.Wall:F2} s wall / {lo.Cpu:F2} s CPU ({lo.Cpu * 1e6 / ps:F2} µs CPU per particle-substep); loss+gradient {lg.Wall:F2} s wall / {lg.Cpu:F2} s CPU"));
        }
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int ClockGetTime(int clock, out TimeSpec t);
    [StructLayout(LayoutKind.Sequential)] struct TimeSpec { public long Sec, NSec; }
    static long ThreadCpuNs() { ClockGetTime(3, out var t); return t.Sec * 1_000_000_000 + t.NSec; }

    /// <summary>
    /// Per-kernel thread CPU time of the fluid scene on one thread (FLUID_PRESET, default `default`): one episode of
    /// substeps with the ladle moving forward, forward with records (as the recorded episode) then the backward from
    /// the records (as the episode store), after one warm-up pass. Robust to load (thread CPU clock).
    /// FLUID_PRESET=default dotnet test tests/ContactOpt.Mpm.Tests -c Release --filter Name=FluidPhases --logger "console;verbosity=detailed"
    /// </summary>
    [Test, Explicit("benchmark")]
    public void FluidPhases()
    {
        var preset = FluidTasks.PresetNamed(Environment.GetEnvironmentVariable("FLUID_PRESET") ?? "default");
        var d = FluidTasks.Build(preset);
        var s = d.Scene;
        int threads = int.Parse(Environment.GetEnvironmentVariable("FLUID_THREADS") ?? "1", CultureInfo.InvariantCulture);
        // One thread: thread CPU clock; more: wall clock (Stopwatch ticks in ns), the phases' wall time across the threads.
        Func<long> clock = threads == 1 ? ThreadCpuNs : () => (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));
        var e = new Engine(s, threads) { ProfileClock = clock };
        var vel = new double[s.VelocitySize];
        d.Velocities([1.5, 0.5], vel);
        int steps = preset.ControlSteps * preset.SubstepsPerStep;
        var frames = new double[steps + 1][]; var recs = new double[steps][];
        for (int k = 0; k <= steps; k++) frames[k] = new double[s.FrameSize];
        for (int k = 0; k < steps; k++) recs[k] = new double[e.RecordLength];
        var bar = new double[s.FrameSize]; var inBar = new double[s.FrameSize]; var vb = new double[vel.Length];
        long fwdNs = 0, bwdNs = 0;
        void Run()
        {
            d.InitialFrame(frames[0]);
            long t0 = clock();
            for (int k = 0; k < steps; k++) e.Substep(frames[k], frames[k + 1], vel, recs[k]);
            long t1 = clock();
            Array.Clear(bar);
            d.LossBackward(frames[steps], 1.0, bar);
            for (int k = steps - 1; k >= 0; k--) { e.SubstepBackward(frames[k], vel, frames[k + 1], recs[k], bar, inBar, vb); (bar, inBar) = (inBar, bar); }
            long t2 = clock();
            fwdNs = t1 - t0; bwdNs = t2 - t1;
        }
        e.Profile = new long[10];
        Run();   // warm-up
        e.Profile = new long[10];
        Run();
        string[] names = ["prepare+constitutive", "constitutive", "p2g", "grid", "g2p+rigid", "bwd: recompute", "bwd: g2p", "bwd: grid", "bwd: p2g", "bwd: constitutive"];
        for (int i = 0; i < 10; i++)
            TestContext.Out.WriteLine(FormattableString.Invariant($"{names[i],-22} {e.Profile[i] * 1e-9:F3} s  ({e.Profile[i] * 1e-3 / steps / s.Particles:F3} µs/particle-substep)"));
        TestContext.Out.WriteLine(FormattableString.Invariant($"episode forward {fwdNs * 1e-9:F3} s, backward {bwdNs * 1e-9:F3} s {(threads == 1 ? "thread CPU" : $"wall, {threads} threads")} ({s.Particles} particles, {steps} substeps, grid {s.N}³)"));
    }
}
