using ContactOpt.Agents;
using ContactOpt.Envs;
using ContactOpt.Tasks;
using Microsoft.Data.Sqlite;

namespace ContactOpt.Experiments.Tests;

/// <summary>Report statistics against hand computations, on a store written by hand (some seeds fail).</summary>
public class ReportStatisticsTests
{
    string _dir = "";
    [SetUp] public void SetUp() { _dir = Path.Combine(Path.GetTempPath(), $"contactopt-stats-{Guid.NewGuid():N}"); }
    [TearDown] public void TearDown() { SqliteConnection.ClearAllPools(); if (Directory.Exists(_dir)) Directory.Delete(_dir, true); }

    [Test]
    public void BootstrapIntervalOfTwoValuesSpansThem()
    {
        // Resampled means of {0, 1}: 0 (1/4), 0.5 (1/2), 1 (1/4); the 5 % and 95 % quantiles are 0 and 1.
        var (m, lo, hi) = Stats.BootstrapMeanCi([0.0, 1.0]);
        Assert.That((m, lo, hi), Is.EqualTo((0.5, 0.0, 1.0)));
    }

    [Test]
    public void BootstrapIntervalMatchesTheExactResamplingDistribution()
    {
        // {0, 0, 1}: the mean of a resample is k/3 with k ~ Binomial(3, 1/3): CDF 8/27 = 0.296 at 0, 20/27 = 0.741 at 1/3,
        // 26/27 = 0.963 at 2/3. The 5 % quantile is 0, the 95 % quantile 2/3.
        var (m, lo, hi) = Stats.BootstrapMeanCi([0.0, 0.0, 1.0]);
        Assert.That(m, Is.EqualTo(1.0 / 3).Within(1e-15));
        Assert.That(lo, Is.EqualTo(0.0));
        Assert.That(hi, Is.EqualTo(2.0 / 3).Within(1e-15));
    }

