using ContactOpt.Envs.Mpm;
using ContactOpt.Kernels;

namespace ContactOpt.Mpm.Tests;

/// <summary>Dot-product adjoint checks of every engine kernel on tiny configurations.</summary>
public class KernelAdjointTests
{
    static void Check(string kernel, ReadOnlySpan<double> input, int outputSize, AdjointCheck.Forward forward, AdjointCheck.Backward backward,
        int seed = 0, int trials = 3, double step = 1e-6, double tolerance = 1e-6, ReadOnlySpan<double> inputScale = default)
    {
        var r = AdjointCheck.Require(kernel, input, outputSize, forward, backward, null, seed, trials, step, tolerance, inputScale);
        TestContext.Out.WriteLine(r.ToString());
        foreach (var t in r.Trials) Assert.That(Math.Abs(t.ForwardProduct), Is.GreaterThan(0), "vacuous check");
    }

    static readonly Material Plasticine = new(5000, 0.2, 50);

    static void CheckConstitutive(string name, M3 f, M3 c, double dt = 1e-4)
    {
        var k = Constitutive.Make(dt, Plasticine, 6.1e-5, 6.1e-5, 1.0 / 64);
        var input = new double[18];
        f.Store(input, 0); c.Store(input, 9);
        Check(name, input, 18,
            (x, y) =>
            {
                Constitutive.Forward(k, M3.Load(x, 0), M3.Load(x, 9), out var fn, out var a);
                fn.Store(y, 0); a.Store(y, 9);
            },
            (x, w, g) =>
            {
                var fb = new M3(); var cb = new M3();
                Constitutive.Backward(k, M3.Load(x, 0), M3.Load(x, 9), M3.Load(w, 0), M3.Load(w, 9), ref fb, ref cb);
                fb.Store(g, 0); cb.Store(g, 9);
            }, seed: 1, trials: 4, step: 1e-6, tolerance: 1e-6);
    }

    [Test]
    public void ConstitutiveAtRestWithAllSingularValuesEqual()
    {
        // F = I and C = 0: σ₁ = σ₂ = σ₃ = 1 exactly, the case a clamp of 1/(σᵢ² − σⱼ²) gets wrong.
        CheckConstitutive("constitutive (F = I, elastic)", M3.Identity, new M3());
    }

    [Test]
    public void ConstitutiveElasticStep()
    {
        var c = M3.Load(Tiny.Random(9, 3, 20), 0);
        CheckConstitutive("constitutive (elastic)", M3.Identity + 0.002 * M3.Load(Tiny.Random(9, 4), 0), c);
    }

    [Test]
    public void ConstitutivePlasticStepWithTwoEqualSingularValues()
    {
        // Rotated diag(1.2, 1.2, 0.8): a double singular value in the plastic branch.
        var r = M3.FromQuaternion(0.9, 0.1, -0.3, 0.2);
        var f = r * M3.Diag(1.2, 1.2, 0.8) * M3.FromQuaternion(0.7, -0.2, 0.5, 0.1).T;
        CheckConstitutive("constitutive (plastic, σ₁ = σ₂)", f, new M3());
    }

    [Test]
    public void ConstitutivePlasticStepGeneric()
    {
        var f = M3.Identity + 0.3 * M3.Load(Tiny.Random(9, 5), 0);
        var c = M3.Load(Tiny.Random(9, 6, 50), 0);
        CheckConstitutive("constitutive (plastic)", f, c);
    }

    [Test]
    public void ConstitutiveBelowTheSingularValueFloor()
    {
        var f = M3.FromQuaternion(0.8, 0.3, 0.1, -0.2) * M3.Diag(1.3, 0.7, 0.03);
        CheckConstitutive("constitutive (σ₃ < 0.05 floor)", f, new M3());
    }

