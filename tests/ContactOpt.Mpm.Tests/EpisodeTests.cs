using ContactOpt.Envs.Mpm;
using ContactOpt.Tasks;

namespace ContactOpt.Mpm.Tests;

/// <summary>Whole tiny episodes: gradients against central differences, conservation, rest, plasticity, threads.</summary>
public class EpisodeTests
{
    static MpmDynamics PressTask(double floorFriction, int segments = 2, int envSteps = 4, int particles = 60, long storeBudget = 1L << 30)
    {
        var s = Tiny.PressScene(floorFriction: floorFriction, particles: particles);
        var e = new Engine(s, 1);
        var f0 = new double[s.FrameSize];
        s.InitialFrame(f0);
        var m = e.FullGridMass(f0);
        int n = s.N;
        // Target: the block's mass one cell lower in y and one cell over in x (an imprint-like shift).
        var t = new double[m.Length];
        for (int i = 0; i < m.Length; i++)
        {
            int x = i % n, y = i / n % n;
            if (x + 1 < n && y >= 1) t[i + 1 - n] += m[i];
        }
        return new MpmDynamics(s, new Target(n, t), new LossWeights(10, 10, 1), segments, envSteps) { StoreBudgetBytes = storeBudget };
    }

    [TestCase(1.5, TestName = "EpisodeGradientMatchesCentralDifferences(sphere pressing, Coulomb floor)")]
    [TestCase(100.0, TestName = "EpisodeGradientMatchesCentralDifferences(sphere pressing, sticky floor)")]
    public void EpisodeGradientMatchesCentralDifferences(double floorFriction)
    {
        // The sphere is in contact in this episode (it moves 0.02 per env step into a 0.01 gap).
        var g = EpisodeChecks.GradientMatchesCentralDifferences(PressTask(floorFriction), [0.1, -1.0 + 1e-3, 0.2, 0.3, -0.8, -0.1]);
        Assert.That(g.Select(Math.Abs).Max(), Is.GreaterThan(1e-3), "gradient should not be flat");
    }

    [Test]
    public void InitialStateGradientMatchesCentralDifferences()
    {
        var dyn = PressTask(1.5);
        using var tape = new SegmentTape(dyn);
        var s0 = new double[dyn.StateSize];
        dyn.InitialState(s0, new Random(0));
        double[] x = [0.1, -0.9, 0.2, 0.3, -0.8, -0.1];
        double Loss(double[] s) => Episode.Rollout(tape, s, x, []);
        tape.Reset(s0, [], record: true);
        for (int t = 0; t < dyn.Horizon; t++) tape.Advance(x.AsSpan(3 * t, 3));
        var ga = new double[x.Length]; var gs = new double[dyn.StateSize];
        tape.Backward(ga, [], gs);
        var rng = new Random(3);
        // Positions of a few particles, one velocity, and the primitive's initial position.
        int[] coords = [0, 4, 3 * 17 + 1, dyn.Scene.VOffset + 5, dyn.Scene.PoseOffset, dyn.Scene.PoseOffset + 1];
        foreach (int i in coords)
        {
            double h = 1e-7;
            var up = (double[])s0.Clone(); up[i] += h; var dn = (double[])s0.Clone(); dn[i] -= h;
            double fd = (Loss(up) - Loss(dn)) / (2 * h);
            Assert.That(gs[i], Is.EqualTo(fd).Within(1e-5 * Math.Max(1, Math.Abs(fd))), $"state coordinate {i}");
        }
    }

    /// <summary>Loss and gradient of the same episode through two objectives: bit for bit equal; returns the gradient.</summary>
    static double[] AssertBitIdentical(MpmDynamics a, int threadsA, MpmDynamics b, int threadsB) =>
        EpisodeChecks.BitIdentical(a, threadsA, b, threadsB, [0.1, -0.9, 0.2, 0.3, -0.8, -0.1]);

    [Test]
    public void OneAndTwoThreadsAreBitIdentical()
    {
        var dyn = PressTask(1.5, particles: 200);
        AssertBitIdentical(dyn, 1, dyn, 2);
    }

