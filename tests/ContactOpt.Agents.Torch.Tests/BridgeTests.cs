using ContactOpt.Envs;
using ContactOpt.Envs.Pendulum;
using ContactOpt.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace ContactOpt.Agents.Torch.Tests;

/// <summary>The TorchSharp autograd bridge returns the environment's own exact gradients.</summary>
public class BridgeTests
{
    static readonly TaskRegistry Tasks = BuiltinTasks.CreateRegistry();

    [SetUp] public void OneThread() => torch.set_num_threads(1);

    static double[] Grad(Tensor t) => t.grad!.to_type(ScalarType.Float64).data<double>().ToArray();

    [TestCase("flip", new[] { 0.0, 0.25 })]
    [TestCase("flip", new[] { 0.2, 0.4 })]
    [TestCase("grasp", new[] { -0.2, 0.3, 0.2, 0.3 })]
    public void StepBridgeEqualsEpisodeObjectiveGradient(string name, double[] x)
    {
        var task = Tasks.Create(name);
        var objective = task.CreateObjective();
        var expected = new double[x.Length];
        double loss = objective.LossAndGradient(x, expected);

        using var scope = torch.NewDisposeScope();
        var sim = new DifferentiableSimulator(task.Dynamics);
        var action = torch.tensor(x, dtype: ScalarType.Float64).requires_grad_();
        var (_, cost) = sim.Step(torch.tensor(objective.InitialState.ToArray()), action, t: 0);
        cost.backward();
        Assert.That(cost.item<double>(), Is.EqualTo(loss).Within(1e-12));
        Assert.That(GradientCheck.RelativeError(Grad(action), expected), Is.LessThan(1e-10));

        var x2 = torch.tensor(x, dtype: ScalarType.Float64).requires_grad_();
        var l2 = DifferentiableSimulator.ObjectiveLoss(objective, x2);
        (2.0 * l2).backward();
        Assert.That(l2.item<double>(), Is.EqualTo(loss).Within(1e-12));
        Assert.That(GradientCheck.RelativeError(Grad(x2), expected.Select(g => 2 * g).ToArray()), Is.LessThan(1e-12));
    }

    [Test]
    public void ParameterAndInitialStateGradientsMatchTheRecordedStepView()
    {
        var task = Tasks.Create("flip");
        using var env = task.CreateEnv();
        env.Recording = true;
        env.Reset(seed: 0);
        env.Step([0.1, 0.3]);
        var expected = env.Backward();

        using var scope = torch.NewDisposeScope();
        var sim = new DifferentiableSimulator(task.Dynamics);
        var s0 = sim.InitialState(Rng.Create(0)).requires_grad_();
        var p = sim.Parameters(requiresGrad: true);
        var (_, cost) = sim.Step(s0, torch.tensor(new[] { 0.1, 0.3 }), 0, p);
        cost.backward();
        Assert.That(GradientCheck.RelativeError(Grad(p), expected.Parameters), Is.LessThan(1e-10));
        Assert.That(GradientCheck.RelativeError(Grad(s0), expected.InitialState), Is.LessThan(1e-10));
    }

    [Test]
    public void MultiStepRolloutEqualsEpisodeObjectiveGradient()
    {
        // Pendulum, 200 open-loop torques: the chained per-step VJPs equal one reverse sweep over the episode.
        var task = Tasks.Create("pendulum");
        var objective = task.CreateObjective();
        var rng = Rng.Create(5);
        var x = Enumerable.Range(0, objective.Dimension).Select(_ => -1.5 + 3 * rng.NextDouble()).ToArray();
        var expected = new double[x.Length];
        double loss = objective.LossAndGradient(x, expected);

        using var scope = torch.NewDisposeScope();
        var sim = new DifferentiableSimulator(task.Dynamics);
        var u = torch.tensor(x, dtype: ScalarType.Float64).requires_grad_();
        var total = sim.Rollout(sim.InitialState(Rng.Create(0)), (obs, t) => u.narrow(0, t, 1));
        total.backward();
        Assert.That(total.item<double>(), Is.EqualTo(loss).Within(1e-9 * Math.Abs(loss)));
        Assert.That(GradientCheck.RelativeError(Grad(u), expected), Is.LessThan(1e-10));
    }

