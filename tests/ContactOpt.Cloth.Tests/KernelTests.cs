using ContactOpt.Envs.Cloth;
using ContactOpt.Kernels;
using ContactOpt.Tasks;

namespace ContactOpt.Cloth.Tests;

/// <summary>Every cloth kernel's backward is the adjoint of its forward (dot-product test on tiny inputs).</summary>
public class KernelTests
{
    static double[] Random(int n, int seed, double scale = 1, double offset = 0)
    {
        var rng = Rng.Create(seed);
        return Enumerable.Range(0, n).Select(_ => offset + scale * (2 * rng.NextDouble() - 1)).ToArray();
    }

    [Test]
    public void SpringForcesAdjoint()
    {
        var mesh = new ClothMesh(4, 3, 2, 1);
        int n = mesh.Vertices, S = mesh.Springs;
        var x0 = TinyCloth.Sheet(4, 1).InitialPositions;  // 4×4 positions; use the first rows
        var input = new double[6 * n + 2 * S];
        var jitter = Random(6 * n, 1, 0.004);
        for (int d = 0; d < 3; d++) for (int i = 0; i < n; i++) input[d * n + i] = 0.03 * (d == 0 ? i % 4 : d == 1 ? i / 4 : 0.3 * (i % 3)) + jitter[d * n + i];
        for (int q = 3 * n; q < 6 * n; q++) input[q] = jitter[q] * 100;
        var k = Random(S, 2, 0.2, 0.5); var r = Random(S, 3, 0.005, 0.03);
        k.CopyTo(input, 6 * n); r.CopyTo(input, 6 * n + S);
        const double beta = 3e-3;
        var fs = new double[3 * S]; var dB = new double[3 * S]; var wB = new double[3 * S];
        AdjointCheck.Require("springs", input, 3 * n,
            (inp, outp) =>
            {
                SpringKernel.SpringForces(mesh, inp[..(3 * n)], inp.Slice(3 * n, 3 * n), inp.Slice(6 * n, S), inp.Slice(6 * n + S, S), beta, fs, 0, S);
                SpringKernel.Gather(mesh, fs, outp, 0, n);
            },
            (inp, w, g) =>
            {
                g.Clear();
                SpringKernel.SpringBackward(mesh, inp[..(3 * n)], inp.Slice(3 * n, 3 * n), inp.Slice(6 * n, S), inp.Slice(6 * n + S, S), beta, w, dB, wB,
                    g.Slice(6 * n, S), g.Slice(6 * n + S, S), 0, S);
                SpringKernel.GatherBackward(mesh, dB, wB, g[..(3 * n)], g.Slice(3 * n, 3 * n), 0, n);
            }, seed: 4, trials: 5);
        _ = x0;
    }

    /// <summary>
    /// The vector spring passes (4 springs per 256-bit vector) give the scalar passes' results bit for bit, on every
    /// output and for ranges that start and end off a multiple of 4 (the scalar tail).
    /// </summary>
    [TestCase(0, 0)]
    [TestCase(3, 1)]
    public void VectorSpringPassesEqualTheScalarPassesBitForBit(int from, int cut)
    {
        var mesh = new ClothMesh(7, 6, 3, 2);
        int n = mesh.Vertices, S = mesh.Springs, s1 = S - cut;
        var x = Random(3 * n, 11, 0.01); var v = Random(3 * n, 12, 0.5); var fb = Random(3 * n, 13);
        for (int i = 0; i < n; i++) { x[i] += 0.03 * (i % 7); x[n + i] += 0.03 * (i / 7); }
        var k = Random(S, 14, 0.2, 0.5); var rest = Random(S, 15, 0.005, 0.03);
        const double beta = 3e-3;
        double[] F1 = new double[3 * S], F2 = new double[3 * S], d1 = new double[3 * S], d2 = new double[3 * S], w1 = new double[3 * S], w2 = new double[3 * S];
        double[] k1 = new double[S], k2 = new double[S], r1 = new double[S], r2 = new double[S];
        SpringKernel.SpringForces(mesh, x, v, k, rest, beta, F1, from, s1);
        SpringKernel.SpringForcesScalar(mesh, x, v, k, rest, beta, F2, from, s1);
        SpringKernel.SpringBackward(mesh, x, v, k, rest, beta, fb, d1, w1, k1, r1, from, s1);
        SpringKernel.SpringBackwardScalar(mesh, x, v, k, rest, beta, fb, d2, w2, k2, r2, from, s1);
        static long[] Bits(double[] a) => a.Select(BitConverter.DoubleToInt64Bits).ToArray();
        Assert.That(Bits(F1), Is.EqualTo(Bits(F2)), "forces");
        Assert.That(Bits(d1), Is.EqualTo(Bits(d2)), "d̄");
        Assert.That(Bits(w1), Is.EqualTo(Bits(w2)), "w̄");
        Assert.That(Bits(k1), Is.EqualTo(Bits(k2)), "k̄");
        Assert.That(Bits(r1), Is.EqualTo(Bits(r2)), "L̄");
        Assert.That(F1.Skip(from).Take(s1 - from).Any(f => f != 0), Is.True);
        Assert.That(F1[S - 1], cut > 0 ? Is.EqualTo(0.0) : Is.Not.EqualTo(0.0), "the pass must stop at s1");
        Assert.That(S % 4, Is.Not.EqualTo(0), "the mesh must leave a scalar tail");
    }

