using ContactOpt.Envs;
using ContactOpt.Envs.Cloth;
using ContactOpt.Tasks;

namespace ContactOpt.Cloth.Tests;

/// <summary>Physical invariants, whole-episode gradients, determinism and option checks of the cloth engine.</summary>
public class PhysicsTests
{
    /// <summary>Kinetic + spring + gravitational energy of a TinyCloth state (its default parameters).</summary>
    static double Energy(TinyCloth d, ReadOnlySpan<double> s, double[] p)
    {
        var m = d.Mesh; int n = d.N;
        double mass = p[2] / n, e = 0;
        for (int i = 0; i < n; i++)
        {
            var v = Vec3.Get(s[(3 * n)..], n, i);
            e += 0.5 * mass * Vec3.Dot(v, v) + mass * d.Setup.Gravity * s[2 * n + i];
        }
        for (int k = 0; k < m.Springs; k++)
        {
            double a = m.Du[k] * p[0] / (m.Nu - 1), b = m.Dv[k] * p[1] / (m.Nv - 1), L = Math.Sqrt(a * a + b * b);
            double ks = p[4 + m.Patch[k]] * d.Setup.KindScale[(int)m.Kind[k]];
            double l = (Vec3.Get(s, n, m.B[k]) - Vec3.Get(s, n, m.A[k])).Norm;
            e += 0.5 * ks / L * (l - L) * (l - L);
        }
        return e;
    }

    static List<double[]> Run(TinyCloth d, double[] p, double[]? actions = null)
    {
        using var tape = new SegmentTape(d);
        var s0 = new double[d.StateSize]; d.InitialState(s0, Rng.Create(0));
        tape.Reset(s0, p, record: false);
        var list = new List<double[]>();
        var a = new double[d.ActionSize];
        for (int t = 0; t < d.Horizon; t++)
        {
            if (actions is null) a.AsSpan().Clear(); else actions.AsSpan(t * d.ActionSize, d.ActionSize).CopyTo(a);
            tape.Advance(a);
            list.Add(tape.State.ToArray());
        }
        return list;
    }

    [Test]
    public void UndampedFreeClothConservesEnergy()
    {
        var d = new TinyCloth(TinyCloth.Sheet(z: 0.5, tilt: 0.3, substeps: 400, segments: 20, drag: 0, beta: 0, gravity: 0, dt: 2.5e-4));
        var p = d.DefaultParameters();
        var states = Run(d, p);
        var e = states.Select(s => Energy(d, s, p)).ToArray();
        double e0 = e[0], spread = e.Max() - e.Min();
        TestContext.Out.WriteLine($"energy {e0:G6} J, spread over 2 s {spread:G3} J ({spread / e0:P3})");
        Assert.That(e0, Is.GreaterThan(1e-6), "the rescaled, jittered sheet must start with elastic energy");
        // Symplectic Euler: a bounded O(ω·dt) oscillation of the energy, no drift.
        Assert.That(spread / e0, Is.LessThan(0.01));
    }

    [Test]
    public void EnergyDecaysWithoutActuation()
    {
        var d = new TinyCloth(TinyCloth.Sheet(z: 0.05, substeps: 100, segments: 15, drag: 2, beta: 3e-4));
        var p = d.DefaultParameters();
        var e = Run(d, p).Select(s => Energy(d, s, p)).ToArray();
        for (int t = 1; t < e.Length; t++) Assert.That(e[t], Is.LessThanOrEqualTo(e[t - 1] + 1e-3 * Math.Abs(e[0])), $"segment {t}");
        Assert.That(e[^1], Is.LessThan(e[0] - 0.5 * (e[0] - 0)), "most of the energy is dissipated");
    }

