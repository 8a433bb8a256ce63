using ContactOpt.Envs;
using ContactOpt.Rendering;
using ContactOpt.Wrappers;

namespace ContactOpt.Tests;

/// <summary>Vector-env infos (Gymnasium 1.x dict of arrays), FlattenObservation and the episode recorder.</summary>
public class GymnasiumWrapperTests
{
    /// <summary>Counts steps; ends after <c>length</c> steps; info has "t" (int) on even steps and "tag" (string) at step 1.</summary>
    sealed class Counter(int length) : Env<double[], double[]>
    {
        readonly Box _a = new(-1, 1, 1), _o = new(0, 100, 1);
        int _t;
        public override Space<double[]> ActionSpace => _a;
        public override Space<double[]> ObservationSpace => _o;
        public override ResetResult<double[]> Reset(int? seed = null, Info? options = null) { ResetRandom(seed); _t = 0; return new([0], new Info { ["start"] = true }); }
        public override StepResult<double[]> Step(double[] action)
        {
            _t++;
            var info = new Info();
            if (_t % 2 == 0) info["t"] = _t;
            if (_t == 1) info["tag"] = "one";
            return new([_t], 1, _t >= length, false, info);
        }
    }

    [Test]
    public void VectorInfosAreDictsOfArraysWithMasks()
    {
        using var venv = new SyncVectorEnv<double[], double[]>([() => new Counter(5), () => new Counter(5), () => new Counter(5)]);
        var (_, resetInfo) = venv.Reset(seed: 0);
        Assert.That(resetInfo["start"], Is.EqualTo(new[] { true, true, true }));
        Assert.That(resetInfo["_start"], Is.EqualTo(new[] { true, true, true }));
        double[][] a = [[0], [0], [0]];
        var r1 = venv.Step(a);
        Assert.That(r1.Infos.ContainsKey("t"), Is.False, "no sub-env gave 't' at step 1");
        Assert.That(r1.Infos["tag"], Is.EqualTo(new[] { "one", "one", "one" }));
        var r2 = venv.Step(a);
        Assert.That(r2.Infos["t"], Is.TypeOf<int[]>().And.EqualTo(new[] { 2, 2, 2 }));
        Assert.That(r2.Infos.ContainsKey("tag"), Is.False);
        Assert.That(r2.EnvInfos[1]["t"], Is.EqualTo(2), "each sub-env's own info is kept");
        Assert.That(r2.Infos.TryGet("t", 2, out int t2) && t2 == 2, Is.True);
        Assert.That(r2.Infos.TryGet("tag", 0, out string _), Is.False);
    }

