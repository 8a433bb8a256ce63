using System.Diagnostics;
using System.Globalization;
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
}
