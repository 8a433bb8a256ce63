using ContactOpt.Envs;
using ContactOpt.Envs.Pendulum;
using ContactOpt.Tasks;

namespace ContactOpt.Agents.Torch.Tests;

/// <summary>The pendulum task: Gymnasium Pendulum-v1's equations, its step view, and exact gradients.</summary>
public class PendulumTests
{
    static readonly TaskRegistry Tasks = BuiltinTasks.CreateRegistry();

    [Test]
    public void OneStepFollowsPendulumV1()
    {
        var dyn = new PendulumDynamics();
        var f = new StepFunction(dyn);
        double[] s = [0.5, 0.3, 0, 0], next = new double[4];
        double cost = f.Forward(s, [1.0], dyn.DefaultParameters(), 0, next);
        double thdot = 0.3 + (3 * 10.0 / 2 * Math.Sin(0.5) + 3.0 * 1.0) * 0.05;
        Assert.That(next[1], Is.EqualTo(thdot).Within(1e-15));
        Assert.That(next[0], Is.EqualTo(0.5 + thdot * 0.05).Within(1e-15));
        Assert.That(cost, Is.EqualTo(0.25 + 0.1 * 0.09 + 0.001).Within(1e-15), "cost of the state the torque is applied in");
        // Clipping: torque to ±2, speed to ±8, angle normalised into [−π, π) in the cost.
        cost = f.Forward([7.0, 7.9, 0, 0], [5.0], dyn.DefaultParameters(), 0, next);
        Assert.That(next[1], Is.EqualTo(8.0));
        double th = 7.0 - 2 * Math.PI;
        Assert.That(cost, Is.EqualTo(th * th + 0.1 * 7.9 * 7.9 + 0.001 * 4).Within(1e-12));
    }

    [Test]
    public void StepViewMatchesGymnasiumShapes()
    {
        var task = Tasks.Create("pendulum");
        using var env = task.CreateEnv();
        var (obs, _) = env.Reset(seed: 42);
        Assert.That(obs.Length, Is.EqualTo(3), "cos θ, sin θ, θ̇ (Pendulum-v1)");
        Assert.That(env.ObservationSpace.Shape, Is.EqualTo(new[] { 3 }));
        Assert.That(obs[0] * obs[0] + obs[1] * obs[1], Is.EqualTo(1).Within(1e-12));
        Assert.That(Math.Abs(obs[2]), Is.LessThanOrEqualTo(1));
        Assert.That(env.ActionBox.Low, Is.EqualTo(new[] { -2.0 }));
        Assert.That(env.Reset(seed: 42).Observation, Is.EqualTo(obs), "reset determinism");
        double ret = 0; int steps = 0;
        StepResult<double[]> r;
        do { r = env.Step([0.5]); ret += r.Reward; steps++; Assert.That(r.Terminated, Is.False); } while (!r.Done);
        Assert.That(steps, Is.EqualTo(200));
        Assert.That((r.Truncated, r.Terminated), Is.EqualTo((true, false)), "Pendulum-v1 truncates at 200 (a time limit, no terminal state)");
        Assert.That((double)r.Info["loss"], Is.EqualTo(-ret).Within(1e-9));
        Assert.That(ret, Is.LessThan(0).And.GreaterThan(-16.3 * 200));
    }

    [Test]
    public void TimeFeatureOptionKeepsTheFiniteHorizonMdp()
    {
        using var env = Tasks.Create("pendulum:time_feature=true").CreateEnv();
        var (obs, _) = env.Reset(seed: 42);
        Assert.That(obs.Length, Is.EqualTo(4), "cos θ, sin θ, θ̇, t/200");
        Assert.That(obs[3], Is.EqualTo(0));
        StepResult<double[]> r;
        int steps = 0;
        do { r = env.Step([0.5]); steps++; } while (!r.Done);
        Assert.That((steps, r.Terminated, r.Truncated, r.Observation[3]), Is.EqualTo((200, true, false, 1.0)));
        Assert.Throws<ArgumentException>(() => Tasks.Create("pendulum:time_feature=maybe"));
    }

    /// <summary>
    /// Gymnasium 1.x Pendulum-v1's step, transcribed from its source: u = clip(u, −2, 2); cost = angle_normalize(θ)² +
    /// 0.1 θ̇² + 0.001 u²; θ̇' = clip(θ̇ + (3g/(2l) sin θ + 3/(m l²) u) dt, ±8); θ' = θ + θ̇' dt; obs (cos θ', sin θ', θ̇').
    /// </summary>
    static (double Th, double Thdot, double Reward) ReferenceStep(double th, double thdot, double u)
    {
        const double g = 10, m = 1, l = 1, dt = 0.05;
        u = Math.Clamp(u, -2, 2);
        double norm = ((th + Math.PI) % (2 * Math.PI) + 2 * Math.PI) % (2 * Math.PI) - Math.PI; // numpy's % is a floored modulo
        double cost = norm * norm + 0.1 * thdot * thdot + 0.001 * u * u;
        double newThdot = Math.Clamp(thdot + (3 * g / (2 * l) * Math.Sin(th) + 3.0 / (m * l * l) * u) * dt, -8, 8);
        return (th + newThdot * dt, newThdot, -cost);
    }

