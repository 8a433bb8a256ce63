using ContactOpt.Envs.Mpm;
using ContactOpt.Tasks;

namespace ContactOpt.Mpm.Tests;

/// <summary>Fluid-task trajectories printed on demand (FLUID_X = 10 comma-separated parameters, FLUID_PRESET).</summary>
public class FluidDiagnostics
{
    [Test, Explicit("diagnostic")]
    public void PrintTrajectory()
    {
        var preset = Environment.GetEnvironmentVariable("FLUID_PRESET") == "coarse" ? new FluidPreset("coarse", 24, 8, 25, 1, "", 0.5) : FluidTasks.PresetNamed(Environment.GetEnvironmentVariable("FLUID_PRESET") ?? "default");
        double density = double.Parse(Environment.GetEnvironmentVariable("FLUID_DENSITY") ?? "1.15", System.Globalization.CultureInfo.InvariantCulture);
        var d = FluidTasks.Build(preset, cubeDensity: density, ladleBehind: double.Parse(Environment.GetEnvironmentVariable("FLUID_BEHIND") ?? "0.07", System.Globalization.CultureInfo.InvariantCulture), cubeBottom: Environment.GetEnvironmentVariable("FLUID_BOTTOM") is string cb ? double.Parse(cb, System.Globalization.CultureInfo.InvariantCulture) : null);
        var x = (Environment.GetEnvironmentVariable("FLUID_X") ?? "1.5,0,1.5,0,0,2,0,2,0,2").Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        using var f = new EpisodeObjective(d);
        var trace = new StepTrace(1);
        var g = new double[x.Length];
        var sw = System.Diagnostics.Stopwatch.StartNew();
        double loss = f.Loss(x, trace);
        double tl = sw.Elapsed.TotalSeconds; sw.Restart();
        double lg = f.LossAndGradient(x, g);
        TestContext.Out.WriteLine($"particles {d.Scene.Particles} (cube {d.Cube.Count}), loss {loss:G6} ({tl:F2} s), loss+grad {lg:G6} ({sw.Elapsed.TotalSeconds:F2} s)");
        TestContext.Out.WriteLine($"gradient [{string.Join(", ", g.Select(v => v.ToString("G4")))}]");
        var s = d.Scene;
        { var s0 = new double[d.StateSize]; d.InitialState(s0, new Random(0)); double v0 = 0; for (int p = 0; p < d.LiquidParticles; p++) v0 += s0[s.FOffset + 9 * p]; TestContext.Out.WriteLine($"initial ΣJ/N {v0 / d.LiquidParticles:F4}"); }
        for (int i = 0; i < trace.States.Count; i += int.Parse(Environment.GetEnvironmentVariable("FLUID_EVERY") ?? "5"))
        {
            var st = trace.States[i];
            var c = FluidScene.ToMetres(s.N, d.CubeCentre(st)); var l = FluidScene.ToMetres(s.N, V3.Load(st, s.PoseOffset));
            double vol = 0; for (int p = 0; p < d.LiquidParticles; p++) vol += st[s.FOffset + 9 * p];
            TestContext.Out.WriteLine($"step {i,3}: cube ({c.X:F3}, {c.Y:F3}, {c.Z:F3})  ladle ({l.X:F3}, {l.Y:F3}, {l.Z:F3})  ΣJ/N {vol / d.LiquidParticles:F4}  loss {d.Loss(st):F4}");
        }
    }
}

public class FluidSweep
{
    /// <summary>Final loss terms for several parameter vectors (FLUID_XS = vectors separated by ';').</summary>
    [Test, Explicit("diagnostic")]
    public void PrintFinalTerms()
    {
        var preset = FluidTasks.PresetNamed(Environment.GetEnvironmentVariable("FLUID_PRESET") ?? "default");
        var d = FluidTasks.Build(preset);
        using var f = new EpisodeObjective(d);
        foreach (var row in (Environment.GetEnvironmentVariable("FLUID_XS") ?? "0,0,0,0,0,0,0,0,0,0").Split(';'))
        {
            var x = row.Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var trace = new StepTrace(1);
            double loss = f.Loss(x, trace);
            var st = trace.States[^1];
            var (h, dl, ax) = d.LossTerms(st);
            var c = FluidScene.ToMetres(d.Scene.N, d.CubeCentre(st));
            TestContext.Out.WriteLine($"x [{row}]: loss {loss:F4} (height {h:F3}, ladle {dl:F3}, axis {ax:F3}), cube y {c.Y:F3}");
        }
    }
}
