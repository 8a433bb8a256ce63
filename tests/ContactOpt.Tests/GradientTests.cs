using ContactOpt.Envs;
using ContactOpt.Tasks;

namespace ContactOpt.Tests;

/// <summary>Exact gradients of every task against central finite differences.</summary>
public class GradientTests
{
    static readonly TaskRegistry Registry = BuiltinTasks.CreateRegistry();
    static IEnumerable<string> AllTasks() => Registry.All.Select(s => s.TestName);
    /// <summary>Every task that declares bounded physical parameters, in its physical-parameter view.</summary>
    static IEnumerable<string> PhysicalViews() => AllTasks()
        .Where(n => Registry.Create(n).Dynamics.ParameterBounds is not null)
        .Select(n => n + (n.Contains(':') ? "," : ":") + TaskRegistry.ViewOption + "=physical");

    [TestCaseSource(nameof(AllTasks))]
    public void ParameterViewGradientMatchesFiniteDifferencesAtRandomSmoothPoints(string name)
    {
        var f = Registry.Create(name).CreateObjective();
        // High-dimensional tasks (the 200-D and 400-D cart-poles) check 12 random coordinates per point.
        var report = GradientCheck.Run(f, points: 40, seed: 2024, maxCoordinates: 12);
        var smooth = report.Points.Where(p => p.Smooth).ToList();
        Assert.That(smooth.Count, Is.GreaterThanOrEqualTo(20), "too few smooth points to check");
        foreach (var p in smooth)
            Assert.That(p.RelativeError, Is.LessThan(1e-5), $"at x = [{string.Join(", ", p.X)}]: automatic [{string.Join(", ", p.Automatic)}] vs FD [{string.Join(", ", p.FiniteDifference)}]");
    }

    [TestCaseSource(nameof(PhysicalViews))]
    public void PhysicalParameterViewGradientMatchesFiniteDifferences(string name)
    {
        using var f = Registry.Create(name).CreateObjective();
        var report = GradientCheck.Run(f, points: 6, seed: 77);
        var smooth = report.Points.Where(p => p.Smooth).ToList();
        Assert.That(smooth.Count, Is.GreaterThanOrEqualTo(3), "too few smooth points to check");
        foreach (var p in smooth)
            Assert.That(p.RelativeError, Is.LessThan(1e-5), $"at x = [{string.Join(", ", p.X)}]: automatic [{string.Join(", ", p.Automatic)}] vs FD [{string.Join(", ", p.FiniteDifference)}]");
    }

    [TestCase("flip")]
    [TestCase("grasp")]
    public void ForwardAndReverseModesAgree(string name)
    {
        var task = Registry.Create(name);
        var fwd = new EpisodeObjective(task.Dynamics, mode: GradientMode.Forward);
        var rev = new EpisodeObjective(task.Dynamics, mode: GradientMode.Reverse);
        var rng = Rng.Create(5);
        for (int k = 0; k < 5; k++)
        {
            var x = Enumerable.Range(0, fwd.Dimension).Select(i => fwd.SamplingLower[i] + (fwd.SamplingUpper[i] - fwd.SamplingLower[i]) * rng.NextDouble()).ToArray();
            var g1 = new double[x.Length]; var g2 = new double[x.Length];
            double l1 = fwd.LossAndGradient(x, g1), l2 = rev.LossAndGradient(x, g2);
            Assert.That(l2, Is.EqualTo(l1), "both modes run the same code and must give the same value");
            for (int i = 0; i < x.Length; i++) Assert.That(g2[i], Is.EqualTo(g1[i]).Within(1e-12 * Math.Max(1, Math.Abs(g1[i]))));
        }
    }

