namespace ContactOpt.Optimizers.Tests;

/// <summary>Reference evaluation counts: purecma, tutorial parameters, 10 seeds, target 1e-8 (ecosystem.md §5).</summary>
public class CmaEsTests
{
    static int EvalsToTarget(string task, double sigma0Absolute, double boxWidth, int budget, int seed, double target = 1e-8, int restarts = 0)
    {
        var opt = new CmaEs(new CmaEsOptions { Sigma0 = sigma0Absolute / boxWidth, Start = StartPoint.Guess, Restarts = restarts });
        var (_, trace, _) = Harness.Run(opt, task, budget, seed);
        int i = trace.FirstBelow(target);
        return i < 0 ? -1 : i + 1;
    }

    [Test]
    public void Sphere10DWithinOneAndAHalfTimesPurecma()
    {
        // x0 = 𝟏 (the task's initial guess), σ0 = 1; purecma median 1,450 evaluations.
        var counts = Enumerable.Range(0, 6).Select(s => EvalsToTarget("sphere", 1.0, 10.24, (int)(1.5 * 1450), s)).ToArray();
        TestContext.Out.WriteLine($"sphere-10 evaluations to 1e-8: {string.Join(", ", counts)}");
        Assert.That(counts.Count(c => c > 0), Is.GreaterThanOrEqualTo(5), string.Join(", ", counts));
    }

    [Test]
    public void Rosenbrock10DWithinOneAndAHalfTimesPurecma()
    {
        // x0 = 0 (the task's initial guess), σ0 = 0.5; purecma median 6,240 evaluations.
        var counts = Enumerable.Range(0, 6).Select(s => EvalsToTarget("rosenbrock", 0.5, 15.0, (int)(1.5 * 6240), s)).ToArray();
        TestContext.Out.WriteLine($"rosenbrock-10 evaluations to 1e-8: {string.Join(", ", counts)}");
        Assert.That(counts.Count(c => c > 0), Is.GreaterThanOrEqualTo(4), string.Join(", ", counts));
    }

    [Test]
    public void IpopSolvesRastrigin5D()
    {
        // x0 uniform in the box, σ0 = 2, IPOP with λ doubling (purecma+IPOP: 6/6 solved, median ≈ 15.6k evaluations).
        int solved = 0;
        var lines = new List<string>();
        for (int seed = 0; seed < 3; seed++)
        {
            var opt = new CmaEs(new CmaEsOptions { Sigma0 = 2.0 / 10.24, Start = StartPoint.Random, Restarts = 9 });
            var (result, trace, _) = Harness.Run(opt, "rastrigin:dim=5", 50_000, seed);
            int at = trace.FirstBelow(1e-8);
            if (at >= 0) solved++;
            lines.Add($"seed {seed}: best {result.BestLoss:G3} after {at + 1} evals, runs λ = {string.Join("/", opt.Runs.Select(r => $"{r.Lambda}:{r.Termination}"))}");
        }
        TestContext.Out.WriteLine(string.Join("\n", lines));
        Assert.That(solved, Is.GreaterThanOrEqualTo(2), string.Join("\n", lines));
    }

    [Test]
    public void WithoutRestartsRastriginUsuallyStaysInALocalMinimum()
    {
        var opt = new CmaEs(new CmaEsOptions { Sigma0 = 2.0 / 10.24, Start = StartPoint.Random, Restarts = 0 });
        var (result, _, budget) = Harness.Run(opt, "rastrigin:dim=5", 50_000, 3);
        Assert.That(opt.Runs, Has.Count.EqualTo(1));
        Assert.That(budget.Used, Is.LessThan(50_000), "a single run terminates and leaves the rest of the budget");
        Assert.That(result.Evaluations, Is.EqualTo(budget.Used));
    }

    [Test]
    public void TutorialParametersForTenDimensions()
    {
        // Reference values of Hansen's tutorial (Table 1) for n = 10, computed by hand from its formulas:
        // λ = 4 + ⌊3 ln n⌋, μ = ⌊λ/2⌋, w_i ∝ ln(μ + ½) − ln i, c_c = (4 + μ_eff/n)/(n + 4 + 2μ_eff/n), …
        var es = new CmaState(new double[10], 1.0, 10);
        Assert.That((es.Lambda, es.Mu), Is.EqualTo((10, 5)));
        Assert.That(es.Weights.Take(5).Sum(), Is.EqualTo(1.0).Within(1e-15));
        Assert.That(es.Mueff, Is.EqualTo(3.1672992814107017).Within(1e-12));
        Assert.That(es.Cc, Is.EqualTo(0.29499038303562225).Within(1e-12));
        Assert.That(es.Cs, Is.EqualTo(0.28442858794636744).Within(1e-12));
        Assert.That(es.C1, Is.EqualTo(0.015283824524751714).Within(1e-12));
        Assert.That(es.Cmu, Is.EqualTo(0.02015428276120837).Within(1e-12));
        Assert.That(es.Damps, Is.EqualTo(1.2844285879463675).Within(1e-12));
        Assert.That(es.ChiN, Is.EqualTo(3.0847265651690123).Within(1e-12));
        var active = new CmaState(new double[10], 1.0, 10, active: true);
        Assert.That(active.Weights.Skip(5), Is.All.LessThan(0));
    }
}
