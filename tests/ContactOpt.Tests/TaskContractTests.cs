using ContactOpt.Envs;
using ContactOpt.Tasks;

namespace ContactOpt.Tests;

/// <summary>
/// The step-view contract (Gymnasium semantics) and determinism of every registered task: a task is covered by
/// registering it.
/// </summary>
public class TaskContractTests
{
    static readonly TaskRegistry Registry = BuiltinTasks.CreateRegistry();
    static IEnumerable<string> AllTasks() => Registry.All.Select(s => s.TestName);

    [Test]
    public void TestNameCarriesTheDeclaredTestOptions()
    {
        var spec = new TaskSpec("demo", "a demo", [new TaskOption("preset", "default", "size", ["default", "tiny"])], _ => throw new NotSupportedException());
        Assert.That(spec.TestName, Is.EqualTo("demo"));
        Assert.That((spec with { TestOptions = "preset=tiny" }).TestName, Is.EqualTo("demo:preset=tiny"));
    }

    [Test]
    public void EveryTaskWithACiPresetRunsTheSuitesAtIt()
    {
        // A task offering preset=tiny (the CI resolution) must declare it, or the registry-wide suites would run its
        // default preset (seconds per episode for the 3-D scenes).
        foreach (var spec in Registry.All)
            if (spec.Options.Any(o => o.Name == "preset" && o.Choices is { } c && c.Contains("tiny")))
                Assert.That(spec.TestOptions, Is.EqualTo("preset=tiny"), spec.Name);
        Assert.That(Registry.Spec("pinch").TestName, Is.EqualTo("pinch:preset=tiny"));
        Assert.That(Registry.Spec("flip").TestName, Is.EqualTo("flip"));
    }

    static List<(double[] Obs, double Reward, bool Terminated, bool Truncated)> Play(DifferentiableEnv env, int seed, int actionSeed)
    {
        var trace = new List<(double[], double, bool, bool)>();
        var (obs, _) = env.Reset(seed: seed);
        trace.Add((obs, 0, false, false));
        env.ActionSpace.Seed(actionSeed);
        while (true)
        {
            var r = env.Step(env.ActionSpace.Sample());
            trace.Add((r.Observation, r.Reward, r.Terminated, r.Truncated));
            if (r.Done) break;
        }
        return trace;
    }

    [TestCaseSource(nameof(AllTasks))]
    public void EpisodeFollowsTheContract(string name)
    {
        var task = Registry.Create(name);
        using var env = task.CreateEnv();
        var trace = Play(env, seed: 3, actionSeed: 5);
        Assert.That(trace.Count - 1, Is.EqualTo(task.Dynamics.Horizon), "one step per control segment");
        // A terminal horizon terminates the episode and the observation carries t/H; a time-limit horizon
        // (pendulum, as Pendulum-v1) truncates it and observes the task's own observation only.
        bool timeLimit = task.Dynamics.HorizonKind == HorizonKind.TimeLimit;
        Assert.That((trace[^1].Terminated, trace[^1].Truncated), Is.EqualTo((!timeLimit, timeLimit)), "the last segment ends the episode");
        Assert.That(trace.Take(trace.Count - 1).Any(s => s.Terminated || s.Truncated), Is.False, "no early end");
        int o = task.Dynamics.ObservationSize + (timeLimit ? 0 : 1);
        double total = 0;
        for (int i = 0; i < trace.Count; i++)
        {
            var (obs, reward, _, _) = trace[i];
            Assert.That(obs, Has.Length.EqualTo(o));
            Assert.That(obs.All(double.IsFinite), Is.True, $"observation {i} is finite");
            Assert.That(env.ObservationSpace.Contains(obs), Is.True, $"observation {i} lies in the observation space");
            if (!timeLimit) Assert.That(obs[^1], Is.EqualTo((double)i / task.Dynamics.Horizon), "the env appends the time fraction");
            Assert.That(double.IsFinite(reward), Is.True);
            total += reward;
        }
        Assert.That(env.EpisodeLoss, Is.EqualTo(-total).Within(1e-12 * Math.Max(1, Math.Abs(total))), "return = −loss");
        Assert.Throws<InvalidOperationException>(() => env.Step(env.ActionSpace.Sample()), "stepping after the end needs a reset");
    }