    [Test]
    public void MissingEntriesAreZeroAndMaskedAndMixedTypesBecomeObjects()
    {
        var merged = VectorInfo.Merge([new Info { ["x"] = 1.5 }, new Info(), new Info { ["x"] = 2.5, ["y"] = "s" }]);
        Assert.That(merged["x"], Is.EqualTo(new[] { 1.5, 0.0, 2.5 }));
        Assert.That(merged["_x"], Is.EqualTo(new[] { true, false, true }));
        Assert.That(merged["y"], Is.EqualTo(new object?[] { null, null, "s" }));
        Assert.That(merged["_y"], Is.EqualTo(new[] { false, false, true }));
        var mixed = VectorInfo.Merge([new Info { ["v"] = 1.0 }, new Info { ["v"] = "text" }]);
        Assert.That(mixed["v"], Is.EqualTo(new object?[] { 1.0, "text" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => VectorInfo.Add(new Info(), new Info(), 3, 3));
    }

    [Test]
    public void SameStepAutoresetPutsFinalObsAndNestedFinalInfoUnderMasks()
    {
        using var venv = new SyncVectorEnv<double[], double[]>([() => new Counter(2), () => new Counter(3)], AutoresetMode.SameStep);
        venv.Reset(seed: 0);
        double[][] a = [[0], [0]];
        var r1 = venv.Step(a);
        Assert.That(r1.Infos.ContainsKey("final_obs"), Is.False);
        var r2 = venv.Step(a);
        Assert.That(r2.Terminated, Is.EqualTo(new[] { true, false }));
        Assert.That(r2.Observations[0], Is.EqualTo(new[] { 0.0 }), "sub-env 0 was reset in the same step");
        Assert.That(r2.Infos["_final_obs"], Is.EqualTo(new[] { true, false }));
        var finalObs = (double[]?[])r2.Infos["final_obs"];
        Assert.That(finalObs[0], Is.EqualTo(new[] { 2.0 }));
        Assert.That(finalObs[1], Is.Null);
        var finalInfo = (Info)r2.Infos["final_info"];
        Assert.That(finalInfo["t"], Is.EqualTo(new[] { 2, 0 }));
        Assert.That(finalInfo["_t"], Is.EqualTo(new[] { true, false }));
        Assert.That(r2.Infos["start"], Is.EqualTo(new[] { true, false }), "the reset's info of sub-env 0");
        Assert.That(r2.Infos["t"], Is.EqualTo(new[] { 0, 2 }), "sub-env 1's step info; sub-env 0's step info is only in final_info");
        Assert.That(r2.Infos["_t"], Is.EqualTo(new[] { false, true }));
    }

    /// <summary>Observations are Discrete states 0..3 of a walk; actions a Box.</summary>
    sealed class Walk : Env<int, double[]>
    {
        readonly Box _a = new(-1, 1, 1);
        readonly Discrete _o = new(4, start: 1);
        int _s;
        bool _live;
        public override Space<double[]> ActionSpace => _a;
        public override Space<int> ObservationSpace => _o;
        public override ResetResult<int> Reset(int? seed = null, Info? options = null) { ResetRandom(seed); _s = 1 + NpRandom.Next(3); _live = true; return new(_s, new Info()); }
        public override StepResult<int> Step(double[] action)
        {
            if (!_live) throw new InvalidOperationException("Step before Reset.");
            _s = action[0] > 0 ? Math.Min(4, _s + 1) : Math.Max(1, _s - 1);
            _live = _s != 4;
            return new(_s, _s, _s == 4, false, new Info());
        }
    }

    [Test]
    public void FlattenObservationOneHotsDiscreteAndRoundTrips()
    {
        using var env = new FlattenObservation<int, double[]>(new Walk());
        var box = (Box)env.ObservationSpace;
        Assert.That(box.Size, Is.EqualTo(4));
        var (o, _) = env.Reset(seed: 3);
        Assert.That(box.Contains(o) && o.Sum() == 1, Is.True);
        int state = Spaces.Unflatten(env.Env.ObservationSpace, o);
        Assert.That(o[state - 1], Is.EqualTo(1.0));
        var s = env.Step([1.0]);
        Assert.That(Spaces.Unflatten(env.Env.ObservationSpace, s.Observation), Is.EqualTo(Math.Min(4, state + 1)));
        Assert.That(env.RandomSeed, Is.EqualTo(3));
        Assert.That(Spaces.Flatten(new Discrete(3, start: -1), 1), Is.EqualTo(new[] { 0.0, 0.0, 1.0 }));
        Assert.That(Assert.Throws<ArgumentException>(() => Spaces.Flatten(new Discrete(3), 3))!.Message, Does.Contain("3"));
        Assert.That(Assert.Throws<ArgumentException>(() => Spaces.Unflatten(new Discrete(3), [0.0, 1.0, 1.0]))!.Message, Does.Contain("one-hot"));
        Assert.Throws<ArgumentException>(() => Spaces.Unflatten(new Discrete(3), [1.0]));
    }

    [Test]
    public void FlattenOfABatchConcatenatesRowsInTheStackedBox()
    {
        var batch = new BatchedBox(new Box([-1.0, 0.0], [1.0, 5.0]), 3);
        var flat = Spaces.FlattenSpace(batch);
        Assert.That(flat.Low, Is.EqualTo(new[] { -1.0, 0, -1, 0, -1, 0 }));
        Assert.That(flat.High, Is.EqualTo(new[] { 1.0, 5, 1, 5, 1, 5 }));
        batch.Seed(4);
        var x = batch.Sample();
        var f = Spaces.Flatten(batch, x);
        Assert.That(flat.Contains(f), Is.True);
        Assert.That(f[2..4], Is.EqualTo(x[1]));
        Assert.That(Spaces.Unflatten(batch, f), Is.EqualTo(x));
        Assert.That(Spaces.FlatDim(batch), Is.EqualTo(6));
        Assert.Throws<ArgumentException>(() => Spaces.Flatten(batch, [[0.0, 1.0]]));
    }

    [Test]
    public void FlattenedEnvPassesTheChecker()
    {
        var warnings = EnvChecker.Check(() => new FlattenObservation<int, double[]>(new Walk()));
        Assert.That(warnings.Any(w => w.Contains("wrapped")), Is.False);
    }

    [Test]
    public void CappedCubicScheduleMatchesGymnasium()
    {
        var chosen = Enumerable.Range(0, 3001).Where(RecordEpisodeFrames<double[], double[]>.CappedCubicSchedule).ToArray();
        Assert.That(chosen, Is.EqualTo(new[] { 0, 1, 8, 27, 64, 125, 216, 343, 512, 729, 1000, 2000, 3000 }));
    }

    [Test]
    public void RecorderKeepsTheTriggeredEpisodesFramesAndTheLastFrame()
    {
        var recorded = new List<RecordedEpisode>();
        using (var env = new RecordEpisodeFrames<double[], double[]>(BuiltinTasks.Make("pendulum", maxEpisodeSteps: 5, renderMode: RenderModes.RgbArray),
                   recorded.Add, episodeTrigger: e => e != 1, frameEvery: 2))
        {
            for (int e = 0; e < 3; e++)
            {
                env.Reset(seed: e);
                Assert.That(env.Recording, Is.EqualTo(e != 1));
                for (bool done = false; !done;) done = env.Step([0.5]).Done;
            }
            env.Reset(seed: 9);          // episode 3 is recorded and cut by the close
            env.Step([0.0]);
        }
        Assert.That(recorded.Select(r => r.Episode), Is.EqualTo(new[] { 0, 2, 3 }));
        Assert.That(recorded[0].Frames.Count, Is.EqualTo(4), "the reset, steps 2 and 4, and the last step 5");
        Assert.That(recorded[0].Length, Is.EqualTo(5));
        Assert.That(recorded[0].Complete, Is.True);
        Assert.That(recorded[2].Complete, Is.False);
        Assert.That(recorded[2].Frames.Count, Is.EqualTo(2));
        Assert.That(recorded[0].Frames[0].Rgb, Is.Not.EqualTo(recorded[0].Frames[^1].Rgb), "the pendulum moved");
        // Recording the same episodes again gives the same frames (the recorder draws nothing).
        var again = new List<RecordedEpisode>();
        using (var env = new RecordEpisodeFrames<double[], double[]>(BuiltinTasks.Make("pendulum", maxEpisodeSteps: 5, renderMode: RenderModes.RgbArray), again.Add, frameEvery: 2))
        {
            env.Reset(seed: 0);
            for (bool done = false; !done;) done = env.Step([0.5]).Done;
        }
        Assert.That(again[0].Frames.Select(f => f.Rgb), Is.EqualTo(recorded[0].Frames.Select(f => f.Rgb)));
    }

    [Test]
    public void RecorderRefusesEnvsThatDoNotRenderAndBadArguments()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => new RecordEpisodeFrames<double[], double[]>(BuiltinTasks.Make("pendulum"), _ => { }))!.Message,
            Does.Contain("rgb_array"));
        var env = BuiltinTasks.Make("pendulum", renderMode: RenderModes.RgbArray);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecordEpisodeFrames<double[], double[]>(env, _ => { }, frameEvery: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecordEpisodeFrames<double[], double[]>(env, _ => { }, maxSteps: -1));
        Assert.Throws<ArgumentException>(() => RecordFilmstrip.Writer("/tmp", prefix: "a/b"));
        Assert.Throws<ArgumentOutOfRangeException>(() => RecordFilmstrip.Writer("/tmp", maxFrames: 0));
    }

    [Test]
    public void FilmstripRecorderWritesPngsOfTheEpisodes()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"contactopt-rec-{Guid.NewGuid():N}");
        try
        {
            int frameWidth;
            using (var env = RecordFilmstrip.Wrap(BuiltinTasks.Make("pendulum", maxEpisodeSteps: 6, renderMode: RenderModes.RgbArray), dir,
                       prefix: "pend", maxFrames: 4, saveFrames: true, maxSteps: 0))
            {
                env.Reset(seed: 1);
                frameWidth = env.Render()!.Width;
                for (bool done = false; !done;) done = env.Step([1.0]).Done;
            }
            var strip = Path.Combine(dir, "pend-episode-0.png");
            Assert.That(File.Exists(strip), Is.True);
            Assert.That(File.ReadAllBytes(strip)[1..4], Is.EqualTo("PNG"u8.ToArray()));
            var frames = Directory.GetFiles(Path.Combine(dir, "pend-episode-0"), "frame-*.png").Order().ToArray();
            Assert.That(frames.Select(Path.GetFileName), Is.EqualTo(Enumerable.Range(0, 7).Select(i => $"frame-{i:D4}.png")));
            using var bmp = SkiaSharp.SKBitmap.Decode(strip);
            Assert.That(bmp.Width, Is.EqualTo(4 * frameWidth + 3 * 4), "four frames with 4-pixel gaps");
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void FilmstripSelectionSpreadsFramesAndKeepsTheEnds()
    {
        var frames = Enumerable.Range(0, 10).Select(i => new Frame(1, 1, [(byte)i, 0, 0])).ToArray();
        Assert.That(RecordFilmstrip.Select(frames, 4).Select(f => (int)f.Rgb[0]), Is.EqualTo(new[] { 0, 3, 6, 9 }));
        Assert.That(RecordFilmstrip.Select(frames, 20).Count, Is.EqualTo(10));
        Assert.That(RecordFilmstrip.Select(frames, 1).Single().Rgb[0], Is.EqualTo(9));
    }
}
