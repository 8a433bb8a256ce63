namespace ContactOpt.Wrappers;

/// <summary>
/// Clips every action to the wrapped env's Box before stepping (Gymnasium's ClipAction): the wrapper's action space
/// is the unbounded Box of the same size; NaN entries are not clipped (the wrapped env rejects them).
/// </summary>
public sealed class ClipAction : Wrapper<double[], double[]>
{
    readonly Box _inner;
    public ClipAction(Env<double[], double[]> env) : base(env)
    {
        _inner = env.ActionSpace as Box ?? throw new ArgumentException("ClipAction needs a Box action space.", nameof(env));
        ActionSpace = new Box(double.NegativeInfinity, double.PositiveInfinity, _inner.Size);
    }
    public override Space<double[]> ActionSpace { get; }

    public override StepResult<double[]> Step(double[] action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var a = (double[])action.Clone();
        for (int i = 0; i < a.Length && i < _inner.Size; i++) a[i] = Math.Clamp(a[i], _inner.LowAt(i), _inner.HighAt(i)); // NaN stays NaN
        return Env.Step(a);
    }
}

/// <summary>
/// Affinely maps actions from [<c>min</c>, <c>max</c>] to the wrapped env's bounded Box (Gymnasium's RescaleAction);
/// the wrapper's action space is Box(min, max). Out-of-range actions map outside the env's Box and are left to it.
/// </summary>
public sealed class RescaleAction : Wrapper<double[], double[]>
{
    readonly Box _inner, _outer;
    public RescaleAction(Env<double[], double[]> env, double minAction = -1, double maxAction = 1) : this(env, Fill(env, minAction), Fill(env, maxAction)) { }

    public RescaleAction(Env<double[], double[]> env, double[] minAction, double[] maxAction) : base(env)
    {
        _inner = env.ActionSpace as Box ?? throw new ArgumentException("RescaleAction needs a Box action space.", nameof(env));
        if (!_inner.IsBounded) throw new ArgumentException($"RescaleAction needs a bounded action space; the env's is {_inner}.", nameof(env));
        if (minAction.Length != _inner.Size || maxAction.Length != _inner.Size)
            throw new ArgumentException($"RescaleAction bounds have lengths {minAction.Length} and {maxAction.Length}; the action space has {_inner.Size}.");
        for (int i = 0; i < minAction.Length; i++)
            if (!(double.IsFinite(minAction[i]) && double.IsFinite(maxAction[i]) && minAction[i] < maxAction[i]))
                throw new ArgumentException($"RescaleAction bound {i}: [{minAction[i]}, {maxAction[i]}] must be finite with min < max.");
        _outer = new Box(minAction, maxAction);
    }
    static double[] Fill(Env<double[], double[]> env, double v) => Enumerable.Repeat(v, env.ActionSpace.Shape[0]).ToArray();

    public override Space<double[]> ActionSpace => _outer;

    public override StepResult<double[]> Step(double[] action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (action.Length != _outer.Size) throw new ArgumentException($"action has length {action.Length}, expected {_outer.Size}.", nameof(action));
        var a = new double[action.Length];
        for (int i = 0; i < a.Length; i++)
        {
            double u = (action[i] - _outer.LowAt(i)) / (_outer.HighAt(i) - _outer.LowAt(i));
            a[i] = _inner.LowAt(i) + u * (_inner.HighAt(i) - _inner.LowAt(i));
        }
        return Env.Step(a);
    }
}

/// <summary>Applies a function to every observation of reset and step (Gymnasium's TransformObservation).</summary>
public sealed class TransformObservation : Wrapper<double[], double[]>
{
    readonly Func<double[], double[]> _f;
    /// <param name="observationSpace">The space of the transformed observations (null: the wrapped env's).</param>
    public TransformObservation(Env<double[], double[]> env, Func<double[], double[]> f, Space<double[]>? observationSpace = null) : base(env)
    {
        _f = f ?? throw new ArgumentNullException(nameof(f));
        ObservationSpace = observationSpace ?? env.ObservationSpace;
    }
    public override Space<double[]> ObservationSpace { get; }
    public override ResetResult<double[]> Reset(int? seed = null, Info? options = null) { var r = Env.Reset(seed, options); return r with { Observation = _f(r.Observation) }; }
    public override StepResult<double[]> Step(double[] action) { var r = Env.Step(action); return r with { Observation = _f(r.Observation) }; }
}

/// <summary>Applies a function to every reward (Gymnasium's TransformReward).</summary>
public sealed class TransformReward<TObs, TAction> : Wrapper<TObs, TAction>
{
    readonly Func<double, double> _f;
    public TransformReward(Env<TObs, TAction> env, Func<double, double> f) : base(env) => _f = f ?? throw new ArgumentNullException(nameof(f));
    public override StepResult<TObs> Step(TAction action) { var r = Env.Step(action); return r with { Reward = _f(r.Reward) }; }
}

/// <summary>
/// Running mean and variance of a stream of vectors (Gymnasium's RunningMeanStd: mean 0, variance 1, count 10⁻⁴ at
/// the start; parallel-variance update).
/// </summary>
public sealed class RunningMeanStd
{
    public RunningMeanStd(int size, double epsilon = 1e-4)
    {
        Mean = new double[size]; Var = Enumerable.Repeat(1.0, size).ToArray(); Count = epsilon;
    }
    public double[] Mean { get; }
    public double[] Var { get; }
    public double Count { get; private set; }

