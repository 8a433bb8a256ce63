using ContactOpt.Wrappers;

namespace ContactOpt.Rendering;

/// <summary>
/// Writes recorded episodes as PNGs (the codec-free stand-in for Gymnasium's RecordVideo): for episode k,
/// <c>{folder}/{prefix}-episode-{k}.png</c> is a filmstrip of at most <c>maxFrames</c> frames chosen evenly over the
/// recording (first and last always in), and with <c>saveFrames</c> every recorded frame goes to
/// <c>{folder}/{prefix}-episode-{k}/frame-0000.png</c>, … (assemble a video with any tool).
/// </summary>
public static class RecordFilmstrip
{
    /// <summary>Wraps <paramref name="env"/> (render mode rgb_array) in a <see cref="RecordEpisodeFrames{TObs,TAction}"/> that writes PNGs to <paramref name="folder"/>.</summary>
    public static RecordEpisodeFrames<TObs, TAction> Wrap<TObs, TAction>(Env<TObs, TAction> env, string folder, string prefix = "rl-video",
        Func<int, bool>? episodeTrigger = null, int maxFrames = 16, bool saveFrames = false, int frameEvery = 1, int maxSteps = 0) =>
        new(env, Writer(folder, prefix, maxFrames, saveFrames), episodeTrigger, frameEvery, maxSteps);

    /// <summary>The sink that writes one recording's PNGs (see the class summary); checks its arguments at once.</summary>
    public static Action<RecordedEpisode> Writer(string folder, string prefix = "rl-video", int maxFrames = 16, bool saveFrames = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (string.IsNullOrWhiteSpace(prefix) || prefix.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || prefix.Contains('/'))
            throw new ArgumentException($"recording prefix '{prefix}' is not a plain file name.", nameof(prefix));
        if (maxFrames < 1 || maxFrames > 256) throw new ArgumentOutOfRangeException(nameof(maxFrames), maxFrames, "a filmstrip holds 1 to 256 frames.");
        return episode =>
        {
            var name = $"{prefix}-episode-{episode.Episode}";
            Frame.Filmstrip(Select(episode.Frames, maxFrames)).SavePng(Path.Combine(folder, name + ".png"));
            if (saveFrames)
                for (int i = 0; i < episode.Frames.Count; i++)
                    episode.Frames[i].SavePng(Path.Combine(folder, name, $"frame-{i:D4}.png"));
        };
    }

    /// <summary>At most <paramref name="max"/> frames spread evenly over <paramref name="frames"/>, the first and the last included.</summary>
    public static IReadOnlyList<Frame> Select(IReadOnlyList<Frame> frames, int max)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0) throw new ArgumentException("a recording has at least one frame.");
        if (max < 1) throw new ArgumentOutOfRangeException(nameof(max), max, "need at least one frame.");
        if (frames.Count <= max) return frames;
        if (max == 1) return [frames[^1]];
        var picked = new Frame[max];
        for (int i = 0; i < max; i++) picked[i] = frames[(int)Math.Round(i * (frames.Count - 1) / (double)(max - 1))];
        return picked;
    }
}
