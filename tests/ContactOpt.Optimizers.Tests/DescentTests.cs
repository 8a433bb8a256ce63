using ContactOpt.Agents;
using ContactOpt.Budget;

namespace ContactOpt.Optimizers.Tests;

/// <summary>Dawson's two gradient-descent variants on flip (flip-grasp.md §3, §4.2).</summary>
public class DescentTests
{
    [Test]
    public void ExactGdReproducesTheFlipReferenceTrace()
    {
        // α = 0.1, 5 updates + the final evaluation = 6 episodes.
        var (result, trace, budget) = Harness.Run(Harness.Optimizer("gd"), "flip", 6, seed: 0);
        double[] costs = [2.759366, 1.319495, 0.126742, 0.042903, 0.045407, 0.044645];
        Assert.That(trace.Episodes, Has.Count.EqualTo(6));
        for (int i = 0; i < 6; i++)
        {
            Assert.That(trace.Episodes[i].Loss, Is.EqualTo(costs[i]).Within(1e-5), $"iterate {i}");
            Assert.That(trace.Episodes[i].Gradient, Is.True, "gd uses loss-and-gradient episodes");
        }
        double[][] setpoints = [[0, 0.25], [0.099641, 0.310266], [0.505114, 0.997311], [0.341987, 0.854905], [0.350804, 0.850263], [0.353751, 0.838865]];
        for (int i = 0; i < 6; i++)
            Assert.That(trace.Episodes[i].Parameters, Is.EqualTo(setpoints[i]).Within(2e-5), $"setpoint {i}");
        Assert.That(result.BestLoss, Is.EqualTo(0.042903).Within(1e-5));
        Assert.That(budget.Used, Is.EqualTo(6));
    }

    [Test]
    public void Float32OptionKeepsIteratesOnTheFloatGrid()
    {
        var (_, trace, _) = Harness.Run(Harness.Optimizer("gd", ("float32", "true")), "flip", 6, seed: 0);
        foreach (var e in trace.Episodes)
            foreach (var v in e.Parameters) Assert.That((double)(float)v, Is.EqualTo(v));
        Assert.That(trace.Episodes[5].Loss, Is.EqualTo(0.044645).Within(1e-4));
    }

    [Test]
    public void Float32GdKeepsTheGraspRunMirrorSymmetric()
    {
        // Dawson's grasp exact GD (α = 0.5, 100 updates): with float32 rounding the iterates stay mirror images
        // (x2 = −x1, z2 = z1) through the sharp drop around iterate 50 and the cost ends below 0.16 (flip-grasp.md §4, §6.1).
        var (_, trace, _) = Harness.Run(Harness.Optimizer("gd", ("step_size", "0.5"), ("float32", "true")), "grasp", 101, seed: 0);
        foreach (var e in trace.Episodes)
        {
            Assert.That(e.Parameters[2], Is.EqualTo(-e.Parameters[0]), $"iterate {e.Index}: x2 = −x1");
            Assert.That(e.Parameters[3], Is.EqualTo(e.Parameters[1]), $"iterate {e.Index}: z2 = z1");
        }
        Assert.That(trace.Episodes[0].Loss, Is.EqualTo(0.570232).Within(1e-6));
        Assert.That(trace.Episodes[^1].Loss, Is.LessThan(0.16));
    }

    [TestCase("reference", 1.0)]
    [TestCase("unbiased", 1.0 / 0.25)]
    public void PerturbationGdFollowsTheReferenceRule(string estimator, double scale)
    {
        // σ = 0.5, α = 0.1, 10 iterations + final evaluation = 21 loss-only episodes.
        var (_, trace, budget) = Harness.Run(Harness.Optimizer("sgd", ("estimator", estimator)), "flip", 21, seed: 0);
        var e = trace.Episodes;
        Assert.That(e, Has.Count.EqualTo(21));
        Assert.That(budget.Used, Is.EqualTo(21));
        Assert.That(e.All(r => !r.Gradient), "sgd never asks for gradients");
        Assert.That(e[0].Parameters, Is.EqualTo(new[] { 0.0, 0.25 }));
        Assert.That(e[0].Loss, Is.EqualTo(2.759366).Within(1e-6));
        var perturbations = new List<double>();
        for (int k = 0; k < 10; k++)
        {
            var theta = e[2 * k].Parameters; var probe = e[2 * k + 1].Parameters; var next = e[2 * k + 2].Parameters;
            double c = e[2 * k].Loss, cp = e[2 * k + 1].Loss;
            for (int i = 0; i < 2; i++)
            {
                double w = probe[i] - theta[i];
                perturbations.Add(w);
                double expected = theta[i] - 0.1 * (cp - c) * w * scale;
                Assert.That(next[i], Is.EqualTo(expected).Within(1e-12), $"iteration {k}, coordinate {i}");
            }
        }
        // w = σ·ε: the sample standard deviation of 20 draws should be near σ = 0.5.
        double sd = Math.Sqrt(perturbations.Select(w => w * w).Average());
        Assert.That(sd, Is.InRange(0.25, 0.8));
    }

    [Test]
    public void SgdTraceDependsOnTheSeedOnly()
    {
        var a = Harness.Run(Harness.Optimizer("sgd"), "flip", 9, seed: 4).Trace.Episodes.Select(r => r.Loss).ToArray();
        var b = Harness.Run(Harness.Optimizer("sgd"), "flip", 9, seed: 4).Trace.Episodes.Select(r => r.Loss).ToArray();
        var c = Harness.Run(Harness.Optimizer("sgd"), "flip", 9, seed: 5).Trace.Episodes.Select(r => r.Loss).ToArray();
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.Not.EqualTo(c));
    }

    [Test]
    public void GdProjectsOntoBounds()
    {
        // A huge step on Rastrigin would leave the box; every iterate must stay inside [−5.12, 5.12].
        var (_, trace, _) = Harness.Run(Harness.Optimizer("gd", ("step_size", "5")), "rastrigin:dim=3", 20, seed: 0);
        Assert.That(trace.Episodes.SelectMany(e => e.Parameters), Is.All.InRange(-5.12, 5.12));
        Assert.That(trace.Episodes.SelectMany(e => e.Parameters).Any(v => Math.Abs(v) == 5.12), "some iterate should sit on the bound");
    }

    [Test]
    public void BoundedDescentHaltsAfterMoreThanPatienceStagnatingSteps()
    {
        // Too large a step on a quadratic: the loss increases every step, so the descent stops after 1 + 4 episodes.
        var f = new FuncObjective(1, -100, 100, [1.0], x => x[0] * x[0], x => [2 * x[0]]);
        var budget = new EpisodeBudget(100);
        var ev = new Evaluator(new BudgetedObjective(f, budget));
        var outcome = BoundedDescent.Run(ev, [1.0], stepSize: 1.5, maxSteps: 50, patience: 3, minImprovement: 0);
        Assert.That(outcome.Steps, Is.EqualTo(5));
        Assert.That(outcome.Halted, Is.True);
        Assert.That(outcome.BestLoss, Is.EqualTo(1.0));
        // A good step runs to max_steps.
        var good = BoundedDescent.Run(ev, [1.0], stepSize: 0.1, maxSteps: 7, patience: 3, minImprovement: 0);
        Assert.That(good.Steps, Is.EqualTo(7));
        Assert.That(good.Halted, Is.False);
    }
}