    static readonly PanCollider Pan = new(0.2, 0.03, 0.04);

    [Test]
    public void PanGeometryAdjoint()
    {
        // A point over the rim (ρ ≈ 0.15 m) slightly below the surface, a tilted moving pan.
        double[] input = [0.13, 0.07, 0.19, 0.1, 0.2, 0.3, -0.4, 0.5, 1.7];   // x (3), pose (6)
        AdjointCheck.Require("pan geometry", input, 7,
            (inp, o) =>
            {
                var g = Pan.Eval(new Vec3(inp[0], inp[1], inp[2]), inp[3..]);
                Assert.That(g.Active, Is.True);
                o[0] = g.Phi; o[1] = g.Normal.X; o[2] = g.Normal.Y; o[3] = g.Normal.Z; o[4] = g.Velocity.X; o[5] = g.Velocity.Y; o[6] = g.Velocity.Z;
            },
            (inp, w, g) =>
            {
                g.Clear();
                var xb = Pan.Backward(new Vec3(inp[0], inp[1], inp[2]), inp[3..], w[0], new Vec3(w[1], w[2], w[3]), new Vec3(w[4], w[5], w[6]), g[3..]);
                g[0] = xb.X; g[1] = xb.Y; g[2] = xb.Z;
            }, trials: 5);
    }

    [TestCase(0.2, 0.0, 0.0, TestName = "NaiveProjectionAdjointSlip")]
    [TestCase(3.0, 0.0, 0.0, TestName = "NaiveProjectionAdjointStick")]
    [TestCase(0.2, 1e-3, 0.0, TestName = "ProjectionAdjointLowFriction")]
    [TestCase(3.0, 1e-3, 0.0, TestName = "ProjectionAdjointHighFriction")]
    [TestCase(0.5, 1e-3, 0.3, TestName = "SmoothedProjectionAdjoint")]
    public void ProjectionAdjoint(double mu, double dt, double eps)
    {
        // x (3), v (3), μ, pose (6): a vertex over the pan's rim moving into it.
        double[] input = [0.13, 0.07, 0.19, 0.4, -0.3, -0.9, mu, 0.1, 0.2, 0.3, -0.4, 0.5, 1.7];
        AdjointCheck.Require("pan projection", input, 3,
            (inp, o) =>
            {
                var g = Pan.Eval(new Vec3(inp[0], inp[1], inp[2]), inp[7..]);
                Assert.That(g.Active, Is.True);
                var v = ContactKernel.Project(g, new Vec3(inp[3], inp[4], inp[5]), inp[6], dt, eps);
                o[0] = v.X; o[1] = v.Y; o[2] = v.Z;
            },
            (inp, w, gr) =>
            {
                gr.Clear();
                var x = new Vec3(inp[0], inp[1], inp[2]);
                var g = Pan.Eval(x, inp[7..]);
                double muBar = 0;
                var vb = ContactKernel.ProjectBackward(g, new Vec3(inp[3], inp[4], inp[5]), inp[6], dt, eps, new Vec3(w[0], w[1], w[2]), out double phiB, out var nB, out var velB, ref muBar);
                var xb = Pan.Backward(x, inp[7..], phiB, nB, velB, gr[7..]);
                gr[0] = xb.X; gr[1] = xb.Y; gr[2] = xb.Z; gr[3] = vb.X; gr[4] = vb.Y; gr[5] = vb.Z; gr[6] = muBar;
            }, trials: 5);
    }

