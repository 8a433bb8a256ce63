using ContactOpt.Envs.Mpm;
using ContactOpt.Kernels;

namespace ContactOpt.Mpm.Tests;

/// <summary>Adjoint checks of the fluid task's kernels: liquid constitutive step, rigid projection, ladle SDF, and whole mixed-material substeps.</summary>
public class FluidKernelTests
{
    static void Check(string kernel, ReadOnlySpan<double> input, int outputSize, AdjointCheck.Forward forward, AdjointCheck.Backward backward,
        int seed, double step = 1e-6, double tolerance = 1e-6, ReadOnlySpan<double> inputScale = default)
    {
        var r = AdjointCheck.Require(kernel, input, outputSize, forward, backward, null, seed, 4, step, tolerance, inputScale);
        TestContext.Out.WriteLine(r.ToString());
        foreach (var t in r.Trials) Assert.That(Math.Abs(t.ForwardProduct), Is.GreaterThan(0), "vacuous check");
    }

    static readonly LiquidMaterial Syrup = new(16.8, 0.04);

    [TestCase(1.0, TestName = "LiquidKernelAdjoint(J = 1)")]
    [TestCase(0.8, TestName = "LiquidKernelAdjoint(compressed)")]
    public void LiquidKernelAdjoint(double j)
    {
        const double dt = 2e-3, scale = -dt * 3e-5 * 4 * 32 * 32, mass = 3e-5;
        var input = new double[10];
        input[0] = j;
        Tiny.Random(9, 31, 3).CopyTo(input, 1);
        Check("liquid", input, 10,
            (x, y) =>
            {
                LiquidKernel.Forward(dt, Syrup, scale, mass, x[0], M3.Load(x, 1), out double jn, out var a);
                y[0] = jn; a.Store(y, 1);
            },
            (x, w, g) =>
            {
                double jb = 0; var cb = new M3();
                LiquidKernel.Backward(dt, Syrup, scale, mass, x[0], M3.Load(x, 1), w[0], M3.Load(w, 1), ref jb, ref cb);
                g[0] = jb; cb.Store(g, 1);
            }, seed: 32);
    }

    [Test]
    public void LiquidPressurePushesOutwardWhenCompressed()
    {
        // τ = K J(J − 1) I < 0 for J < 1; A = s τ with s < 0, so A is a positive multiple of I: momentum pushed away from the particle.
        LiquidKernel.Forward(1e-3, Syrup, -1.0, 1.0, 0.9, new M3(), out double jn, out var a);
        Assert.That(jn, Is.EqualTo(0.9));
        Assert.That(a.A00, Is.GreaterThan(0)); Assert.That(a.A00, Is.EqualTo(a.A11)); Assert.That(a.A01, Is.EqualTo(0));
    }

    static double[] Cluster(int n, int seed)
    {
        var x = Tiny.Random(3 * n, seed, 0.05);
        for (int i = 0; i < x.Length; i++) x[i] += 0.5;
        return x;
    }

    [Test]
    public void RigidProjectionAdjoint()
    {
        const int n = 9;
        var input = Cluster(n, 41).Concat(Tiny.Random(3 * n, 42, 0.3)).Concat(Tiny.Random(n, 46, 2)).ToArray();
        var scale = Enumerable.Repeat(1e-3, 3 * n).Concat(Enumerable.Repeat(1.0, 4 * n)).ToArray();
        Check("rigid projection", input, 15 * n,
            (x, y) => RigidProjection.Forward(x[..(3 * n)], x.Slice(3 * n, 3 * n), x[(6 * n)..], n, 2e-3, 0.9, y[..(3 * n)], y.Slice(3 * n, 3 * n), y[(6 * n)..]),
            (x, w, g) => RigidProjection.Backward(x[..(3 * n)], x.Slice(3 * n, 3 * n), n, 2e-3, 0.9, w[..(3 * n)], w.Slice(3 * n, 3 * n), w[(6 * n)..],
                g[..(3 * n)], g.Slice(3 * n, 3 * n), g[(6 * n)..]), seed: 43, inputScale: scale);
    }

