using ContactOpt.Envs;
using ContactOpt.Rendering;
using ContactOpt.Wrappers;

namespace ContactOpt.Tests;

public class ApiTests
{
    [Test]
    public void BoxSamplesFollowGymnasiumRulesAndAreSeeded()
    {
        var box = new Box([-1, 0, double.NegativeInfinity, double.NegativeInfinity], [1, double.PositiveInfinity, 5, double.PositiveInfinity], seed: 3);
        var again = new Box(box.Low, box.High, seed: 3);
        for (int k = 0; k < 200; k++)
        {
            var s = box.Sample();
            Assert.That(box.Contains(s), Is.True);
            Assert.That(s[0], Is.InRange(-1, 1));
            Assert.That(s[1], Is.GreaterThanOrEqualTo(0));
            Assert.That(s[2], Is.LessThanOrEqualTo(5));
            Assert.That(again.Sample(), Is.EqualTo(s));
        }
        Assert.That(box.Contains([0, 0, 0, double.NaN]), Is.False);
        Assert.That(box.Contains([0, 0, 0]), Is.False);
        Assert.Throws<ArgumentException>(() => new Box([1.0], [0.0]));
        Assert.Throws<ArgumentException>(() => new Box([0.0, 0.0], [1.0]));
    }

    [Test]
    public void DiscreteSamplesWithinRangeAndRespectsMasks()
    {
        var d = new Discrete(5, start: 2, seed: 1);
        for (int k = 0; k < 100; k++) Assert.That(d.Contains(d.Sample()), Is.True);
        for (int k = 0; k < 20; k++) Assert.That(d.Sample([false, false, true, false, false]), Is.EqualTo(4));
        Assert.That(d.Contains(7), Is.False);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Discrete(0));
    }

    [Test]
    public void TimeLimitTruncatesAndStatisticsAreRecorded()
    {
        var task = BuiltinTasks.CreateRegistry().Create("flip");
        using var env = new RecordEpisodeStatistics<double[], double[]>(new TimeLimit<double[], double[]>(task.CreateEnv(), 1));
        env.Reset(seed: 0);
        var r = env.Step([0.0, 0.25]);
        Assert.That(r.Terminated, Is.True, "flip ends after its only segment: terminated, not truncated");
        Assert.That(r.Truncated, Is.False);
        var stats = (EpisodeStatistics)r.Info["episode"];
        Assert.That(stats.Length, Is.EqualTo(1));
        Assert.That(stats.Return, Is.EqualTo(-2.759366).Within(1e-6));
        Assert.That(env.ReturnQueue, Has.Count.EqualTo(1));
        var (obs, reward, done, info) = r;
        Assert.That(done, Is.True);
        Assert.That(reward, Is.EqualTo(r.Reward));
    }

    /// <summary>A 3-step counter env to test time limits and vector autoreset.</summary>
    sealed class Counter(int length) : Env<double[], double[]>
    {
        readonly Box _a = new(-1, 1, 1), _o = new(0, 100, 1);
        int _t;
        public override Space<double[]> ActionSpace => _a;
        public override Space<double[]> ObservationSpace => _o;
        public override ResetResult<double[]> Reset(int? seed = null, Info? options = null) { ResetRandom(seed); _t = 0; return new([0], new Info()); }
        public override StepResult<double[]> Step(double[] action) { _t++; return new([_t], 1, _t >= length, false, new Info()); }
    }

    [Test]
    public void TimeLimitSetsTruncatedOnlyWhenNotTerminated()
    {
        using var env = new TimeLimit<double[], double[]>(new Counter(10), 2);
        env.Reset();
        Assert.That(env.Step([0]).Truncated, Is.False);
        var r = env.Step([0]);
        Assert.That(r.Truncated, Is.True);
        Assert.That(r.Terminated, Is.False);
    }

    [Test]
    public void VectorEnvNextStepAutoresetIgnoresTheActionAndReturnsZeroReward()
    {
        using var venv = new SyncVectorEnv<double[], double[]>([() => new Counter(2), () => new Counter(3)]);
        Assert.That(venv.Metadata["autoreset_mode"], Is.EqualTo("NextStep"));
        venv.Reset(seed: 10);
        double[][] a = [[0], [0]];
        venv.Step(a);
        var r2 = venv.Step(a);
        Assert.That(r2.Terminated, Is.EqualTo(new[] { true, false }));
        var r3 = venv.Step(a);
        Assert.That(r3.Observations[0], Is.EqualTo(new[] { 0.0 }), "sub-env 0 was reset on this step");
        Assert.That(r3.Rewards[0], Is.EqualTo(0));
        Assert.That(r3.Terminated[1], Is.True);
    }

    [Test]
    public void VectorEnvSameStepPutsTheFinalObservationInInfo()
    {
        using var venv = new SyncVectorEnv<double[], double[]>([() => new Counter(1)], AutoresetMode.SameStep);
        venv.Reset(seed: 0);
        var r = venv.Step([[0.0]]);
        Assert.That(r.Terminated[0], Is.True);
        Assert.That(r.Observations[0], Is.EqualTo(new[] { 0.0 }));
        Assert.That(r.EnvInfos[0]["final_obs"], Is.EqualTo(new[] { 1.0 }));
    }

    [Test]
    public void RenderProducesAFrameThatShowsTheBoxAndSavesAsPng()
    {
        var task = BuiltinTasks.CreateRegistry().Create("flip");
        using var env = task.CreateEnv(RenderModes.RgbArray);
        env.Reset(seed: 0);
        var frame = env.Render()!;
        Assert.That(frame.Width, Is.GreaterThan(100));
        // Some pixels are the box's blue, some the ground's grey, most are white.
        int blue = 0;
        for (int y = 0; y < frame.Height; y++) for (int x = 0; x < frame.Width; x++) { var (r, g, b) = frame.Pixel(x, y); if (b > 180 && r < 120) blue++; }
        Assert.That(blue, Is.GreaterThan(500));
        var path = Path.Combine(Path.GetTempPath(), $"contactopt-{Guid.NewGuid():N}.png");
        frame.SavePng(path);
        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes[1..4], Is.EqualTo("PNG"u8.ToArray()));
        File.Delete(path);
        var strip = task.RenderEpisode([0.35, 0.84], frames: 4);
        Assert.That(strip.Width, Is.GreaterThan(3 * frame.Width));
        Assert.Throws<IOException>(() => frame.SavePng("/proc/contactopt/forbidden.png"));
        Assert.That(task.CreateEnv().Render(), Is.Null, "no render mode: nothing rendered");
    }

    [Test]
    public void UnsupportedRenderModeIsRejected()
    {
        var task = BuiltinTasks.CreateRegistry().Create("flip");
        Assert.That(Assert.Throws<ArgumentException>(() => task.CreateEnv("human"))!.Message, Does.Contain("'human'"));
    }

    [Test]
    public void FilmstripRejectsMixedSizes()
    {
        var a = new Frame(2, 2, new byte[12]); var b = new Frame(3, 2, new byte[18]);
        Assert.Throws<ArgumentException>(() => Frame.Filmstrip([a, b]));
    }
}
