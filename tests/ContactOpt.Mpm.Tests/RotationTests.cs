using ContactOpt.Envs.Mpm;
using ContactOpt.Kernels;
using ContactOpt.Tasks;

namespace ContactOpt.Mpm.Tests;

/// <summary>
/// Rotating primitives: quaternion helpers, kinematics (generic world-frame rotation and PlasticineLab's rolling pin),
/// the rotating contact and the contact loss, each adjoint-checked; kinematic invariants; whole tiny episodes with a
/// rotating tool pressing plasticine against central differences.
/// </summary>
public class RotationTests
{
    static void Check(string kernel, ReadOnlySpan<double> input, int outputSize, AdjointCheck.Forward forward, AdjointCheck.Backward backward,
        int seed = 0, double step = 1e-6, double tolerance = 1e-6, ReadOnlySpan<double> inputScale = default)
    {
        var r = AdjointCheck.Require(kernel, input, outputSize, forward, backward, null, seed, 4, step, tolerance, inputScale);
        TestContext.Out.WriteLine(r.ToString());
        foreach (var t in r.Trials) Assert.That(Math.Abs(t.ForwardProduct), Is.GreaterThan(0), "vacuous check");
    }

    static Quat Q(ReadOnlySpan<double> x, int o) => Quat.Load(x, o);

    [Test]
    public void QuaternionProductAndNormalisationAdjoints()
    {
        double[] input = [0.9, 0.1, -0.3, 0.2, 0.4, -0.5, 0.6, 0.3];
        Check("quat mul", input, 4, (x, y) => Quat.Mul(Q(x, 0), Q(x, 4)).Store(y, 0),
            (x, w, g) =>
            {
                var a = new Quat(); var b = new Quat();
                Quat.MulBackward(Q(x, 0), Q(x, 4), Q(w, 0), ref a, ref b);
                a.Store(g, 0); b.Store(g, 4);
            });
        Check("quat normalise", input.AsSpan(0, 4), 4, (x, y) => Q(x, 0).Normalized().Store(y, 0),
            (x, w, g) => Quat.NormalizedBackward(Q(x, 0), Q(w, 0)).Store(g, 0));
        Check("quat matrix", input.AsSpan(0, 4), 9, (x, y) => Q(x, 0).Matrix().Store(y, 0),
            (x, w, g) => Quat.MatrixBackward(Q(x, 0), M3.Load(w, 0)).Store(g, 0));
        Check("quat about y", [0.7], 4, (x, y) => Quat.AboutY(x[0]).Store(y, 0), (x, w, g) => g[0] = Quat.AboutYBackward(x[0], Q(w, 0)));
    }

    [TestCase(0.0, 0.0, 0.0, TestName = "AxisAngleAdjoint(at 0, series)")]
    [TestCase(0.003, -0.002, 0.001, TestName = "AxisAngleAdjoint(small, series)")]
    [TestCase(0.3, -0.8, 0.5, TestName = "AxisAngleAdjoint(large)")]
    public void AxisAngleAdjoint(double a, double b, double c)
    {
        Check("axis-angle quaternion", [a, b, c], 4, (x, y) => Quat.AxisAngle(V3.Load(x, 0)).Store(y, 0),
            (x, w, g) => Quat.AxisAngleBackward(V3.Load(x, 0), Q(w, 0)).Store(g, 0), step: 1e-7);
    }

    [Test]
    public void AxisAngleIsSmoothAcrossTheSeriesThresholdAndAUnitRotation()
    {
        // Values on both sides of |w| = 1e-2 (the series threshold) agree with the closed form to rounding.
        foreach (double th in new[] { 0.0099999, 0.0100001, 0.5, 2.0 })
        {
            var w = new V3(th * 0.6, th * 0.8, 0);
            var q = Quat.AxisAngle(w);
            Assert.That(q.W, Is.EqualTo(Math.Cos(th / 2)).Within(1e-15));
            Assert.That(q.X, Is.EqualTo(0.6 * Math.Sin(th / 2)).Within(1e-15));
            Assert.That(q.Norm, Is.EqualTo(1).Within(1e-15));
        }
        // The matrix of AboutY(a) rotates x̂ to (cos a, 0, −sin a).
        var r = Quat.AboutY(0.4).Matrix();
        Assert.That(r.A00, Is.EqualTo(Math.Cos(0.4)).Within(1e-15));
        Assert.That(r.A20, Is.EqualTo(-Math.Sin(0.4)).Within(1e-15));
    }

    static Primitive Pin(V3 at, double scale = 1) => new(ShapeKind.Capsule, 0.3, 0.03, at, 0.9,
        new V3(0.6666666666666667 * scale, 0.06666666666666668 * scale, 0.001 * scale), new V3(0, 0, 0), new V3(1, 1, 1), 0.707, 0.707, 0, 0, Motion.RollingPin);

