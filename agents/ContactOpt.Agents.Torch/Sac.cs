using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ContactOpt.Agents.Torch;

/// <summary>
/// SAC hyperparameters. Defaults are Stable-Baselines3's (SAC, MlpPolicy) — Haarnoja et al. 2018 with automatic
/// entropy tuning. Every property is a CLI option (<c>--set name=value</c>).
/// </summary>
public sealed record SacOptions : IValidatable
{
    [Option("learning_rate", "Adam step size of actor, critics and entropy coefficient (SB3: 3e-4)", Max = 1)]
    public double LearningRate { get; init; } = 3e-4;
    [Option("buffer_size", "replay buffer capacity in transitions (SB3: 1,000,000)", Min = 1, Max = 10000000)]
    public int BufferSize { get; init; } = 1_000_000;
    [Option("learning_starts", "uniformly random actions for this many steps before training (SB3: 100)", Min = 0, Max = 10000000)]
    public int LearningStarts { get; init; } = 100;
    [Option("batch_size", "minibatch size sampled from the buffer (SB3: 256)", Min = 1, Max = 100000)]
    public int BatchSize { get; init; } = 256;
    [Option("tau", "Polyak coefficient of the target critics (SB3: 0.005)")]
    public double Tau { get; init; } = 0.005;
    [Option("gamma", "discount factor (SB3: 0.99)")]
    public double Gamma { get; init; } = 0.99;
    [Option("train_freq", "environment steps between training phases (SB3: 1)", Min = 1, Max = 1000000)]
    public int TrainFreq { get; init; } = 1;
    [Option("gradient_steps", "gradient steps per training phase (SB3: 1)", Min = 1, Max = 1000)]
    public int GradientSteps { get; init; } = 1;
    [Option("target_update_interval", "gradient steps between target updates (SB3: 1)", Min = 1, Max = 1000000)]
    public int TargetUpdateInterval { get; init; } = 1;
    [Option("ent_coef", "entropy coefficient α: 'auto' (learned, α₀ = 1), 'auto_<α₀>', or a fixed number (SB3: auto)")]
    public string EntCoef { get; init; } = "auto";
    [Option("target_entropy", "entropy target of the automatic α: 'auto' = −dim(A), or a number (SB3: auto)")]
    public string TargetEntropy { get; init; } = "auto";
    [Option("net_arch", "hidden layers of the actor and of each critic (SB3: 256,256)")]
    public string NetArch { get; init; } = "256,256";
    [Option("activation", "hidden activation: relu or tanh (SB3: relu)")]
    public Activation Activation { get; init; } = Activation.Relu;

    /// <summary>SB3's clamp of the actor's log standard deviation.</summary>
    public const double LogStdMin = -20, LogStdMax = 2;

    public void Validate()
    {
        const string a = "sac";
        Check.Positive(a, "learning_rate", LearningRate);
        Check.Positive(a, "buffer_size", BufferSize);
        if (LearningStarts < 0) throw new ArgumentException($"{a}: learning_starts = {LearningStarts}; it must be ≥ 0.");
        Check.Positive(a, "batch_size", BatchSize);
        Check.Fraction(a, "tau", Tau, includeZero: false);
        Check.Fraction(a, "gamma", Gamma);
        Check.Positive(a, "train_freq", TrainFreq);
        Check.Positive(a, "gradient_steps", GradientSteps);
        Check.Positive(a, "target_update_interval", TargetUpdateInterval);
        if (!Enum.IsDefined(Activation)) throw new ArgumentException($"{a}: activation = {Activation} is not relu or tanh.");
        ParseEntCoef();
        ParseTargetEntropy(1);
        TorchUtil.ParseArch(NetArch, a, "net_arch");
    }

