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
        if (BatchSize > NSteps) throw new ArgumentException($"{a}: batch_size = {BatchSize} is larger than n_steps = {NSteps}; a rollout must hold at least one minibatch.");
        if (NormalizeAdvantage && BatchSize < 2) throw new ArgumentException($"{a}: batch_size = {BatchSize}; advantage normalisation needs minibatches of at least 2 (or set normalize_advantage=false).");
        if (!Enum.IsDefined(Activation)) throw new ArgumentException($"{a}: activation = {Activation} is not tanh or relu.");
        TorchUtil.ParseArch(NetArch, a, "net_arch");
    }
}

/// <summary>One collected rollout, as the update sees it (after truncation bootstrapping and GAE).</summary>
public sealed record PpoRollout(
    double[][] Observations, double[][] Actions, double[] Rewards, double[] Values, double[] LogProbs,
    bool[] EpisodeStarts, double LastValue, bool LastDone, double[] Advantages, double[] Returns);

/// <summary>
/// Proximal Policy Optimisation with a clipped objective (Schulman et al. 2017), as Stable-Baselines3 implements
/// it for continuous actions: separate actor and critic MLPs, a state-independent log-std, GAE, per-minibatch
/// advantage normalisation, gradient-norm clipping, and bootstrapping of time-limit truncations
/// (reward += γ·V(s_final)). The policy acts in [−1, 1]ⁿ; <see cref="ActionScaling"/> maps it to the env.
/// One <see cref="Run"/> trains on <c>context.Env()</c> until the episode budget is used up.
/// </summary>
public sealed class Ppo : ILearningAgent, IDisposable
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
            log_std = nn.Parameter(torch.full(act, logStdInit, dtype: ScalarType.Float32));
            RegisterComponents();
        }

        public override Tensor forward(Tensor obs) => actor.call(obs);
        public Tensor Value(Tensor obs) => critic.call(obs).squeeze(-1);

        /// <summary>Σ log N(u; μ, σ) over action dimensions.</summary>
        public Tensor LogProb(Tensor mean, Tensor u)
        {
            var z = (u - mean) / log_std.exp();
            return (-0.5 * z.pow(2) - log_std - 0.5 * Math.Log(2 * Math.PI)).sum(-1);
        }

        /// <summary>Entropy of the diagonal Gaussian (the same for every state).</summary>
        public Tensor Entropy() => (0.5 + 0.5 * Math.Log(2 * Math.PI) + log_std).sum();
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

    public void Run(AgentContext context)
    {
        using var env = context.Env();
        Learn(env, ActionScaling.For(context.Task), context.Seed, cancellation: context.Cancellation);
    }

    /// <summary>
    /// Trains on <paramref name="env"/> for <paramref name="totalSteps"/> environment steps (rounded up to whole
    /// rollouts, as SB3 does) or until the episode budget of a <see cref="Budget.BudgetedEnv"/> it wraps is used up.
    /// The first reset uses <paramref name="seed"/>; weight init, sampling and minibatches use generators seeded from it.
    /// </summary>
    public void Learn(Env<double[], double[]> env, ActionScaling scaling, int seed, long totalSteps = long.MaxValue,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(scaling);
        var o = Options;
        TorchThreads.EnsureConfigured();
        var budget = env.FindBudget();
        using var gen = TorchUtil.Generator(seed);

        // ---- setup: first observation, networks (SB3 init), optimiser ----------------------------------
        var obs = env.Reset(seed).Observation;
        _obsSize = obs.Length; _scaling = scaling;
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
        using var optimizer = torch.optim.Adam(_net.parameters(), lr: o.LearningRate, eps: o.AdamEps);
        var parameters = _net.parameters().ToArray();

        // ---- rollout storage (plain arrays; tensors are built per update) -------------------------------
        int n = o.NSteps;
        var obsBuf = new float[n * _obsSize];
        var actBuf = new float[n * nAct];
        var rewards = new double[n];
        var values = new double[n];
        var logProbs = new double[n];
        var starts = new bool[n];
        var advantages = new double[n];
        var returns = new double[n];
        var envAction = new double[nAct];
        var unit = new double[nAct];

        Steps = 0; _episodes.Clear();
        bool needReset = false, episodeStart = true;
        double epReturn = 0; int epLength = 0;

        while (Steps < totalSteps && !cancellation.IsCancellationRequested)
        {
            // ---- 1. collect n_steps transitions with the current policy ----------------------------------
            int count = 0;
            bool stop = false;
            _net.eval();
            while (count < n)
            {
                if (needReset)
                {
                    if (budget is { Exhausted: true } || cancellation.IsCancellationRequested) { stop = true; break; }
                    obs = env.Reset().Observation;
                    needReset = false; episodeStart = true; epReturn = 0; epLength = 0;
                }
                double value, logProb;
                using (torch.NewDisposeScope())
                using (torch.no_grad())
                {
                    var x = TorchUtil.Row(obs);
                    var mean = _net.call(x);
                    var u = mean + _net.log_std.exp() * torch.randn(mean.shape, generator: gen);
                    logProb = _net.LogProb(mean, u).item<float>();
                    value = _net.Value(x).item<float>();
                    var ud = TorchUtil.ToDoubles(u);
                    for (int i = 0; i < nAct; i++) { unit[i] = ud[i]; actBuf[count * nAct + i] = (float)ud[i]; }
                }
                scaling.ToEnv(unit, envAction);   // clips the Gaussian sample to [−1, 1], then rescales
                var step = env.Step((double[])envAction.Clone());
                Steps++; epLength++; epReturn += step.Reward;
                double reward = step.Reward;
                // Time-limit truncation: the episode did not end in the MDP, so bootstrap from V(s_final).
                if (step.Truncated && !step.Terminated) reward += o.Gamma * ValueOf(step.Observation);
                for (int i = 0; i < _obsSize; i++) obsBuf[count * _obsSize + i] = (float)obs[i];
                rewards[count] = reward; values[count] = value; logProbs[count] = logProb; starts[count] = episodeStart;
                count++;
                episodeStart = false;
                obs = step.Observation;
                if (step.Done)
                {
                    _episodes.Add(new EpisodeLog(Steps, _episodes.Count, epReturn, epLength));
                    needReset = true;
                }
            }
            if (stop || count < n) break;   // budget used up: no further episode can be evaluated, training ends

            // ---- 2. advantages (GAE) and returns --------------------------------------------------------
            double lastValue = needReset ? 0.0 : ValueOf(obs);
            ComputeGae(rewards, values, starts, lastValue, needReset, o.Gamma, o.GaeLambda, advantages, returns);
            RolloutCollected?.Invoke(Snapshot(obsBuf, actBuf, rewards, values, logProbs, starts, lastValue, needReset, advantages, returns, nAct));

            // ---- 3. n_epochs of clipped-objective updates over shuffled minibatches ------------------------
            _net.train();
            using (torch.NewDisposeScope())
            {
                var obsT = TorchUtil.Matrix(obsBuf, n, _obsSize);
                var actT = TorchUtil.Matrix(actBuf, n, nAct);
                var oldLogP = torch.tensor(logProbs, dtype: ScalarType.Float32);
                var advT = torch.tensor(advantages, dtype: ScalarType.Float32);
                var retT = torch.tensor(returns, dtype: ScalarType.Float32);
                for (int epoch = 0; epoch < o.NEpochs; epoch++)
                {
                    var perm = torch.randperm(n, generator: gen);
                    for (int start = 0; start < n; start += o.BatchSize)
                    {
                        using var mb = torch.NewDisposeScope();
                        var idx = perm.narrow(0, start, Math.Min(o.BatchSize, n - start));
                        var mbObs = obsT.index_select(0, idx);
                        var mean = _net.call(mbObs);
                        var logP = _net.LogProb(mean, actT.index_select(0, idx));
                        var adv = advT.index_select(0, idx);
                        if (o.NormalizeAdvantage && adv.shape[0] > 1) adv = (adv - adv.mean()) / (adv.std() + 1e-8);
                        var ratio = (logP - oldLogP.index_select(0, idx)).exp();
                        var policyLoss = -torch.min(adv * ratio, adv * ratio.clamp(1 - o.ClipRange, 1 + o.ClipRange)).mean();
                        var valueLoss = nn.functional.mse_loss(_net.Value(mbObs), retT.index_select(0, idx));
                        var entropyLoss = -_net.Entropy();
                        var loss = policyLoss + o.EntCoef * entropyLoss + o.VfCoef * valueLoss;
                        optimizer.zero_grad();
                        loss.backward();
                        nn.utils.clip_grad_norm_(parameters, o.MaxGradNorm);
                        optimizer.step();
                    }
                }
            }
        }
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
        var u = deterministic ? mean : mean + net.log_std.exp() * torch.randn(mean.shape, generator: generator ?? ActGenerator());
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
        double lastValue, bool lastDone, double[] advantages, double[] returns, int nAct)
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
            (bool[])starts.Clone(), lastValue, lastDone, (double[])advantages.Clone(), (double[])returns.Clone());
    }
}
