using ContactOpt.Agents;
using ContactOpt.Budget;

namespace ContactOpt.Optimizers.Tests;

/// <summary>Budget accounting, determinism, bounds and bad input, for every built-in agent.</summary>
public class AgentContractTests
{
    static readonly string[] Agents = ["gd", "sgd", "rand", "cmaes", "randdescents", "bo", "bo-plain", "bo-leap"];

    [Test]
    public void RegistryHoldsExactlyTheBuiltinNames()
    {
        Assert.That(Harness.AgentNames, Is.EquivalentTo(Agents));
        foreach (var spec in Harness.Agents.All)
        {
            // Every declared default is a value the agent accepts when it is passed explicitly.
            Assert.DoesNotThrow(() => Harness.Agents.Create(spec.Name, spec.Options.ToDictionary(o => o.Name, o => o.Default)), spec.Name);
            foreach (var o in spec.Options) Assert.That(o.Description, Is.Not.Empty, $"{spec.Name}.{o.Name}");
        }
    }

    [TestCaseSource(nameof(Agents))]
    public void NeverExceedsTheBudget(string agent)
    {
        foreach (var (task, budget) in new[] { ("rastrigin:dim=3", 1), ("rastrigin:dim=3", 2), ("rastrigin:dim=3", 7), ("branin", 37), ("flip", 13) })
        {
            var opt = Harness.Optimizer(agent, Harness.Fast(agent));
            OptimizationResult? result = null;
            EpisodeBudget? b = null;
            Assert.DoesNotThrow(() => { var r = Harness.Run(opt, task, budget, seed: 1); result = r.Result; b = r.Budget; }, $"{agent} on {task} with budget {budget}");
            Assert.That(b!.Used, Is.LessThanOrEqualTo(budget));
            Assert.That(result!.Evaluations, Is.EqualTo(b.Used));
            Assert.That(result.BestLoss, Is.EqualTo(b.BestLoss), "the returned best is the best episode");
            if (agent != "cmaes") Assert.That(b.Used, Is.EqualTo(budget), $"{agent} should use its whole budget ({task}, {budget})");
        }
    }

    [TestCaseSource(nameof(Agents))]
    public void ThroughTheAgentRunnerTheBudgetIsRespected(string agent)
    {
        var ctx = new AgentContext(Harness.Tasks.Create("styblinski-tang:dim=2"), budget: 25, seed: 3);
        var result = AgentRunner.Run(Harness.Agents.Create(agent, Harness.Fast(agent).ToDictionary(s => s.Item1, s => s.Item2)), ctx);
        Assert.That(result.Episodes, Is.LessThanOrEqualTo(25));
        Assert.That(double.IsFinite(result.BestLoss));
    }

    [TestCaseSource(nameof(Agents))]
    public void SameSeedGivesTheIdenticalTrace(string agent)
    {
        double[][] Trace(int seed) => Harness.Run(Harness.Optimizer(agent, Harness.Fast(agent)), "rastrigin:dim=3", 60, seed)
            .Trace.Episodes.Select(e => e.Parameters.Append(e.Loss).ToArray()).ToArray();
        var a = Trace(7); var b = Trace(7);
        Assert.That(a.Length, Is.EqualTo(b.Length));
        for (int i = 0; i < a.Length; i++) Assert.That(a[i], Is.EqualTo(b[i]), $"episode {i} (bitwise)");
        if (agent is not "gd")
        {
            var c = Trace(8);
            Assert.That(a.Zip(c).Any(p => !p.First.SequenceEqual(p.Second)), "a different seed should change the run");
        }
    }

    [TestCaseSource(nameof(Agents))]
    public void EvaluatedPointsRespectTheBounds(string agent)
    {
        var settings = Harness.Fast(agent).ToList();
        if (agent is "gd" or "randdescents" or "bo" or "bo-leap") settings.Add(("step_size", "3"));
        if (agent is "sgd") { settings.Add(("sigma", "3")); settings.Add(("step_size", "1")); }
        if (agent is "cmaes") settings.Add(("sigma0", "2"));
        if (agent is "bo-leap") settings.Add(("sigma0", "20"));
        var (_, trace, _) = Harness.Run(Harness.Optimizer(agent, settings.ToArray()), "rastrigin:dim=3", 80, seed: 2);
        foreach (var e in trace.Episodes)
            Assert.That(e.Parameters, Is.All.InRange(-5.12, 5.12), $"episode {e.Index}");
    }

