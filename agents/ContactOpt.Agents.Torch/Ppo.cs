using ContactOpt.Wrappers;
using TorchSharp;
using static TorchSharp.torch;

namespace ContactOpt.Agents.Torch;

/// <summary>
/// PPO hyperparameters. Defaults are Stable-Baselines3's (PPO, MlpPolicy) — Schulman et al. 2017 with the
/// implementation details SB3 uses. Every property is a CLI option (<c>--set name=value</c>).
/// </summary>
public sealed record PpoOptions : IValidatable
{
    [Option("learning_rate", "Adam step size (SB3: 3e-4, constant)", Max = 1)]
    public double LearningRate { get; init; } = 3e-4;
    [Option("n_steps", "environment steps collected per update (SB3: 2048); use ~64 for one-step contact tasks with 1,000-episode budgets", Min = 1, Max = 100000)]
    public int NSteps { get; init; } = 2048;
    [Option("n_envs", "environments stepped side by side; a rollout holds n_steps × n_envs steps (SB3 make_vec_env: 1)", Min = 1, Max = 256)]
    public int NEnvs { get; init; } = 1;
    [Option("batch_size", "minibatch size (SB3: 64)", Min = 1, Max = 100000)]
    public int BatchSize { get; init; } = 64;
    [Option("n_epochs", "passes over each rollout (SB3: 10)", Min = 1, Max = 1000)]
    public int NEpochs { get; init; } = 10;
    [Option("gamma", "discount factor (SB3: 0.99)")]
    public double Gamma { get; init; } = 0.99;
    [Option("gae_lambda", "GAE λ (SB3: 0.95)")]
    public double GaeLambda { get; init; } = 0.95;
    [Option("clip_range", "policy ratio clip ε (SB3: 0.2)", Max = 1000)]
    public double ClipRange { get; init; } = 0.2;
    [Option("ent_coef", "entropy bonus coefficient (SB3: 0)", Max = 1000)]
    public double EntCoef { get; init; } = 0.0;
    [Option("vf_coef", "value loss coefficient (SB3: 0.5)", Max = 1000)]
    public double VfCoef { get; init; } = 0.5;
    [Option("max_grad_norm", "global gradient-norm clip (SB3: 0.5)", Max = 1e6)]
    public double MaxGradNorm { get; init; } = 0.5;
    [Option("normalize_advantage", "normalise advantages per minibatch (SB3: true)")]
    public bool NormalizeAdvantage { get; init; } = true;
    [Option("net_arch", "hidden layers of the separate actor and critic (SB3: 64,64)")]
    public string NetArch { get; init; } = "64,64";
    [Option("activation", "hidden activation: tanh or relu (SB3: tanh)")]
    public Activation Activation { get; init; } = Activation.Tanh;
    [Option("ortho_init", "orthogonal init, gains √2 hidden / 0.01 action head / 1 value head (SB3: true)")]
    public bool OrthoInit { get; init; } = true;
    [Option("log_std_init", "initial state-independent log standard deviation (SB3: 0)", Min = -20, Max = 2)]
    public double LogStdInit { get; init; } = 0.0;
    [Option("adam_eps", "Adam ε (SB3 sets 1e-5 for PPO)", Min = 1e-12)]
    public double AdamEps { get; init; } = 1e-5;

    public void Validate()
    {
        const string a = "ppo";
        Check.Positive(a, "learning_rate", LearningRate);
        Check.Positive(a, "n_steps", NSteps);
        Check.Positive(a, "batch_size", BatchSize);
        Check.Positive(a, "n_epochs", NEpochs);
        Check.Fraction(a, "gamma", Gamma);
        Check.Fraction(a, "gae_lambda", GaeLambda);
        Check.Positive(a, "clip_range", ClipRange);
        Check.NonNegative(a, "ent_coef", EntCoef);
        Check.NonNegative(a, "vf_coef", VfCoef);
        Check.Positive(a, "max_grad_norm", MaxGradNorm);
        Check.Finite(a, "log_std_init", LogStdInit);
        Check.Positive(a, "adam_eps", AdamEps);
        Check.Positive(a, "n_envs", NEnvs);
        if (BatchSize > (long)NSteps * NEnvs) throw new ArgumentException($"{a}: batch_size = {BatchSize} is larger than n_steps × n_envs = {(long)NSteps * NEnvs}; a rollout must hold at least one minibatch.");
        if (NormalizeAdvantage && BatchSize < 2) throw new ArgumentException($"{a}: batch_size = {BatchSize}; advantage normalisation needs minibatches of at least 2 (or set normalize_advantage=false).");
        if (!Enum.IsDefined(Activation)) throw new ArgumentException($"{a}: activation = {Activation} is not tanh or relu.");
        TorchUtil.ParseArch(NetArch, a, "net_arch");
    }
}