    static Primitive Rotor(V3 at) => new(ShapeKind.Capsule, 0.12, 0.04, at, 0.9, new V3(0.02, 0.02, 0.02), new V3(0, 0, 0), new V3(1, 1, 1),
        0.9, 0.2, 0.3, -0.1, Motion.Rotate, new V3(0.3, 0.3, 0.3));

    [TestCase(Motion.RollingPin, TestName = "KinematicsAdjoint(rolling pin)")]
    [TestCase(Motion.Rotate, TestName = "KinematicsAdjoint(world-frame rotation)")]
    public void KinematicsAdjoint(Motion motion)
    {
        var prim = motion == Motion.RollingPin ? Pin(new V3(0.5, 0.3, 0.5)) : Rotor(new V3(0.5, 0.3, 0.5));
        var s = Tiny.PressScene(grid: 12, particles: 20, primitive: prim);
        var e = new Engine(s, 1);
        var input = new double[s.PoseSize + s.VelocitySize];
        new V3(0.5, 0.3, 0.5).Store(input, 0);
        new Quat(0.8, 0.3, -0.4, 0.2).Normalized().Store(input, 3);
        double[] vel = motion == Motion.RollingPin ? [0.2, -0.05, 0.001] : [0.001, -0.002, 0.003];
        vel.CopyTo(input, s.PoseSize);
        if (motion == Motion.Rotate) new V3(0.05, -0.1, 0.07).Store(input, s.PoseSize + 3);
        Check($"kinematics ({motion})", input, s.PoseSize, e.KinematicsForward, e.KinematicsBackwardForTest, seed: 8);
    }

    [Test]
    public void RollingPinRollsWithoutSlipAndYawsAboutWorldY()
    {
        // Roll only: the pin turns about its own axis (still along z) and moves by 0.03 × the roll angle along −x.
        var s = Tiny.PressScene(grid: 16, particles: 20, primitive: Pin(new V3(0.5, 0.4, 0.5)));
        var e = new Engine(s, 1);
        var pose = new double[s.PoseSize + s.VelocitySize];
        new V3(0.5, 0.4, 0.5).Store(pose, 0);
        s.Primitives[0].InitialRotation.Store(pose, 3);
        var next = new double[s.PoseSize];
        double roll = 0.1;
        for (int k = 0; k < 10; k++)
        {
            pose[s.PoseSize] = roll;
            e.KinematicsForward(pose, next);
            next.CopyTo(pose, 0);
        }
        Assert.That(pose[0], Is.EqualTo(0.5 - 0.03 * 1.0).Within(1e-12));
        Assert.That(pose[1], Is.EqualTo(0.4).Within(1e-15));
        var axis = Quat.Load(pose, 3).Matrix().Col(1);
        Assert.That(axis.Z, Is.EqualTo(1).Within(1e-12), "the pin still lies along z");
        // The roll turned the pin's own x axis by 1 rad about z.
        var xAxis = Quat.Load(pose, 3).Matrix().Col(0);
        Assert.That(Math.Atan2(xAxis.Y, xAxis.X), Is.EqualTo(1.0).Within(1e-12));
        // Yaw only: the axis turns about world y by the yaw angle (sign: quat(−yaw·ŷ)), the position stays.
        pose[s.PoseSize] = 0; pose[s.PoseSize + 1] = 0.3;
        e.KinematicsForward(pose, next);
        var axis2 = Quat.Load(next, 3).Matrix().Col(1);
        Assert.That(Math.Atan2(axis2.X, axis2.Z), Is.EqualTo(-0.3).Within(1e-12));
        Assert.That(next[0], Is.EqualTo(pose[0]).Within(1e-15));
        // After the yaw, rolling moves the pin perpendicular to its new axis (rolling direction ŷ × R(−ŷ)).
        next.CopyTo(pose, 0);
        pose[s.PoseSize] = 0.5; pose[s.PoseSize + 1] = 0;
        e.KinematicsForward(pose, next);
        var moved = new V3(next[0] - pose[0], next[1] - pose[1], next[2] - pose[2]);
        Assert.That(Math.Sqrt(moved.Norm2), Is.EqualTo(0.03 * 0.5).Within(1e-12));
        Assert.That(moved.Dot(axis2), Is.EqualTo(0).Within(1e-12));
    }