    [Test]
    public void FeedbackPolicyGradientThroughObservationsMatchesFiniteDifferences()
    {
        // a = K·(cos θ, sin θ, θ̇, t/H) on a 30-step pendulum: gradients flow through the observation bridge too.
        var dyn = new PendulumDynamics(horizon: 30);
        var sim = new DifferentiableSimulator(dyn);
        double[] k = [0.1, -0.2, -0.05, 0.1];
        using var scope = torch.NewDisposeScope();
        var kt = torch.tensor(k, dtype: ScalarType.Float64).requires_grad_();
        var s0 = sim.InitialState(Rng.Create(3));
        var loss = sim.Rollout(s0, (obs, t) => (obs * kt).sum().unsqueeze(0));
        loss.backward();
        var g = Grad(kt);

        double Loss(double[] kk)
        {
            var s = sim.InitialState(Rng.Create(3)).data<double>().ToArray();
            var obs = new double[3]; double total = 0;
            var p = dyn.DefaultParameters();
            var step = new StepFunction(dyn);
            var next = new double[s.Length];
            for (int t = 0; t < dyn.Horizon; t++)
            {
                dyn.Observe(Episode.AsReal((ReadOnlySpan<double>)s), Episode.AsReal(obs.AsSpan()));
                double a = kk[0] * obs[0] + kk[1] * obs[1] + kk[2] * obs[2] + kk[3] * t / dyn.Horizon;
                total += step.Forward(s, [a], p, t, next);
                (s, next) = (next, s);
            }
            return total;
        }
        Assert.That(loss.item<double>(), Is.EqualTo(Loss(k)).Within(1e-9));
        var fd = new double[4];
        for (int i = 0; i < 4; i++)
        {
            var up = (double[])k.Clone(); up[i] += 1e-6;
            var down = (double[])k.Clone(); down[i] -= 1e-6;
            fd[i] = (Loss(up) - Loss(down)) / 2e-6;
        }
        Assert.That(GradientCheck.RelativeError(g, fd), Is.LessThan(1e-6));
    }

    [Test]
    public void AdamThroughTheBridgeLowersTheFlipLoss()
    {
        var task = Tasks.Create("flip");
        var sim = new DifferentiableSimulator(task.Dynamics);
        var s0 = sim.InitialState(Rng.Create(0));
        var x = torch.nn.Parameter(torch.tensor(new[] { 0.0, 0.25 }, dtype: ScalarType.Float64));
        var opt = torch.optim.Adam([x], lr: 0.05);
        double first = 0, last = 0;
        for (int i = 0; i < 30; i++)
        {
            using var scope = torch.NewDisposeScope();
            opt.zero_grad();
            var (_, cost) = sim.Step(s0, x, 0);
            cost.backward();
            opt.step();
            if (i == 0) first = cost.item<double>();
            last = cost.item<double>();
        }
        Assert.That(first, Is.EqualTo(2.759366).Within(1e-6));
        Assert.That(last, Is.LessThan(0.5 * first));
    }

    [Test]
    public void BadShapesAreRejected()
    {
        var sim = new DifferentiableSimulator(Tasks.Create("flip").Dynamics);
        var s = torch.zeros(10, dtype: ScalarType.Float64);
        var ex = Assert.Throws<ArgumentException>(() => sim.Step(s, torch.zeros(3, dtype: ScalarType.Float64), 0));
        Assert.That(ex!.Message, Does.Contain("action").And.Contain("2 values"));
        Assert.Throws<ArgumentOutOfRangeException>(() => sim.Step(s, torch.zeros(2, dtype: ScalarType.Float64), 1));
    }
}