    [TestCase("flip")]
    [TestCase("grasp")]
    public void StepViewBackwardEqualsParameterViewGradient(string name)
    {
        var task = Registry.Create(name);
        var f = task.CreateObjective();
        var x = f.InitialGuess.Select((v, i) => v + 0.05 * (i + 1)).ToArray();
        var g = new double[x.Length];
        double loss = f.LossAndGradient(x, g);

        using var env = task.CreateEnv();
        env.Recording = true;
        env.Reset(seed: 0);
        var r = env.Step(x);
        Assert.That(r.Terminated, Is.True);
        Assert.That(-r.Reward, Is.EqualTo(loss));
        var eg = env.Backward();
        Assert.That(eg.Loss, Is.EqualTo(loss));
        Assert.That(eg.Actions, Has.Length.EqualTo(1));
        for (int i = 0; i < x.Length; i++) Assert.That(eg.Actions[0][i], Is.EqualTo(g[i]).Within(1e-12 * Math.Max(1, Math.Abs(g[i]))));
    }

    [Test]
    public void StepViewGradientsForPhysicalParametersAndInitialStateMatchFiniteDifferences()
    {
        var task = Registry.Create("flip");
        double[] x = [0.3, 0.8];
        using var env = task.CreateEnv();
        env.Recording = true;
        env.Reset(seed: 0);
        env.Step(x);
        var eg = env.Backward();

        var dyn = task.Dynamics;
        var p0 = dyn.DefaultParameters();
        using var tape = new SegmentTape(dyn);
        double LossWith(double[] p, double[] s0) => Episode.Rollout(tape, s0, x, p);
        var s0 = new double[dyn.StateSize];
        dyn.InitialState(s0, Rng.Create(0));
        for (int i = 0; i < p0.Length; i++)
        {
            double h = 1e-6 * Math.Max(1, Math.Abs(p0[i]));
            var up = (double[])p0.Clone(); up[i] += h; var dn = (double[])p0.Clone(); dn[i] -= h;
            double fd = (LossWith(up, s0) - LossWith(dn, s0)) / (2 * h);
            Assert.That(eg.Parameters[i], Is.EqualTo(fd).Within(1e-5 * Math.Max(1, Math.Abs(fd))), dyn.ParameterNames[i]);
        }
        // Box z (index 1) is skipped: the box starts exactly on the ground, where the loss has a kink.
        foreach (int i in new[] { 0, 3, 7, 8 })
        {
            const double h = 1e-7;
            var up = (double[])s0.Clone(); up[i] += h; var dn = (double[])s0.Clone(); dn[i] -= h;
            double fd = (LossWith(p0, up) - LossWith(p0, dn)) / (2 * h);
            Assert.That(eg.InitialState[i], Is.EqualTo(fd).Within(1e-4 * Math.Max(1, Math.Abs(fd))), $"initial state {i}");
        }
    }

    [Test]
    public void StepFunctionVjpMatchesFiniteDifferences()
    {
        var dyn = Registry.Create("grasp").Dynamics;
        var step = new StepFunction(dyn);
        var s0 = new double[dyn.StateSize];
        dyn.InitialState(s0, Rng.Create(0));
        double[] a = [-0.02, 0.5, 0.02, 0.5];
        var p = dyn.DefaultParameters();
        var rng = Rng.Create(3);
        var w = Enumerable.Range(0, dyn.StateSize).Select(_ => rng.NextDouble() - 0.5).ToArray();
        double wc = 0.7;
        double Scalarised(double[] act)
        {
            var next = new double[dyn.StateSize];
            double c = step.Forward(s0, act, p, 0, next);
            return wc * c + next.Zip(w, (n, wi) => n * wi).Sum();
        }
        var sa = new double[dyn.StateSize]; var aa = new double[4]; var pa = new double[3];
        step.Vjp(s0, a, p, 0, w, wc, sa, aa, pa);
        for (int i = 0; i < 4; i++)
        {
            const double h = 1e-6;
            var up = (double[])a.Clone(); up[i] += h; var dn = (double[])a.Clone(); dn[i] -= h;
            double fd = (Scalarised(up) - Scalarised(dn)) / (2 * h);
            Assert.That(aa[i], Is.EqualTo(fd).Within(1e-5 * Math.Max(1, Math.Abs(fd))), $"action {i}");
        }
    }
}