    [Test]
    public void RigidProjectionKeepsMomentaAndIsRigid()
    {
        const int n = 12;
        var x = Cluster(n, 44); var v = Tiny.Random(3 * n, 45, 0.3);
        var x1 = new double[3 * n]; var v1 = new double[3 * n]; var c1 = new double[9 * n];
        RigidProjection.Forward(x, v, new double[n], n, 1e-3, 0.95, x1, v1, c1);
        V3 Sum(double[] a) { var s = new V3(); for (int p = 0; p < n; p++) s += V3.Load(a, 3 * p); return s; }
        V3 Ang(double[] a)
        {
            var c = (1.0 / n) * Sum(x); var l = new V3();
            for (int p = 0; p < n; p++) l += (V3.Load(x, 3 * p) - c).Cross(V3.Load(a, 3 * p));
            return l;
        }
        var (p0, p1, l0, l1) = (Sum(v), Sum(v1), Ang(v), Ang(v1));
        for (int d = 0; d < 3; d++)
        {
            Assert.That(p1[d], Is.EqualTo(p0[d]).Within(1e-12), "linear momentum");
            Assert.That(l1[d], Is.EqualTo(l0[d]).Within(1e-12), "angular momentum");
        }
        // Rigid: relative velocities are ω × (x_p − x_q), orthogonal to x_p − x_q.
        for (int p = 1; p < n; p++)
        {
            var dxp = V3.Load(x, 3 * p) - V3.Load(x, 0);
            var dv = V3.Load(v1, 3 * p) - V3.Load(v1, 0);
            Assert.That(dv.Dot(dxp), Is.EqualTo(0).Within(1e-12));
        }
        // A rigid motion is a fixed point of the projection.
        var v2 = new double[3 * n];
        RigidProjection.Forward(x, v1, new double[n], n, 1e-3, 0.95, new double[3 * n], v2, new double[9 * n]);
        for (int i = 0; i < 3 * n; i++) Assert.That(v2[i], Is.EqualTo(v1[i]).Within(1e-12));
    }

    [TestCase(0.3, -0.5, 0.2, TestName = "LadleSdfGradientAndHessian(below the rim, outside)")]
    [TestCase(0.05, -0.35, 0.1, TestName = "LadleSdfGradientAndHessian(below the rim, inside the bowl)")]
    [TestCase(0.4, 0.1, -0.2, TestName = "LadleSdfGradientAndHessian(above the rim)")]
    public void LadleSdfGradientAndHessian(double x, double y, double z)
    {
        const double r = 0.4, t = 0.05, h = 1e-6;
        var q = new V3(x, y, z);
        LadleShape.Bowl(q, r, t, out double d, out var g, out var hess);
        for (int k = 0; k < 3; k++)
        {
            var up = q; up[k] += h; var dn = q; dn[k] -= h;
            LadleShape.Bowl(up, r, t, out double du, out var gu, out _);
            LadleShape.Bowl(dn, r, t, out double dd, out var gd, out _);
            Assert.That(g[k], Is.EqualTo((du - dd) / (2 * h)).Within(1e-8), $"gradient {k}");
            for (int i = 0; i < 3; i++) Assert.That(hess[i, k], Is.EqualTo((gu[i] - gd[i]) / (2 * h)).Within(1e-6), $"Hessian {i},{k}");
        }
        Assert.That(Math.Sqrt(g.Norm2), Is.EqualTo(1).Within(1e-9), "an SDF has a unit gradient");
        // The shell: a point on the mid-surface below the rim is inside (d = −t); the bowl's centre is outside by r − t.
        LadleShape.Bowl(new V3(0, -r, 0), r, t, out double mid, out _, out _);
        LadleShape.Bowl(new V3(0, -1e-9, 0), r, t, out double centre, out _, out _);
        Assert.That(mid, Is.EqualTo(-t).Within(1e-9));
        Assert.That(centre, Is.EqualTo(r - t).Within(1e-6));
    }

    /// <summary>A 12³ mixed scene: liquid block, a rigid cube cluster inside it, a ladle bowl overlapping both (cube particles of mass cubeMassScale·m_p, density 0.5 when ≠ 1).</summary>
    internal static Scene MixedScene(int grid = 12, double bowlY = 0.42, double cubeMassScale = 1)
    {
        var liquid = Tiny.Block(40, new V3(0.3, 0.25, 0.3), new V3(0.7, 0.45, 0.7), 51);
        var cube = new List<double>();
        for (int k = 0; k < 2; k++) for (int j = 0; j < 2; j++) for (int i = 0; i < 3; i++) { cube.Add(0.45 + 0.05 * i); cube.Add(0.33 + 0.05 * j); cube.Add(0.47 + 0.06 * k); }
        var x = liquid.Concat(cube).ToArray();
        int nl = liquid.Length / 3, n = x.Length / 3;
        var kinds = Enumerable.Range(0, n).Select(p => p < nl ? ParticleKind.Liquid : ParticleKind.Rigid).ToArray();
        var bowl = new Primitive(ShapeKind.Ladle, 0.15, 0.05, new V3(0.5, bowlY, 0.45), 0.5, new V3(0, 1, 1), new V3(0, 0, 0), new V3(1, 1, 1));
        double dx = 1.0 / grid;
        return new Scene(grid, 2e-3, 2, new Material(5000, 0.2, 50), 0.5, 60, [bowl], x, dx * dx * dx, gravityScale: 10)
        {
            Materials = new ParticleMaterials(kinds, Syrup, [new RigidCluster(nl, n - nl, cubeMassScale == 1 ? 1 : 0.5, cubeMassScale)]),
        };
    }