    [TestCase(-0.001, 0.0, 0.0)]
    [TestCase(0.0004, 1e-3, 0.0)]
    [TestCase(-0.0004, 1e-3, 0.0)]
    [TestCase(0.0009, 1e-3, 0.05)]
    [TestCase(-0.0004, 1e-3, 0.05)]
    public void FloorProjectionAdjoint(double z, double dt, double eps)
    {
        double[] input = [z, 0.4, -0.3, -0.9, 0.3];   // z, v (3), μ
        AdjointCheck.Require("floor projection", input, 3,
            (inp, o) =>
            {
                var g = FloorCollider.Eval(new Vec3(0, 0, inp[0]), 0.01);
                var v = ContactKernel.Project(g, new Vec3(inp[1], inp[2], inp[3]), inp[4], dt, eps);
                o[0] = v.X; o[1] = v.Y; o[2] = v.Z;
            },
            (inp, w, gr) =>
            {
                var g = FloorCollider.Eval(new Vec3(0, 0, inp[0]), 0.01);
                double muBar = 0;
                var vb = ContactKernel.ProjectBackward(g, new Vec3(inp[1], inp[2], inp[3]), inp[4], dt, eps, new Vec3(w[0], w[1], w[2]), out double phiB, out _, out _, ref muBar);
                gr[0] = FloorCollider.Backward(phiB).Z; gr[1] = vb.X; gr[2] = vb.Y; gr[3] = vb.Z; gr[4] = muBar;
            }, trials: 5, step: 1e-8);
    }

    [Test]
    public void PenaltyAdjoint()
    {
        double[] input = [0.13, 0.07, 0.19, 0.4, -0.3, -0.9, 0.4, 0.1, 0.2, 0.3, -0.4, 0.5, 1.7];
        const double kc = 50, kd = 0.3, eps = 1e-2;
        AdjointCheck.Require("pan penalty", input, 3,
            (inp, o) =>
            {
                var g = Pan.Eval(new Vec3(inp[0], inp[1], inp[2]), inp[7..]);
                var f = ContactKernel.PenaltyForce(g, new Vec3(inp[3], inp[4], inp[5]), inp[6], kc, kd, eps);
                o[0] = f.X; o[1] = f.Y; o[2] = f.Z;
            },
            (inp, w, gr) =>
            {
                gr.Clear();
                var x = new Vec3(inp[0], inp[1], inp[2]);
                var g = Pan.Eval(x, inp[7..]);
                double muBar = 0;
                var vb = ContactKernel.PenaltyBackward(g, new Vec3(inp[3], inp[4], inp[5]), inp[6], kc, kd, eps, new Vec3(w[0], w[1], w[2]),
                    out double phiB, out var nB, out var velB, ref muBar);
                var xb = Pan.Backward(x, inp[7..], phiB, nB, velB, gr[7..]);
                gr[0] = xb.X; gr[1] = xb.Y; gr[2] = xb.Z; gr[3] = vb.X; gr[4] = vb.Y; gr[5] = vb.Z; gr[6] = muBar;
            }, trials: 5);
    }