    [Test]
    public void KeptAndRebuiltSubstepsGiveBitIdenticalGradients()
    {
        // The episode policy (the recorded forward keeps every substep) against the rebuild policy (budget 0: the
        // backward recomputes each segment from its input state), with two and one threads.
        var kept = PressTask(1.5, particles: 200);
        var rebuilt = PressTask(1.5, particles: 200, storeBudget: 0);
        Assert.That(kept.StoresEpisode, Is.True);
        Assert.That(rebuilt.StoresEpisode, Is.False);
        var g = AssertBitIdentical(kept, 2, rebuilt, 1);
        Assert.That(g.Select(Math.Abs).Max(), Is.GreaterThan(1e-3));
    }

    [Test]
    public void KeptSubstepsAreNotUsedForOtherInputs()
    {
        // A backward at inputs other than the recorded forward's must rebuild the segment, not read stale substeps.
        var kept = PressTask(1.5);
        var rebuilt = PressTask(1.5, storeBudget: 0);
        using var wk = kept.CreateWorkspace(); using var wr = rebuilt.CreateWorkspace();
        var s0 = new double[kept.StateSize]; kept.InitialState(s0, new Random(0));
        var next = new double[kept.StateSize]; var nextBar = new double[kept.StateSize];
        for (int i = 0; i < kept.Scene.Particles; i++) nextBar[3 * i + 1] = 1;
        double[] a1 = [0.1, -0.9, 0.2], a2 = [0.3, -0.5, -0.2];
        wk.Forward(0, s0, a1, [], next, record: true);
        var sk = new double[kept.StateSize]; var ak = new double[3]; var sr = new double[kept.StateSize]; var ar = new double[3];
        wr.Forward(0, s0, a2, [], next);
        wk.Backward(0, s0, a2, [], next, nextBar, 1.0, sk, ak, []);
        wr.Backward(0, s0, a2, [], next, nextBar, 1.0, sr, ar, []);
        Assert.That(ak, Is.EqualTo(ar));
        Assert.That(sk, Is.EqualTo(sr));
        // And at the recorded inputs it reads them: same result as rebuilding.
        wk.Forward(0, s0, a1, [], next, record: true);
        wr.Forward(0, s0, a1, [], next);
        wk.Backward(0, s0, a1, [], next, nextBar, 1.0, sk, ak, []);
        wr.Backward(0, s0, a1, [], next, nextBar, 1.0, sr, ar, []);
        Assert.That(ak, Is.EqualTo(ar));
        Assert.That(sk, Is.EqualTo(sr));
        Assert.That(((MpmWorkspace)wk).StoresEpisode && !((MpmWorkspace)wr).StoresEpisode);
    }

    static double[] Run(Scene s, double[] frame, int substeps, double[]? velocity = null)
    {
        var e = new Engine(s, 1);
        var a = (double[])frame.Clone(); var b = new double[frame.Length];
        velocity ??= new double[3 * s.Primitives.Length];
        for (int k = 0; k < substeps; k++) { e.Substep(a, b, velocity); (a, b) = (b, a); }
        return a;
    }

    [Test]
    public void TotalParticleMassIsConserved()
    {
        var dyn = PressTask(1.5);
        var s = dyn.Scene;
        var f0 = new double[s.FrameSize];
        s.InitialFrame(f0);
        var f1 = Run(s, f0, 40, [0, -0.001, 0]);
        var e = new Engine(s, 1);
        double m0 = e.FullGridMass(f0).Sum(), m1 = e.FullGridMass(f1).Sum();
        Assert.That(m0, Is.EqualTo(s.Particles * s.PMass).Within(1e-12 * m0));
        Assert.That(m1, Is.EqualTo(m0).Within(1e-12 * m0));
    }

