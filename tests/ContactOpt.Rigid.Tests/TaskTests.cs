using ContactOpt.Envs;
using ContactOpt.Tasks;

namespace ContactOpt.Rigid.Tests;

/// <summary>Registration, documented options and bounds, input validation and determinism of every rigid task.</summary>
public class TaskTests
{
    [TestCase("cartpole", 200)]
    [TestCase("cartpole3", 400)]
    [TestCase("pinball", 2)]
    [TestCase("pinball16", 16)]
    [TestCase("bounce", 3)]
    public void RegisteredWithFiniteBoundsAPresetAndASuccessThreshold(string name, int dimension)
    {
        var registry = BuiltinTasks.CreateRegistry();
        Assert.That(registry.Contains(name), Is.True);
        var task = registry.Create(name);
        Assert.That(task.Name, Is.EqualTo(name));
        Assert.That(task.Dimension, Is.EqualTo(dimension));
        Assert.That(task.Description, Does.Contain("loss"));
        Assert.That(task.SuccessThreshold, Is.Not.Null);
        var f = task.CreateObjective();
        Assert.That(f.Lower.All(double.IsFinite) && f.Upper.All(double.IsFinite), Is.True, "finite action bounds");
        for (int i = 0; i < f.Dimension; i++)
            Assert.That(f.InitialGuess[i], Is.InRange(f.Lower[i], f.Upper[i]));
        Assert.That(double.IsFinite(f.Loss(f.InitialGuess.ToArray())), Is.True);
        var l = task.Landscape!;
        foreach (var (u, w) in new[] { (l.XMin, l.YMin), (l.XMax, l.YMax), (0.5 * (l.XMin + l.XMax), l.YMin) })
        {
            var x = l.ToParameters(u, w);
            Assert.That(x, Has.Length.EqualTo(dimension));
            for (int i = 0; i < x.Length; i++) Assert.That(x[i], Is.InRange(f.Lower[i], f.Upper[i]));
        }
    }

    [Test]
    public void OptionsHaveCanonicalNames()
    {
        Assert.That(Util.Task("bounce:contact=penalty").Name, Is.EqualTo("bounce"));
        Assert.That(Util.Task("bounce:contact=impulse-toi").Name, Is.EqualTo("bounce:contact=impulse-toi"));
        Assert.That(Util.Task("bounce:contact=impulse").Description, Does.Contain("without time-of-impact"));
        var ex = Assert.Throws<ArgumentException>(() => Util.Task("cartpole:links=2"));
        Assert.That(ex!.Message, Does.Contain("takes none"));
    }

    [TestCaseSource(typeof(Util), nameof(Util.TaskNames))]
    public void BadParametersAreRejectedWithClearMessages(string name)
    {
        var f = Util.Task(name).CreateObjective();
        int d = f.Dimension;
        var ex = Assert.Throws<ArgumentException>(() => f.Loss(new double[d - 1]));
        Assert.That(ex!.Message, Does.Contain($"x has length {d - 1}, expected {d}"));
        var x = f.InitialGuess.ToArray(); x[d / 2] = double.NaN;
        ex = Assert.Throws<ArgumentException>(() => f.LossAndGradient(x, new double[d]));
        Assert.That(ex!.Message, Does.Contain($"x[{d / 2}] is NaN"));
        x[d / 2] = double.PositiveInfinity;
        ex = Assert.Throws<ArgumentException>(() => f.Loss(x));
        Assert.That(ex!.Message, Does.Contain("must be finite"));
        ex = Assert.Throws<ArgumentException>(() => f.LossAndGradient(f.InitialGuess.ToArray(), new double[d + 1]));
        Assert.That(ex!.Message, Does.Contain("gradient has length"));
    }

    [TestCaseSource(typeof(Util), nameof(Util.TaskNames))]
    public void IdenticalInputsGiveBitIdenticalResultsAlsoInParallel(string name)
    {
        var task = Util.Task(name);
        var x = Util.RandomPoint(task.CreateObjective(), Rng.Create(17), 0.8);
        (double Loss, double Grad, double[] G) Run()
        {
            var f = task.CreateObjective();
            var g = new double[x.Length];
            double grad = f.LossAndGradient(x, g);
            return (f.Loss(x), grad, g);
        }
        var reference = Run();
        Assert.That(reference.Grad, Is.EqualTo(reference.Loss), "loss-only and gradient rollouts agree exactly");
        var results = new (double, double, double[])[2];
        Parallel.For(0, 2, i => results[i] = Run());
        foreach (var (loss, grad, g) in results.Append(Run()))
        {
            Assert.That(loss, Is.EqualTo(reference.Loss));
            Assert.That(grad, Is.EqualTo(reference.Grad));
            Assert.That(g, Is.EqualTo(reference.G).AsCollection);
        }
    }

    [TestCaseSource(typeof(Util), nameof(Util.SmallTaskNames))]
    public void ReverseAndForwardModeAgree(string name)
    {
        // The parameter view picks one mode by dimension; the other must give the same gradient.
        var task = Util.Task(name);
        var x = Util.RandomPoint(task.CreateObjective(), Rng.Create(23), 0.8);
        var gf = new double[x.Length]; var gr = new double[x.Length];
        double lf = new EpisodeObjective(task.Dynamics, mode: GradientMode.Forward).LossAndGradient(x, gf);
        double lr = new EpisodeObjective(task.Dynamics, mode: GradientMode.Reverse).LossAndGradient(x, gr);
        Assert.That(lf, Is.EqualTo(lr));
        Assert.That(GradientCheck.RelativeError(gf, gr), Is.LessThan(1e-10));
    }
}
