using ContactOpt.Envs;
using ContactOpt.Envs.Mpm;
using ContactOpt.Tasks;

namespace ContactOpt.Mpm.Tests;

/// <summary>Whole fluid-task episodes: gradients against central differences, buoyancy, liquid volume, the ladle pushing the cube, threads.</summary>
public class FluidTests
{
    /// <summary>A 24³ test resolution: a 0.5 s episode of 25 control steps × 8 substeps (dt = 2.5 ms, CFL ≈ 0.28).</summary>
    static readonly FluidPreset Coarse = new("coarse-test", 24, 8, 25, 1, "tests only", 0.5);

    static double[] Run(FluidDynamics d, double[] x, out List<double[]> states)
    {
        using var f = new EpisodeObjective(d);
        var trace = new StepTrace(1);
        f.Loss(x, trace);
        states = trace.States;
        return states[^1];
    }

    static double CubeHeight(FluidDynamics d, double[] state) => FluidScene.ToMetres(d.Scene.N, d.CubeCentre(state)).Y;

    [Test]
    public void TinyTankEpisodeGradientMatchesCentralDifferences()
    {
        var g = EpisodeChecks.GradientMatchesCentralDifferences(FluidTasks.Build(FluidTasks.Tiny), [1.3, 0.4, 1.7, -0.3, 0.9, 0.8, -0.5, 1.1, 0.6, -0.7]);
        Assert.That(g.Select(Math.Abs).Max(), Is.GreaterThan(1e-4), "gradient should not be flat");
    }

    [Test]
    public void EpisodeStoreAndSegmentRebuildGiveBitIdenticalGradients()
    {
        // The shared MPM segment loop (MpmSegmentWorkspace): keeping the whole episode's substeps or rebuilding each
        // segment in the backward must give the same bits.
        var kept = FluidTasks.Build(FluidTasks.Tiny);
        var rebuilt = new FluidDynamics(kept.Scene, kept.Preset, kept.Segments) { StoreBudgetBytes = 0 };
        Assert.That(kept.StoresEpisode && !rebuilt.StoresEpisode);
        double[] x = [1.3, 0.4, 1.7, -0.3, 0.9, 0.8, -0.5, 1.1, 0.6, -0.7];
        using var fk = new EpisodeObjective(kept); using var fr = new EpisodeObjective(rebuilt);
        var gk = new double[10]; var gr = new double[10];
        double lk = fk.LossAndGradient(x, gk), lr = fr.LossAndGradient(x, gr);
        Assert.That(lk, Is.EqualTo(lr));
        Assert.That(gk, Is.EqualTo(gr));
        Assert.That(gk.Select(Math.Abs).Max(), Is.GreaterThan(1e-4));
    }

    [Test]
    public void DenserCubeSinksToTheFloorAndALighterOneSinksLess()
    {
        // Ladle parked far behind (0.15 m) and still: only gravity, the syrup and the floor act on the cube, dropped on the
        // surface. In the task's own scene (a 3-cell cube, the syrup starting on the rest lattice and settling ≈ 2 cm) a
        // lighter cube still ends lower than it started, only higher than a denser one; the "a lighter cube rises"
        // holds in the buoyancy scene of FluidBuoyancy.cs (docs/fluid-findings.md, "Buoyancy").
        var zero = new double[10];
        var dense = FluidTasks.Build(Coarse, cubeDensity: 1.5, ladleBehind: 0.15);
        var light = FluidTasks.Build(Coarse, cubeDensity: 0.6, ladleBehind: 0.15);
        double y0d = CubeHeight(dense, dense.Scene.Positions), y0l = CubeHeight(light, light.Scene.Positions);
        double yd = CubeHeight(dense, Run(dense, zero, out _)), yl = CubeHeight(light, Run(light, zero, out _));
        double edgeD = dense.CubeEdge, edgeL = light.CubeEdge;
        TestContext.Out.WriteLine($"dense (1.5, edge {edgeD:F3} m): {y0d:F3} → {yd:F3} m; light (0.6, edge {edgeL:F3} m): {y0l:F3} → {yl:F3} m");
        Assert.That(yd, Is.LessThan(edgeD / 2 + 0.01), "a cube 1.5× as dense as the syrup sinks to the floor");
        Assert.That(y0d - yd, Is.GreaterThan(0.08));
        Assert.That(yl - edgeL / 2, Is.GreaterThan(yd - edgeD / 2), "the lighter cube's bottom ends higher");
    }