    [Test]
    public void StepsMatchPendulumV1IncludingClippedActions()
    {
        using var env = Tasks.Create("pendulum").CreateEnv();
        var (obs, _) = env.Reset(seed: 7);
        double th = Math.Atan2(obs[1], obs[0]), thdot = obs[2];
        var rng = Rng.Create(11);
        for (int t = 0; t < 200; t++)
        {
            // Torques up to ±5: Pendulum-v1 clips them to ±2 (one in three steps is out of range here).
            double u = -5 + 10 * rng.NextDouble();
            var (refTh, refThdot, refReward) = ReferenceStep(th, thdot, u);
            var r = env.Step([u]);
            Assert.That(r.Reward, Is.EqualTo(refReward).Within(1e-9), $"reward at step {t}");
            Assert.That(r.Observation[0], Is.EqualTo(Math.Cos(refTh)).Within(1e-9));
            Assert.That(r.Observation[1], Is.EqualTo(Math.Sin(refTh)).Within(1e-9));
            Assert.That(r.Observation[2], Is.EqualTo(refThdot).Within(1e-9));
            Assert.That(r.Truncated, Is.EqualTo(t == 199));
            (th, thdot) = (refTh, refThdot);
        }
        // Clipping never hides bad input: NaN and wrong lengths are still one-line errors naming the value.
        env.Reset(seed: 1);
        Assert.That(Assert.Throws<ArgumentException>(() => env.Step([double.NaN]))!.Message, Does.Contain("action[0] is NaN"));
        Assert.That(Assert.Throws<ArgumentException>(() => env.Step([1.0, 2.0]))!.Message, Does.Contain("length 2, expected 1"));
    }

    [Test]
    public void InitialStatesCoverTheGymnasiumRanges()
    {
        var dyn = new PendulumDynamics();
        var rng = Rng.Create(1);
        var s = new double[4];
        double minTh = 9, maxTh = -9, maxV = 0;
        for (int i = 0; i < 2000; i++)
        {
            dyn.InitialState(s, rng);
            minTh = Math.Min(minTh, s[0]); maxTh = Math.Max(maxTh, s[0]); maxV = Math.Max(maxV, Math.Abs(s[1]));
        }
        Assert.That(minTh, Is.LessThan(-3.0).And.GreaterThanOrEqualTo(-Math.PI));
        Assert.That(maxTh, Is.GreaterThan(3.0).And.LessThanOrEqualTo(Math.PI));
        Assert.That(maxV, Is.GreaterThan(0.99).And.LessThanOrEqualTo(1.0));
    }

    /// <summary>Full 200-step episodes (finite differences lose digits over the long chaotic horizon) and 20-step ones.</summary>
    [TestCase(200, 1e-5)]
    [TestCase(20, 1e-7)]
    public void GradientMatchesFiniteDifferences(int horizon, double tolerance)
    {
        var objective = new EpisodeObjective(new PendulumDynamics(horizon: horizon));
        var report = GradientCheck.Run(objective, points: 4, seed: 3);
        Assert.That(report.SmoothCount, Is.GreaterThanOrEqualTo(2));
        Assert.That(report.MaxSmoothError, Is.LessThan(tolerance));
    }

    [Test]
    public void ParameterGradientsMatchFiniteDifferences()
    {
        var dyn = new PendulumDynamics(horizon: 40);
        var x = Enumerable.Range(0, 40).Select(i => Math.Sin(0.3 * i)).ToArray();
        using var env = new DifferentiableEnv(dyn);
        env.Recording = true;
        env.Reset(seed: 0);
        for (int t = 0; t < 40; t++) env.Step([x[t]]);
        var g = env.Backward();
        for (int i = 0; i < 2; i++)
        {
            double h = 1e-6;
            var up = dyn.DefaultParameters(); up[i] += h;
            var down = dyn.DefaultParameters(); down[i] -= h;
            double fd = (new EpisodeObjective(dyn, up).Loss(x) - new EpisodeObjective(dyn, down).Loss(x)) / (2 * h);
            Assert.That(g.Parameters[i], Is.EqualTo(fd).Within(1e-5 * Math.Max(1, Math.Abs(fd))), dyn.ParameterNames[i]);
        }
    }

    [Test]
    public void RegisteredWithOptions()
    {
        Assert.That(Tasks.Contains("pendulum"));
        var t = Tasks.Create("pendulum:g=9.81");
        Assert.That(t.Name, Is.EqualTo("pendulum:g=9.81"));
        Assert.That(((PendulumDynamics)t.Dynamics).Gravity, Is.EqualTo(9.81));
        Assert.That(t.Dimension, Is.EqualTo(200));
        Assert.Throws<ArgumentException>(() => Tasks.Create("pendulum:g=-1"));
        using var env = t.CreateEnv(RenderModes.RgbArray);
        env.Reset(seed: 0);
        Assert.That(env.Render(), Is.Not.Null);
    }
}