    [Test]
    public void HangingClothComesToRestWithSpringsNearRestLength()
    {
        var setup = TinyCloth.Sheet(res: 5, z: 0.5, tilt: 0, substeps: 200, segments: 15, drag: 3, beta: 3e-4) with { };
        // Hang it: vertical sheet below two pinned top corners.
        var mesh = setup.Mesh; int n = mesh.Vertices;
        var x = new double[3 * n];
        for (int i = 0; i < n; i++) { x[i] = 0; x[n + i] = 0.1 * mesh.U(i); x[2 * n + i] = 0.5 - 0.1 * mesh.V(i); }
        var d = new TinyCloth(setup with { InitialPositions = x, AxisU = 1, AxisV = 2, Driven = [0, 4] });
        double[] p = [0.1, 0.1, 0.02, 0.4, 0.8, 0.8, 0.8, 0.8, 0, 0, 0];
        var last = Run(d, p, new double[d.Horizon * d.ActionSize])[^1];
        double vmax = 0;
        for (int q = 3 * n; q < 6 * n; q++) vmax = Math.Max(vmax, Math.Abs(last[q]));
        double strain = 0;
        for (int k = 0; k < mesh.Springs; k++)
        {
            if (mesh.Kind[k] != SpringKind.Structural) continue;
            double L = 0.1 / 4 * Math.Sqrt(mesh.Du[k] * mesh.Du[k] + mesh.Dv[k] * mesh.Dv[k]);
            strain = Math.Max(strain, Math.Abs((Vec3.Get(last, n, mesh.B[k]) - Vec3.Get(last, n, mesh.A[k])).Norm / L - 1));
        }
        TestContext.Out.WriteLine($"after 3 s: max |v| {vmax:G3} m/s, max structural strain {strain:P2}");
        Assert.That(vmax, Is.LessThan(5e-3));
        Assert.That(strain, Is.LessThan(0.1));
    }

    [TestCase(ClothContact.Projection)]
    [TestCase(ClothContact.Naive)]
    [TestCase(ClothContact.Penalty)]
    public void DroppedClothRestsOnTheFloor(ClothContact contact)
    {
        var d = new TinyCloth(TinyCloth.Sheet(z: 0.02, tilt: 0.1, substeps: 100, segments: 15, drag: 2, contact: contact, smoothing: 0.05));
        var last = Run(d, d.DefaultParameters())[^1];
        int n = d.N;
        double zmin = double.MaxValue, zmax = double.MinValue, vmax = 0;
        for (int i = 0; i < n; i++) { zmin = Math.Min(zmin, last[2 * n + i]); zmax = Math.Max(zmax, last[2 * n + i]); }
        for (int q = 3 * n; q < 6 * n; q++) vmax = Math.Max(vmax, Math.Abs(last[q]));
        TestContext.Out.WriteLine($"{contact}: z in [{zmin:G3}, {zmax:G3}] m, max |v| {vmax:G3} m/s");
        // The naive rule leaves a vertex at the depth it reached in the substep it entered (up to v·dt).
        Assert.That(zmin, Is.GreaterThan(contact == ClothContact.Projection ? -1e-5 : -2e-3));
        Assert.That(zmax, Is.LessThan(2e-3));
        Assert.That(vmax, Is.LessThan(1e-2));
    }

