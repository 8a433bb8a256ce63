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
