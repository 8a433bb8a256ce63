using ContactOpt.Rendering;

namespace ContactOpt.Wrappers;

/// <summary>Base of all wrappers: forwards everything to the wrapped environment.</summary>
public abstract class Wrapper<TObs, TAction> : Env<TObs, TAction>
{
    protected Wrapper(Env<TObs, TAction> env)
    {
        Env = env ?? throw new ArgumentNullException(nameof(env));
        RenderMode = env.RenderMode;
        Spec = env.Spec;
    }
    public Env<TObs, TAction> Env { get; }
    public override Space<TAction> ActionSpace => Env.ActionSpace;
    public override Space<TObs> ObservationSpace => Env.ObservationSpace;
    public override IReadOnlyDictionary<string, object> Metadata => Env.Metadata;
    public override Env<TObs, TAction> Unwrapped => Env.Unwrapped;
    public override ResetResult<TObs> Reset(int? seed = null, Info? options = null) => Env.Reset(seed, options);
    public override StepResult<TObs> Step(TAction action) => Env.Step(action);
    public override Frame? Render() => Env.Render();
    protected override void Close() => Env.Dispose();
}

/// <summary>Truncates an episode after <see cref="MaxEpisodeSteps"/> steps (Gymnasium's TimeLimit).</summary>
public sealed class TimeLimit<TObs, TAction> : Wrapper<TObs, TAction>
{
    int _elapsed;
    public TimeLimit(Env<TObs, TAction> env, int maxEpisodeSteps) : base(env)
    {
        if (maxEpisodeSteps < 1) throw new ArgumentOutOfRangeException(nameof(maxEpisodeSteps), maxEpisodeSteps, "max episode steps must be ≥ 1.");
        MaxEpisodeSteps = maxEpisodeSteps;
    }
    public int MaxEpisodeSteps { get; }
    public int ElapsedSteps => _elapsed;

    public override ResetResult<TObs> Reset(int? seed = null, Info? options = null) { _elapsed = 0; return Env.Reset(seed, options); }

    public override StepResult<TObs> Step(TAction action)
    {
        var r = Env.Step(action);
        _elapsed++;
        if (_elapsed >= MaxEpisodeSteps && !r.Terminated && !r.Truncated) return r with { Truncated = true };
        return r;
    }
}

/// <summary>Episode statistics (Gymnasium's RecordEpisodeStatistics).</summary>
public sealed record EpisodeStatistics(double Return, int Length, double Seconds);

/// <summary>
/// Adds <c>info["episode"]</c> = <see cref="EpisodeStatistics"/> when an episode ends, and keeps the last
/// <c>bufferLength</c> returns, lengths and durations.
/// </summary>
public sealed class RecordEpisodeStatistics<TObs, TAction> : Wrapper<TObs, TAction>
{
    readonly int _buffer;
    double _return; int _length; long _start;
    readonly Queue<double> _returns = new(), _seconds = new();
    readonly Queue<int> _lengths = new();

    public RecordEpisodeStatistics(Env<TObs, TAction> env, int bufferLength = 100) : base(env)
    {
        if (bufferLength < 1) throw new ArgumentOutOfRangeException(nameof(bufferLength), bufferLength, "buffer length must be ≥ 1.");
        _buffer = bufferLength;
    }
    public IReadOnlyCollection<double> ReturnQueue => _returns;
    public IReadOnlyCollection<int> LengthQueue => _lengths;
    public IReadOnlyCollection<double> TimeQueue => _seconds;
    public int EpisodeCount { get; private set; }

    public override ResetResult<TObs> Reset(int? seed = null, Info? options = null)
    {
        _return = 0; _length = 0; _start = System.Diagnostics.Stopwatch.GetTimestamp();
        return Env.Reset(seed, options);
    }

    public override StepResult<TObs> Step(TAction action)
    {
        var r = Env.Step(action);
        _return += r.Reward; _length++;
        if (r.Done)
        {
            var secs = System.Diagnostics.Stopwatch.GetElapsedTime(_start).TotalSeconds;
            var info = new Info(r.Info) { ["episode"] = new EpisodeStatistics(_return, _length, secs) };
            Push(_returns, _return); Push(_lengths, _length); Push(_seconds, secs);
            EpisodeCount++;
            return r with { Info = info };
        }
        return r;
    }

    void Push<T>(Queue<T> q, T v) { q.Enqueue(v); while (q.Count > _buffer) q.Dequeue(); }
}
