namespace ContactOpt;

/// <summary>String-keyed extra information returned by reset and step (Gymnasium's <c>info</c> dict).</summary>
public sealed class Info : Dictionary<string, object>
{
    public Info() { }
    public Info(IDictionary<string, object> source) : base(source) { }
    public T Get<T>(string key, T fallback) => TryGetValue(key, out var v) && v is T t ? t : fallback;
}

/// <summary>Result of <see cref="Env{TObs,TAction}.Reset"/>.</summary>
public readonly record struct ResetResult<TObs>(TObs Observation, Info Info)
{
    public void Deconstruct(out TObs observation, out Info info) { observation = Observation; info = Info; }
}

/// <summary>
/// Result of <see cref="Env{TObs,TAction}.Step"/> with Gymnasium semantics: <see cref="Terminated"/> is an MDP
/// terminal state (no bootstrapping), <see cref="Truncated"/> a cut outside the MDP (time limit, divergence).
/// <see cref="Done"/> and the four-way deconstruction keep Gym.NET's vocabulary. The info is <see cref="Info"/>, as
/// on <see cref="ResetResult{TObs}"/>.
/// </summary>
public readonly record struct StepResult<TObs>(TObs Observation, double Reward, bool Terminated, bool Truncated, Info Info)
{
    public bool Done => Terminated || Truncated;
    /// <summary>The former name of <see cref="Info"/>, kept so existing code compiles; use <see cref="Info"/>.</summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public Info Information => Info;
    public void Deconstruct(out TObs observation, out double reward, out bool terminated, out bool truncated, out Info info)
    { observation = Observation; reward = Reward; terminated = Terminated; truncated = Truncated; info = Info; }
    public void Deconstruct(out TObs observation, out double reward, out bool done, out Info info)
    { observation = Observation; reward = Reward; done = Done; info = Info; }
}

/// <summary>Render modes understood by the suite.</summary>
public static class RenderModes
{
    public const string RgbArray = "rgb_array";
}

/// <summary>
/// A Gymnasium-1.x environment. The environment owns a seeded generator that is re-created only when
/// <see cref="Reset"/> receives a seed (the first reset without a seed uses seed 0, so nothing is unseeded).
/// <see cref="Reset"/> and <see cref="Step"/> return fresh arrays on every call. <see cref="Dispose"/> is idempotent.
/// </summary>
public abstract class Env<TObs, TAction> : IDisposable
{
    Random? _rng;
    bool _disposed;

    public abstract Space<TAction> ActionSpace { get; }
    public abstract Space<TObs> ObservationSpace { get; }
    /// <summary>e.g. <c>render_modes</c> (string[]), <c>render_fps</c> (int).</summary>
    public virtual IReadOnlyDictionary<string, object> Metadata { get; } =
        new Dictionary<string, object> { ["render_modes"] = new[] { RenderModes.RgbArray }, ["render_fps"] = 30 };
    /// <summary>Render mode fixed at construction (null: <see cref="Render"/> returns null).</summary>
    public string? RenderMode { get; protected init; }

    /// <summary>The environment's generator; seed it through <see cref="Reset"/>.</summary>
    protected Random NpRandom => _rng ??= Rng.Create(0);
    /// <summary>The seed the generator was last created from.</summary>
    public int? RandomSeed { get; private set; }

    /// <summary>The spec this env was made from by <see cref="Gym.Make"/> (null when constructed directly); wrappers copy it.</summary>
    public EnvSpec? Spec { get; set; }

    /// <summary>The innermost environment (wrappers override).</summary>
    public virtual Env<TObs, TAction> Unwrapped => this;

    public abstract ResetResult<TObs> Reset(int? seed = null, Info? options = null);
    public abstract StepResult<TObs> Step(TAction action);
    /// <summary>An RGB frame of the current state (null when <see cref="RenderMode"/> is null).</summary>
    public virtual Rendering.Frame? Render() => null;

    /// <summary>Gym.NET shim: the next <see cref="Reset"/> without a seed uses this one.</summary>
    public void Seed(int seed) { _pendingSeed = seed; }
    int? _pendingSeed;

    /// <summary>Call at the start of <see cref="Reset"/>: applies the seed rule of Gymnasium.</summary>
    protected void ResetRandom(int? seed)
    {
        seed ??= _pendingSeed;
        _pendingSeed = null;
        if (seed is int s) { _rng = Rng.Create(s); RandomSeed = s; }
        else if (_rng is null) { _rng = Rng.Create(0); RandomSeed = 0; }
    }

    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
    public bool IsDisposed => _disposed;

    /// <summary>Releases resources; safe to call more than once.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Close();
        GC.SuppressFinalize(this);
    }
    /// <summary>Gym.NET name for releasing resources; called once by <see cref="Dispose"/>.</summary>
    protected virtual void Close() { }
}