    [Test]
    public void BootstrapIntervalOfANonNegativeMetricStaysNonNegative()
    {
        // Nine zeros and one 0.01 (a loss that cannot be negative). Student-t: 0.001 ± 1.833·0.00316/√10 = [−8.3e-4, 2.8e-3].
        // Bootstrap: the 0.01 is drawn k ~ Binomial(10, 0.1) times, mean k·0.001; CDF 0.349 at k = 0, 0.930 at k = 2,
        // 0.987 at k = 3 ⇒ [0, 0.003].
        double[] v = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0.01];
        var (m, lo, hi) = Stats.BootstrapMeanCi(v);
        Assert.That(m, Is.EqualTo(0.001).Within(1e-15));
        Assert.That(lo, Is.EqualTo(0.0));
        Assert.That(hi, Is.EqualTo(0.003).Within(1e-15));
        Assert.That(Stats.BootstrapMeanCi(v), Is.EqualTo((m, lo, hi)), "seeded: the same resamples every time");
    }

    [Test]
    public void BootstrapIntervalIsDegenerateForEqualOrSingleValues()
    {
        Assert.That(Stats.BootstrapMeanCi([0.3, 0.3, 0.3]), Is.EqualTo((0.3, 0.3, 0.3)));
        Assert.That(Stats.BootstrapMeanCi([2.5]), Is.EqualTo((2.5, 2.5, 2.5)));
        var (m, lo, hi) = Stats.BootstrapMeanCi([]);
        Assert.That(double.IsNaN(m) && double.IsNaN(lo) && double.IsNaN(hi));
    }

    [Test]
    public void BootstrapBoundsLieWithinTheValuesForRandomData()
    {
        var rng = Rng.Create(3);
        for (int trial = 0; trial < 50; trial++)
        {
            var v = Enumerable.Range(0, 2 + trial % 9).Select(_ => Math.Pow(10, -6 * rng.NextDouble())).ToArray();
            var (m, lo, hi) = Stats.BootstrapMeanCi(v);
            Assert.That(lo, Is.GreaterThanOrEqualTo(v.Min()).And.LessThanOrEqualTo(m));
            Assert.That(hi, Is.LessThanOrEqualTo(v.Max()).And.GreaterThanOrEqualTo(m));
        }
    }

    [Test]
    public void EpisodesToThresholdIsTheFirstBestBelowItOrNull()
    {
        Assert.That(Stats.EpisodesToThreshold([3, 2, 0.5, 0.4], 1.0), Is.EqualTo(3));
        Assert.That(Stats.EpisodesToThreshold([0.5], 1.0), Is.EqualTo(1));
        Assert.That(Stats.EpisodesToThreshold([3, 2, 1.0], 1.0), Is.Null, "strictly below");
        Assert.That(Stats.EpisodesToThreshold([], 1.0), Is.Null);
    }

    /// <summary>
    /// Agent "a" on flip: seed 0 gets below the threshold at episode 2, seed 1 at episode 4, seed 2 never;
    /// agent "b" never does. Best losses (threshold th = 0.01): a = {0.002, 0.005, 0.02}, b = {0.03, 0.04, 0.05}.
    /// </summary>
    ResultStore HandWrittenStore(out double th)
    {
        var study = new StudySpec { Tasks = ["flip"], Agents = ["a", "b"], Seeds = 3, Budget = 5 };
        th = BuiltinTasks.CreateRegistry().Create("flip").SuccessThreshold!.Value;
        Assert.That(th, Is.EqualTo(0.01), "the traces below are written for flip's threshold");
        var store = ResultStore.Open(Path.Combine(_dir, "results.db"), study);
        void Add(string agent, int seed, double[] losses, double wall)
        {
            long id = store.Start(new RunSpec("flip", agent, seed, 5, new Dictionary<string, string>()), "test", "test");
            double best = double.PositiveInfinity;
            var episodes = losses.Select((l, i) => { best = Math.Min(best, l); return new StoredEpisode(i, l, best, false, i * 0.1); }).ToList();
            store.Complete(id, best, [0.0, 0.25], 0, wall, episodes);
        }
        Add("a", 0, [0.5, 0.008, 0.002, 0.3, 0.4], 1.0);
        Add("a", 1, [0.5, 0.3, 0.2, 0.005, 0.4], 2.0);
        Add("a", 2, [0.5, 0.3, 0.02, 0.3, 0.4], 3.0);
        Add("b", 0, [0.5, 0.03, 0.3, 0.3, 0.4], 1.0);
        Add("b", 1, [0.5, 0.04, 0.3, 0.3, 0.4], 1.0);
        Add("b", 2, [0.05, 0.3, 0.3, 0.3, 0.4], 1.0);
        return store;
    }

    [Test]
    public void EveryColumnMatchesAHandComputationWhenSomeSeedsFail()
    {
        using var store = HandWrittenStore(out _);
        var report = new ReportBuilder(store, BuiltinTasks.CreateRegistry());
        var rows = report.Summaries().ToDictionary(r => r.Agent);
        var a = rows["a"];
        Assert.That(a.Runs, Is.EqualTo(3));
        Assert.That(a.Budget, Is.EqualTo(5));
        Assert.That(a.Mean, Is.EqualTo(0.009).Within(1e-15));
        Assert.That(a.Median, Is.EqualTo(0.005));
        // sd of {0.002, 0.005, 0.02}: deviations −0.007, −0.004, 0.011 ⇒ √((49 + 16 + 121)e-6 / 2) = √93e-6.
        Assert.That(a.Std, Is.EqualTo(Math.Sqrt(93e-6)).Within(1e-15));
        // Bootstrap of 3 values: lowest means 0.002 (1/27) and 0.003 (3/27, cum. 0.148) ⇒ 5 % quantile 0.003; highest
        // 0.02 (1/27), 0.015 (3/27), 0.014 (3/27): CDF 0.852 below 0.015, 0.963 at it ⇒ 95 % quantile 0.015.
        Assert.That(a.CiLow, Is.EqualTo(0.003).Within(1e-15));
        Assert.That(a.CiHigh, Is.EqualTo(0.015).Within(1e-15));
        Assert.That(a.SuccessRate, Is.EqualTo(2.0 / 3));
        Assert.That(a.SeedsReachingThreshold, Is.EqualTo(2));
        Assert.That(a.MedianEpisodesToThreshold, Is.EqualTo(3.0), "median of episodes 2 and 4; the failed seed is left out");
        Assert.That(a.MeanWallSeconds, Is.EqualTo(2.0));
        var b = rows["b"];
        Assert.That(b.SuccessRate, Is.EqualTo(0.0));
        Assert.That(b.SeedsReachingThreshold, Is.EqualTo(0));
        Assert.That(b.MedianEpisodesToThreshold, Is.Null, "no seed reaches the threshold: no episode count at all");
        Assert.That(b.Mean, Is.EqualTo(0.04).Within(1e-15));

        var md = File.ReadAllText(report.Write(Path.Combine(_dir, "rep"), filmstrips: false));
        Assert.That(md, Does.Contain("| a | 3 | 5 | 0.0090 | [0.0030, 0.0150] | 0.0050 | "));
        Assert.That(md, Does.Contain("| 3 (2/3) | 2 |"));
        Assert.That(md, Does.Contain("| b | 3 | 5 | 0.0400 | "));
        Assert.That(md, Does.Match(@"\| b \|[^\n]*\| — \| 1 \|"));
        Assert.That(md, Does.Contain("bootstrap percentile interval of the mean"), "the interval's method is named");
    }

    [Test]
    public void EveryFigureGivesEachAgentItsPaletteColour()
    {
        var study = new StudySpec { Tasks = ["flip", "sphere:dim=2"], Agents = ["probe", "probe2", "probe3"], Seeds = 2, Budget = 4,
            Overrides = [new StudyOverride { Task = "flip", Agent = "probe2", Budget = 2 }] };
        var agents = new AgentRegistry([ProbeAgent.Spec("probe"), ProbeAgent.Spec("probe2"), ProbeAgent.Spec("probe3")]);
        using var store = ResultStore.Open(Path.Combine(_dir, "p", "results.db"), study);
        new StudyRunner(study, BuiltinTasks.CreateRegistry(), agents, store).Run(2, Shard.All);
        var report = new ReportBuilder(store, BuiltinTasks.CreateRegistry());
        var md = File.ReadAllText(report.Write(Path.Combine(_dir, "p"), filmstrips: false));
        var palette = new AgentPalette(study.Agents);
        Assert.That(report.FigureColors.Keys, Is.EquivalentTo(new[] { "flip-curves.png", "flip-bars.png", "sphere-dim-2-curves.png", "sphere-dim-2-bars.png" }));
        foreach (var (figure, colours) in report.FigureColors)
        {
            Assert.That(colours.Keys, Is.EquivalentTo(study.Agents), figure);
            foreach (var (agent, colour) in colours) Assert.That(colour, Is.EqualTo(palette[agent]), $"{figure}: {agent}");
        }
        Assert.That(palette["probe"], Is.Not.EqualTo(palette["probe2"]));
        Assert.That(md, Does.Contain("Budgets differ: probe 4, probe2 2, probe3 4 episodes"));
        Assert.That(md.Split("Budgets differ").Length, Is.EqualTo(2), "only flip's budgets differ");
    }

    [Test]
    public void TheTwelvePaletteColoursAreDistinguishable()
    {
        var c = AgentPalette.Colors;
        Assert.That(c, Has.Count.GreaterThanOrEqualTo(12));
        for (int i = 0; i < c.Count; i++)
        for (int j = i + 1; j < c.Count; j++)
        {
            double d = Math.Sqrt(Math.Pow(c[i].R - c[j].R, 2) + Math.Pow(c[i].G - c[j].G, 2) + Math.Pow(c[i].B - c[j].B, 2));
            Assert.That(d, Is.GreaterThan(60), $"colours {i} and {j}");
        }
        var p = new AgentPalette(["x", "y"]);
        Assert.That(p["x"], Is.EqualTo(c[0]));
        Assert.That(p["y"], Is.EqualTo(c[1]));
        Assert.That(p["z"], Is.EqualTo(c[2]), "an unlisted agent takes the next colour");
        Assert.That(p["z"], Is.EqualTo(c[2]), "and keeps it");
    }

    [Test]
    public void StepViewEpisodesOnARandomStartTaskAreScoredOnTheParameterView()
    {
        var task = BuiltinTasks.CreateRegistry().Create("pendulum:g=10");
        Assert.That(AgentContext.HasRandomStart(task), Is.True);
        Assert.That(AgentContext.HasRandomStart(BuiltinTasks.CreateRegistry().Create("flip")), Is.False);
        var observer = new Records();
        var agent = new RandomTorques();
        var result = AgentRunner.Run(agent, new AgentContext(task, 3, seed: 5, observer));
        Assert.That(result.Episodes, Is.EqualTo(3));
        var f = task.CreateObjective();
        Assert.That(result.BestLoss, Is.EqualTo(f.Loss(result.BestParameters)), "the best loss is the replay of the best parameters");
        for (int i = 0; i < 3; i++)
            Assert.That(observer.List[i].Loss, Is.EqualTo(f.Loss(observer.List[i].Parameters)), $"episode {i} is charged its replayed loss");
        // The episodes themselves started from random states: their returns are not the replayed losses.
        Assert.That(Enumerable.Range(0, 3).Any(i => Math.Abs(-agent.Returns[i] - observer.List[i].Loss) > 1e-6), Is.True);
    }

    sealed class Records : ContactOpt.Budget.IEpisodeObserver
    {
        public List<ContactOpt.Budget.EpisodeRecord> List { get; } = new();
        public void OnEpisode(in ContactOpt.Budget.EpisodeRecord r) => List.Add(r);
    }

    /// <summary>Uniform random torques on the step view, resetting from the env's generator (random starts).</summary>
    sealed class RandomTorques : IAgent
    {
        public List<double> Returns { get; } = new();
        public string Name => "random-torques";
        public void Run(AgentContext context)
        {
            var rng = Rng.Create(context.Seed);
            using var env = context.Env();
            env.Reset(context.Seed);
            while (true)
            {
                double ret = 0;
                for (bool done = false; !done;)
                {
                    var s = env.Step([-2 + 4 * rng.NextDouble()]);
                    ret += s.Reward; done = s.Done;
                }
                Returns.Add(ret);
                if (context.Budget.Exhausted) return;
                env.Reset();
            }
        }
    }
}