/// <summary>
/// One collected rollout, as the update sees it (after truncation bootstrapping and GAE). With n_envs sub-envs the
/// arrays hold n_steps × n_envs transitions env by env (index e·n_steps + t); <see cref="LastValue"/> and
/// <see cref="LastDone"/> are the last sub-env's, <see cref="LastValues"/> and <see cref="LastDones"/> every sub-env's.
/// </summary>
public sealed record PpoRollout(
    double[][] Observations, double[][] Actions, double[] Rewards, double[] Values, double[] LogProbs,
    bool[] EpisodeStarts, double LastValue, bool LastDone, double[] Advantages, double[] Returns)
{
    public int NumEnvs { get; init; } = 1;
    public double[] LastValues { get; init; } = [LastValue];
    public bool[] LastDones { get; init; } = [LastDone];
}

/// <summary>
/// Proximal Policy Optimisation with a clipped objective (Schulman et al. 2017), as Stable-Baselines3 implements
/// it for continuous actions: separate actor and critic MLPs, a state-independent log-std, GAE, per-minibatch
/// advantage normalisation, gradient-norm clipping, and bootstrapping of time-limit truncations
/// (reward += γ·V(s_final)). The policy acts in [−1, 1]ⁿ; <see cref="ActionScaling"/> maps it to the env.
/// One <see cref="Run"/> trains on <c>context.Env()</c> until the episode budget is used up.
/// </summary>
public sealed class Ppo : ILearningAgent, ITrainingCallbacks, IDisposable
{
    /// <summary>Actor (mean), critic (value) and the state-independent log-std, all in one module.</summary>
    sealed class ActorCritic : nn.Module<Tensor, Tensor>
    {
        public readonly Mlp actor, critic;
        public readonly TorchSharp.Modules.Parameter log_std;

        public ActorCritic(int obs, int act, int[] hidden, Activation activation, double logStdInit) : base("ppo")
        {
            actor = new Mlp("actor", obs, hidden, act, activation);
            critic = new Mlp("critic", obs, hidden, 1, activation);
            using var init = logStdInit.ToScalar();   // kept alive through the native call (see Kept)
            log_std = nn.Parameter(torch.full(act, init, dtype: ScalarType.Float32));
            RegisterComponents();
        }

        public override Tensor forward(Tensor obs) => actor.call(obs);
        public Tensor Value(Tensor obs) => critic.call(obs).squeeze(-1);

        /// <summary>Σ log N(u; μ, σ) over action dimensions.</summary>
        public Tensor LogProb(Tensor mean, Tensor u)
        {
            var z = (u - mean) / log_std.exp();
            return z.pow(Kept.Two).mul(Kept.MinusHalf).sub(log_std).sub(Kept.HalfLog2Pi).sum(-1);   // numbers kept (see Kept)
        }

        /// <summary>Entropy of the diagonal Gaussian (the same for every state).</summary>
        public Tensor Entropy() => log_std.Plus(Kept.GaussianEntropyConstant).sum();
    }

    readonly List<EpisodeLog> _episodes = new();
    ActorCritic? _net;
    Generator? _actGenerator;
    ActionScaling? _scaling;
    int _obsSize;

    public Ppo(PpoOptions? options = null)
    {
        Options = options ?? new PpoOptions();
        Options.Validate();
    }

