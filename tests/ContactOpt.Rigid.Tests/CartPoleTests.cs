using ContactOpt.Envs.Rigid;
using ContactOpt.Tasks;

namespace ContactOpt.Rigid.Tests;

public class CartPoleTests
{
    static readonly CartPoleModel One = CartPoleModel.OneLink, Three = CartPoleModel.ThreeLink;

    /// <summary>Energy over an unactuated, undamped run (cart at rest): (initial, largest deviation).</summary>
    static (double E0, double MaxDrift) Drift(CartPoleModel model, int steps)
    {
        var d = new CartPoleDynamics(model with { Steps = steps });
        var s = new double[d.StateSize];
        d.InitialState(s, Rng.Create(0));
        double e0 = d.Energy(s), drift = 0;
        var a = new double[d.ActionSize];
        for (int t = 0; t < steps; t++)
        {
            Util.StepReal(d, s, a, [0.0], t);
            drift = Math.Max(drift, Math.Abs(d.Energy(s) - e0));
        }
        return (e0, drift);
    }

    static double PotentialScale(CartPoleModel m)
    {
        // g·Σ mᵢ·(height of the centre of rod i when upright): the size of the potential energy swings.
        double sum = 0, below = 0;
        for (int i = 0; i < m.Links; i++) { sum += m.LinkMasses[i] * (below + 0.5 * m.LinkLengths[i]); below += m.LinkLengths[i]; }
        return m.Gravity * sum;
    }

    [Test]
    public void FrictionlessPendulumKeepsItsEnergy()
    {
        var one = One with { InitialAngles = [2.0] };
        var three = Three with { InitialAngles = [2.0, 2.5, 1.0] };
        foreach (var m in new[] { one, three })
        {
            var (_, drift) = Drift(m, 100);   // the task's 2 s
            Assert.That(drift / PotentialScale(m), Is.LessThan(0.01), $"{m.Links} links: energy drift over 2 s");
            // Semi-implicit Euler: the drift shrinks with the step (first order), so it is integration error, not a modelling error.
            var (_, fine) = Drift(m with { Substeps = 4 * m.Substeps }, 100);
            Assert.That(fine, Is.LessThan(drift / 2.5), $"{m.Links} links: drift at dt/4");
        }
    }

    [Test]
    public void LongFrictionlessRunStaysBounded()
    {
        var (e0, drift) = Drift(One with { InitialAngles = [2.5] }, 1000);   // 20 s
        Assert.That(drift / PotentialScale(One), Is.LessThan(0.01), $"E0 = {e0}");
    }

    [Test]
    public void JointDampingDissipatesEnergy()
    {
        var d = new CartPoleDynamics(Three with { InitialAngles = [2.0, 2.5, 1.0] });
        var s = new double[d.StateSize];
        d.InitialState(s, Rng.Create(0));
        double e0 = d.Energy(s);
        for (int t = 0; t < 100; t++) Util.StepReal(d, s, new double[4], [0.5], t);
        Assert.That(d.Energy(s), Is.LessThan(e0 - 0.1 * PotentialScale(Three)));
    }

    [Test]
    public void SmallOscillationPeriodMatchesTheCompoundPendulum()
    {
        // A uniform rod about its end: T = 2π·√(2l / 3g).
        // One substep per step, so zero crossings are timed to the integration step.
        double dt = new CartPoleDynamics(One).Dt;
        var fine = new CartPoleDynamics(One with { InitialAngles = [Math.PI + 0.02], Steps = 6000, Substeps = 1, ControlDt = dt });
        var s = new double[fine.StateSize];
        fine.InitialState(s, Rng.Create(0));
        var crossings = new List<double>();
        double prev = s[1] - Math.PI;
        for (int k = 1; k <= 6000; k++)
        {
            Util.StepReal(fine, s, [0, 0], [0.0], k - 1);
            double cur = s[1] - Math.PI;
            if (prev > 0 && cur <= 0) crossings.Add((k - 1 + prev / (prev - cur)) * dt);
            prev = cur;
        }
        Assert.That(crossings, Has.Count.GreaterThanOrEqualTo(5));
        double period = (crossings[^1] - crossings[0]) / (crossings.Count - 1);
        Assert.That(period, Is.EqualTo(2 * Math.PI * Math.Sqrt(2.0 / (3 * 9.81))).Within(0.005));
    }

    [Test]
    public void CartFollowsItsVelocityCommandAndDragsThePole()
    {
        var d = new CartPoleDynamics(One);
        var s = new double[d.StateSize];
        d.InitialState(s, Rng.Create(0));
        // Half-speed command for 0.06 s = 3 steps (more than a time constant).
        for (int t = 0; t < 3; t++) Util.StepReal(d, s, [0.5, 0], [0.0], t);
        double v = 0.5 * One.MaxCartSpeed, tau = One.CartTimeConstant, T = 3 * One.ControlDt;
        Assert.That(s[2], Is.EqualTo(v * (1 - Math.Exp(-T / tau))).Within(1e-12), "ẋ is the exact first-order response");
        Assert.That(s[0], Is.EqualTo(v * (T - tau * (1 - Math.Exp(-T / tau)))).Within(2e-3), "x integrates ẋ");
        // Accelerating the cart to the right leaves a hanging pole behind: the tip moves left of the cart.
        Assert.That(Math.Sin(s[1]), Is.LessThan(0));
        // A positive joint torque turns the rod towards +φ.
        d.InitialState(s, Rng.Create(0));
        Util.StepReal(d, s, [0, 1], [0.0]);
        Assert.That(s[3], Is.GreaterThan(0));
    }

