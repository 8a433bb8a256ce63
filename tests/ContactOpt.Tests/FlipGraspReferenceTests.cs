using ContactOpt.Envs;
using ContactOpt.Envs.BoxFinger;
using ContactOpt.Tasks;

namespace ContactOpt.Tests;

/// <summary>Reference values from docs/flip-grasp.md (reference code, float64 re-derivation).</summary>
public class FlipGraspReferenceTests
{
    static readonly TaskRegistry Registry = BuiltinTasks.CreateRegistry();

    [Test]
    public void FlipLossAndGradientAtInitialGuess()
    {
        var f = Registry.Create("flip").CreateObjective();
        var g = new double[2];
        double loss = f.LossAndGradient([0.0, 0.25], g);
        Assert.That(loss, Is.EqualTo(2.759366).Within(1e-6));
        Assert.That(g[0], Is.EqualTo(-0.99641).Within(1e-5));
        Assert.That(g[1], Is.EqualTo(-0.60266).Within(1e-5));
        Assert.That(f.Loss([0.0, 0.25]), Is.EqualTo(loss), "loss-only and gradient rollouts must agree exactly");
    }

    [Test]
    public void FlipFinalStateAtInitialGuess()
    {
        var o = Registry.Create("flip").CreateObjective();
        var s = o.InitialState.ToArray();
        var t = Registry.Create("flip");
        var env = t.CreateEnv();
        env.Reset(seed: 0);
        env.Step([0.0, 0.25]);
        var box = env.State;
        double[] expected = [-0.5953, 0.2442, 1.5508, 0.7341, 0.0006, 0.0116];
        for (int i = 0; i < 6; i++) Assert.That(box[i], Is.EqualTo(expected[i]).Within(1e-4), $"box state {i}");
        Assert.That(s[0], Is.EqualTo(-1.0));
    }

    [Test]
    public void FlipExactGdTraceReproduces()
    {
        // Exact GD, α = 0.1, 5 updates (flip-grasp.md §4.2).
        var f = Registry.Create("flip").CreateObjective();
        double[] x = [0.0, 0.25];
        double[] costs = [2.759366, 1.319495, 0.126742, 0.042903, 0.045407, 0.044645];
        var g = new double[2];
        for (int i = 0; i <= 5; i++)
        {
            double c = f.LossAndGradient(x, g);
            Assert.That(c, Is.EqualTo(costs[i]).Within(1e-5), $"iterate {i} (stored trace is float32 JAX)");
            if (i == 1) { Assert.That(g[0], Is.EqualTo(-4.0547).Within(1e-4)); Assert.That(g[1], Is.EqualTo(-6.8704).Within(1e-4)); }
            x[0] -= 0.1 * g[0]; x[1] -= 0.1 * g[1];
        }
    }

    [Test]
    public void FlipOptimumCost()
    {
        var f = Registry.Create("flip").CreateObjective();
        Assert.That(f.Loss([0.353751, 0.838865]), Is.EqualTo(0.044645).Within(2e-6));
    }

    [Test]
    public void GraspLossAndGradientAtInitialGuess()
    {
        var f = Registry.Create("grasp").CreateObjective();
        var g = new double[4];
        double loss = f.LossAndGradient([-0.05, 0.25, 0.05, 0.25], g);
        Assert.That(loss, Is.EqualTo(0.570232).Within(1e-6));
        double[] expected = [8.4637e-4, -9.2774e-3, -8.4637e-4, -9.2774e-3];
        for (int i = 0; i < 4; i++) Assert.That(g[i], Is.EqualTo(expected[i]).Within(Math.Abs(expected[i]) * 1e-4), $"gradient {i}");
    }

    [Test]
    public void GraspRestingPlateau()
    {
        // Fingers far away from the box: the box rests on the ground, cost 0.569881.
        var f = Registry.Create("grasp").CreateObjective();
        Assert.That(f.Loss([-5, 0.25, 5, 0.25]), Is.EqualTo(0.569881).Within(2e-6));
    }

    [TestCase(0, 0, 0, 0.3, 0, 0.050010)]
    [TestCase(0, 0, 0, 0.3, 0.3, 0.070711)]
    [TestCase(0, 0, 0, 0.2, 0, -0.048586)]
    [TestCase(0, 0, 0, 0, 0, -0.248586)]
    [TestCase(0, 0, Math.PI / 4, 0.3, 0, -0.036454)]
    [TestCase(1, 0.25, 0.3, 1.1, 0.5, -0.039304)]
    public void SignedDistanceSpotValues(double bx, double bz, double th, double x, double z, double phi)
    {
        Assert.That(BoxFingerDynamics.SignedDistance(bx, bz, th, x, z), Is.EqualTo(phi).Within(1e-6));
    }

    [Test]
    public void CorrectedCornerVelocityChangesTheFlipButNotTheRestingGrasp()
    {
        var reference = Registry.Create("flip").CreateObjective();
        var corrected = Registry.Create("flip:corner_velocity=corrected").CreateObjective();
        Assert.That(corrected.Loss([0.35, 0.84]), Is.Not.EqualTo(reference.Loss([0.35, 0.84])).Within(1e-9));
        // A box that never rotates is unaffected by the corner-velocity variant.
        var g1 = Registry.Create("grasp").CreateObjective();
        var g2 = Registry.Create("grasp:corner_velocity=corrected").CreateObjective();
        Assert.That(g2.Loss([-5, 0.25, 5, 0.25]), Is.EqualTo(g1.Loss([-5, 0.25, 5, 0.25])));
        Assert.That(Registry.Create("flip:corner_velocity=corrected").Name, Is.EqualTo("flip:corner_velocity=corrected"));
        Assert.That(Registry.Create("flip:corner_velocity=reference").Name, Is.EqualTo("flip"));
    }
}
