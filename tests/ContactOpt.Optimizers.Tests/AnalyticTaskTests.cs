using ContactOpt.Envs.Analytic;
using ContactOpt.Tasks;

namespace ContactOpt.Optimizers.Tests;

public class AnalyticTaskTests
{
    static readonly string[] Names = ["sphere", "ellipsoid", "rosenbrock", "rastrigin", "ackley", "styblinski-tang", "branin", "hartmann6"];

    [TestCaseSource(nameof(Names))]
    public void ExactGradientsMatchFiniteDifferences(string name)
    {
        foreach (var task in new[] { name, name is "branin" or "hartmann6" ? name : name + ":dim=3" })
        {
            var f = Harness.Tasks.Create(task).CreateObjective();
            var report = GradientCheck.Run(f, points: 6, seed: 1);
            Assert.That(report.SmoothCount, Is.EqualTo(6), $"{task}: smooth functions should be smooth at random points");
            Assert.That(report.MaxSmoothError, Is.LessThan(1e-6), $"{task}: max relative error");
        }
    }

    [TestCaseSource(nameof(Names))]
    public void GlobalMinimumValueAtMinimizer(string name)
    {
        var task = Harness.Tasks.Create(name);
        var dyn = (AnalyticDynamics)task.Dynamics;
        var f = task.CreateObjective();
        double tol = name is "hartmann6" ? 1e-5 : 1e-9;
        Assert.That(f.Loss(dyn.Minimizer), Is.EqualTo(dyn.MinimumValue).Within(tol));
        Assert.That(f.Loss(f.InitialGuess.ToArray()), Is.GreaterThan(dyn.MinimumValue + 1e-3), "the initial guess must not be the optimum");
        Assert.That(task.SuccessThreshold, Is.EqualTo(dyn.MinimumValue + 1e-3));
    }

    [Test]
    public void KnownValues()
    {
        Assert.That(Harness.Tasks.Create("branin").CreateObjective().Loss([-Math.PI, 12.275]), Is.EqualTo(0.397887).Within(1e-6));
        Assert.That(Harness.Tasks.Create("branin").CreateObjective().Loss([9.42478, 2.475]), Is.EqualTo(0.397887).Within(1e-6));
        Assert.That(Harness.Tasks.Create("rosenbrock:dim=2").CreateObjective().Loss([0, 0]), Is.EqualTo(1.0));
        Assert.That(Harness.Tasks.Create("rastrigin:dim=2").CreateObjective().Loss([1, 0]), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(Harness.Tasks.Create("ackley:dim=2").CreateObjective().Loss([0, 0]), Is.EqualTo(0).Within(1e-12));
        var g = new double[2];
        Harness.Tasks.Create("ackley:dim=2").CreateObjective().LossAndGradient([0, 0], g);
        Assert.That(g, Is.All.EqualTo(0.0), "Ackley's kink at the optimum has gradient 0, not NaN");
    }

    [Test]
    public void DimensionOption()
    {
        Assert.That(Harness.Tasks.Create("rosenbrock:dim=3").Dimension, Is.EqualTo(3));
        Assert.That(Harness.Tasks.Create("rosenbrock:dim=3").Name, Is.EqualTo("rosenbrock:dim=3"));
        Assert.That(Harness.Tasks.Create("sphere").Dimension, Is.EqualTo(10));
        Assert.That(Harness.Tasks.Create("hartmann6").Dimension, Is.EqualTo(6));
        var e = Assert.Throws<ArgumentException>(() => Harness.Tasks.Create("rosenbrock:dim=1"));
        Assert.That(e!.Message, Does.Contain("dim=1"));
        Assert.Throws<ArgumentException>(() => Harness.Tasks.Create("sphere:dim=ten"));
        Assert.Throws<ArgumentException>(() => Harness.Tasks.Create("branin:dim=3"));
    }

    [Test]
    public void BoundsAreTheConventionalOnes()
    {
        var f = Harness.Tasks.Create("ackley:dim=2").CreateObjective();
        Assert.That(f.Lower, Is.All.EqualTo(-32.768));
        Assert.That(f.Upper, Is.All.EqualTo(32.768));
        var b = Harness.Tasks.Create("branin").CreateObjective();
        Assert.That(b.Lower, Is.EqualTo(new[] { -5.0, 0.0 }));
        Assert.That(b.Upper, Is.EqualTo(new[] { 10.0, 15.0 }));
    }
}