    [TestCase(Motion.RollingPin, 20.0, TestName = "RotatingGridUpdateAdjoint(rolling pin, soft contact)")]
    [TestCase(Motion.Rotate, 20.0, TestName = "RotatingGridUpdateAdjoint(rotating capsule, soft contact)")]
    [TestCase(Motion.Rotate, 0.0, TestName = "RotatingGridUpdateAdjoint(rotating capsule, hard contact)")]
    public void RotatingGridUpdateAdjoint(Motion motion, double softness)
    {
        var at = new V3(0.5, 0.3, 0.5);
        var prim = motion == Motion.RollingPin ? Pin(at) : Rotor(at) with { A = 0.3, B = 0.12 };
        var s = Tiny.PressScene(floorFriction: 1.5, softness: softness, grid: 12, particles: 20, primitive: prim);
        var e = new Engine(s, 1);
        int nodes = e.NodeCount, pp = s.PoseSize;
        var input = new double[4 * nodes + 2 * pp];
        var rng = new Random(5);
        for (int i = 0; i < nodes; i++)
        {
            double m = 1e-4 * (0.5 + rng.NextDouble());
            input[3 * nodes + i] = m;
            for (int d = 0; d < 3; d++) input[3 * i + d] = m * 2 * (2 * rng.NextDouble() - 1);
        }
        at.Store(input, 4 * nodes);
        new Quat(0.8, 0.5, 0.1, -0.2).Normalized().Store(input, 4 * nodes + 3);
        new V3(0.501, 0.299, 0.5005).Store(input, 4 * nodes + pp);
        new Quat(0.79, 0.52, 0.12, -0.21).Normalized().Store(input, 4 * nodes + pp + 3);
        var scale = new double[input.Length];
        for (int i = 0; i < 3 * nodes; i++) scale[i] = 1e-4;
        for (int i = 3 * nodes; i < 4 * nodes; i++) scale[i] = 1e-5;
        for (int i = 4 * nodes; i < input.Length; i++) scale[i] = 1e-3;
        Check($"grid update ({motion}, softness {softness})", input, 3 * nodes, e.GridForward, e.GridBackward, seed: 4, inputScale: scale);
    }

    [Test]
    public void RotatingSubstepAdjoint()
    {
        var prim = Pin(new V3(0.5, 3.0 / 12 + 0.15 + 0.02, 0.5));
        var s = Tiny.PressScene(floorFriction: 1.5, softness: 666, grid: 12, particles: 30, primitive: prim);
        var e = new Engine(s, 1);
        int fs = s.FrameSize, vs = s.VelocitySize;
        var f = new double[fs];
        s.InitialFrame(f);
        Tiny.Random(3 * s.Particles, 21, 0.5).CopyTo(f, s.VOffset);
        var input = f.Concat(new double[] { 0.3, -0.05, -0.002, 0, 0, 0 }).ToArray();
        var scale = new double[input.Length];
        for (int i = 0; i < input.Length; i++) scale[i] = i < 3 * s.Particles ? 1e-3 : i >= fs ? 1e-3 : 1e-2;
        var outFrame = new double[fs];
        Check("substep (rolling pin)", input, fs,
            (x, y) => { e.Substep(x[..fs].ToArray(), outFrame, x[fs..].ToArray()); outFrame.CopyTo(y); },
            (x, w, g) =>
            {
                var frame = x[..fs].ToArray(); var vel = x[fs..].ToArray();
                var inBar = new double[fs]; var velBar = new double[vs]; var next = new double[fs];
                e.Substep(frame, next, vel);
                e.SubstepBackward(frame, vel, next, w.ToArray(), inBar, velBar);
                inBar.CopyTo(g); velBar.CopyTo(g[fs..]);
            }, seed: 6, inputScale: scale);
    }

    [Test]
    public void RotatingContactLossAdjoint()
    {
        // A tilted rotating capsule above the block: the contact term depends on its orientation.
        var s = Tiny.PressScene(grid: 12, particles: 30, primitive: Rotor(new V3(0.5, 0.55, 0.5)));
        var e = new Engine(s, 1);
        var f0 = new double[s.FrameSize];
        s.InitialFrame(f0);
        var target = new Target(s.N, e.FullGridMass(f0));
        var w = new LossWeights(0, 0, 1);
        int fs = s.FrameSize;
        var scale = new double[fs];
        for (int i = 0; i < fs; i++) scale[i] = i < 3 * s.Particles || i >= s.PoseOffset ? 1e-3 : 0;
        Check("contact loss (rotating capsule)", f0, 1,
            (x, y) => y[0] = e.Loss(x.ToArray(), target, w),
            (x, wb, g) => { var bar = new double[fs]; e.LossBackward(x.ToArray(), target, w, wb[0], bar); bar.CopyTo(g); }, seed: 7, inputScale: scale);
    }