    public string Name => "ppo";
    /// <summary>The options; <see cref="Load"/> replaces them by those stored in the file.</summary>
    public PpoOptions Options { get; private set; }
    /// <summary>Every finished training episode (step count, return, length), for learning curves.</summary>
    public IReadOnlyList<EpisodeLog> Episodes => _episodes;
    /// <summary>Environment steps taken by the last <see cref="Learn"/>.</summary>
    public long Steps { get; private set; }
    /// <summary>Called with each rollout just before the update (inspection and tests).</summary>
    public Action<PpoRollout>? RolloutCollected { get; set; }
    public bool IsReady => _net is not null;

    /// <summary>The callback of <see cref="Run"/> and of the <see cref="Learn(Env{double[], double[]}, int, long, TrainingCallback?, CancellationToken)"/> overloads given none.</summary>
    public TrainingCallback? Callback { get; set; }

    /// <summary>Trains on <c>n_envs</c> budget-charging step views of the task (one shared episode budget).</summary>
    public void Run(AgentContext context)
    {
        using var venv = new SyncVectorEnv<double[], double[]>(
            Enumerable.Range(0, Options.NEnvs).Select(_ => (Func<Env<double[], double[]>>)(() => context.Env())), AutoresetMode.Disabled);
        Learn(venv, ActionScaling.For(context.Task), context.Seed, long.MaxValue, Callback, context.Cancellation);
    }

    /// <summary>
    /// Trains on <paramref name="env"/> for <paramref name="totalSteps"/> environment steps (rounded up to whole
    /// rollouts, as SB3 does) or until the episode budget of a <see cref="Budget.BudgetedEnv"/> it wraps is used up.
    /// The first reset uses <paramref name="seed"/>; weight init, sampling and minibatches use generators seeded from it.
    /// One env only: with <c>n_envs</c> &gt; 1 give an env factory instead.
    /// </summary>
    public void Learn(Env<double[], double[]> env, ActionScaling scaling, int seed, long totalSteps = long.MaxValue,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(scaling);
        if (Options.NEnvs != 1) throw new ArgumentException($"ppo: n_envs = {Options.NEnvs} needs an env factory (Learn(() => makeEnv(), seed, ...)), not one env.");
        LearnCore([env], scaling, seed, totalSteps, Callback, cancellation);
    }

    /// <summary>As the overload with an <see cref="ActionScaling"/>, with the scaling derived from the env (<see cref="ActionScaling.For(Env{double[], double[]})"/>).</summary>
    public void Learn(Env<double[], double[]> env, int seed, long totalSteps = long.MaxValue, TrainingCallback? callback = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(env);
        if (Options.NEnvs != 1) throw new ArgumentException($"ppo: n_envs = {Options.NEnvs} needs an env factory (Learn(() => makeEnv(), seed, ...)), not one env.");
        LearnCore([env], ActionScaling.For(env), seed, totalSteps, callback ?? Callback, cancellation);
    }

    /// <summary>
    /// Vectorised training (SB3's <c>make_vec_env(..., n_envs)</c>): <c>n_envs</c> envs from <paramref name="makeEnv"/>
    /// in a <see cref="SyncVectorEnv{TObs,TAction}"/>; see <see cref="Learn(SyncVectorEnv{double[], double[]}, ActionScaling?, int, long, TrainingCallback?, CancellationToken)"/>.
    /// The scaling is derived from the first env when <paramref name="scaling"/> is null.
    /// </summary>
    public void Learn(Func<Env<double[], double[]>> makeEnv, int seed, long totalSteps = long.MaxValue, TrainingCallback? callback = null,
        ActionScaling? scaling = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(makeEnv);
        using var venv = new SyncVectorEnv<double[], double[]>(Enumerable.Range(0, Options.NEnvs).Select(_ => makeEnv), AutoresetMode.Disabled);
        Learn(venv, scaling, seed, totalSteps, callback, cancellation);
    }

