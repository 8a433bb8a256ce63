namespace ContactOpt.Optimizers.Tests;

public class BayesOptTests
{
    [Test]
    public void PlainBoFindsBraninsMinimumWithinSixtyEvaluations()
    {
        const double fStar = 0.397887;
        var lines = new List<string>();
        int solved = 0;
        for (int seed = 0; seed < 5; seed++)
        {
            var (result, trace, _) = Harness.Run(Harness.Optimizer("bo-plain"), "branin", 60, seed);
            int at = trace.FirstBelow(fStar + 0.01);
            if (at >= 0) solved++;
            lines.Add($"seed {seed}: best {result.BestLoss:F6}, within 0.01 after {at + 1} evaluations");
        }
        TestContext.Out.WriteLine(string.Join("\n", lines));
        Assert.That(solved, Is.GreaterThanOrEqualTo(4), string.Join("\n", lines));
    }

    [Test]
    public void RefitEveryKeepsTheLastFitBetweenRefits()
    {
        // refit_every = 3: the MAP fit runs on trials 0, 3, 6; the trials between condition the last fit on all points.
        double[] lo = [0, 0, 0], hi = [1, 1, 1];
        var box = new SearchBox(lo, hi, lo, hi);
        static double F(double[] x) => Math.Pow(x[0] - 0.3, 2) + 3 * Math.Pow(x[1] - 0.7, 2) + 0.1 * x[2];
        GpHyperparameters?[] Trials(int refitEvery)
        {
            var model = new BoModel(box, new BayesOptOptions { RefitEvery = refitEvery, RawSamples = 32, AcqRestarts = 1 }, Rng.Create(5));
            var sobol = Rng.Create(9);
            for (int i = 0; i < 8; i++) { var x = new[] { sobol.NextDouble(), sobol.NextDouble(), sobol.NextDouble() }; model.Add(x, F(x)); }
            var h = new GpHyperparameters?[7];
            for (int t = 0; t < h.Length; t++)
            {
                var x = model.Propose();
                model.Add(x, F(x));
                h[t] = model.LastModel!.Hyperparameters;
            }
            return h;
        }
        var every = Trials(1);
        var third = Trials(3);
        Assert.That(third[0], Is.SameAs(third[1]).And.SameAs(third[2]), "trials 1 and 2 reuse trial 0's fit");
        Assert.That(third[3], Is.Not.SameAs(third[2]), "trial 3 refits");
        Assert.That(third[4], Is.SameAs(third[3]));
        Assert.That(every[0]!.LogLengthscales, Is.EqualTo(third[0]!.LogLengthscales), "the first fit is the same");
        Assert.That(every[1], Is.Not.SameAs(every[0]), "refit_every = 1 fits on every trial");
        Assert.Throws<ArgumentException>(() => new BayesOptOptions { RefitEvery = 0 }.Validate());
    }

    [Test]
    public void BoLeapTrialsUseTheLocalBudgetAndFeedEveryPointToTheGp()
    {
        var opt = new BoLeap(new BoLeapOptions { StepSize = 0.002, RawSamples = 64, AcqRestarts = 2, FitMaxIter = 20 });
        var (result, trace, budget) = Harness.Run(opt, "rastrigin:dim=4", 250, seed: 0);
        Assert.That(budget.Used, Is.EqualTo(250));
        Assert.That(opt.TrialEpisodes, Is.EqualTo(new[] { 100, 100, 50 }));
        Assert.That(opt.Model!.Count, Is.EqualTo(250), "population samples and descent iterates all enter S");
        Assert.That(trace.Episodes.Count(e => e.Gradient), Is.GreaterThan(0).And.LessThan(250));
        Assert.That(result.BestLoss, Is.LessThan(trace.Episodes[0].Loss));
    }

    [Test]
    public void BoBaselineDescendsFromGpChosenStarts()
    {
        var opt = new BoDescents(new BoDescentsOptions { StepSize = 0.05, MaxSteps = 15, RawSamples = 64, AcqRestarts = 2 });
        var (result, trace, _) = Harness.Run(opt, "branin", 80, seed: 1);
        Assert.That(trace.Episodes.All(e => e.Gradient), "every BO-baseline episode is a descent step");
        Assert.That(opt.Model!.Timings, Is.Not.Empty, "more than one BO trial");
        Assert.That(result.BestLoss, Is.LessThan(0.397887 + 0.01));
    }
}
