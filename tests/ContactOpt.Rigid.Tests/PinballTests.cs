using ContactOpt.Envs.Rigid;
using ContactOpt.Tasks;

namespace ContactOpt.Rigid.Tests;

public class PinballTests
{
    [Test]
    public void MissingEveryPaddleIsAFlatRegionWithZeroGradient()
    {
        // A near-vertical first paddle lets the ball fall straight past the grid onto the floor.
        var f = Util.Task("pinball").CreateObjective();
        var m = PinballTasks.Small;
        double expected = Math.Sqrt(Math.Pow(m.StartX - m.TargetX, 2) + Math.Pow(m.BallRadius - m.TargetZ, 2));
        var g = new double[2];
        foreach (var x in new[] { new[] { 0.96, -0.7 }, [0.99, 0.2], [-0.97, 0.5], [-1.0, -1.0] })
        {
            double loss = f.LossAndGradient(x, g);
            Assert.That(loss, Is.EqualTo(expected).Within(1e-9), $"x = ({x[0]}, {x[1]})");
            Assert.That(g, Is.EqualTo(new[] { 0.0, 0.0 }).AsCollection, "no contact, no gradient");
        }
    }

    [Test]
    public void HittingOnlyTheFirstPaddleMakesTheSecondAngleIrrelevant()
    {
        var f = Util.Task("pinball").CreateObjective();
        var g = new double[2];
        // Tilted left, the first paddle sends the ball away from the second.
        double a = f.LossAndGradient([0.4, -0.6], g);
        Assert.That(g[1], Is.EqualTo(0.0));
        Assert.That(g[0], Is.Not.EqualTo(0.0));
        Assert.That(f.Loss([0.4, 0.8]), Is.EqualTo(a));
    }

    [Test]
    public void TheLossJumpsWhereTheContactSequenceChanges()
    {
        var f = Util.Task("pinball").CreateObjective();
        double L(double a) => f.Loss([a, 0.0]);
        // Scan, then bisect the largest step: a jump survives down to a width of 1e-12, a steep slope does not.
        double bestLo = 0, bestStep = 0;
        for (double a = -0.5; a < -0.3; a += 0.002)
        {
            double step = Math.Abs(L(a + 0.002) - L(a));
            if (step > bestStep) { bestStep = step; bestLo = a; }
        }
        double lo = bestLo, hi = bestLo + 0.002, llo = L(lo), lhi = L(hi);
        while (hi - lo > 1e-12)
        {
            double mid = 0.5 * (lo + hi), lm = L(mid);
            if (Math.Abs(lm - llo) >= Math.Abs(lhi - lm)) { hi = mid; lhi = lm; } else { lo = mid; llo = lm; }
        }
        // Across 1e-12 a continuous loss (slopes here are below 1e4) changes by < 1e-8.
        Assert.That(Math.Abs(lhi - llo), Is.GreaterThan(0.05), $"jump at a₁ ≈ {lo:R}");
    }

    // pinball16's long contact chains are nearly chaotic (gradients up to 1e4): central differences at h = 1e-6 carry
    // truncation errors of ~1e-4 there, the same level at which GradientCheck calls a point smooth (1e-3).
    [TestCase("pinball", 12, 6, 1e-4)]
    [TestCase("pinball16", 16, 4, 1e-3)]
    public void GradientMatchesCentralDifferencesAwayFromContactEvents(string name, int points, int minSmooth, double tolerance)
    {
        var f = Util.Task(name).CreateObjective();
        var rng = Rng.Create(7);
        int smooth = 0;
        for (int k = 0; k < points; k++)
        {
            var p = GradientCheck.At(f, Util.RandomPoint(f, rng));
            if (!p.Smooth) continue;   // a contact event within ±h: finite differences are unreliable there
            smooth++;
            Assert.That(p.RelativeError, Is.LessThan(tolerance), $"smooth point {k}");
        }
        Assert.That(smooth, Is.GreaterThanOrEqualTo(minSmooth));
    }

    [Test]
    public void BallStaysOnTheBoardDoesNotPenetrateAndLosesEnergy()
    {
        var task = Util.Task("pinball16");
        var dyn = (PinballDynamics)task.Dynamics;
        var m = dyn.Model;
        var rng = Rng.Create(3);
        for (int run = 0; run < 4; run++)
        {
            var x = Util.RandomPoint(task.CreateObjective(), rng);
            var trace = new StepTrace(1);
            using var f = task.CreateObjective();
            f.Loss(x, trace);
            double e0 = m.Gravity * m.DropZ, last = e0;
            foreach (var st in trace.States)
            {
                double tol = 1e-6;
                Assert.That(st[0], Is.InRange(m.BallRadius - tol, m.Width - m.BallRadius + tol));
                Assert.That(st[1], Is.InRange(m.BallRadius - tol, m.Height - m.BallRadius + tol));
                for (int k = 0; k < m.Colliders; k++)
                {
                    double th = x[k] * m.MaxAngle, ux = Math.Cos(th), uz = Math.Sin(th);
                    double px = m.PivotX(k % m.Columns), pz = m.PivotZ(k / m.Columns);
                    double along = Math.Clamp((st[0] - px) * ux + (st[1] - pz) * uz, -m.PaddleHalfLength, m.PaddleHalfLength);
                    double dist = Math.Sqrt(Math.Pow(st[0] - px - along * ux, 2) + Math.Pow(st[1] - pz - along * uz, 2));
                    Assert.That(dist, Is.GreaterThan(m.BallRadius - 1e-6), $"run {run}: ball inside paddle {k}");
                }
                last = 0.5 * (st[2] * st[2] + st[3] * st[3]) + m.Gravity * st[1];
                Assert.That(last, Is.LessThanOrEqualTo(e0 + 1e-9), "the ball never gains energy over its drop");
            }
            Assert.That(last, Is.LessThan(e0), "restitution < 1 dissipates");
        }
    }

    [Test]
    public void GridGeometryIsAsDocumented()
    {
        var s = PinballTasks.Small; var l = PinballTasks.Large;
        Assert.That((s.Colliders, l.Colliders), Is.EqualTo((2, 16)));
        Assert.That(new[] { s.PivotX(0), s.PivotX(1) }, Is.EqualTo(new[] { 3.0, 5.0 }).AsCollection);
        Assert.That(Enumerable.Range(0, 4).Select(l.PivotX), Is.EqualTo(new[] { 1.0, 3.0, 5.0, 7.0 }).AsCollection);
        Assert.That(l.PivotZ(3), Is.EqualTo(7.5 - 3 * 1.8).Within(1e-12));
        Assert.That(s.TargetX, Is.GreaterThan(0.8 * s.Width));
        Assert.That(s.TargetZ, Is.LessThan(0.1 * s.Height));
        Assert.Throws<ArgumentException>(() => new PinballDynamics(s with { Rows = 5, Columns = 4 }));
        var ex = Assert.Throws<ArgumentException>(() => new PinballDynamics(s with { DropX = 9.0 }));
        Assert.That(ex!.Message, Does.Contain("drop point"));
    }
}
