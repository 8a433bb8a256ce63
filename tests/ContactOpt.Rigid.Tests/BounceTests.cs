using ContactOpt.Autodiff;
using ContactOpt.Envs.Rigid;
using ContactOpt.Tasks;

namespace ContactOpt.Rigid.Tests;

public class BounceTests
{
    /// <summary>∂z_T/∂z₀ of one episode, by reverse mode through the recorded initial state.</summary>
    static (double ZT, double Gradient) FinalHeight(BounceDynamics dyn, double[] v0)
    {
        var tape = new Tape();
        var init = new double[6];
        dyn.InitialState(init, Rng.Create(0));
        var s = init.Select(tape.Variable).ToArray();
        var z0 = s[2];
        dyn.Step<Rev>(s, v0.Select(Rev.Constant).ToArray(), ReadOnlySpan<Rev>.Empty, 0, null);
        var g = new double[1];
        tape.Gradient(s[2], [z0], g);
        return (s[2].Value, g[0]);
    }

    /// <summary>Continuous-time height at T of a ball of radius r dropped from rest at z₀ onto z = 0, restitution e.</summary>
    static double AnalyticHeight(double z0, double r, double g, double e, double T)
    {
        double t = Math.Sqrt(2 * (z0 - r) / g);
        if (t >= T) return z0 - 0.5 * g * T * T;
        double u = e * g * t;
        while (true)
        {
            double flight = 2 * u / g;
            if (t + flight >= T) { double tau = T - t; return r + u * tau - 0.5 * g * tau * tau; }
            t += flight; u *= e;
        }
    }

    [Test]
    public void WithoutTimeOfImpactTheHeightGradientHasTheWrongSign()
    {
        // DiffTaichi's demonstration: no gravity, a perfectly elastic floor, one bounce. Physically z_T = −z₀ + const.
        // Through the step view: target straight above, so L = 100 − z_T and ∂L/∂z₀ = −∂z_T/∂z₀.
        foreach (var (contact, expected) in new[] { (BounceContact.Impulse, +1.0), (BounceContact.ImpulseToi, -1.0) })
        {
            var scene = new BounceScene
            {
                Contact = contact, Gravity = 0, HasWall = false, Restitution = 1, Mu = 0,
                Start = [0, 0, 1], Duration = 1, Target = [0, 0, 100],
            };
            using var env = new DifferentiableEnv(new BounceDynamics(scene)) { Recording = true };
            env.Reset(seed: 0);
            env.Step([0, 0, -2]);
            var back = env.Backward();
            Assert.That(-back.InitialState[2], Is.EqualTo(expected).Within(1e-9), $"{contact}: ∂z_T/∂z₀");
            Assert.That(back.Actions[0][2], Is.Not.EqualTo(0));
        }
    }

    [Test]
    public void WithGravityTheTimeOfImpactGradientFollowsThePhysics()
    {
        // The task's scene, ball dropped from rest (no wall reached): the analytic ∂z_T/∂z₀ after three bounces is ≈ −2.8.
        var task = new BounceScene();
        double h = 1e-6, z0 = task.Start[2];
        double analytic = (AnalyticHeight(z0 + h, task.Radius, task.Gravity, task.Restitution, task.Duration)
                         - AnalyticHeight(z0 - h, task.Radius, task.Gravity, task.Restitution, task.Duration)) / (2 * h);
        Assert.That(analytic, Is.LessThan(-2));
        var (_, naive) = FinalHeight(new BounceDynamics(task with { Contact = BounceContact.Impulse }), [0, 0, 0]);
        var (_, toi) = FinalHeight(new BounceDynamics(task with { Contact = BounceContact.ImpulseToi }), [0, 0, 0]);
        Assert.That(naive, Is.EqualTo(1.0).Within(1e-12), "the naive scheme: every impulse ignores the height");
        Assert.That(Math.Sign(toi), Is.EqualTo(Math.Sign(analytic)));
        Assert.That(toi, Is.EqualTo(analytic).Within(0.1 * Math.Abs(analytic)));
        // Its error is a discretisation error: it shrinks with the step.
        var fine = task with { Contact = BounceContact.ImpulseToi, Dt = task.Dt / 8 };
        var (_, toiFine) = FinalHeight(new BounceDynamics(fine), [0, 0, 0]);
        Assert.That(Math.Abs(toiFine - analytic), Is.LessThan(Math.Abs(toi - analytic) / 3));
        var (_, naiveFine) = FinalHeight(new BounceDynamics(fine with { Contact = BounceContact.Impulse }), [0, 0, 0]);
        Assert.That(naiveFine, Is.EqualTo(1.0).Within(1e-12), "the naive error does not shrink with dt");
    }

