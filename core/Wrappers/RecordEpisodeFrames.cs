using ContactOpt.Rendering;

namespace ContactOpt.Wrappers;

/// <summary>The frames of one recorded episode (<see cref="RecordEpisodeFrames{TObs,TAction}"/>).</summary>
/// <param name="Episode">0-based index of the episode among all episodes the wrapper saw.</param>
/// <param name="Frames">The frame after the reset and then one after every <c>frameEvery</c>-th step (always the last).</param>
/// <param name="Return">Sum of the rewards of the recorded steps.</param>
/// <param name="Length">Steps recorded (the episode's length unless it was cut by <c>maxSteps</c> or a close).</param>
/// <param name="Complete">False when the recording was cut (close before the episode ended, or <c>maxSteps</c>).</param>
public sealed record RecordedEpisode(int Episode, IReadOnlyList<Frame> Frames, double Return, int Length, bool Complete);

/// <summary>
/// Gymnasium's RecordVideo without a video codec: records the rendered frames of the episodes chosen by
/// <c>episodeTrigger</c> (default Gymnasium's <see cref="CappedCubicSchedule"/>: episodes 0, 1, 8, 27, …, 729, then
/// every 1000th) and hands each finished recording to <c>onEpisode</c> (the rendering project's
/// <c>RecordFilmstrip</c> writes them as filmstrip PNGs and frame PNGs). The env must have been created with render
/// mode <c>rgb_array</c>. A recording in progress is handed over, marked incomplete, when the wrapper is closed.
/// </summary>
public sealed class RecordEpisodeFrames<TObs, TAction> : Wrapper<TObs, TAction>
{
    readonly Action<RecordedEpisode> _onEpisode;
    readonly Func<int, bool> _trigger;
    readonly int _frameEvery, _maxSteps;
    List<Frame>? _frames;
    Frame? _last;
    int _episode = -1, _length;
    double _return;
    bool _lastKept;

    /// <param name="onEpisode">Receives every finished recording.</param>
    /// <param name="episodeTrigger">Which episodes (0-based) to record; null: <see cref="CappedCubicSchedule"/>.</param>
    /// <param name="frameEvery">Keep the frame of every k-th step (1: all), to bound memory on long episodes.</param>
    /// <param name="maxSteps">Stop recording an episode after this many steps (0: the whole episode; Gymnasium's video_length).</param>
    public RecordEpisodeFrames(Env<TObs, TAction> env, Action<RecordedEpisode> onEpisode, Func<int, bool>? episodeTrigger = null,
        int frameEvery = 1, int maxSteps = 0) : base(env)
    {
        _onEpisode = onEpisode ?? throw new ArgumentNullException(nameof(onEpisode));
        if (env.RenderMode != RenderModes.RgbArray)
            throw new ArgumentException($"RecordEpisodeFrames needs an env created with render mode '{RenderModes.RgbArray}'; this one has {(env.RenderMode is null ? "none" : $"'{env.RenderMode}'")}.", nameof(env));
        if (frameEvery < 1) throw new ArgumentOutOfRangeException(nameof(frameEvery), frameEvery, "frameEvery must be ≥ 1.");
        if (maxSteps < 0) throw new ArgumentOutOfRangeException(nameof(maxSteps), maxSteps, "maxSteps must be ≥ 0 (0: the whole episode).");
        _trigger = episodeTrigger ?? CappedCubicSchedule;
        _frameEvery = frameEvery; _maxSteps = maxSteps;
    }

    /// <summary>Gymnasium's <c>capped_cubic_video_schedule</c>: perfect cubes below 1000, then every 1000th episode.</summary>
    public static bool CappedCubicSchedule(int episode)
    {
        if (episode < 0) return false;
        if (episode >= 1000) return episode % 1000 == 0;
        int root = (int)Math.Round(Math.Cbrt(episode));
        return root * root * root == episode;
    }

    /// <summary>True while the current episode is being recorded.</summary>
    public bool Recording => _frames is not null;
    /// <summary>Recordings handed over so far.</summary>
    public int RecordedEpisodes { get; private set; }

    public override ResetResult<TObs> Reset(int? seed = null, Info? options = null)
    {
        if (_frames is not null) Flush(complete: false);
        var r = Env.Reset(seed, options);
        _episode++;
        if (_trigger(_episode))
        {
            _frames = new List<Frame>(); _length = 0; _return = 0;
            Capture(keep: true);
        }
        return r;
    }

    public override StepResult<TObs> Step(TAction action)
    {
        var r = Env.Step(action);
        if (_frames is null) return r;
        _length++; _return += r.Reward;
        Capture(keep: _length % _frameEvery == 0);
        if (r.Done) Flush(complete: true);
        else if (_maxSteps > 0 && _length >= _maxSteps) Flush(complete: false);
        return r;
    }

    void Capture(bool keep)
    {
        var f = Env.Render() ?? throw new InvalidOperationException("RecordEpisodeFrames: the env returned no frame although its render mode is rgb_array.");
        _last = f; _lastKept = keep;
        if (keep) _frames!.Add(f);
    }

    void Flush(bool complete)
    {
        var frames = _frames!;
        if (!_lastKept && _last is not null) frames.Add(_last);   // the last frame is always in the recording
        _frames = null; _last = null;
        RecordedEpisodes++;
        _onEpisode(new RecordedEpisode(_episode, frames, _return, _length, complete));
    }

    protected override void Close()
    {
        try { if (_frames is not null) Flush(complete: false); }
        finally { base.Close(); }
    }
}