    /// <summary>Adds one sample.</summary>
    public void Update(ReadOnlySpan<double> x)
    {
        if (x.Length != Mean.Length) throw new ArgumentException($"sample has length {x.Length}, expected {Mean.Length}.");
        double total = Count + 1;
        for (int i = 0; i < x.Length; i++)
        {
            double delta = x[i] - Mean[i];
            Mean[i] += delta / total;
            // batch of one: batch variance 0
            Var[i] = (Var[i] * Count + delta * delta * Count / total) / total;
        }
        Count = total;
    }
}

/// <summary>
/// Normalises observations to about zero mean and unit variance with running statistics updated on every reset and
/// step (Gymnasium's NormalizeObservation): (o − mean) / √(var + ε). The observation space becomes unbounded.
/// Set <see cref="UpdateRunningMean"/> to false to freeze the statistics (evaluation).
/// </summary>
public sealed class NormalizeObservation : Wrapper<double[], double[]>
{
    readonly double _epsilon;
    public NormalizeObservation(Env<double[], double[]> env, double epsilon = 1e-8) : base(env)
    {
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be > 0.");
        _epsilon = epsilon;
        int n = env.ObservationSpace.Shape[0];
        Statistics = new RunningMeanStd(n);
        ObservationSpace = new Box(double.NegativeInfinity, double.PositiveInfinity, n);
    }
    public override Space<double[]> ObservationSpace { get; }
    public RunningMeanStd Statistics { get; }
    public bool UpdateRunningMean { get; set; } = true;

    double[] Normalize(double[] o)
    {
        if (UpdateRunningMean) Statistics.Update(o);
        var z = new double[o.Length];
        for (int i = 0; i < z.Length; i++) z[i] = (o[i] - Statistics.Mean[i]) / Math.Sqrt(Statistics.Var[i] + _epsilon);
        return z;
    }
    public override ResetResult<double[]> Reset(int? seed = null, Info? options = null) { var r = Env.Reset(seed, options); return r with { Observation = Normalize(r.Observation) }; }
    public override StepResult<double[]> Step(double[] action) { var r = Env.Step(action); return r with { Observation = Normalize(r.Observation) }; }
}

/// <summary>
/// Scales rewards so that the discounted return has about unit variance (Gymnasium 1.x's NormalizeReward): the
/// running discounted return G ← γ G (1 − terminated) + r feeds running statistics, and each reward is divided by
/// √(var(G) + ε). Rewards are not shifted.
/// </summary>
public sealed class NormalizeReward<TObs, TAction> : Wrapper<TObs, TAction>
{
    readonly double _gamma, _epsilon;
    double _discounted;
    public NormalizeReward(Env<TObs, TAction> env, double gamma = 0.99, double epsilon = 1e-8) : base(env)
    {
        if (!(gamma >= 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be in [0, 1].");
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be > 0.");
        _gamma = gamma; _epsilon = epsilon;
    }
    public RunningMeanStd Statistics { get; } = new(1);
    public bool UpdateRunningMean { get; set; } = true;

    public override StepResult<TObs> Step(TAction action)
    {
        var r = Env.Step(action);
        _discounted = _discounted * _gamma * (r.Terminated ? 0 : 1) + r.Reward;
        if (UpdateRunningMean) Statistics.Update([_discounted]);
        return r with { Reward = r.Reward / Math.Sqrt(Statistics.Var[0] + _epsilon) };
    }
}

/// <summary>
/// Flattens every observation to a <c>double[]</c> (Gymnasium's FlattenObservation, see <see cref="Spaces"/>):
/// a Discrete observation becomes one-hot, a batch of rows one row after another. The observation space is
/// <see cref="Spaces.FlattenSpace{T}"/> of the wrapped env's. Because the observation type changes, this wrapper is an
/// env of its own around <see cref="Env"/>: <see cref="Env{TObs,TAction}.Unwrapped"/> is the wrapper itself, and its
/// generator is re-seeded with the wrapped env's on every seeded reset.
/// </summary>
public sealed class FlattenObservation<TObs, TAction> : Env<double[], TAction>
{
    readonly Box _space;
    public FlattenObservation(Env<TObs, TAction> env)
    {
        Env = env ?? throw new ArgumentNullException(nameof(env));
        _space = Spaces.FlattenSpace(env.ObservationSpace);
        RenderMode = env.RenderMode;
        Spec = env.Spec;
    }
    /// <summary>The wrapped environment.</summary>
    public Env<TObs, TAction> Env { get; }
    public override Space<TAction> ActionSpace => Env.ActionSpace;
    public override Space<double[]> ObservationSpace => _space;
    public override IReadOnlyDictionary<string, object> Metadata => Env.Metadata;

    public override ResetResult<double[]> Reset(int? seed = null, Info? options = null)
    {
        ThrowIfDisposed();
        ResetRandom(seed);
        var (o, info) = Env.Reset(seed, options);
        return new(Spaces.Flatten(Env.ObservationSpace, o), info);
    }

    public override StepResult<double[]> Step(TAction action)
    {
        ThrowIfDisposed();
        var r = Env.Step(action);
        return new(Spaces.Flatten(Env.ObservationSpace, r.Observation), r.Reward, r.Terminated, r.Truncated, r.Info);
    }

    public override Rendering.Frame? Render() => Env.Render();
    protected override void Close() => Env.Dispose();
}