    /// <summary>The whole segment (springs, integration, contact, drive, rescale at t = 0) as one kernel: (state, action, parameters) → (next, cost).</summary>
    static void SegmentCheck(string name, TinyCloth d, int t, double step = 1e-7, double tol = 1e-6)
    {
        int ns = d.StateSize, na = d.ActionSize, np = d.ParameterNames.Count;
        var s0 = new double[ns]; d.InitialState(s0, Rng.Create(0));
        // Move the state a little from the initial sheet (velocities), so segment t > 0 sees a generic state.
        var jitter = Random(3 * d.N, 7, 0.05);
        for (int i = 0; i < 3 * d.N; i++) s0[3 * d.N + i] += jitter[i];
        var a = new double[na]; d.InitialGuess(t, a);
        var p = d.DefaultParameters();
        double[] input = [.. s0, .. a, .. p];
        using var ws = d.CreateWorkspace();
        var next = new double[ns];
        var scale = input.Select(v => Math.Max(1e-3, Math.Abs(v))).ToArray();
        AdjointCheck.Require(name, input, ns + 1,
            (inp, o) => { o[ns] = ws.Forward(t, inp[..ns], inp.Slice(ns, na), inp[(ns + na)..], o[..ns]); },
            (inp, w, g) =>
            {
                ws.Forward(t, inp[..ns], inp.Slice(ns, na), inp[(ns + na)..], next);
                ws.Backward(t, inp[..ns], inp.Slice(ns, na), inp[(ns + na)..], next, w[..ns], w[ns], g[..ns], g.Slice(ns, na), g[(ns + na)..]);
            }, trials: 3, step: step, tolerance: tol, inputScale: scale);
    }

    [Test]
    public void SegmentAdjointFreeFall() => SegmentCheck("segment (free, t = 1)", new TinyCloth(TinyCloth.Sheet(z: 0.3)), 1);

    [Test]
    public void SegmentAdjointRescaleAndInitialVelocity() => SegmentCheck("segment (t = 0 rescale)", new TinyCloth(TinyCloth.Sheet(z: 0.3)), 0);

    [Test]
    public void SegmentAdjointFloorProjection() => SegmentCheck("segment (floor projection)", new TinyCloth(TinyCloth.Sheet(z: 0.001, substeps: 30)), 0);

    [Test]
    public void SegmentAdjointFloorSmoothed() => SegmentCheck("segment (floor smoothed projection)", new TinyCloth(TinyCloth.Sheet(z: 0.001, substeps: 30, smoothing: 0.01)), 0);

    [Test]
    public void SegmentAdjointPanSmoothed() =>
        SegmentCheck("segment (pan smoothed projection)", new TinyCloth(TinyCloth.Sheet(z: 0.002, tilt: 0.02, pan: new PanCollider(0.2, 0.03, 0.04), substeps: 30, smoothing: 0.01)), 1);

    [Test]
    public void SegmentAdjointFloorNaive() => SegmentCheck("segment (floor naive projection)", new TinyCloth(TinyCloth.Sheet(z: 0.001, substeps: 30, contact: ClothContact.Naive)), 0);

    [Test]
    public void SegmentAdjointPanNaive() =>
        SegmentCheck("segment (pan naive projection)", new TinyCloth(TinyCloth.Sheet(z: 0.002, tilt: 0.02, pan: new PanCollider(0.2, 0.03, 0.04), substeps: 30, contact: ClothContact.Naive)), 1);

    [Test]
    public void SegmentAdjointFloorPenalty() => SegmentCheck("segment (floor penalty)", new TinyCloth(TinyCloth.Sheet(z: 0.001, substeps: 30, contact: ClothContact.Penalty)), 0);

    [Test]
    public void SegmentAdjointDrivenWithKnots() => SegmentCheck("segment (driven, knots)", new TinyCloth(TinyCloth.Sheet(z: 0.2, driven: [0, 3], knots: 3, substeps: 30)), 1);

    [Test]
    public void SegmentAdjointPanProjection() =>
        SegmentCheck("segment (pan projection)", new TinyCloth(TinyCloth.Sheet(z: 0.002, tilt: 0.02, pan: new PanCollider(0.2, 0.03, 0.04), substeps: 30)), 1);

    [Test]
    public void SegmentAdjointPanPenalty() =>
        SegmentCheck("segment (pan penalty)", new TinyCloth(TinyCloth.Sheet(z: 0.002, tilt: 0.02, pan: new PanCollider(0.2, 0.03, 0.04), substeps: 30, contact: ClothContact.Penalty)), 1);
}