    /// <summary>
    /// Trains on the sub-environments of <paramref name="venv"/> with SB3's rollout semantics: each rollout takes
    /// <c>n_steps</c> steps of every sub-env (n_steps × n_envs transitions, stored env by env), actions of all sub-envs
    /// come from one batched forward pass, sub-env i's first reset is seeded with seed + i, a finished sub-env is reset
    /// before its next step (its final observation bootstraps a truncation, as SB3's <c>terminal_observation</c>), GAE
    /// runs per sub-env, and the minibatches shuffle all n_steps × n_envs transitions. <paramref name="totalSteps"/>
    /// counts the steps of all sub-envs. The agent resets the sub-envs itself, whatever the vector env's autoreset mode.
    /// Sub-envs that share an episode budget start an episode only while the budget has room for it beside those
    /// running; training ends when one cannot. With n_envs = 1 this is exactly the one-env training.
    /// </summary>
    public void Learn(SyncVectorEnv<double[], double[]> venv, ActionScaling? scaling, int seed, long totalSteps = long.MaxValue,
        TrainingCallback? callback = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(venv);
        var envs = Enumerable.Range(0, venv.NumEnvs).Select(i => venv[i]).ToArray();
        LearnCore(envs, scaling ?? ActionScaling.For(envs[0]), seed, totalSteps, callback ?? Callback, cancellation);
    }

    void LearnCore(IReadOnlyList<Env<double[], double[]>> envs, ActionScaling scaling, int seed, long totalSteps,
        TrainingCallback? callback, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(scaling);
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "ppo: total steps must be ≥ 1.");
        var o = Options;
        int ne = envs.Count;
        for (int e = 0; e < ne; e++)
            if (envs[e].ActionSpace.Shape is not [int size] || size != scaling.Size)
                throw new ArgumentException($"ppo: env {e}'s action space {envs[e].ActionSpace} does not match the action scaling's {scaling.Size} dimensions.");
        TorchThreads.EnsureConfigured();
        var budgets = envs.Select(e => e.FindBudget()).ToArray();
        using var gen = TorchUtil.Generator(seed);

        // ---- setup: first observations, networks (SB3 init), optimiser ---------------------------------
        var obs = new double[ne][];
        for (int e = 0; e < ne; e++) obs[e] = envs[e].Reset(unchecked(seed + e)).Observation;
        _obsSize = obs[0].Length; _scaling = scaling;
        for (int e = 1; e < ne; e++)
            if (obs[e].Length != _obsSize) throw new ArgumentException($"ppo: env {e}'s observation has length {obs[e].Length}, env 0's {_obsSize}.");
        int nAct = scaling.Size;
        _net?.Dispose();
        ResetActGenerator(seed);
        _net = new ActorCritic(_obsSize, nAct, TorchUtil.ParseArch(o.NetArch, Name, "net_arch"), o.Activation, o.LogStdInit);
        if (o.OrthoInit)
        {
            _net.actor.InitOrthogonal(Math.Sqrt(2), 0.01, gen);
            _net.critic.InitOrthogonal(Math.Sqrt(2), 1.0, gen);
        }
        else { _net.actor.InitDefault(gen); _net.critic.InitDefault(gen); }
        using var hp = new ScalarSet();   // the run's hyperparameters as kept Scalars (see Kept)
        using var optimizer = new KeptAdam(_net.parameters(), o.LearningRate, eps: o.AdamEps);
        var parameters = _net.parameters().ToArray();

        // ---- rollout storage (plain arrays, env by env: index e·n_steps + t; tensors are built per update) --
        int n = o.NSteps, total = n * ne;
        var obsBuf = new float[total * _obsSize];
        var actBuf = new float[total * nAct];
        var rewards = new double[total];
        var values = new double[total];
        var logProbs = new double[total];
        var starts = new bool[total];
        var advantages = new double[total];
        var returns = new double[total];
        var lastValues = new double[ne];
        var lastDones = new bool[ne];
        var envAction = new double[nAct];
        var unit = new double[nAct];
        var obsRows = new float[ne * _obsSize];

        Steps = 0; _episodes.Clear();
        var needReset = new bool[ne];
        var episodeStart = Enumerable.Repeat(true, ne).ToArray();
        var epReturn = new double[ne];
        var epLength = new int[ne];
        var state = new TrainingState(this, ne, totalSteps);
        callback?.OnTrainingStart(state);
        bool halted = false;