    [TestCase(ClothContact.Projection)]
    [TestCase(ClothContact.Penalty)]
    public void WholeEpisodeGradientWithFloorContactMatchesCentralDifferences(ClothContact contact)
    {
        var d = new TinyCloth(TinyCloth.Sheet(z: 0.004, substeps: 40, segments: 3, contact: contact, smoothing: 0.05));
        var s0 = new double[d.StateSize]; d.InitialState(s0, Rng.Create(0));
        var acts = new double[d.Horizon * d.ActionSize];
        for (int t = 0; t < d.Horizon; t++) d.InitialGuess(t, acts.AsSpan(t * d.ActionSize, d.ActionSize));
        var p = d.DefaultParameters();
        using var tape = new SegmentTape(d);
        double Loss(double[] s, double[] a, double[] q) => Episode.Rollout(tape, s, a, q);
        double l0 = Episode.Rollout(tape, s0, acts, p, record: true);
        var ga = new double[acts.Length]; var gp = new double[p.Length]; var gs = new double[s0.Length];
        tape.Backward(ga, gp, gs);
        // The episode must touch the floor (vertices reach z ≤ 0 at the end of segment 1).
        var last = Run(d, p, acts)[^1];
        Assert.That(Enumerable.Range(0, d.N).Min(i => last[2 * d.N + i]), Is.LessThan(1e-3), "no floor contact in this episode");
        // Penalty contact is stiff (k_c/m = 9e4 /s²): central differences are less accurate there.
        double tol = contact == ClothContact.Penalty ? 1e-4 : 1e-5;
        void Check(string what, double[] v, double[] g, int i)
        {
            double h = 1e-7 * Math.Max(1e-2, Math.Abs(v[i]));
            double vi = v[i];
            v[i] = vi + h; double up = Loss(s0, acts, p);
            v[i] = vi - h; double dn = Loss(s0, acts, p);
            v[i] = vi;
            double fd = (up - dn) / (2 * h);
            Assert.That(g[i], Is.EqualTo(fd).Within(tol * Math.Max(1e-3, Math.Abs(fd)) + 1e-7), $"{what}[{i}] (loss {l0})");
        }
        for (int i = 0; i < p.Length; i++) Check("parameter " + d.ParameterNames[i], p, gp, i);
        for (int i = 0; i < acts.Length; i += 2) Check("action", acts, ga, i);
        foreach (int i in new[] { 0, 5, d.N + 3, 2 * d.N + 7, 3 * d.N + 1, 5 * d.N + 9 }) Check("initial state", s0, gs, i);
    }

    [Test]
    public void ParallelSpringLoopsAreBitIdenticalForOneAndTwoThreads()
    {
        var task = BuiltinTasks.CreateRegistry().Create("swing:resolution=14");
        Assert.That(((ClothDynamics)task.Dynamics).Mesh.Springs, Is.GreaterThan(2 * 256), "need several blocks of the kernel loop");
        var x = task.CreateObjective().InitialGuess.Select((v, i) => v + 0.01 * (i % 5)).ToArray();
        double Run(int threads, double[] g)
        {
            using var f = task.CreateObjective(new WorkspaceOptions(threads));
            return f.LossAndGradient(x, g);
        }
        var g1 = new double[x.Length]; var g2 = new double[x.Length];
        Assert.That(Run(2, g2), Is.EqualTo(Run(1, g1)));
        Assert.That(g2, Is.EqualTo(g1));
    }

    /// <summary>
    /// A recorded segment's backward reuses its substep frames and intermediates; a backward at other inputs recomputes
    /// them. Both must give the same adjoints bit for bit (the recording is a cache, never a different computation).
    /// </summary>
    [TestCase("swing:resolution=5")]
    [TestCase("pancake:resolution=5")]
    [TestCase("cloth-id:preset=tiny,view=physical")]
    public void RecordedAndRecomputedBackwardsAreBitIdentical(string name)
    {
        var task = BuiltinTasks.CreateRegistry().Create(name);
        var d = task.Dynamics;
        int t = d.Horizon - 1;
        var rng = Rng.Create(3);
        var s0 = new double[d.StateSize]; d.InitialState(s0, Rng.Create(0));
        var a = new double[d.ActionSize]; d.InitialGuess(t, a);
        var p = d.DefaultParameters();
        var sA = s0.Select(v => v + 1e-3 * rng.NextDouble()).ToArray();
        var sB = s0.Select(v => v + 1e-3 * rng.NextDouble()).ToArray();
        var nextAdj = Enumerable.Range(0, d.StateSize).Select(_ => rng.NextDouble() - 0.5).ToArray();
        (double[], double[], double[]) Adjoints(SegmentWorkspace ws, double[] s, double[] next)
        {
            var sa = new double[d.StateSize]; var aa = new double[d.ActionSize]; var pa = new double[p.Length];
            ws.Backward(t, s, a, p, next, nextAdj, 0.7, sa, aa, pa);
            return (sa, aa, pa);
        }
        using var recorded = d.CreateWorkspace();
        using var other = d.CreateWorkspace();
        var nextB = new double[d.StateSize]; var nextA = new double[d.StateSize];
        recorded.Forward(t, sB, a, p, nextB, record: true);
        other.Forward(t, sA, a, p, nextA, record: true);       // recorded at A: a backward at B must recompute
        other.Forward(t, sB, a, p, new double[d.StateSize]);   // a later unrecorded forward leaves the record alone
        var fromRecord = Adjoints(recorded, sB, nextB);
        var recomputed = Adjoints(other, sB, nextB);
        Assert.That(recomputed.Item1, Is.EqualTo(fromRecord.Item1));
        Assert.That(recomputed.Item2, Is.EqualTo(fromRecord.Item2));
        Assert.That(recomputed.Item3, Is.EqualTo(fromRecord.Item3));
        Assert.That(fromRecord.Item1.Any(v => v != 0), Is.True, "the adjoint must not be trivially zero");
        // And the record of A still serves A.
        var atA = Adjoints(other, sA, nextA);
        using var fresh = d.CreateWorkspace();
        var freshA = Adjoints(fresh, sA, nextA);
        Assert.That(atA.Item1, Is.EqualTo(freshA.Item1));
        Assert.That(((ClothWorkspace)other).RecordedDoubles, Is.GreaterThan(0));
    }

