using ContactOpt.Autodiff;
using ContactOpt.Envs;
using ContactOpt.Envs.SpringChain;
using ContactOpt.Kernels;
using ContactOpt.Tasks;

namespace ContactOpt.Tests;

/// <summary>
/// The segment tape and its two routes, proven end to end on the spring chain: kernel adjoints pass the
/// dot-product test (and a wrong one fails it), the kernel route equals the scalar route, gradients match
/// finite differences, checkpointing and thread count change nothing, and the shared rules (terminal cost,
/// divergence) hold in every view.
/// </summary>
public class SegmentTapeTests
{
    static readonly TaskRegistry Registry = BuiltinTasks.CreateRegistry();

    static double[] RandomPoint(IObjective f, int seed, double shrink = 0.8)
    {
        var rng = Rng.Create(seed);
        return Enumerable.Range(0, f.Dimension).Select(i =>
        {
            double mid = 0.5 * (f.SamplingLower[i] + f.SamplingUpper[i]), half = 0.5 * (f.SamplingUpper[i] - f.SamplingLower[i]);
            return mid + shrink * half * (2 * rng.NextDouble() - 1);
        }).ToArray();
    }

    /// <summary>A chain state with some masses in ground contact, moving.</summary>
    static double[] ChainState(ChainModel m, int seed)
    {
        var s = new double[m.StateSize];
        m.InitialState(s);
        var rng = Rng.Create(seed);
        int n = m.Masses;
        for (int i = 0; i < n; i++)
        {
            s[i] += 0.02 * (2 * rng.NextDouble() - 1);
            s[n + i] = i % 3 == 2 ? -0.003 - 0.002 * rng.NextDouble() : s[n + i] + 0.02 * rng.NextDouble();
            s[2 * n + i] = 0.3 * (2 * rng.NextDouble() - 1);
            s[3 * n + i] = 0.3 * (2 * rng.NextDouble() - 1);
        }
        return s;
    }