    static MpmDynamics PressTask(Primitive prim, int segments = 2, int envSteps = 4, int particles = 60)
    {
        var s = Tiny.PressScene(floorFriction: 1.5, particles: particles, primitive: prim);
        var e = new Engine(s, 1);
        var f0 = new double[s.FrameSize];
        s.InitialFrame(f0);
        var m = e.FullGridMass(f0);
        int n = s.N;
        var t = new double[m.Length];
        for (int i = 0; i < m.Length; i++)
        {
            int x = i % n, y = i / n % n;
            if (x + 1 < n && y >= 1) t[i + 1 - n] += m[i];
        }
        return new MpmDynamics(s, new Target(n, t), new LossWeights(10, 10, 1), segments, envSteps);
    }

    // The block's top is at y = 3/16 + 0.15 ≈ 0.3375; the pin (r = 0.03) and the rotor (r = 0.04) start just above it.
    static Primitive TestPin() => Pin(new V3(0.5, 0.3375 + 0.035, 0.5), scale: 10) with { ActionScale = new V3(3, 0.3, 0.03) };
    static Primitive TestRotor() => Rotor(new V3(0.5, 0.3375 + 0.05, 0.5));

    [TestCase(true, TestName = "RotatingEpisodeGradientMatchesCentralDifferences(rolling pin pressing)")]
    [TestCase(false, TestName = "RotatingEpisodeGradientMatchesCentralDifferences(rotating capsule pressing)")]
    public void RotatingEpisodeGradientMatchesCentralDifferences(bool pin)
    {
        double[] x = pin ? [0.4, 0.3, -0.9, -0.5, -0.2, -0.6] : [0.1, -0.9, 0.2, 0.5, -0.4, 0.6, 0.3, -0.8, -0.1, -0.3, 0.7, 0.2];
        var g = EpisodeChecks.GradientMatchesCentralDifferences(PressTask(pin ? TestPin() : TestRotor()), x);
        // The rotation channels matter: roll/yaw (pin) or the angular commands (rotor) have nonzero gradients.
        int[] rot = pin ? [0, 1, 3, 4] : [3, 4, 5, 9, 10, 11];
        Assert.That(rot.Select(i => Math.Abs(g[i])).Max(), Is.GreaterThan(1e-4), "rotation channels should not be flat");
    }

    [Test]
    public void InitialOrientationGradientMatchesCentralDifferences()
    {
        var dyn = PressTask(TestRotor());
        using var tape = new SegmentTape(dyn);
        var s0 = new double[dyn.StateSize];
        dyn.InitialState(s0, new Random(0));
        double[] x = [0.1, -0.9, 0.2, 0.5, -0.4, 0.6, 0.3, -0.8, -0.1, -0.3, 0.7, 0.2];
        double Loss(double[] s) => Episode.Rollout(tape, s, x, []);
        tape.Reset(s0, [], record: true);
        for (int t = 0; t < dyn.Horizon; t++) tape.Advance(x.AsSpan(6 * t, 6));
        var ga = new double[x.Length]; var gs = new double[dyn.StateSize];
        tape.Backward(ga, [], gs);
        int ro = dyn.Scene.RotOffset;
        double largest = 0;
        foreach (int i in new[] { ro, ro + 1, ro + 2, ro + 3, dyn.Scene.PoseOffset })
        {
            double h = 1e-7;
            var up = (double[])s0.Clone(); up[i] += h; var dn = (double[])s0.Clone(); dn[i] -= h;
            double fd = (Loss(up) - Loss(dn)) / (2 * h);
            Assert.That(gs[i], Is.EqualTo(fd).Within(1e-5 * Math.Max(1, Math.Abs(fd))), $"state coordinate {i}");
            if (i != dyn.Scene.PoseOffset) largest = Math.Max(largest, Math.Abs(fd));
        }
        Assert.That(largest, Is.GreaterThan(1e-4), "the initial orientation should matter");
    }

    [Test]
    public void RotatingEpisodeIsBitIdenticalForOneAndTwoThreads()
    {
        var dyn = PressTask(TestPin(), particles: 200);
        EpisodeChecks.BitIdentical(dyn, 1, dyn, 2, [0.4, 0.3, -0.9, -0.5, -0.2, -0.6]);
    }

    [Test]
    public void AFixedCylinderCannotMove()
    {
        var cyl = new Primitive(ShapeKind.Cylinder, 0.1, 0.2, new V3(0.5, 0.5, 0.5), 0.9, new V3(0.01, 0.01, 0.01), new V3(0, 0, 0), new V3(1, 1, 1));
        Assert.That(() => Tiny.PressScene(primitive: cyl), Throws.ArgumentException.With.Message.Contains("Cylinder"));
    }
}