    /// <summary>(learned?, initial or fixed α).</summary>
    public (bool Auto, double Alpha) ParseEntCoef()
    {
        var s = (EntCoef ?? "").Trim();
        if (s == "auto") return (true, 1.0);
        if (s.StartsWith("auto_", StringComparison.Ordinal))
        {
            if (double.TryParse(s[5..], NumberStyles.Float, CultureInfo.InvariantCulture, out var a0) && double.IsFinite(a0) && a0 > 0) return (true, a0);
            throw new ArgumentException($"sac: ent_coef = '{EntCoef}': the initial value after 'auto_' must be a finite number > 0.");
        }
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var a) && double.IsFinite(a) && a >= 0) return (false, a);
        throw new ArgumentException($"sac: ent_coef = '{EntCoef}'; it must be 'auto', 'auto_<initial α>' or a finite number ≥ 0.");
    }

    public double ParseTargetEntropy(int actionSize)
    {
        var s = (TargetEntropy ?? "").Trim();
        if (s == "auto") return -actionSize;
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var h) && double.IsFinite(h)) return h;
        throw new ArgumentException($"sac: target_entropy = '{TargetEntropy}'; it must be 'auto' or a finite number.");
    }
}

/// <summary>
/// Soft Actor-Critic (Haarnoja et al. 2018, "SAC v2" with automatic entropy tuning) as Stable-Baselines3 implements
/// it: a tanh-squashed Gaussian actor with a state-dependent log-std clamped to [−20, 2], twin Q critics with Polyak
/// targets, clipped double-Q targets, a replay buffer, uniformly random actions during the first
/// <c>learning_starts</c> steps. Time-limit truncations are not terminal (the target bootstraps from the final
/// observation); only <c>terminated</c> stops the bootstrap. The policy acts in [−1, 1]ⁿ; <see cref="ActionScaling"/>
/// maps it to the env. One <see cref="Run"/> trains on <c>context.Env()</c> until the episode budget is used up.
/// </summary>
public sealed class Sac : ILearningAgent, ITrainingCallbacks, IDisposable
{
    /// <summary>π(a|s) = tanh(N(μ(s), σ(s))): a ReLU feature MLP with a mean head and a log-std head.</summary>
    sealed class Actor : nn.Module<Tensor, (Tensor Mean, Tensor LogStd)>
    {
        public readonly Mlp latent;
        public readonly Linear mu, log_std;

        static readonly Scalar LogStdMin = SacOptions.LogStdMin.ToScalar(), LogStdMax = SacOptions.LogStdMax.ToScalar();
        /// <summary>The 1e-6 inside log(1 − tanh² + 1e-6) (SB3).</summary>
        static readonly Scalar TanhEps = 1e-6.ToScalar();

        public Actor(int obs, int act, int[] hidden, Activation activation) : base("actor")
        {
            latent = new Mlp("latent", obs, hidden[..^1], hidden[^1], activation, activateOutput: true);
            mu = nn.Linear(hidden[^1], act);
            log_std = nn.Linear(hidden[^1], act);
            RegisterComponents();
        }

        public override (Tensor Mean, Tensor LogStd) forward(Tensor obs)
        {
            var h = latent.call(obs);
            return (mu.call(h), log_std.call(h).clamp(LogStdMin, LogStdMax));
        }

        /// <summary>A reparameterised sample a = tanh(u) and log π(a|s) with the tanh correction.</summary>
        public (Tensor Action, Tensor LogProb) Sample(Tensor obs, Generator generator)
        {
            var (mean, logStd) = forward(obs);
            var std = logStd.exp();
            var u = mean.Plus(std * torch.randn(mean.shape, generator: generator));
            var a = u.tanh();
            // log N(u; μ, σ) − Σ log(1 − tanh²u + 1e-6); every number a kept Scalar (see Kept)
            var gaussian = ((u - mean) / std).pow(Kept.Two).mul(Kept.MinusHalf).sub(logStd).sub(Kept.HalfLog2Pi).sum(-1);
            var logProb = gaussian - Kept.One.Minus(a.pow(Kept.Two)).Plus(TanhEps).log().sum(-1);
            return (a, logProb);
        }