    [Test]
    public void BlockAtRestOnStickyFloorStaysPut()
    {
        // No tool contact (the sphere is far away); gravity only. MPM settles by a few hundredths of a cell onto the
        // node-level floor and must then stay put: no sliding, no flow.
        var far = Tiny.Sphere(new V3(0.85, 0.8, 0.85), 0.05);
        var s = Tiny.PressScene(floorFriction: 100, primitive: far, particles: 1200);
        var f0 = new double[s.FrameSize];
        s.InitialFrame(f0);
        var fMid = Run(s, f0, 100);
        var f1 = Run(s, fMid, 100);   // 50 env steps of 4 substeps in all
        double Mean(double[] a, double[] b, bool horizontalOnly)
        {
            double sum = 0;
            for (int p = 0; p < s.Particles; p++)
            {
                double dx = b[3 * p] - a[3 * p], dy = horizontalOnly ? 0 : b[3 * p + 1] - a[3 * p + 1], dz = b[3 * p + 2] - a[3 * p + 2];
                sum += Math.Sqrt(dx * dx + dy * dy + dz * dz);
            }
            return sum / s.Particles;
        }
        double settle = Mean(f0, fMid, false), late = Mean(fMid, f1, false), slide = Mean(f0, f1, true);
        TestContext.Out.WriteLine($"mean displacement: first half {settle / s.Dx:E3} dx, second half {late / s.Dx:E3} dx, horizontal {slide / s.Dx:E3} dx");
        Assert.That(settle, Is.LessThan(0.05 * s.Dx), "settling onto the floor");
        Assert.That(late, Is.LessThan(0.01 * s.Dx), "the block must be at rest after settling");
        Assert.That(slide, Is.LessThan(0.01 * s.Dx), "the block must not slide on a sticky floor");
    }

    /// <summary>A floating block (no gravity) pre-stretched by <paramref name="stretch"/> in x, F = diag(stretch, 1, 1); width after 120 substeps.</summary>
    static (double Width0, double Width1, double RestWidth) Stretched(double stretch)
    {
        var far = Tiny.Sphere(new V3(0.9, 0.9, 0.9), 0.02);
        var s0 = Tiny.PressScene(primitive: far, particles: 300, gravity: 0, grid: 16);
        // Re-centre the block in the air and stretch it about its centre.
        var x = (double[])s0.Positions.Clone();
        // Isochoric stretch diag(s, 1/√s, 1/√s) about the block centre (von Mises plasticity acts on the deviatoric part only).
        double c = 1 / Math.Sqrt(stretch), yc = 3.0 / 16 + 0.075;
        for (int p = 0; p < s0.Particles; p++)
        {
            x[3 * p] = 0.5 + stretch * (x[3 * p] - 0.5);
            x[3 * p + 1] = yc + 0.25 + c * (x[3 * p + 1] - yc);
            x[3 * p + 2] = 0.5 + c * (x[3 * p + 2] - 0.5);
        }
        var s = new Scene(s0.N, s0.Dt, s0.Substeps, s0.Material, 100, s0.Softness, s0.Primitives, x, s0.PVol, gravityScale: 0);
        var f0 = new double[s.FrameSize];
        s.InitialFrame(f0);
        for (int p = 0; p < s.Particles; p++) { f0[s.FOffset + 9 * p] = stretch; f0[s.FOffset + 9 * p + 4] = c; f0[s.FOffset + 9 * p + 8] = c; }
        static double Width(double[] f, int n)
        {
            double lo = double.MaxValue, hi = double.MinValue;
            for (int p = 0; p < n; p++) { lo = Math.Min(lo, f[3 * p]); hi = Math.Max(hi, f[3 * p]); }
            return hi - lo;
        }
        var f1 = Run(s, f0, 120);
        double w0 = Width(f0, s.Particles);
        return (w0, Width(f1, s.Particles), w0 / stretch);
    }

    [Test]
    public void BlockLoadedBelowYieldSpringsBackAndBeyondYieldKeepsItsDeformation()
    {
        // Yield strain ys/(2μ) = 0.012; deviatoric log-strain of diag(s, 1, 1) is √(2/3)·ln s.
        var below = Stretched(1.01);   // 0.008 < 0.012: elastic
        var beyond = Stretched(1.25);  // 0.18 ≫ 0.012: plastic
        TestContext.Out.WriteLine($"below yield: width {below.Width0:F4} → {below.Width1:F4} (rest {below.RestWidth:F4}); beyond: {beyond.Width0:F4} → {beyond.Width1:F4} (rest {beyond.RestWidth:F4})");
        double springBack = (below.Width0 - below.Width1) / (below.Width0 - below.RestWidth);
        double kept = (beyond.Width1 - beyond.RestWidth) / (beyond.Width0 - beyond.RestWidth);
        Assert.That(springBack, Is.GreaterThan(0.5), "below yield the block must spring back towards its rest width");
        Assert.That(kept, Is.GreaterThan(0.8), "beyond yield the block must keep most of its deformation");
    }
}
