namespace ContactOpt.Wrappers;

/// <summary>How a vector env restarts sub-environments whose episode ended (Gymnasium 1.x).</summary>
public enum AutoresetMode
{
    /// <summary>The step after an episode ends resets that sub-env, ignores its action and returns reward 0 (Gymnasium's default).</summary>
    NextStep,
    /// <summary>Resets within the same step; the final observation and info go to <c>info["final_obs"]</c>, <c>info["final_info"]</c>.</summary>
    SameStep,
    /// <summary>No automatic reset; call <see cref="SyncVectorEnv{TObs,TAction}.ResetAt"/>.</summary>
    Disabled,
}

/// <summary>
/// Batched results of one vector step (index i = sub-env i). <see cref="Infos"/> follows Gymnasium 1.x: one dict of
/// arrays with <c>_key</c> masks (see <see cref="VectorInfo"/>); <see cref="EnvInfos"/> keeps each sub-env's own info.
/// </summary>
public sealed record VectorStepResult<TObs>(TObs[] Observations, double[] Rewards, bool[] Terminated, bool[] Truncated, Info Infos, Info[] EnvInfos)
{
    public void Deconstruct(out TObs[] observations, out double[] rewards, out bool[] terminated, out bool[] truncated, out Info infos)
    { observations = Observations; rewards = Rewards; terminated = Terminated; truncated = Truncated; infos = Infos; }
}

/// <summary>Batched results of a vector reset: <see cref="Infos"/> in Gymnasium 1.x's dict-of-arrays form, <see cref="EnvInfos"/> per sub-env.</summary>
public sealed record VectorResetResult<TObs>(TObs[] Observations, Info Infos, Info[] EnvInfos)
{
    public void Deconstruct(out TObs[] observations, out Info infos) { observations = Observations; infos = Infos; }
}

/// <summary>
/// Steps several environments in sequence on the caller's thread. <c>Reset(seed)</c> seeds sub-env i with
/// seed + i. The autoreset mode is declared in <see cref="Metadata"/> (<c>autoreset_mode</c>). Infos of reset and
/// step are Gymnasium 1.x's dict of arrays with <c>_key</c> masks (<see cref="VectorInfo"/>); in
/// <see cref="AutoresetMode.SameStep"/> a finished sub-env i has <c>infos["final_obs"][i]</c> and the nested
/// <c>infos["final_info"]</c> (itself a dict of arrays), masked by <c>_final_obs</c> and <c>_final_info</c>.
/// </summary>
public sealed class SyncVectorEnv<TObs, TAction> : IDisposable
{
    readonly Env<TObs, TAction>[] _envs;
    readonly bool[] _needsReset;
    bool _disposed;

    public SyncVectorEnv(IEnumerable<Func<Env<TObs, TAction>>> factories, AutoresetMode autoreset = AutoresetMode.NextStep)
    {
        _envs = factories.Select(f => f()).ToArray();
        if (_envs.Length == 0) throw new ArgumentException("a vector env needs at least one sub-environment.");
        _needsReset = new bool[_envs.Length];
        Autoreset = autoreset;
        Metadata = new Dictionary<string, object>(_envs[0].Metadata) { ["autoreset_mode"] = autoreset.ToString() };
    }

    public int NumEnvs => _envs.Length;
    public AutoresetMode Autoreset { get; }
    public IReadOnlyDictionary<string, object> Metadata { get; }
    public Space<TAction> SingleActionSpace => _envs[0].ActionSpace;
    public Space<TObs> SingleObservationSpace => _envs[0].ObservationSpace;
    /// <summary>
    /// The batched action space (Gymnasium's <c>action_space</c> of a vector env): for a Box, a <see cref="BatchedBox"/>
    /// of <see cref="NumEnvs"/> rows, whose samples are valid arguments of <see cref="Step"/>.
    /// </summary>
    public Space<TAction[]> ActionSpace => _actionSpace ??= Batch(SingleActionSpace);
    /// <summary>The batched observation space: every <see cref="Reset"/> and <see cref="Step"/> observation batch is in it.</summary>
    public Space<TObs[]> ObservationSpace => _observationSpace ??= Batch(SingleObservationSpace);
    Space<TAction[]>? _actionSpace;
    Space<TObs[]>? _observationSpace;

    Space<T[]> Batch<T>(Space<T> single) => single is Box box
        ? (Space<T[]>)(object)new BatchedBox(box, NumEnvs)
        : throw new NotSupportedException($"batching a {single.GetType().Name} space is not supported; only Box spaces are.");
    public Env<TObs, TAction> this[int i] => _envs[i];

    public VectorResetResult<TObs> Reset(int? seed = null, Info? options = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var obs = new TObs[_envs.Length]; var infos = new Info[_envs.Length];
        var merged = new Info();
        for (int i = 0; i < _envs.Length; i++)
        {
            (obs[i], infos[i]) = _envs[i].Reset(seed is int s ? s + i : null, options);
            _needsReset[i] = false;
            VectorInfo.Add(merged, infos[i], i, _envs.Length);
        }
        return new(obs, merged, infos);
    }

    /// <summary>Resets one sub-environment (for <see cref="AutoresetMode.Disabled"/>).</summary>
    public ResetResult<TObs> ResetAt(int index, int? seed = null, Info? options = null)
    {
        _needsReset[index] = false;
        return _envs[index].Reset(seed, options);
    }

    public VectorStepResult<TObs> Step(TAction[] actions)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (actions.Length != _envs.Length) throw new ArgumentException($"got {actions.Length} actions for {_envs.Length} environments.", nameof(actions));
        int n = _envs.Length;
        var obs = new TObs[n]; var rew = new double[n]; var term = new bool[n]; var trunc = new bool[n]; var infos = new Info[n];
        var merged = new Info();
        for (int i = 0; i < n; i++)
        {
            if (Autoreset == AutoresetMode.NextStep && _needsReset[i])
            {
                (obs[i], infos[i]) = _envs[i].Reset();
                _needsReset[i] = false;
                VectorInfo.Add(merged, infos[i], i, n);
                continue;
            }
            var r = _envs[i].Step(actions[i]);
            (obs[i], rew[i], term[i], trunc[i], infos[i]) = r;
            if (r.Done)
            {
                if (Autoreset == AutoresetMode.NextStep) _needsReset[i] = true;
                else if (Autoreset == AutoresetMode.SameStep)
                {
                    VectorInfo.Add(merged, new Info { ["final_obs"] = r.Observation!, ["final_info"] = r.Info }, i, n);
                    var (o, info) = _envs[i].Reset();
                    infos[i] = new Info(info) { ["final_obs"] = r.Observation!, ["final_info"] = r.Info };
                    obs[i] = o;
                    VectorInfo.Add(merged, info, i, n);
                    continue;
                }
            }
            VectorInfo.Add(merged, infos[i], i, n);
        }
        return new(obs, rew, term, trunc, merged, infos);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var e in _envs) e.Dispose();
    }
}