        public void InitDefault(Generator g)
        {
            latent.InitDefault(g);
            using var _ = torch.no_grad();
            foreach (var l in new[] { mu, log_std })
            {
                double bound = 1.0 / Math.Sqrt(l.weight!.shape[1]);
                Init.Uniform(l.weight!, -bound, bound, g);
                Init.Uniform(l.bias!, -bound, bound, g);
            }
        }
    }

    /// <summary>Two independent Q networks Q₁, Q₂(s, a).</summary>
    sealed class TwinCritic : nn.Module<Tensor, Tensor, (Tensor Q1, Tensor Q2)>
    {
        public readonly Mlp q1, q2;

        public TwinCritic(string name, int obs, int act, int[] hidden, Activation activation) : base(name)
        {
            q1 = new Mlp("q1", obs + act, hidden, 1, activation);
            q2 = new Mlp("q2", obs + act, hidden, 1, activation);
            RegisterComponents();
        }

        public override (Tensor Q1, Tensor Q2) forward(Tensor obs, Tensor action)
        {
            var x = torch.cat([obs, action], 1);
            return (q1.call(x).squeeze(-1), q2.call(x).squeeze(-1));
        }
    }

    /// <summary>Uniform replay of (s, a, r, s', terminated); grows to <c>buffer_size</c>, then overwrites the oldest.</summary>
    sealed class ReplayBuffer(int capacity, int obsSize, int actSize)
    {
        float[] _obs = [], _next = [], _act = [], _rew = [], _done = [];
        int _count, _pos;
        public int Count => _count;

        public void Add(double[] obs, double[] unitAction, double reward, double[] next, bool terminated)
        {
            if (_pos >= _rew.Length && _rew.Length < capacity) Grow();
            for (int i = 0; i < obsSize; i++) { _obs[_pos * obsSize + i] = (float)obs[i]; _next[_pos * obsSize + i] = (float)next[i]; }
            for (int i = 0; i < actSize; i++) _act[_pos * actSize + i] = (float)unitAction[i];
            _rew[_pos] = (float)reward; _done[_pos] = terminated ? 1f : 0f;
            _pos = (_pos + 1) % capacity;
            _count = Math.Min(_count + 1, capacity);
        }

        void Grow()
        {
            int size = (int)Math.Min(capacity, Math.Max(1024L, 2L * _rew.Length));
            Array.Resize(ref _obs, size * obsSize); Array.Resize(ref _next, size * obsSize);
            Array.Resize(ref _act, size * actSize); Array.Resize(ref _rew, size); Array.Resize(ref _done, size);
        }

        /// <summary>A minibatch drawn uniformly with replacement (as SB3).</summary>
        public (Tensor Obs, Tensor Act, Tensor Rew, Tensor Next, Tensor Done) Sample(int batch, Random rng)
        {
            var o = new float[batch * obsSize]; var n = new float[batch * obsSize]; var a = new float[batch * actSize];
            var r = new float[batch]; var d = new float[batch];
            for (int b = 0; b < batch; b++)
            {
                int k = rng.Next(_count);
                Array.Copy(_obs, k * obsSize, o, b * obsSize, obsSize);
                Array.Copy(_next, k * obsSize, n, b * obsSize, obsSize);
                Array.Copy(_act, k * actSize, a, b * actSize, actSize);
                r[b] = _rew[k]; d[b] = _done[k];
            }
            return (TorchUtil.Matrix(o, batch, obsSize), TorchUtil.Matrix(a, batch, actSize), torch.tensor(r), TorchUtil.Matrix(n, batch, obsSize), torch.tensor(d));
        }
    }

    readonly List<EpisodeLog> _episodes = new();
    Actor? _actor;
    Generator? _actGenerator;
    ActionScaling? _scaling;
    int _obsSize;