    [Test]
    public void NaiveLossIsASawToothInTheInitialHeight()
    {
        // Locally slope +1, but on the scale of a few substeps of fall the height trend is negative (the physics).
        double ZT(double z0, BounceContact c) =>
            FinalHeight(new BounceDynamics(new BounceScene { Contact = c, Start = [-0.5, 0, z0] }), [0, 0, 0]).ZT;
        double coarse = (ZT(1.02, BounceContact.Impulse) - ZT(0.98, BounceContact.Impulse)) / 0.04;
        double local = (ZT(1 + 1e-7, BounceContact.Impulse) - ZT(1 - 1e-7, BounceContact.Impulse)) / 2e-7;
        Assert.That(local, Is.EqualTo(1.0).Within(1e-6));
        Assert.That(coarse, Is.LessThan(0));
    }

    [TestCase("bounce")]
    [TestCase("bounce:contact=impulse")]
    [TestCase("bounce:contact=impulse-toi")]
    public void GradientMatchesCentralDifferencesAwayFromContactEvents(string name)
    {
        var f = Util.Task(name).CreateObjective();
        var rng = Rng.Create(11);
        int smooth = 0;
        for (int k = 0; k < 10; k++)
        {
            var p = GradientCheck.At(f, Util.RandomPoint(f, rng));
            if (!p.Smooth) continue;
            smooth++;
            Assert.That(p.RelativeError, Is.LessThan(1e-5), $"point {k}");
        }
        Assert.That(smooth, Is.GreaterThanOrEqualTo(7));
    }

    [Test]
    public void ContactModelsShareTheSceneAndRestitution()
    {
        // Drop onto the floor at 5 m/s without gravity: the penalty model's effective restitution ≈ the impulse models'.
        foreach (var c in new[] { BounceContact.Penalty, BounceContact.Impulse, BounceContact.ImpulseToi })
        {
            var d = new BounceDynamics(new BounceScene { Contact = c, Gravity = 0, HasWall = false, Start = [0, 0, 0.5], Duration = 0.5 });
            var s = new double[6];
            d.InitialState(s, Rng.Create(0));
            Util.StepReal(d, s, [0, 0, -5]);
            Assert.That(s[5] / 5, Is.EqualTo(0.92).Within(c == BounceContact.Penalty ? 0.02 : 1e-12), c.ToString());
        }
    }

    [Test]
    public void TheWallSendsTheBallBack()
    {
        foreach (var c in new[] { "penalty", "impulse", "impulse-toi" })
        {
            var task = Util.Task($"bounce:contact={c}");
            var s = task.CreateObjective().InitialState.ToArray();
            Util.StepReal((ScalarDynamics)task.Dynamics, s, [6, 0, 0]);
            Assert.That(s[0], Is.LessThan(1.75), $"{c}: the ball cannot pass the wall's face");
            Assert.That(s[3], Is.LessThan(0), $"{c}: moving back after the wall");
        }
    }

    [Test]
    public void BallDoesNotSinkWhenItComesToRest()
    {
        foreach (var c in new[] { BounceContact.Penalty, BounceContact.Impulse, BounceContact.ImpulseToi })
        {
            var d = new BounceDynamics(new BounceScene { Contact = c, Restitution = 0.3, Kd = 200, Duration = 4, HasWall = false });
            var s = new double[6];
            d.InitialState(s, Rng.Create(0));
            Util.StepReal(d, s, [1, 0, 0]);
            Assert.That(s[2], Is.EqualTo(0.1).Within(c == BounceContact.Penalty ? 2e-3 : 1e-3), $"{c}: resting height");
        }
    }

    [Test]
    public void BadScenesAndOptionsAreRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new BounceDynamics(new BounceScene { Restitution = 1.5 }));
        Assert.That(ex!.Message, Does.Contain("restitution"));
        ex = Assert.Throws<ArgumentException>(() => new BounceDynamics(new BounceScene { Start = [0, 1] }));
        Assert.That(ex!.Message, Does.Contain("3-vectors"));
        ex = Assert.Throws<ArgumentException>(() => Util.Task("bounce:contact=soft"));
        Assert.That(ex!.Message, Does.Contain("penalty, impulse, impulse-toi"));
    }
}