    [Test]
    public void LiquidVolumeStaysWithinBoundOverAnEpisode()
    {
        // Σ J·V_p of the syrup over a scooping episode stays within 10 % of its value at rest (weakly compressible,
        // sound speed 2.5 m/s: the hydrostatic compression alone is g·h/c² = 16 % at the bottom, 8 % on average;
        // measured at this resolution: 0.96–1.07 × rest).
        var d = FluidTasks.Build(Coarse);
        var s0 = new double[d.StateSize];
        d.InitialState(s0, new Random(0));
        double Volume(double[] st) { double v = 0; for (int p = 0; p < d.LiquidParticles; p++) v += st[d.Scene.FOffset + 9 * p]; return v * d.Scene.PVol; }
        double v0 = Volume(s0);
        Run(d, [1.5, 0, 0, 0, 0, 1, 0, 2, 0, 2], out var states);
        double lo = states.Min(Volume), hi = states.Max(Volume);
        TestContext.Out.WriteLine($"volume at rest {v0:E4}; over the episode [{lo / v0:F4}, {hi / v0:F4}] × rest");
        Assert.That(lo / v0, Is.GreaterThan(0.9));
        Assert.That(hi / v0, Is.LessThan(1.1));
        // Mass is exact: particles are never created or lost, all inside the domain.
        var last = states[^1];
        for (int i = 0; i < 3 * d.Scene.Particles; i++) Assert.That(last[i], Is.InRange(0.0, 1.0));
    }

    [Test]
    public void LadlePushingTheCubeMovesIt()
    {
        var d = FluidTasks.Build(Coarse, cubeDensity: 1.5);
        var still = Run(d, new double[10], out _);
        var pushed = Run(d, [2, 0, 2, 0, 2, 0, 2, 0, 2, 0], out _);
        double zStill = FluidScene.ToMetres(d.Scene.N, d.CubeCentre(still)).Z, zPushed = FluidScene.ToMetres(d.Scene.N, d.CubeCentre(pushed)).Z;
        double ladle = FluidScene.ToMetres(d.Scene.N, V3.Load(pushed, d.Scene.PoseOffset)).Z;
        TestContext.Out.WriteLine($"cube z: ladle still {zStill:F3} m, ladle driven forward (to z = {ladle:F3} m) {zPushed:F3} m");
        Assert.That(zPushed - zStill, Is.GreaterThan(0.03), "the ladle moving forward must push the cube forward");
    }

    [Test]
    public void OneAndTwoThreadsAreBitIdentical()
    {
        var d = FluidTasks.Build(FluidTasks.Tiny);
        EpisodeChecks.BitIdentical(d, 1, d, 2, [1.3, 0.4, 1.7, -0.3, 0.9, 0.8, -0.5, 1.1, 0.6, -0.7]);
    }

    [Test]
    public void LossTermsFollowThePaperWithTheSignFixed()
    {
        var d = FluidTasks.Build(FluidTasks.Tiny);
        var s0 = new double[d.StateSize];
        d.InitialState(s0, new Random(0));
        var (h, dl, ax) = d.LossTerms(s0);
        var c = FluidScene.ToMetres(d.Scene.N, d.CubeCentre(s0));
        Assert.That(h, Is.EqualTo(0.2 - c.Y).Within(1e-12), "max(0, y_w − y) below the rim");
        Assert.That(ax, Is.EqualTo(0).Within(1e-5), "the cube starts on the tank axis");
        Assert.That(dl, Is.EqualTo(FluidScene.LadleBehind).Within(1e-9));
        Assert.That(d.Loss(s0), Is.EqualTo(h + 3 * dl + ax).Within(1e-12));
        // Above the rim the height term vanishes (the printed max(0, y − y_w) would grow instead).
        var up = (double[])s0.Clone();
        for (int p = d.Cube.Start; p < d.Cube.Start + d.Cube.Count; p++) up[3 * p + 1] += 0.3 * FluidScene.Scale(d.Scene.N);
        Assert.That(d.LossTerms(up).Height, Is.EqualTo(0));
    }

    [TestCase("fluid:preset=huge", "preset")]
    [TestCase("fluid:preset=tiny,segments=3", "segments=3")]
    [TestCase("fluid:preset=tiny,cube_density=0", "cube_density=0")]
    [TestCase("fluid:preset=tiny,softness=-1", "softness=-1")]
    public void BadOptionsAreRejectedWithTheValueNamed(string name, string named)
    {
        var e = Assert.Throws<ArgumentException>(() => BuiltinTasks.CreateRegistry().Create(name));
        Assert.That(e!.Message, Does.Contain(named));
        Assert.That(e.Message, Does.Not.Contain("\n"));
    }

    [Test]
    public void EnvCheckerPassesOnTheStepView()
    {
        var task = BuiltinTasks.CreateRegistry().Create("fluid:preset=tiny");
        Assert.DoesNotThrow(() => EnvChecker.Check(() => task.CreateEnv(RenderModes.RgbArray)));
        Assert.DoesNotThrow(() => EnvChecker.Check(() => task.CreateEnv()));
    }
}