    /// <summary>One substep as a function of (state, ax, az, k, c) → next state.</summary>
    static (AdjointCheck.Forward F, AdjointCheck.Backward B) Substep(ChainModel m, bool wrongSign = false)
    {
        var kernels = new ChainKernels(m, threads: 1);
        int n = m.StateSize;
        var s = new double[n]; var o = new double[n]; var adjOut = new double[n]; var adjIn = new double[n];
        void Forward(ReadOnlySpan<double> x, Span<double> y)
        {
            x[..n].CopyTo(s);
            kernels.SpringForward(s, x[n + 2], x[n + 3]);
            kernels.Integrate(s, o, x[n], x[n + 1]);
            o.CopyTo(y);
        }
        void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> w, Span<double> g)
        {
            x[..n].CopyTo(s);
            w.CopyTo(adjOut);
            kernels.SpringForward(s, x[n + 2], x[n + 3]);
            var (ax, az, k, c) = kernels.SubstepBackward(s, adjOut, adjIn);
            adjIn.CopyTo(g);
            g[n] = ax; g[n + 1] = az; g[n + 2] = wrongSign ? -k : k; g[n + 3] = c;
        }
        return (Forward, Backward);
    }

    [Test]
    public void ChainSubstepKernelsPassTheAdjointCheck()
    {
        var m = new ChainModel { Masses = 7 };
        var x = ChainState(m, 1).Concat([0.4, -0.2, m.Stiffness, m.Damping]).ToArray();
        var (f, b) = Substep(m);
        var scale = Enumerable.Repeat(1.0, m.StateSize).Concat([1.0, 1.0, 10.0, 0.1]).ToArray();
        var r = AdjointCheck.Require("chain substep", x, m.StateSize, f, b, seed: 3, trials: 5, tolerance: 1e-7, inputScale: scale);
        Assert.That(r.WorstRelativeError, Is.LessThan(1e-7));
    }

    [Test]
    public void TheAdjointCheckCatchesAWrongKernelAndNamesIt()
    {
        var m = new ChainModel { Masses = 5 };
        var x = ChainState(m, 2).Concat([0.4, -0.2, m.Stiffness, m.Damping]).ToArray();
        var (f, b) = Substep(m, wrongSign: true);
        var e = Assert.Throws<AdjointCheckException>(() => AdjointCheck.Require("chain substep (k adjoint negated)", x, m.StateSize, f, b, seed: 3));
        Assert.That(e!.Message, Does.Contain("chain substep (k adjoint negated)"));
        Assert.That(e.Result.Passed, Is.False);
    }

    [Test]
    public void TheAdjointCheckAcceptsAnExactTangentAndRejectsBadArguments()
    {
        // y = A x with its exact tangent and adjoint.
        double[,] a = { { 1, 2, 0 }, { -3, 0.5, 4 } };
        void F(ReadOnlySpan<double> x, Span<double> y) { for (int i = 0; i < 2; i++) y[i] = a[i, 0] * x[0] + a[i, 1] * x[1] + a[i, 2] * x[2]; }
        void B(ReadOnlySpan<double> x, ReadOnlySpan<double> w, Span<double> g) { for (int j = 0; j < 3; j++) g[j] = a[0, j] * w[0] + a[1, j] * w[1]; }
        var r = AdjointCheck.Require("matvec", [1.0, 2.0, 3.0], 2, F, B, tangent: (x, v, jv) => F(v, jv), tolerance: 1e-14);
        Assert.That(r.WorstRelativeError, Is.LessThan(1e-14));
        Assert.Throws<ArgumentException>(() => AdjointCheck.Run("empty", ReadOnlySpan<double>.Empty, 2, F, B));
        Assert.Throws<ArgumentOutOfRangeException>(() => AdjointCheck.Run("no trials", [1.0, 2.0, 3.0], 2, F, B, trials: 0));
    }

    [Test]
    public void KernelRouteEqualsTheScalarRouteInLossAndGradient()
    {
        using var kernel = Registry.Create("chain").CreateObjective();
        using var scalar = Registry.Create("chain:route=scalar").CreateObjective();
        Assert.That(kernel.Dynamics, Is.InstanceOf<ChainDynamics>());
        Assert.That(scalar.Dynamics, Is.InstanceOf<ChainScalarDynamics>());
        for (int k = 0; k < 4; k++)
        {
            var x = RandomPoint(kernel, 100 + k);
            var g1 = new double[x.Length]; var g2 = new double[x.Length];
            double l1 = kernel.LossAndGradient(x, g1), l2 = scalar.LossAndGradient(x, g2);
            Assert.That(l1, Is.EqualTo(l2).Within(1e-12 * Math.Abs(l2)));
            Assert.That(kernel.Loss(x), Is.EqualTo(l1), "loss-only and recorded episodes run the same code");
            for (int i = 0; i < x.Length; i++) Assert.That(g1[i], Is.EqualTo(g2[i]).Within(1e-9 * Math.Max(1e-3, Math.Abs(g2[i]))), $"x[{i}]");
        }
    }

    [Test]
    public void KernelRouteGradientMatchesFiniteDifferences()
    {
        using var f = Registry.Create("chain").CreateObjective();
        var report = GradientCheck.Run(f, points: 8, seed: 11);
        var smooth = report.Points.Where(p => p.Smooth).ToList();
        Assert.That(smooth.Count, Is.GreaterThanOrEqualTo(6));
        foreach (var p in smooth) Assert.That(p.RelativeError, Is.LessThan(1e-6));
    }

    [Test]
    public void CheckpointingRecomputesTheSameGradientBitForBit()
    {
        using var every = Registry.Create("chain").CreateObjective();
        using var third = Registry.Create("chain:checkpoint=3").CreateObjective();
        var x = RandomPoint(every, 7);
        var g1 = new double[x.Length]; var g3 = new double[x.Length];
        Assert.That(third.LossAndGradient(x, g3), Is.EqualTo(every.LossAndGradient(x, g1)));
        Assert.That(g3, Is.EqualTo(g1));
    }

    [Test]
    public void CheckpointingKeepsFewerStates()
    {
        var dyn = (ChainDynamics)Registry.Create("chain:segments=12,checkpoint=4").Dynamics;
        using var tape = new SegmentTape(dyn);
        var s0 = new double[dyn.StateSize]; dyn.InitialState(s0, Rng.Create(0));
        Episode.Rollout(tape, s0, new double[dyn.Horizon * 2], dyn.DefaultParameters(), record: true);
        tape.Backward(new double[dyn.Horizon * 2], new double[2], new double[dyn.StateSize]);
        // 3 checkpoints (segments 0, 4, 8) + a block of 4 rebuilt states, instead of 12.
        Assert.That(tape.StoredDoubles, Is.EqualTo((3 + 4) * (long)dyn.StateSize));
    }

    [TestCase("chain")]
    [TestCase("chain:checkpoint=3")]
    [TestCase("cartpole")]
    public void ARecordedEpisodeAllocatesNothingOnceWarm(string name)
    {
        // The tape and the workspaces reuse their buffers: after a first episode, loss-only and loss-and-gradient
        // episodes allocate no managed memory (memory of a recorded episode = the states it stores, allocated once).
        // (chain:route=scalar allocates its force arrays per segment: the reference route, not the fast path.)
        using var f = Registry.Create(name).CreateObjective();
        var x = RandomPoint(f, 3);
        var g = new double[x.Length];
        f.LossAndGradient(x, g); f.Loss(x);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 3; k++) { f.LossAndGradient(x, g); f.Loss(x); }
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0), "bytes allocated by three warm episodes");
    }

    [Test]
    public void ParallelKernelsAreBitIdenticalForOneAndTwoThreads()
    {
        // 600 masses = 3 blocks of the kernels' grain, so two threads really split the loops.
        var task = Registry.Create("chain:masses=600,segments=2,substeps=4");
        using var one = task.CreateObjective(new WorkspaceOptions(threads: 1));
        using var two = task.CreateObjective(new WorkspaceOptions(threads: 2));
        var x = RandomPoint(one, 5);
        var g1 = new double[x.Length]; var g2 = new double[x.Length];
        double l1 = one.LossAndGradient(x, g1), l2 = two.LossAndGradient(x, g2);
        Assert.That(l2, Is.EqualTo(l1));
        Assert.That(g2, Is.EqualTo(g1));
        using var p1 = task.WithPhysicalView().CreateObjective(new WorkspaceOptions(1));
        using var p2 = task.WithPhysicalView().CreateObjective(new WorkspaceOptions(2));
        var gp1 = new double[2]; var gp2 = new double[2];
        Assert.That(p2.LossAndGradient([300.0, 1.0], gp2), Is.EqualTo(p1.LossAndGradient([300.0, 1.0], gp1)));
        Assert.That(gp2, Is.EqualTo(gp1));
    }

    [Test]
    public void KernelLoopSumIsIndependentOfThreadsAndRejectsBadGrain()
    {
        var data = Enumerable.Range(0, 10_001).Select(i => Math.Sin(i) * 1e-3 + (i % 7 == 0 ? 1e6 : 0)).ToArray();
        double Sum(int threads) => new KernelLoop(threads).Sum(data.Length, 97, (lo, hi) => { double s = 0; for (int i = lo; i < hi; i++) s += data[i]; return s; });
        Assert.That(Sum(2), Is.EqualTo(Sum(1)));
        Assert.That(Sum(4), Is.EqualTo(Sum(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KernelLoop(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KernelLoop(1).For(10, 0, (_, _) => { }));
    }

    [Test]
    public void KernelLoopRegionsCoverEveryBlockOnceFromConcurrentAndNestedCallers()
    {
        // The worker team runs one region at a time; a concurrent caller and a region nested in a block fall back to
        // Parallel.For. Every block must run exactly once either way, and an exception in a block reaches the caller.
        var loop = new KernelLoop(2);
        int[] Counts(int count, int grain)
        {
            var hits = new int[count];
            loop.For(count, grain, (lo, hi) =>
            {
                for (int i = lo; i < hi; i++) Interlocked.Increment(ref hits[i]);
                if (lo == 0) new KernelLoop(2).For(50, 7, (_, _) => { });   // nested region
            });
            return hits;
        }
        var results = new int[4][];
        Parallel.For(0, 4, k => { var l = new KernelLoop(2); results[k] = new int[1000];
            for (int rep = 0; rep < 200; rep++) l.For(1000, 13, (lo, hi) => { for (int i = lo; i < hi; i++) Interlocked.Increment(ref results[k][i]); }); });
        foreach (var r in results) Assert.That(r, Is.All.EqualTo(200));
        for (int rep = 0; rep < 500; rep++) Assert.That(Counts(257, 16), Is.All.EqualTo(1));
        var error = Assert.Throws<InvalidOperationException>(() => loop.For(100, 10, (lo, _) => { if (lo == 50) throw new InvalidOperationException("block 5"); }));
        Assert.That(error!.Message, Is.EqualTo("block 5"));
        Assert.That(Counts(40, 3), Is.All.EqualTo(1), "the loop works after a failed region");
        // The same exception from the fallback path: a failing region nested in a block (the team is busy then).
        var nested = Assert.Throws<InvalidOperationException>(() => loop.For(4, 1, (lo, _) =>
        {
            if (lo == 0) new KernelLoop(2).For(10, 1, (l, _) => { if (l == 3) throw new InvalidOperationException("nested"); });
        }));
        Assert.That(nested!.Message, Is.EqualTo("nested"));
    }

    [Test]
    public void StepViewAndPerStepVjpAgreeWithTheParameterViewOnTheKernelRoute()
    {
        var task = Registry.Create("chain:segments=4");
        using var f = task.CreateObjective();
        var x = RandomPoint(f, 9);
        var g = new double[x.Length];
        double loss = f.LossAndGradient(x, g);

        using var env = task.CreateEnv();
        env.Recording = true;
        env.Reset(seed: 0);
        for (int t = 0; t < 4; t++) env.Step(x.AsSpan(2 * t, 2).ToArray());
        var eg = env.Backward();
        Assert.That(eg.Loss, Is.EqualTo(loss).Within(1e-15 * loss));
        for (int t = 0; t < 4; t++) for (int i = 0; i < 2; i++) Assert.That(eg.Actions[t][i], Is.EqualTo(g[2 * t + i]));

        // Chain the per-step VJPs backwards by hand: the same action gradient.
        using var step = new StepFunction(task.Dynamics);
        var dyn = task.Dynamics;
        var states = new List<double[]> { f.InitialState.ToArray() };
        var p = dyn.DefaultParameters();
        for (int t = 0; t < 4; t++) { var nx = new double[dyn.StateSize]; step.Forward(states[t], x.AsSpan(2 * t, 2), p, t, nx); states.Add(nx); }
        var adj = new double[dyn.StateSize];
        for (int t = 3; t >= 0; t--)
        {
            var sa = new double[dyn.StateSize]; var aa = new double[2]; var pa = new double[2];
            step.Vjp(states[t], x.AsSpan(2 * t, 2), p, t, adj, 1.0, sa, aa, pa);
            for (int i = 0; i < 2; i++) Assert.That(aa[i], Is.EqualTo(g[2 * t + i]).Within(1e-12 * Math.Max(1, Math.Abs(g[2 * t + i]))));
            adj = sa;
        }
        for (int i = 0; i < adj.Length; i++) Assert.That(adj[i], Is.EqualTo(eg.InitialState[i]).Within(1e-12 * Math.Max(1, Math.Abs(adj[i]))));
    }

    [TestCase("chain")]
    [TestCase("chain:route=scalar")]
    [TestCase("flip")]
    [TestCase("pendulum")]
    public void PhysicalParameterViewGradientMatchesFiniteDifferences(string name)
    {
        using var f = Registry.Create(name + (name.Contains(':') ? "," : ":") + "view=physical").CreateObjective();
        Assert.That(f, Is.InstanceOf<PhysicalParameterObjective>());
        Assert.That(f.Dimension, Is.EqualTo(f.Dynamics.ParameterNames.Count));
        var report = GradientCheck.Run(f, points: 6, seed: 4);
        var smooth = report.Points.Where(p => p.Smooth).ToList();
        Assert.That(smooth.Count, Is.GreaterThanOrEqualTo(4));
        foreach (var p in smooth)
        {
            Assert.That(p.Automatic.Max(Math.Abs), Is.GreaterThan(1e-8), "the loss must depend on the parameters at this point");
            Assert.That(p.RelativeError, Is.LessThan(1e-5), $"at [{string.Join(", ", p.X)}]: [{string.Join(", ", p.Automatic)}] vs [{string.Join(", ", p.FiniteDifference)}]");
        }
    }

    [Test]
    public void CartPolePhysicalViewWithDrivenControlsMatchesFiniteDifferences()
    {
        // Zero controls leave the cart-pole at rest, where damping does nothing: drive it with random controls.
        var task = Registry.Create("cartpole");
        using var controls = task.CreateObjective();
        var u = RandomPoint(controls, 21, 0.5);
        using var f = new PhysicalParameterObjective(task.Dynamics, u);
        var g = new double[1];
        foreach (double damping in new[] { 0.05, 0.3, 0.8 })
        {
            f.LossAndGradient([damping], g);
            const double h = 1e-6;
            double fd = (f.Loss([damping + h]) - f.Loss([damping - h])) / (2 * h);
            Assert.That(Math.Abs(g[0]), Is.GreaterThan(1e-6));
            Assert.That(g[0], Is.EqualTo(fd).Within(1e-5 * Math.Abs(fd)), $"damping {damping}");
        }
    }

    [Test]
    public void PhysicalViewIsRefusedForTasksWithoutDeclaredParametersAndViewValuesAreChecked()
    {
        var e = Assert.Throws<ArgumentException>(() => Registry.Create("pinball:view=physical"));
        Assert.That(e!.Message, Does.Contain("pinball").And.Contain("physical"));
        var bad = Assert.Throws<ArgumentException>(() => Registry.Create("flip:view=sideways"));
        Assert.That(bad!.Message, Does.Contain("sideways"));
        Assert.That(Registry.Create("flip:view=physical").Name, Is.EqualTo("flip:view=physical"));
        Assert.That(Registry.Create("flip:view=controls").Dimension, Is.EqualTo(2));
    }

    /// <summary>A task whose cost turns NaN in its second segment while the state stays finite.</summary>
    sealed class NanCost : ScalarDynamics
    {
        public override int StateSize => 1;
        public override int ActionSize => 1;
        public override int Horizon => 3;
        public override Box ActionBounds { get; } = new(-1, 1, 1);
        public override Box ActionSamplingBox => ActionBounds;
        public override void InitialGuess(int t, Span<double> action) => action[0] = 0.5;
        public override void InitialState(Span<double> state, Random rng) => state[0] = 1;
        public override void Step<T>(Span<T> state, ReadOnlySpan<T> action, ReadOnlySpan<T> parameters, int t, StepTrace? trace) =>
            state[0] = state[0] + action[0];
        public override T StepCost<T>(ReadOnlySpan<T> state, ReadOnlySpan<T> action, int t) =>
            t == 1 ? T.Constant(double.NaN) : state[0] * state[0];
    }

    [Test]
    public void ANonFiniteCostIsADivergenceInEveryView()
    {
        var dyn = new NanCost();
        using var f = new EpisodeObjective(dyn, mode: GradientMode.Reverse);
        using var fwd = new EpisodeObjective(dyn, mode: GradientMode.Forward);
        double[] x = [0.5, 0.5, 0.5];
        Assert.That(f.Loss(x), Is.EqualTo(double.PositiveInfinity));
        var g = new double[3];
        Assert.That(f.LossAndGradient(x, g), Is.EqualTo(double.PositiveInfinity));
        Assert.That(g.All(double.IsNaN), Is.True);
        Assert.That(fwd.LossAndGradient(x, g), Is.EqualTo(double.PositiveInfinity));
        Assert.That(g.All(double.IsNaN), Is.True);

        using var env = new DifferentiableEnv(dyn);
        env.Recording = true;
        env.Reset(seed: 0);
        Assert.That(env.Step([0.5]).Truncated, Is.False);
        var r = env.Step([0.5]);
        Assert.That((r.Truncated, r.Terminated, r.Reward), Is.EqualTo((true, false, -DifferentiableEnv.DivergedPenalty)));
        Assert.That(r.Info["diverged"], Is.EqualTo(true));
        Assert.That(env.EpisodeLoss, Is.EqualTo(double.PositiveInfinity));
        Assert.Throws<InvalidOperationException>(() => env.Backward());
    }

    [Test]
    public void TheTapeRejectsMisuse()
    {
        var dyn = Registry.Create("chain:segments=2").Dynamics;
        using var tape = new SegmentTape(dyn);
        var s0 = new double[dyn.StateSize];
        // All masses at one point: zero-length springs give NaN forces, which the tape reports as divergence.
        tape.Reset(s0, dyn.DefaultParameters(), record: false);
        Assert.That(tape.Advance([0.1, 0.1]).Diverged, Is.True);
        Assert.That((tape.Loss, tape.Done), Is.EqualTo((double.PositiveInfinity, true)));
        dyn.InitialState(s0, Rng.Create(0));
        Assert.Throws<ArgumentException>(() => tape.Reset(s0, [1.0], record: true));         // two parameters declared
        tape.Reset(s0, dyn.DefaultParameters(), record: false);
        tape.Advance([0.1, 0.1]);
        Assert.Throws<InvalidOperationException>(() => tape.Backward(new double[4], new double[2], s0));   // not recorded
        Assert.Throws<ArgumentException>(() => tape.Advance([0.1]));
        tape.Advance([0.1, 0.1]);
        Assert.That(tape.Done, Is.True);
        Assert.Throws<InvalidOperationException>(() => tape.Advance([0.1, 0.1]));
    }
}