    [Test]
    public void SvdReconstructsAndIsRotationConvention()
    {
        foreach (var f in new[] { M3.Identity, M3.Diag(2, 2, 2), M3.Load(Tiny.Random(9, 9), 0), M3.Diag(1, 1, -0.5) })
        {
            Svd3.Decompose(f, out var u, out var s, out var v);
            var back = u * M3.Diag(s.X, s.Y, s.Z) * v.T;
            for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) Assert.That(back[i, j], Is.EqualTo(f[i, j]).Within(1e-12));
            Assert.That(u.Det, Is.EqualTo(1).Within(1e-12));
            Assert.That(v.Det, Is.EqualTo(1).Within(1e-12));
        }
    }

    [Test]
    public void FourLaneEigenSolveIsBitIdenticalToTheScalarOne()
    {
        // Lanes converge after different sweep counts (identity at once, near-isotropic late, rank-deficient, inverted):
        // each lane must equal the scalar solve bit for bit, whatever its neighbours.
        var rng = new Random(7);
        M3 Rand(double scale) { var m = new M3(); for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) m[i, j] = scale * (2 * rng.NextDouble() - 1); return m; }
        var pool = new List<M3> { M3.Identity, M3.Diag(2, 2, 2), M3.Diag(1, 1, -0.5), new M3(), M3.Outer(new V3(1, 2, 3), new V3(-1, 0.5, 2)),
            M3.FromQuaternion(0.9, 0.1, -0.3, 0.2) * M3.Diag(1.01, 1.01, 0.99) };
        for (int i = 0; i < 40; i++) pool.Add(Rand(1));
        for (int i = 0; i < 40; i++) pool.Add(M3.Identity + Rand(1e-3));
        var lanes = new M3[4]; var got = new Svd3.Eigen[4];
        static long[] Bits(Svd3.Eigen e) => new[] { e.A00, e.A11, e.A22, e.C0.X, e.C0.Y, e.C0.Z, e.C1.X, e.C1.Y, e.C1.Z, e.C2.X, e.C2.Y, e.C2.Z }
            .Select(BitConverter.DoubleToInt64Bits).ToArray();
        for (int trial = 0; trial < 200; trial++)
        {
            for (int i = 0; i < 4; i++) lanes[i] = pool[rng.Next(pool.Count)];
            Svd3.EigenOf4(lanes, got);
            for (int i = 0; i < 4; i++) Assert.That(Bits(got[i]), Is.EqualTo(Bits(Svd3.EigenOf(lanes[i]))), $"trial {trial} lane {i}");
        }
    }

    static Engine TinyEngine(Scene s, int threads = 1) => new(s, threads);

    [Test]
    public void P2GAdjoint()
    {
        var s = Tiny.PressScene(grid: 12, particles: 20);
        var e = TinyEngine(s);
        int np = s.Particles;
        var input = new double[15 * np];
        s.Positions.CopyTo(input, 0);
        Tiny.Random(3 * np, 11).CopyTo(input, 3 * np);
        Tiny.Random(9 * np, 12, 1e-3).CopyTo(input, 6 * np);
        var scale = Enumerable.Repeat(1e-3, 3 * np).Concat(Enumerable.Repeat(1.0, 3 * np)).Concat(Enumerable.Repeat(1e-3, 9 * np)).ToArray();
        Check("p2g", input, 4 * e.NodeCount, e.P2GForward, e.P2GBackward, seed: 2, inputScale: scale);
    }

    [Test]
    public void G2PAdjoint()
    {
        var s = Tiny.PressScene(grid: 12, particles: 20);
        var e = TinyEngine(s);
        int np = s.Particles;
        var input = new double[3 * np + 3 * e.NodeCount];
        s.Positions.CopyTo(input, 0);
        Tiny.Random(3 * e.NodeCount, 13).CopyTo(input, 3 * np);
        var scale = Enumerable.Repeat(1e-3, 3 * np).Concat(Enumerable.Repeat(1.0, 3 * e.NodeCount)).ToArray();
        Check("g2p", input, 15 * np, e.G2PForward, e.G2PBackward, seed: 3, inputScale: scale);
    }

    [TestCase(100.0, 20.0, TestName = "GridUpdateAdjoint(sticky floor, soft contact)")]
    [TestCase(0.3, 20.0, TestName = "GridUpdateAdjoint(Coulomb floor, soft contact)")]
    [TestCase(1.5, 0.0, TestName = "GridUpdateAdjoint(Coulomb floor, hard contact)")]
    public void GridUpdateAdjoint(double floorFriction, double softness)
    {
        // A sphere sitting over the floor region so that contact, friction and the floor all act.
        var prim = Tiny.Sphere(new V3(0.5, 0.3, 0.5), 0.25);
        var s = Tiny.PressScene(floorFriction: floorFriction, softness: softness, grid: 12, particles: 20, primitive: prim);
        var e = TinyEngine(s);
        int nodes = e.NodeCount;
        int pp = s.PoseSize;
        var input = new double[4 * nodes + 2 * pp];
        var rng = new Random(5);
        for (int i = 0; i < nodes; i++)
        {
            double m = 1e-4 * (0.5 + rng.NextDouble());
            input[3 * nodes + i] = m;
            for (int d = 0; d < 3; d++) input[3 * i + d] = m * 2 * (2 * rng.NextDouble() - 1);
        }
        new V3(0.5, 0.3, 0.5).Store(input, 4 * nodes);
        new V3(0.501, 0.299, 0.5005).Store(input, 4 * nodes + pp);
        Quat.Identity.Store(input, 4 * nodes + 3); Quat.Identity.Store(input, 4 * nodes + pp + 3);
        var scale = new double[input.Length];
        for (int i = 0; i < 3 * nodes; i++) scale[i] = 1e-4;
        for (int i = 3 * nodes; i < 4 * nodes; i++) scale[i] = 1e-5;
        for (int i = 4 * nodes; i < input.Length; i++) scale[i] = 1e-3;
        Check("grid update", input, 3 * nodes, e.GridForward, e.GridBackward, seed: 4, inputScale: scale, tolerance: 1e-6);
    }

    static double[] RestFrameWithMotion(Scene s, int seed)
    {
        var f = new double[s.FrameSize];
        s.InitialFrame(f);
        var v = Tiny.Random(3 * s.Particles, seed, 0.5);
        v.CopyTo(f, s.VOffset);
        var c = Tiny.Random(9 * s.Particles, seed + 1, 5);
        c.CopyTo(f, s.COffset);
        return f;
    }

    [TestCase(1.5, TestName = "SubstepAdjoint(Coulomb floor)")]
    [TestCase(100.0, TestName = "SubstepAdjoint(sticky floor)")]
    public void SubstepAdjoint(double floorFriction)
    {
        // The sphere overlaps the block's top, so the primitive pushes particles during the substep.
        var prim = Tiny.Sphere(new V3(0.5, 0.3, 0.5), 0.1);
        var s = Tiny.PressScene(floorFriction: floorFriction, softness: 666, grid: 12, particles: 30, primitive: prim);
        var e = TinyEngine(s);
        int fs = s.FrameSize;
        var input = RestFrameWithMotion(s, 21).Concat(new double[] { 0.0003, -0.001, 0.0002 }).ToArray();
        var scale = new double[input.Length];
        for (int i = 0; i < input.Length; i++) scale[i] = i < 3 * s.Particles ? 1e-3 : i >= fs ? 1e-4 : 1e-2;
        var outFrame = new double[fs];
        Check("substep", input, fs,
            (x, y) =>
            {
                var frame = x[..fs].ToArray(); var vel = x[fs..].ToArray();
                e.Substep(frame, outFrame, vel);
                outFrame.CopyTo(y);
            },
            (x, w, g) =>
            {
                var frame = x[..fs].ToArray(); var vel = x[fs..].ToArray();
                var inBar = new double[fs]; var velBar = new double[3]; var next = new double[fs];
                e.Substep(frame, next, vel);
                e.SubstepBackward(frame, vel, next, w.ToArray(), inBar, velBar);
                inBar.CopyTo(g); velBar.CopyTo(g[fs..]);
            }, seed: 6, inputScale: scale, tolerance: 1e-6);
    }

    [Test]
    public void LossAdjoint()
    {
        var s = Tiny.PressScene(grid: 12, particles: 30);
        var e = TinyEngine(s);
        var f0 = new double[s.FrameSize];
        s.InitialFrame(f0);
        // Target: the block's own mass shifted by one cell in x, so density, SDF and contact terms are all nonzero.
        var m = e.FullGridMass(f0);
        int n = s.N;
        var t = new double[m.Length];
        for (int i = 0; i < m.Length; i++) if (i % n + 1 < n) t[i + 1] = m[i];
        var target = new Target(n, t);
        var w = new LossWeights(10, 10, 1);
        int fs = s.FrameSize;
        var scale = new double[fs];
        for (int i = 0; i < fs; i++) scale[i] = i < 3 * s.Particles || i >= s.PoseOffset ? 1e-3 : 0;
        Check("loss", f0, 1,
            (x, y) => y[0] = e.Loss(x.ToArray(), target, w),
            (x, wb, g) =>
            {
                var bar = new double[fs];
                e.LossBackward(x.ToArray(), target, w, wb[0], bar);
                bar.CopyTo(g);
            }, seed: 7, inputScale: scale, tolerance: 1e-6);
    }
}