    [TestCase(1, 1.0, TestName = "MixedSubstepAdjoint(1 thread)")]
    [TestCase(2, 1.0, TestName = "MixedSubstepAdjoint(2 threads)")]
    [TestCase(1, 0.4, TestName = "MixedSubstepAdjoint(per-particle cube mass, 1 thread)")]
    [TestCase(2, 0.4, TestName = "MixedSubstepAdjoint(per-particle cube mass, 2 threads)")]
    public void MixedSubstepAdjoint(int threads, double cubeMassScale)
    {
        var s = MixedScene(cubeMassScale: cubeMassScale);
        var e = new Engine(s, threads);
        int fs = s.FrameSize, np = s.Particles;
        var f = new double[fs];
        s.InitialFrame(f);
        Tiny.Random(3 * np, 52, 0.3).CopyTo(f, s.VOffset);
        Tiny.Random(9 * np, 53, 2).CopyTo(f, s.COffset);
        for (int p = 0; p < np; p++) f[s.FOffset + 9 * p] = 0.95 + 0.001 * p;   // liquid J (rigid F[0] too: kept as is)
        var input = f.Concat(new double[] { 0, 0.0004, 0.0007 }).ToArray();
        var scale = new double[input.Length];
        for (int i = 0; i < input.Length; i++) scale[i] = i < 3 * np ? 1e-3 : i >= fs ? 1e-4 : 1e-2;
        var outFrame = new double[fs];
        Check("mixed substep (liquid, rigid cluster, ladle)", input, fs,
            (x, y) => { e.Substep(x[..fs].ToArray(), outFrame, x[fs..].ToArray()); outFrame.CopyTo(y); },
            (x, w, g) =>
            {
                var frame = x[..fs].ToArray(); var vel = x[fs..].ToArray();
                var inBar = new double[fs]; var velBar = new double[3]; var next = new double[fs];
                e.Substep(frame, next, vel);
                e.SubstepBackward(frame, vel, next, w.ToArray(), inBar, velBar);
                inBar.CopyTo(g); velBar.CopyTo(g[fs..]);
            }, seed: 54, inputScale: scale);
    }

    [Test]
    public void LadleGridContactAdjoint()
    {
        var s = MixedScene();
        var e = new Engine(s, 1);
        int nodes = e.NodeCount, pp = s.PoseSize;   // poses: positions (3 per primitive), then quaternions (4 per primitive)
        var input = new double[4 * nodes + 2 * pp];
        var rng = new Random(55);
        for (int i = 0; i < nodes; i++)
        {
            double m = 1e-4 * (0.5 + rng.NextDouble());
            input[3 * nodes + i] = m;
            for (int d = 0; d < 3; d++) input[3 * i + d] = m * 2 * (2 * rng.NextDouble() - 1);
        }
        new V3(0.5, 0.42, 0.45).Store(input, 4 * nodes);
        new V3(0.5, 0.4205, 0.4508).Store(input, 4 * nodes + pp);
        for (int k = 0; k < s.Primitives.Length; k++)
        {
            Quat.Identity.Store(input, 4 * nodes + 3 * s.Primitives.Length + 4 * k);
            Quat.Identity.Store(input, 4 * nodes + pp + 3 * s.Primitives.Length + 4 * k);
        }
        var scale = new double[input.Length];
        for (int i = 0; i < 3 * nodes; i++) scale[i] = 1e-4;
        for (int i = 3 * nodes; i < 4 * nodes; i++) scale[i] = 1e-5;
        for (int i = 4 * nodes; i < input.Length; i++) scale[i] = 1e-3;
        Check("grid update with the ladle bowl", input, 3 * nodes, e.GridForward, e.GridBackward, seed: 56, inputScale: scale);
    }
}