    [TestCaseSource(nameof(AllTasks))]
    public void SameSeedsGiveIdenticalEpisodesAndFreshArrays(string name)
    {
        var task = Registry.Create(name);
        using var a = task.CreateEnv();
        using var b = task.CreateEnv();
        var ta = Play(a, 7, 11);
        var tb = Play(b, 7, 11);
        Assert.That(ta.Count, Is.EqualTo(tb.Count));
        for (int i = 0; i < ta.Count; i++)
        {
            Assert.That(ta[i].Obs, Is.EqualTo(tb[i].Obs).AsCollection, $"observation {i}");
            Assert.That(ta[i].Reward, Is.EqualTo(tb[i].Reward), $"reward {i}");
            Assert.That(ReferenceEquals(ta[i].Obs, tb[i].Obs), Is.False);
        }
        var (o1, _) = a.Reset(seed: 1);
        var (o2, _) = a.Reset(seed: 1);
        Assert.That(ReferenceEquals(o1, o2), Is.False, "fresh arrays on every call");
        o1[0] = 12345;
        Assert.That(o2[0], Is.Not.EqualTo(12345));
    }

    [TestCaseSource(nameof(AllTasks))]
    public void DisposeTwiceIsHarmlessAndUseAfterDisposeThrows(string name)
    {
        var env = Registry.Create(name).CreateEnv();
        env.Reset(seed: 0);
        env.Dispose();
        Assert.DoesNotThrow(env.Dispose);
        Assert.Throws<ObjectDisposedException>(() => env.Reset(seed: 0));
    }

    [TestCaseSource(nameof(AllTasks))]
    public void BadActionsAreRejectedWithTheirIndex(string name)
    {
        using var env = Registry.Create(name).CreateEnv();
        env.Reset(seed: 0);
        int n = env.ActionBox.Size;
        var ex = Assert.Throws<ArgumentException>(() => env.Step(new double[n + 1]));
        Assert.That(ex!.Message, Does.Contain($"length {n + 1}"));
        // A valid action (the box's centre where it is bounded) with one bad entry at a time.
        var valid = Enumerable.Range(0, n).Select(i =>
            double.IsFinite(env.ActionBox.LowAt(i)) && double.IsFinite(env.ActionBox.HighAt(i)) ? 0.5 * (env.ActionBox.LowAt(i) + env.ActionBox.HighAt(i)) : 0.0).ToArray();
        var nan = (double[])valid.Clone(); nan[n - 1] = double.NaN;
        ex = Assert.Throws<ArgumentException>(() => env.Step(nan));
        Assert.That(ex!.Message, Does.Contain($"action[{n - 1}] is NaN"));
        if (double.IsFinite(env.ActionBox.HighAt(0)))
        {
            var outside = (double[])valid.Clone(); outside[0] = env.ActionBox.HighAt(0) + 1;
            if (env.Dynamics.OutOfRangeAction == OutOfRangeAction.Reject)
            {
                ex = Assert.Throws<ArgumentException>(() => env.Step(outside));
                Assert.That(ex!.Message, Does.Contain("outside"));
            }
            else
            {
                // Clipping tasks (pendulum, as Pendulum-v1): the step equals the step at the clipped action.
                using var twin = Registry.Create(name).CreateEnv();
                twin.Reset(seed: 0);
                var clipped = (double[])outside.Clone(); clipped[0] = env.ActionBox.HighAt(0);
                var (a, b) = (env.Step(outside), twin.Step(clipped));
                Assert.That((a.Observation, a.Reward), Is.EqualTo((b.Observation, b.Reward)));
            }
        }
    }

    [TestCaseSource(nameof(AllTasks))]
    public void IdenticalInputsGiveBitIdenticalResultsAcrossInstancesAndThreads(string name)
    {
        var task = Registry.Create(name);
        double[] x;
        using (var f0 = task.CreateObjective())
        {
            var rng = Rng.Create(13);
            x = Enumerable.Range(0, f0.Dimension).Select(i => f0.SamplingLower[i] + (f0.SamplingUpper[i] - f0.SamplingLower[i]) * (0.25 + 0.5 * rng.NextDouble())).ToArray();
        }
        double Run()
        {
            using var f = task.CreateObjective();
            var g = new double[x.Length];
            return f.LossAndGradient(x, g) + 1e3 * g.Sum();
        }
        double a = Run();
        var results = new double[3];
        Parallel.For(0, 3, i => results[i] = Run());
        Assert.That(results, Is.All.EqualTo(a));

        using var env1 = task.CreateEnv(); using var env2 = task.CreateEnv();
        var o1 = env1.Reset(seed: 9).Observation; var o2 = env2.Reset(seed: 9).Observation;
        Assert.That(o1, Is.EqualTo(o2));
        int na = task.Dynamics.ActionSize;
        Assert.That(env1.Step(x[..na]).Observation, Is.EqualTo(env2.Step(x[..na]).Observation));
    }
}
