using ContactOpt.Tasks;

namespace ContactOpt.Rigid.Tests;

/// <summary>Gymnasium env-checker rules for the step view of every rigid task.</summary>
public class EnvContractTests
{
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

    [TestCaseSource(typeof(Util), nameof(Util.TaskNames))]
    public void EpisodeFollowsTheContract(string name)
    {
        var task = Util.Task(name);
        using var env = task.CreateEnv();
        var trace = Play(env, seed: 3, actionSeed: 5);
        Assert.That(trace.Count - 1, Is.EqualTo(task.Dynamics.Horizon), "one step per control segment");
        Assert.That(trace[^1].Terminated, Is.True, "the last segment terminates the episode");
        Assert.That(trace.Take(trace.Count - 1).Any(s => s.Terminated || s.Truncated), Is.False, "no early end");
        int o = task.Dynamics.ObservationSize + 1;
        double total = 0;
        for (int i = 0; i < trace.Count; i++)
        {
            var (obs, reward, _, _) = trace[i];
            Assert.That(obs, Has.Length.EqualTo(o));
            Assert.That(obs.All(double.IsFinite), Is.True, $"observation {i} is finite");
            Assert.That(env.ObservationSpace.Contains(obs), Is.True, $"observation {i} lies in the observation space");
            Assert.That(obs[^1], Is.EqualTo((double)i / task.Dynamics.Horizon), "the env appends the time fraction");
            Assert.That(double.IsFinite(reward), Is.True);
            total += reward;
        }
        Assert.That(env.EpisodeLoss, Is.EqualTo(-total).Within(1e-12 * Math.Max(1, Math.Abs(total))), "return = −loss");
        Assert.Throws<InvalidOperationException>(() => env.Step(env.ActionSpace.Sample()), "stepping after the end needs a reset");
    }

    [TestCaseSource(typeof(Util), nameof(Util.TaskNames))]
    public void SameSeedsGiveIdenticalEpisodesAndFreshArrays(string name)
    {
        var task = Util.Task(name);
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

    [TestCaseSource(typeof(Util), nameof(Util.TaskNames))]
    public void DisposeTwiceIsHarmlessAndUseAfterDisposeThrows(string name)
    {
        var env = Util.Task(name).CreateEnv();
        env.Reset(seed: 0);
        env.Dispose();
        Assert.DoesNotThrow(env.Dispose);
        Assert.Throws<ObjectDisposedException>(() => env.Reset(seed: 0));
    }

    [TestCaseSource(typeof(Util), nameof(Util.TaskNames))]
    public void BadActionsAreRejectedWithTheirIndex(string name)
    {
        using var env = Util.Task(name).CreateEnv();
        env.Reset(seed: 0);
        int n = env.ActionBox.Size;
        var ex = Assert.Throws<ArgumentException>(() => env.Step(new double[n + 1]));
        Assert.That(ex!.Message, Does.Contain($"length {n + 1}"));
        var nan = new double[n]; nan[n - 1] = double.NaN;
        ex = Assert.Throws<ArgumentException>(() => env.Step(nan));
        Assert.That(ex!.Message, Does.Contain($"action[{n - 1}] is NaN"));
        var outside = new double[n]; outside[0] = env.ActionBox.HighAt(0) + 1;
        ex = Assert.Throws<ArgumentException>(() => env.Step(outside));
        Assert.That(ex!.Message, Does.Contain("outside"));
    }

    [TestCaseSource(typeof(Util), nameof(Util.TaskNames))]
    public void RenderDrawsSomething(string name)
    {
        var task = Util.Task(name);
        using var env = task.CreateEnv(RenderModes.RgbArray);
        env.Reset(seed: 0);
        env.Step(env.ActionSpace.Sample());
        var frame = env.Render()!;
        var v = task.Dynamics.View;
        Assert.That((frame.Width, frame.Height), Is.EqualTo((v.Width, v.Height)));
        int coloured = 0;
        for (int i = 0; i < frame.Rgb.Length; i += 3)
            if (!(frame.Rgb[i] == frame.Rgb[i + 1] && frame.Rgb[i + 1] == frame.Rgb[i + 2])) coloured++;
        Assert.That(coloured, Is.GreaterThan(50), "the bodies and the target are drawn in colour");
        var strip = task.RenderEpisode(task.CreateObjective().InitialGuess.ToArray(), frames: 4);
        Assert.That(strip.Width, Is.GreaterThan(3 * v.Width));
    }
}