        while (!halted && Steps < totalSteps && !cancellation.IsCancellationRequested)
        {
            // ---- 1. collect n_steps transitions of every sub-env with the current policy --------------------
            int count = 0;
            bool stop = false;
            _net.eval();
            while (count < n)
            {
                for (int e = 0; e < ne && !stop; e++)
                {
                    if (!needReset[e]) continue;
                    if (cancellation.IsCancellationRequested || !HasRoom(budgets, needReset, e)) { stop = true; break; }
                    obs[e] = envs[e].Reset().Observation;
                    needReset[e] = false; episodeStart[e] = true; epReturn[e] = 0; epLength[e] = 0;
                }
                if (stop) break;
                float[] uAll, logPAll, valueAll;
                using (torch.NewDisposeScope())
                using (torch.no_grad())
                {
                    for (int e = 0; e < ne; e++) for (int i = 0; i < _obsSize; i++) obsRows[e * _obsSize + i] = (float)obs[e][i];
                    var x = TorchUtil.Matrix(obsRows, ne, _obsSize);
                    var mean = _net.call(x);
                    var u = mean.Plus(_net.log_std.exp() * torch.randn(mean.shape, generator: gen));
                    logPAll = _net.LogProb(mean, u).contiguous().data<float>().ToArray();
                    valueAll = _net.Value(x).contiguous().data<float>().ToArray();
                    uAll = u.contiguous().data<float>().ToArray();
                }
                for (int e = 0; e < ne; e++)
                {
                    int idx = e * n + count;
                    for (int i = 0; i < nAct; i++) { unit[i] = uAll[e * nAct + i]; actBuf[idx * nAct + i] = uAll[e * nAct + i]; }
                    scaling.ToEnv(unit, envAction);   // clips the Gaussian sample to [−1, 1], then rescales
                    var step = envs[e].Step((double[])envAction.Clone());
                    Steps++; epLength[e]++; epReturn[e] += step.Reward;
                    double reward = step.Reward;
                    // Time-limit truncation: the episode did not end in the MDP, so bootstrap from V(s_final).
                    if (step.Truncated && !step.Terminated) reward += o.Gamma * ValueOf(step.Observation);
                    for (int i = 0; i < _obsSize; i++) obsBuf[idx * _obsSize + i] = (float)obs[e][i];
                    rewards[idx] = reward; values[idx] = valueAll[e]; logProbs[idx] = logPAll[e]; starts[idx] = episodeStart[e];
                    episodeStart[e] = false;
                    obs[e] = step.Observation;
                    if (step.Done)
                    {
                        _episodes.Add(new EpisodeLog(Steps, _episodes.Count, epReturn[e], epLength[e]));
                        state.AddEpisode(epReturn[e]);
                        needReset[e] = true;
                    }
                }
                count++;
                state.AddSteps(ne);
                if (callback is not null && !callback.OnStep(state)) { halted = true; break; }
            }
            if (stop || halted || count < n) break;   // budget used up or a callback stopped training: no update on a partial rollout
            callback?.OnRolloutEnd(state);

            // ---- 2. advantages (GAE) and returns, sub-env by sub-env ---------------------------------------
            for (int e = 0; e < ne; e++)
            {
                lastDones[e] = needReset[e];
                lastValues[e] = needReset[e] ? 0.0 : ValueOf(obs[e]);
                ComputeGae(rewards.AsSpan(e * n, n), values.AsSpan(e * n, n), starts.AsSpan(e * n, n), lastValues[e], lastDones[e],
                    o.Gamma, o.GaeLambda, advantages.AsSpan(e * n, n), returns.AsSpan(e * n, n));
            }
            RolloutCollected?.Invoke(Snapshot(obsBuf, actBuf, rewards, values, logProbs, starts, lastValues, lastDones, advantages, returns, nAct));

            // ---- 3. n_epochs of clipped-objective updates over shuffled minibatches ------------------------
            _net.train();
            using (torch.NewDisposeScope())
            {
                var obsT = TorchUtil.Matrix(obsBuf, total, _obsSize);
                var actT = TorchUtil.Matrix(actBuf, total, nAct);
                var oldLogP = torch.tensor(logProbs, dtype: ScalarType.Float32);
                var advT = torch.tensor(advantages, dtype: ScalarType.Float32);
                var retT = torch.tensor(returns, dtype: ScalarType.Float32);
                for (int epoch = 0; epoch < o.NEpochs; epoch++)
                {
                    var perm = torch.randperm(total, generator: gen);
                    for (int start = 0; start < total; start += o.BatchSize)
                    {
                        using var mb = torch.NewDisposeScope();
                        var idx = perm.narrow(0, start, Math.Min(o.BatchSize, total - start));
                        var mbObs = obsT.index_select(0, idx);
                        var mean = _net.call(mbObs);
                        var logP = _net.LogProb(mean, actT.index_select(0, idx));
                        var adv = advT.index_select(0, idx);
                        if (o.NormalizeAdvantage && adv.shape[0] > 1) adv = (adv - adv.mean()) / adv.std().Plus(hp[1e-8]);
                        var ratio = (logP - oldLogP.index_select(0, idx)).exp();
                        var policyLoss = -torch.min(adv * ratio, adv * ratio.clamp(hp[1 - o.ClipRange], hp[1 + o.ClipRange])).mean();
                        var valueLoss = nn.functional.mse_loss(_net.Value(mbObs), retT.index_select(0, idx));
                        var entropyLoss = -_net.Entropy();
                        var loss = policyLoss.Plus(entropyLoss * hp[o.EntCoef]).Plus(valueLoss * hp[o.VfCoef]);
                        optimizer.ZeroGrad();
                        loss.backward();
                        nn.utils.clip_grad_norm_(parameters, o.MaxGradNorm);
                        optimizer.Step();
                    }
                }
            }
        }
        callback?.OnTrainingEnd(state);
    }

    /// <summary>
    /// True when sub-env <paramref name="e"/> may start an episode: its budget (if any) has room for one more beside
    /// the episodes running in the other sub-envs charged to the same budget (one env: the budget is not exhausted).
    /// </summary>
    static bool HasRoom(Budget.EpisodeBudget?[] budgets, bool[] needReset, int e)
    {
        var b = budgets[e];
        if (b is null) return true;
        int running = 0;
        for (int j = 0; j < budgets.Length; j++) if (j != e && !needReset[j] && ReferenceEquals(budgets[j], b)) running++;
        return b.Remaining - running > 0;
    }

    /// <summary>
    /// Generalised advantage estimation (Schulman et al. 2016) over one rollout, SB3's convention:
    /// <paramref name="episodeStarts"/>[t] marks that step t began a new episode; <paramref name="lastDone"/> that
    /// the episode ended with the last step (else <paramref name="lastValue"/> = V(next observation) bootstraps it).
    /// δₜ = rₜ + γ·V(sₜ₊₁)·(1 − doneₜ) − V(sₜ); Aₜ = δₜ + γλ·(1 − doneₜ)·Aₜ₊₁; returnₜ = Aₜ + V(sₜ).
    /// </summary>
    public static void ComputeGae(ReadOnlySpan<double> rewards, ReadOnlySpan<double> values, ReadOnlySpan<bool> episodeStarts,
        double lastValue, bool lastDone, double gamma, double lambda, Span<double> advantages, Span<double> returns)
    {
        int n = rewards.Length;
        if (values.Length != n || episodeStarts.Length != n || advantages.Length != n || returns.Length != n)
            throw new ArgumentException("GAE buffers must all have the rollout's length.");
        double next = 0;
        for (int t = n - 1; t >= 0; t--)
        {
            double nextNonTerminal, nextValue;
            if (t == n - 1) { nextNonTerminal = lastDone ? 0.0 : 1.0; nextValue = lastValue; }
            else { nextNonTerminal = episodeStarts[t + 1] ? 0.0 : 1.0; nextValue = values[t + 1]; }
            double delta = rewards[t] + gamma * nextValue * nextNonTerminal - values[t];
            next = delta + gamma * lambda * nextNonTerminal * next;
            advantages[t] = next;
            returns[t] = next + values[t];
        }
    }

    /// <summary>V(observation) of the current critic.</summary>
    public double ValueOf(double[] observation)
    {
        var net = _net ?? throw new InvalidOperationException("ppo: the agent is not trained; call Run, Learn or Load first.");
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        return net.Value(TorchUtil.Row(observation)).item<float>();
    }

    public double[] Act(double[] observation, bool deterministic = true) => Act(observation, deterministic, null);

    /// <summary>The policy's action in env units; stochastic actions draw from <paramref name="generator"/>.</summary>
    public double[] Act(double[] observation, bool deterministic, Generator? generator)
    {
        var net = _net ?? throw new InvalidOperationException("ppo: the agent is not trained; call Run, Learn or Load first.");
        ArgumentNullException.ThrowIfNull(observation);
        if (observation.Length != _obsSize) throw new ArgumentException($"ppo: observation has length {observation.Length}, expected {_obsSize}.");
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var mean = net.call(TorchUtil.Row(observation));
        var u = deterministic ? mean : mean.Plus(net.log_std.exp() * torch.randn(mean.shape, generator: generator ?? ActGenerator()));
        return _scaling!.ToEnv(TorchUtil.ToDoubles(u));
    }

    public void Save(string path)
    {
        var net = _net ?? throw new InvalidOperationException("ppo: nothing to save; the agent is not trained.");
        AgentFile.Write(path, Name, _obsSize, _scaling!, OptionsBinder.Describe(Options), net);
    }

    public void Load(string path)
    {
        var (obs, scaling, stored, reader) = AgentFile.Open(path, Name);
        using (reader)
        {
            // The stored options rebuild the network that was saved, whatever options this agent was created with.
            PpoOptions options;
            try { options = OptionsBinder.Bind(new PpoOptions(), stored); }
            catch (ArgumentException e) { throw new InvalidDataException($"ppo: '{path}' holds options this build does not accept: {e.Message}"); }
            var net = new ActorCritic(obs, scaling.Size, TorchUtil.ParseArch(options.NetArch, Name, "net_arch"), options.Activation, options.LogStdInit);
            try { net.load(reader); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                net.Dispose();
                throw new InvalidDataException($"ppo: '{path}' does not match net_arch={options.NetArch}: {e.Message}");
            }
            _net?.Dispose();
            _net = net; Options = options; _obsSize = obs; _scaling = scaling;
            ResetActGenerator(0);
        }
    }

    /// <summary>Stochastic <see cref="Act(double[], bool)"/> draws from a generator seeded with the training seed + 1 (0 + 1 after Load).</summary>
    Generator ActGenerator() => _actGenerator ??= TorchUtil.Generator(1);
    void ResetActGenerator(int seed) { _actGenerator?.Dispose(); _actGenerator = TorchUtil.Generator(unchecked(seed + 1)); }

    public void Dispose() { _net?.Dispose(); _net = null; _actGenerator?.Dispose(); _actGenerator = null; }

    PpoRollout Snapshot(float[] obsBuf, float[] actBuf, double[] rewards, double[] values, double[] logProbs, bool[] starts,
        double[] lastValues, bool[] lastDones, double[] advantages, double[] returns, int nAct)
    {
        int n = rewards.Length;
        var obs = new double[n][]; var act = new double[n][];
        for (int t = 0; t < n; t++)
        {
            obs[t] = new double[_obsSize]; act[t] = new double[nAct];
            for (int i = 0; i < _obsSize; i++) obs[t][i] = obsBuf[t * _obsSize + i];
            for (int i = 0; i < nAct; i++) act[t][i] = actBuf[t * nAct + i];
        }
        return new PpoRollout(obs, act, (double[])rewards.Clone(), (double[])values.Clone(), (double[])logProbs.Clone(),
            (bool[])starts.Clone(), lastValues[^1], lastDones[^1], (double[])advantages.Clone(), (double[])returns.Clone())
        { NumEnvs = lastValues.Length, LastValues = (double[])lastValues.Clone(), LastDones = (bool[])lastDones.Clone() };
    }
}