    [TestCase("swing")]
    [TestCase("pancake")]
    [TestCase("cloth-id:view=physical")]
    public void IdenticalInputsGiveIdenticalResults(string name)
    {
        var task = BuiltinTasks.CreateRegistry().Create(name);
        var x = task.CreateObjective().InitialGuess.Select((v, i) => v + 0.01 * Math.Sin(i)).ToArray();
        double Run() { using var f = task.CreateObjective(); var g = new double[x.Length]; return f.LossAndGradient(x, g) + g.Sum(); }
        Assert.That(Run(), Is.EqualTo(Run()));
    }

    [TestCase("swing:patches=8x8", "resolution − 1")]
    [TestCase("swing:patches=4", "n x m")]
    [TestCase("swing:loss=far", "must be one of")]
    [TestCase("swing:resolution=2", "must be in [3, 20]")]
    [TestCase("pancake:resolution=6", "must be odd")]
    [TestCase("pancake:smoothing=-1", "smoothing")]
    [TestCase("cloth-id:patches=9", "at most resolution − 1")]
    [TestCase("cloth-id:material=wood", "must be one of")]
    [TestCase("cloth-id:preset=tiny,resolution=7", "fixes resolution 5")]
    [TestCase("cloth-id:preset=small", "must be one of")]
    [TestCase("pancake:view=physical", "declares no physical parameters")]
    public void BadOptionsAreRejected(string name, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => BuiltinTasks.CreateRegistry().Create(name))!;
        Assert.That(e.Message, Does.Contain(message));
    }

    [TestCase("swing:setup=velocity,loss=com")]
    [TestCase("swing:setup=anchor,loss=mesh")]
    [TestCase("swing:setup=size")]
    [TestCase("swing:contact=naive")]
    [TestCase("pancake:contact=penalty")]
    public void VariantsRunAndReachTheirGoalAtTheReferenceAction(string name)
    {
        var task = BuiltinTasks.CreateRegistry().Create(name);
        using var f = task.CreateObjective();
        var x = f.InitialGuess.ToArray();
        var g = new double[x.Length];
        double l = f.LossAndGradient(x, g);
        Assert.That(double.IsFinite(l) && g.All(double.IsFinite), Is.True);
        if (task.Dynamics is SwingDynamics s) Assert.That(f.Loss(s.ReferenceAction()), Is.LessThan(1e-5), "the goal is the reference action's final state");
    }

    [Test]
    public void RenderingDrawsTheSheet()
    {
        var task = BuiltinTasks.CreateRegistry().Create("pancake");
        var frame = task.RenderEpisode(task.CreateObjective().InitialGuess.ToArray(), frames: 3);
        Assert.That(frame.Width, Is.GreaterThan(3 * ClothRenderer.Width - 1));
        var single = task.Dynamics.RenderState(task.CreateObjective().InitialState, [], "t");
        int blue = 0;
        for (int y = 0; y < single.Height; y++) for (int x = 0; x < single.Width; x++) { var (r, gg, b) = single.Pixel(x, y); if (b > r + 40) blue++; }
        Assert.That(blue, Is.GreaterThan(200), "the pancake's shaded front side is visible");
    }
}