    public Sac(SacOptions? options = null)
    {
        Options = options ?? new SacOptions();
        Options.Validate();
    }

    public string Name => "sac";
    /// <summary>The options; <see cref="Load"/> replaces them by those stored in the file.</summary>
    public SacOptions Options { get; private set; }
    public IReadOnlyList<EpisodeLog> Episodes => _episodes;
    public long Steps { get; private set; }
    /// <summary>The entropy coefficient α after training.</summary>
    public double EntropyCoefficient { get; private set; }
    public bool IsReady => _actor is not null;

    /// <summary>The callback of <see cref="Run"/> and of the overloads given none.</summary>
    public TrainingCallback? Callback { get; set; }

    public void Run(AgentContext context)
    {
        using var env = context.Env();
        Learn(env, ActionScaling.For(context.Task), context.Seed, cancellation: context.Cancellation);
    }

    /// <summary>As the overload with an <see cref="ActionScaling"/>, with the scaling derived from the env (<see cref="ActionScaling.For(Env{double[], double[]})"/>).</summary>
    public void Learn(Env<double[], double[]> env, int seed, long totalSteps = long.MaxValue, TrainingCallback? callback = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(env);
        LearnCore(env, ActionScaling.For(env), seed, totalSteps, callback ?? Callback, cancellation);
    }

    /// <summary>
    /// Trains on <paramref name="env"/> for <paramref name="totalSteps"/> environment steps or until the episode
    /// budget of a <see cref="Budget.BudgetedEnv"/> it wraps is used up. The first reset uses <paramref name="seed"/>;
    /// weight init, exploration noise and minibatch sampling use generators seeded from it.
    /// </summary>
    public void Learn(Env<double[], double[]> env, ActionScaling scaling, int seed, long totalSteps = long.MaxValue,
        CancellationToken cancellation = default) => LearnCore(env, scaling, seed, totalSteps, Callback, cancellation);

    void LearnCore(Env<double[], double[]> env, ActionScaling scaling, int seed, long totalSteps, TrainingCallback? callback,
        CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(scaling);
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "sac: total steps must be ≥ 1.");
        if (env.ActionSpace.Shape is not [int size] || size != scaling.Size)
            throw new ArgumentException($"sac: the env's action space {env.ActionSpace} does not match the action scaling's {scaling.Size} dimensions.");
        var o = Options;
        TorchThreads.EnsureConfigured();
        var budget = env.FindBudget();
        using var gen = TorchUtil.Generator(seed);
        var rng = Rng.Create(seed);
        var hidden = TorchUtil.ParseArch(o.NetArch, Name, "net_arch");

        // ---- setup: first observation, actor, twin critics and their targets, α, optimisers ------------
        var obs = env.Reset(seed).Observation;
        _obsSize = obs.Length; _scaling = scaling;
        int nAct = scaling.Size;
        _actor?.Dispose();
        ResetActGenerator(seed);
        _actor = new Actor(_obsSize, nAct, hidden, o.Activation);
        _actor.InitDefault(gen);
        using var critic = new TwinCritic("critic", _obsSize, nAct, hidden, o.Activation);
        critic.q1.InitDefault(gen); critic.q2.InitDefault(gen);
        using var target = new TwinCritic("critic_target", _obsSize, nAct, hidden, o.Activation);
        target.load_state_dict(critic.state_dict());
        foreach (var p in target.parameters()) p.requires_grad = false;
        using var hp = new ScalarSet();   // the run's hyperparameters as kept Scalars (see Kept)
        using var actorOpt = new KeptAdam(_actor.parameters(), o.LearningRate);
        using var criticOpt = new KeptAdam(critic.parameters(), o.LearningRate);
        var (autoAlpha, alpha0) = o.ParseEntCoef();
        double targetEntropy = o.ParseTargetEntropy(nAct);
        using var logAlpha = nn.Parameter(torch.tensor(Math.Log(Math.Max(alpha0, 1e-30)), dtype: ScalarType.Float32), requires_grad: autoAlpha);
        using var alphaOpt = autoAlpha ? new KeptAdam([logAlpha], o.LearningRate) : null;
        double alpha = alpha0;
        var criticParams = critic.parameters().ToArray();
        var targetParams = target.parameters().ToArray();