    [TestCaseSource(nameof(Agents))]
    public void NonFiniteLossesAreCountedAndDoNotPoisonTheSearch(string agent)
    {
        // Loss (and gradient) NaN where x0 > 0.3, a shifted sphere elsewhere; the optimum (−0.5, 0.2) is in the finite region.
        var f = new FuncObjective(2, -1, 1, [0.6, 0.6],
            x => x[0] > 0.3 ? double.NaN : (x[0] + 0.5) * (x[0] + 0.5) + (x[1] - 0.2) * (x[1] - 0.2),
            x => x[0] > 0.3 ? [double.NaN, double.NaN] : [2 * (x[0] + 0.5), 2 * (x[1] - 0.2)]);
        var settings = Harness.Fast(agent).ToList();
        if (agent is "randdescents" or "bo" or "bo-leap") settings.Add(("step_size", "0.2"));
        if (agent is "randdescents" or "bo") settings.Add(("max_steps", "10"));
        if (agent is "bo" or "bo-leap") settings.Add(("first_start", "guess")); // (0.6, 0.6) lies in the NaN region
        if (agent is "gd" or "sgd") settings.Add(("start", "random"));
        if (agent is "bo-leap") settings.Add(("sigma0", "0.3"));
        var opt = Harness.Optimizer(agent, settings.ToArray());
        OptimizationResult? result = null; EpisodeBudget? budget = null;
        Assert.DoesNotThrow(() => { var r = Harness.Run(opt, f, 120, seed: 0); result = r.Result; budget = r.Budget; });
        Assert.That(result!.NonFiniteEvaluations, Is.EqualTo(budget!.NonFinite));
        Assert.That(double.IsFinite(result.BestLoss), "the best loss is finite");
        Assert.That(result.BestParameters[0], Is.LessThanOrEqualTo(0.3));
        if (agent is "rand" or "cmaes" or "bo-plain" or "bo" or "bo-leap" or "randdescents")
        {
            Assert.That(budget.NonFinite, Is.GreaterThan(0), "the NaN region should have been visited");
            Assert.That(result.BestLoss, Is.LessThan(0.05), $"{agent} should still find the optimum");
        }
    }

    [TestCaseSource(nameof(Agents))]
    public void OverflowingStepsOnAnUnboundedObjectiveNeverReachTheObjective(string agent)
    {
        // x⁴ on ℝ² (unbounded, sampling box [−10, 10]²) with huge steps: iterates overflow to ±∞ unless guarded.
        var f = new FuncObjective(2, double.NegativeInfinity, double.PositiveInfinity, [10.0, -10.0],
            x => Math.Pow(x[0], 4) + Math.Pow(x[1], 4), x => [4 * Math.Pow(x[0], 3), 4 * Math.Pow(x[1], 3)], -10, 10);
        var settings = Harness.Fast(agent).ToList();
        if (agent is "gd" or "randdescents" or "bo" or "bo-leap") settings.Add(("step_size", "1e3"));
        if (agent is "sgd") settings.Add(("step_size", "1e6"));
        OptimizationResult? result = null;
        Assert.DoesNotThrow(() => result = Harness.Run(Harness.Optimizer(agent, settings.ToArray()), f, 40, seed: 0).Result);
        Assert.That(double.IsFinite(result!.BestLoss));
    }

    [Test]
    public void BadOptionsAreRejectedWithMessagesNamingTheValue()
    {
        void Rejects(string agent, string key, string value, string fragment)
        {
            var e = Assert.Throws<ArgumentException>(() => Harness.Agents.Create(agent, new Dictionary<string, string> { [key] = value }), $"{agent} {key}={value}");
            Assert.That(e!.Message, Does.Contain(fragment), e.Message);
        }
        Rejects("gd", "step_size", "-0.1", "step_size=-0.1");
        Rejects("gd", "step_size", "NaN", "step_size=NaN");
        Rejects("gd", "step_size", "abc", "step_size='abc'");
        Rejects("gd", "start", "somewhere", "guess, random, center");
        Rejects("sgd", "sigma", "0", "sigma=0");
        Rejects("cmaes", "sigma0", "Infinity", "sigma0=");
        Rejects("cmaes", "popsize", "1", "popsize=1");
        Rejects("cmaes", "restarts", "-1", "restarts=-1");
        Rejects("randdescents", "max_steps", "0", "max_steps=0");
        Rejects("bo", "raw_samples", "0", "raw_samples=0");
        Rejects("bo", "kernel", "cubic", "matern52, rbf");
        Rejects("bo-plain", "kappa", "-1", "kappa=-1");
        Rejects("bo-leap", "elite", "11", "elite=11");
        Rejects("bo-leap", "popsize", "1", "popsize=1");
        Rejects("bo-leap", "local_budget", "0", "local_budget=0");
        Rejects("bo-leap", "noise_floor", "2", "noise_floor=2");
        Rejects("bo-leap", "step_size", "1e400", "step_size=");
        Rejects("rand", "nonsense", "1", "no option 'nonsense'");
        Assert.Throws<ArgumentException>(() => new CmaEs(new CmaEsOptions { Sigma0 = double.NaN }));
    }

    [Test]
    public void DefaultsAreListedWithThePapersValues()
    {
        var leap = Harness.Agents.Spec("bo-leap").Options.ToDictionary(o => o.Name);
        Assert.That(leap["kappa"].Default, Is.EqualTo("1"));
        Assert.That(leap["popsize"].Default, Is.EqualTo("10"));
        Assert.That(leap["sigma0"].Default, Is.EqualTo("1"));
        Assert.That(leap["local_budget"].Default, Is.EqualTo("100"));
        Assert.That(leap["patience"].Default, Is.EqualTo("3"));
        Assert.That(leap["acquisition"].Default, Is.EqualTo("lcb"));
        Assert.That(Harness.Agents.Spec("bo-plain").Options.Single(o => o.Name == "acquisition").Default, Is.EqualTo("logei"));
        Assert.That(Harness.Agents.Spec("sgd").Options.Single(o => o.Name == "estimator").Default, Is.EqualTo("reference"));
    }
}