    [TestCase("cartpole", 3)]
    [TestCase("cartpole3", 2)]
    public void GradientMatchesCentralDifferences(string name, int points)
    {
        var f = Util.Task(name).CreateObjective();
        var rng = Rng.Create(42);
        for (int k = 0; k < points; k++)
        {
            var p = GradientCheck.At(f, Util.RandomPoint(f, rng));
            Assert.That(p.Smooth, Is.True, "no contact: every point is smooth");
            Assert.That(p.RelativeError, Is.LessThan(1e-6), $"point {k}");
            Assert.That(p.Automatic.Any(g => g != 0), Is.True);
        }
    }

    [Test]
    public void StepViewBackwardEqualsParameterViewGradient()
    {
        var task = Util.Task("cartpole3");
        var f = task.CreateObjective();
        var x = Util.RandomPoint(f, Rng.Create(9), 0.5);
        var g = new double[x.Length];
        double loss = f.LossAndGradient(x, g);

        using var env = task.CreateEnv();
        env.Recording = true;
        env.Reset(seed: 0);
        int a = task.Dynamics.ActionSize;
        for (int t = 0; t < task.Dynamics.Horizon; t++) env.Step(x[(t * a)..((t + 1) * a)]);
        var back = env.Backward();
        Assert.That(back.Loss, Is.EqualTo(loss).Within(1e-12 * loss));
        var flat = back.Actions.SelectMany(v => v).ToArray();
        Assert.That(GradientCheck.RelativeError(flat, g), Is.LessThan(1e-12));
        Assert.That(back.InitialState, Has.Length.EqualTo(task.Dynamics.StateSize));
        Assert.That(back.Parameters, Has.Length.EqualTo(1));
    }

    [Test]
    public void DampingGradientMatchesFiniteDifferences()
    {
        var dyn = (CartPoleDynamics)Util.Task("cartpole").Dynamics;
        var x = Util.RandomPoint(new EpisodeObjective(dyn), Rng.Create(5), 0.5);
        double Loss(double b, out double dLdb)
        {
            using var env = new DifferentiableEnv(dyn, parameters: [b]) { Recording = true };
            env.Reset(seed: 0);
            for (int t = 0; t < dyn.Horizon; t++) env.Step(x[(2 * t)..(2 * t + 2)]);
            var back = env.Backward();
            dLdb = back.Parameters[0];
            return back.Loss;
        }
        const double b0 = 0.05, h = 1e-6;
        Loss(b0, out double exact);
        double fd = (Loss(b0 + h, out _) - Loss(b0 - h, out _)) / (2 * h);
        Assert.That(exact, Is.EqualTo(fd).Within(1e-6 * Math.Max(1, Math.Abs(fd))));
        Assert.That(exact, Is.Not.EqualTo(0));
    }

    [Test]
    public void FinalObservationHoldsTheTipError()
    {
        var task = Util.Task("cartpole");
        using var env = task.CreateEnv();
        env.Reset(seed: 0);
        StepResult<double[]> r = default;
        var rng = Rng.Create(1);
        for (int t = 0; t < task.Dynamics.Horizon; t++) r = env.Step([2 * rng.NextDouble() - 1, 2 * rng.NextDouble() - 1]);
        var o = r.Observation;
        int n = task.Dynamics.ObservationSize;
        Assert.That(Math.Sqrt(o[n - 2] * o[n - 2] + o[n - 1] * o[n - 1]), Is.EqualTo(env.EpisodeLoss).Within(1e-12));
        Assert.That(o[2] * o[2] + o[3] * o[3], Is.EqualTo(1).Within(1e-12), "sin² + cos² of the rod angle");
    }

    [Test]
    public void TargetsAreOnlyReachableSwungUp()
    {
        // At rest the tip hangs below the rail; the 3-link target needs the chain nearly upright.
        foreach (var (name, model) in new[] { ("cartpole", One), ("cartpole3", Three) })
        {
            var f = Util.Task(name).CreateObjective();
            double rest = f.Loss(f.InitialGuess.ToArray());
            double reach = model.LinkLengths.Sum();
            Assert.That(rest, Is.EqualTo(Math.Sqrt(model.TargetX * model.TargetX + Math.Pow(model.TargetZ + reach, 2))).Within(1e-9), name);
        }
        Assert.That(Three.TargetZ, Is.GreaterThan(0.8 * Three.LinkLengths.Sum()));
    }

    [Test]
    public void InvalidModelsAreRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CartPoleDynamics(One with { LinkMasses = [1, 2] }));
        Assert.That(ex!.Message, Does.Contain("one entry per link"));
        ex = Assert.Throws<ArgumentException>(() => new CartPoleDynamics(One with { LinkLengths = [double.NaN], }));
        Assert.That(ex!.Message, Does.Contain("link length 0 is NaN"));
        ex = Assert.Throws<ArgumentException>(() => new CartPoleDynamics(Three with { LinkLengths = [1, 1, 1, 1], LinkMasses = [1, 1, 1, 1], MaxTorques = [1, 1, 1, 1] }));
        Assert.That(ex!.Message, Does.Contain("1 to 3 links"));
    }
}