        var buffer = new ReplayBuffer(o.BufferSize, _obsSize, nAct);
        var unit = new double[nAct];
        var envAction = new double[nAct];
        Steps = 0; _episodes.Clear();
        bool needReset = false;
        double epReturn = 0; int epLength = 0;
        long updates = 0;

        var state = new TrainingState(this, 1, totalSteps);
        callback?.OnTrainingStart(state);
        bool stop = false;
        while (!stop && Steps < totalSteps && !cancellation.IsCancellationRequested)
        {
            // ---- 1. act: uniform before learning_starts, then a sample of the squashed Gaussian -----------
            for (int k = 0; k < o.TrainFreq && Steps < totalSteps; k++)
            {
                if (needReset)
                {
                    // Budget used up: no further episode can be evaluated, training ends.
                    if (budget is { Exhausted: true } || cancellation.IsCancellationRequested) { stop = true; break; }
                    obs = env.Reset().Observation;
                    needReset = false; epReturn = 0; epLength = 0;
                }
                if (Steps < o.LearningStarts)
                    for (int i = 0; i < nAct; i++) unit[i] = 2 * rng.NextDouble() - 1;
                else
                    using (torch.NewDisposeScope())
                    using (torch.no_grad())
                    {
                        var a = TorchUtil.ToDoubles(_actor.Sample(TorchUtil.Row(obs), gen).Action);
                        Array.Copy(a, unit, nAct);
                    }
                scaling.ToEnv(unit, envAction);
                var step = env.Step((double[])envAction.Clone());
                Steps++; epLength++; epReturn += step.Reward;
                // The stored next state is the final observation even at truncation; only `terminated` is a terminal.
                buffer.Add(obs, unit, step.Reward, step.Observation, step.Terminated);
                obs = step.Observation;
                if (step.Done)
                {
                    _episodes.Add(new EpisodeLog(Steps, _episodes.Count, epReturn, epLength));
                    state.AddEpisode(epReturn);
                    needReset = true;
                }
                state.AddSteps(1);
                if (callback is not null && !callback.OnStep(state)) { stop = true; break; }
            }
            if (!stop) callback?.OnRolloutEnd(state);

            // ---- 2. train: gradient_steps updates once more than learning_starts steps were taken ----------
            if (stop || Steps <= o.LearningStarts || buffer.Count == 0) continue;
            for (int g = 0; g < o.GradientSteps; g++)
            {
                using var scope = torch.NewDisposeScope();
                var (bObs, bAct, bRew, bNext, bDone) = buffer.Sample(o.BatchSize, rng);

                // 2a. entropy coefficient: α ← α − lr·∇[−log α · (log π + H̄)]
                var (piAction, logProb) = _actor.Sample(bObs, gen);
                if (alphaOpt is not null)
                {
                    alpha = logAlpha.detach().exp().item<float>();
                    var alphaLoss = -(logAlpha * logProb.Plus(hp[targetEntropy]).detach()).mean();
                    alphaOpt.ZeroGrad();
                    alphaLoss.backward();
                    alphaOpt.Step();
                }
                using var alphaS = alpha.ToScalar();

                // 2b. critics: y = r + γ(1 − terminated)(min Q̄(s', a') − α log π(a'|s')), a' ~ π(·|s')
                Tensor y;
                using (torch.no_grad())
                {
                    var (nextAction, nextLogProb) = _actor.Sample(bNext, gen);
                    var (t1, t2) = target.call(bNext, nextAction);
                    var nextQ = torch.min(t1, t2) - nextLogProb * alphaS;
                    y = bRew.Plus(Kept.One.Minus(bDone) * hp[o.Gamma] * nextQ);
                }
                var (q1, q2) = critic.call(bObs, bAct);
                var criticLoss = nn.functional.mse_loss(q1, y).Plus(nn.functional.mse_loss(q2, y)) * Kept.Half;
                criticOpt.ZeroGrad();
                criticLoss.backward();
                criticOpt.Step();

                // 2c. actor: minimise E[α log π(a|s) − min Q(s, a)], a ~ π(·|s) reparameterised
                var (p1, p2) = critic.call(bObs, piAction);
                var actorLoss = (logProb * alphaS - torch.min(p1, p2)).mean();
                actorOpt.ZeroGrad();
                actorLoss.backward();
                actorOpt.Step();

                // 2d. targets: θ̄ ← (1 − τ)θ̄ + τθ
                updates++;
                if (updates % o.TargetUpdateInterval == 0)
                    using (torch.no_grad())
                        for (int i = 0; i < criticParams.Length; i++)
                            targetParams[i].mul_(hp[1 - o.Tau]).add_(criticParams[i], hp[o.Tau]);
            }
        }
        EntropyCoefficient = autoAlpha ? logAlpha.detach().exp().item<float>() : alpha;
        callback?.OnTrainingEnd(state);
    }

    public double[] Act(double[] observation, bool deterministic = true) => Act(observation, deterministic, null);

    /// <summary>The policy's action in env units: tanh(μ(s)) when deterministic, else a sample drawn from <paramref name="generator"/>.</summary>
    public double[] Act(double[] observation, bool deterministic, Generator? generator)
    {
        var actor = _actor ?? throw new InvalidOperationException("sac: the agent is not trained; call Run, Learn or Load first.");
        ArgumentNullException.ThrowIfNull(observation);
        if (observation.Length != _obsSize) throw new ArgumentException($"sac: observation has length {observation.Length}, expected {_obsSize}.");
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var x = TorchUtil.Row(observation);
        var u = deterministic ? actor.call(x).Mean.tanh() : actor.Sample(x, generator ?? ActGenerator()).Action;
        return _scaling!.ToEnv(TorchUtil.ToDoubles(u));
    }

    public void Save(string path)
    {
        var actor = _actor ?? throw new InvalidOperationException("sac: nothing to save; the agent is not trained.");
        AgentFile.Write(path, Name, _obsSize, _scaling!, OptionsBinder.Describe(Options), actor);
    }

    public void Load(string path)
    {
        var (obs, scaling, stored, reader) = AgentFile.Open(path, Name);
        using (reader)
        {
            // The stored options rebuild the network that was saved, whatever options this agent was created with.
            SacOptions options;
            try { options = OptionsBinder.Bind(new SacOptions(), stored); }
            catch (ArgumentException e) { throw new InvalidDataException($"sac: '{path}' holds options this build does not accept: {e.Message}"); }
            var actor = new Actor(obs, scaling.Size, TorchUtil.ParseArch(options.NetArch, Name, "net_arch"), options.Activation);
            try { actor.load(reader); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                actor.Dispose();
                throw new InvalidDataException($"sac: '{path}' does not match net_arch={options.NetArch}: {e.Message}");
            }
            _actor?.Dispose();
            _actor = actor; Options = options; _obsSize = obs; _scaling = scaling;
            ResetActGenerator(0);
        }
    }

    /// <summary>Stochastic <see cref="Act(double[], bool)"/> draws from a generator seeded with the training seed + 1 (0 + 1 after Load).</summary>
    Generator ActGenerator() => _actGenerator ??= TorchUtil.Generator(1);
    void ResetActGenerator(int seed) { _actGenerator?.Dispose(); _actGenerator = TorchUtil.Generator(unchecked(seed + 1)); }

    public void Dispose() { _actor?.Dispose(); _actor = null; _actGenerator?.Dispose(); _actGenerator = null; }
}
