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

public class FluidSubstepSweep
{
    /// <summary>
    /// Default grid with FLUID_SUBSTEPS substeps per control step (comma-separated, default 8,6,5,4): acoustic CFL, loss
    /// at the initial guess, the hand-made scoop's loss and cube height, the syrup's volume range over the scoop.
    /// </summary>
    [Test, Explicit("diagnostic")]
    public void PrintSubstepSweep()
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        foreach (var k in (Environment.GetEnvironmentVariable("FLUID_SUBSTEPS") ?? "8,6,5,4").Split(',').Select(v => int.Parse(v, ci)))
        {
            var preset = new FluidPreset($"sub{k}", 32, k, 50, 1, "");
            var d = FluidTasks.Build(preset);
            var s = d.Scene;
            double cfl = FluidScene.SoundSpeed * FluidScene.Scale(s.N) * s.Dt / s.Dx;
            using var f = new EpisodeObjective(d);
            double guess = f.Loss(new double[10]);
            var trace = new StepTrace(1);
            double scoop = f.Loss([1.5, 0, 0, 0, 0, 1, 0, 2, 0, 2], trace);
            double Volume(double[] st) { double v = 0; for (int p = 0; p < d.LiquidParticles; p++) v += st[s.FOffset + 9 * p]; return v * s.PVol; }
            var s0 = new double[d.StateSize]; d.InitialState(s0, new Random(0));
            double v0 = Volume(s0);
            double lo = trace.States.Min(Volume) / v0, hi = trace.States.Max(Volume) / v0;
            var last = trace.States[^1];
            double vmax = 0; for (int p = 0; p < s.Particles; p++) vmax = Math.Max(vmax, Math.Sqrt(V3.Load(last, s.VOffset + 3 * p).Norm2));
            var c = FluidScene.ToMetres(s.N, d.CubeCentre(last));
            TestContext.Out.WriteLine(FormattableString.Invariant(
                $"substeps {k} (dt {s.Dt * 1e3:F2} ms, acoustic CFL {cfl:F2}): loss at guess {guess:F4}; scoop loss {scoop:F4}, cube y {c.Y:F3} m; volume over the scoop [{lo:F4}, {hi:F4}] × rest; max speed at end {vmax / FluidScene.Scale(s.N):F2} m/s"));
        }
    }
}

public class FluidStabilitySweep
{
    /// <summary>FLUID_SUBSTEPS substeps per control step at 32³: FLUID_N uniform random x ∈ [−2, 2]¹⁰ (seed 7); finite loss, volume range.</summary>
    [Test, Explicit("diagnostic")]
    public void PrintRandomEpisodes()
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        int k = int.Parse(Environment.GetEnvironmentVariable("FLUID_SUBSTEPS") ?? "5", ci), count = int.Parse(Environment.GetEnvironmentVariable("FLUID_N") ?? "10", ci);
        var d = FluidTasks.Build(new FluidPreset($"sub{k}", 32, k, 50, 1, ""));
        var s = d.Scene;
        using var f = new EpisodeObjective(d);
        var rng = new Random(7);
        double Volume(double[] st) { double v = 0; for (int p = 0; p < d.LiquidParticles; p++) v += st[s.FOffset + 9 * p]; return v * s.PVol; }
        var s0 = new double[d.StateSize]; d.InitialState(s0, new Random(0));
        double v0 = Volume(s0), lo = double.MaxValue, hi = 0, best = double.MaxValue; int bad = 0;
        for (int i = 0; i < count; i++)
        {
            var x = Enumerable.Range(0, 10).Select(_ => 4 * rng.NextDouble() - 2).ToArray();
            var trace = new StepTrace(1);
            double loss = f.Loss(x, trace);
            if (!double.IsFinite(loss)) bad++;
            best = Math.Min(best, loss);
            lo = Math.Min(lo, trace.States.Min(Volume) / v0); hi = Math.Max(hi, trace.States.Max(Volume) / v0);
        }
        TestContext.Out.WriteLine(FormattableString.Invariant($"substeps {k}: {count} random episodes, {bad} not finite, best loss {best:F4}, volume range [{lo:F4}, {hi:F4}] × rest"));
    }
}

public class FluidSettling
{
    /// <summary>The task's syrup at rest (ladle parked 0.15 m behind, still): mean and top particle height and mean J over an episode (FLUID_PRESET).</summary>
    [Test, Explicit("diagnostic")]
    public void PrintSyrupSettling()
    {
        var d = FluidTasks.Build(FluidTasks.PresetNamed(Environment.GetEnvironmentVariable("FLUID_PRESET") ?? "default"), ladleBehind: 0.15);
        var s = d.Scene;
        using var f = new EpisodeObjective(d);
        var trace = new StepTrace(1);
        f.Loss(new double[10], trace);
        var s0 = new double[d.StateSize]; d.InitialState(s0, new Random(0));
        void Print(string label, double[] st)
        {
            double y = 0, j = 0, top = 0; int below = 0;
            for (int p = 0; p < d.LiquidParticles; p++)
            {
                var m = FluidScene.ToMetres(s.N, V3.Load(st, 3 * p));
                y += m.Y; j += st[s.FOffset + 9 * p]; top = Math.Max(top, m.Y); if (m.Y < 0) below++;
            }
            var c = FluidScene.ToMetres(s.N, d.CubeCentre(st));
            TestContext.Out.WriteLine(FormattableString.Invariant($"{label}: syrup mean y {100 * y / d.LiquidParticles:F2} cm, top {100 * top:F2} cm, mean J {j / d.LiquidParticles:F4}, {below} below the floor plane; cube y {100 * c.Y:F2} cm"));
        }
        Print("start", s0);
        for (int i = 4; i < trace.States.Count; i += 5) Print(FormattableString.Invariant($"t {(i + 1) * s.Dt * s.Substeps:F2} s"), trace.States[i]);
    }
}
