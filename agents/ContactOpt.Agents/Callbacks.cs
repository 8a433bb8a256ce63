using System.Diagnostics;
using System.Globalization;

namespace ContactOpt.Agents;

/// <summary>
/// What a learning agent tells its callbacks (Stable-Baselines3's <c>BaseCallback</c> locals): the agent, the
/// environment steps so far (all sub-environments together), the finished episodes with the returns of the last
/// 100 (SB3's <c>ep_info_buffer</c>), and the wall time. The agent updates it through <see cref="AddSteps"/> and
/// <see cref="AddEpisode"/>.
/// </summary>
public sealed class TrainingState
{
    readonly Queue<double> _recent = new();
    readonly Stopwatch _clock = Stopwatch.StartNew();

    public TrainingState(ILearningAgent agent, int numEnvs, long totalTimesteps)
    {
        Agent = agent ?? throw new ArgumentNullException(nameof(agent));
        if (numEnvs < 1) throw new ArgumentOutOfRangeException(nameof(numEnvs), numEnvs, "need at least one environment.");
        NumEnvs = numEnvs; TotalTimesteps = totalTimesteps;
    }

    public ILearningAgent Agent { get; }
    public int NumEnvs { get; }
    /// <summary>The steps asked for (<see cref="long.MaxValue"/> when training runs until an episode budget is used up).</summary>
    public long TotalTimesteps { get; }
    /// <summary>Environment steps so far (SB3's <c>num_timesteps</c>).</summary>
    public long NumTimesteps { get; private set; }
    /// <summary>Finished training episodes.</summary>
    public int Episodes { get; private set; }
    /// <summary>Returns of the last 100 finished training episodes, oldest first.</summary>
    public IReadOnlyCollection<double> RecentReturns => _recent;
    /// <summary>Mean of <see cref="RecentReturns"/> (NaN before the first episode ends).</summary>
    public double MeanReturn => _recent.Count == 0 ? double.NaN : _recent.Average();
    public double ElapsedSeconds => _clock.Elapsed.TotalSeconds;
    /// <summary>Environment steps per second of wall time since training started.</summary>
    public double StepsPerSecond => ElapsedSeconds > 0 ? NumTimesteps / ElapsedSeconds : 0;

    public void AddSteps(long steps) { if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps)); NumTimesteps += steps; }
    public void AddEpisode(double episodeReturn)
    {
        Episodes++;
        _recent.Enqueue(episodeReturn);
        while (_recent.Count > 100) _recent.Dequeue();
    }
}

/// <summary>
/// A hook into training (SB3's callbacks): <see cref="OnStep"/> runs after every step of the (vector) env and stops
/// training by returning false; <see cref="OnRolloutEnd"/> after each collection phase (a PPO rollout, SAC's
/// <c>train_freq</c> steps).
/// </summary>
public abstract class TrainingCallback
{
    public virtual void OnTrainingStart(TrainingState state) { }
    /// <returns>False to stop training.</returns>
    public virtual bool OnStep(TrainingState state) => true;
    public virtual void OnRolloutEnd(TrainingState state) { }
    public virtual void OnTrainingEnd(TrainingState state) { }
}

/// <summary>Runs several callbacks in order (SB3's CallbackList); training stops when any of them says so.</summary>
public sealed class CallbackList(params TrainingCallback[] callbacks) : TrainingCallback
{
    readonly TrainingCallback[] _all = callbacks.Select(c => c ?? throw new ArgumentNullException(nameof(callbacks))).ToArray();
    public IReadOnlyList<TrainingCallback> Callbacks => _all;
    public override void OnTrainingStart(TrainingState s) { foreach (var c in _all) c.OnTrainingStart(s); }
    public override bool OnStep(TrainingState s) { bool go = true; foreach (var c in _all) go &= c.OnStep(s); return go; }
    public override void OnRolloutEnd(TrainingState s) { foreach (var c in _all) c.OnRolloutEnd(s); }
    public override void OnTrainingEnd(TrainingState s) { foreach (var c in _all) c.OnTrainingEnd(s); }
}

/// <summary>An agent whose training reports to a callback (PPO and SAC); <see cref="IAgent.Run"/> uses it too.</summary>
public interface ITrainingCallbacks
{
    /// <summary>The callback of the next training (null: none).</summary>
    TrainingCallback? Callback { get; set; }
}

/// <summary>Counts steps between events: fires each time <see cref="TrainingState.NumTimesteps"/> reaches a new multiple of the frequency.</summary>
public abstract class EveryNStepsCallback : TrainingCallback
{
    long _next;
    protected EveryNStepsCallback(long frequency, string what)
    {
        if (frequency < 1) throw new ArgumentOutOfRangeException(nameof(frequency), frequency, $"{what} must be ≥ 1 step.");
        Frequency = frequency; _next = frequency;
    }
    public long Frequency { get; }
    public override void OnTrainingStart(TrainingState state) => _next = Frequency;
    public sealed override bool OnStep(TrainingState state)
    {
        if (state.NumTimesteps < _next) return true;
        while (_next <= state.NumTimesteps) _next += Frequency;
        return OnEvent(state);
    }
    protected abstract bool OnEvent(TrainingState state);
}

/// <summary>
/// Saves the agent every <c>saveFrequency</c> environment steps to <c>{folder}/{prefix}_{steps}_steps.bin</c>
/// (SB3's CheckpointCallback; its frequency counts calls, so n_envs steps each; this one counts steps).
/// </summary>
public sealed class CheckpointCallback : EveryNStepsCallback
{
    readonly string _folder, _prefix;
    readonly List<string> _saved = new();
    public CheckpointCallback(long saveFrequency, string folder, string prefix = "rl_model") : base(saveFrequency, "the checkpoint frequency")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (string.IsNullOrWhiteSpace(prefix) || prefix.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new ArgumentException($"checkpoint prefix '{prefix}' is not a plain file name.", nameof(prefix));
        _folder = folder; _prefix = prefix;
    }
    /// <summary>The files written so far.</summary>
    public IReadOnlyList<string> Saved => _saved;
    protected override bool OnEvent(TrainingState state)
    {
        var path = Path.Combine(_folder, $"{_prefix}_{state.NumTimesteps.ToString(CultureInfo.InvariantCulture)}_steps.bin");
        state.Agent.Save(path);
        _saved.Add(path);
        return true;
    }
}

/// <summary>Stops training once an evaluation's mean return reaches a threshold (SB3's StopTrainingOnRewardThreshold; give it to <see cref="EvalCallback"/>).</summary>
public sealed class StopTrainingOnRewardThreshold : TrainingCallback
{
    public StopTrainingOnRewardThreshold(double rewardThreshold)
    {
        if (!double.IsFinite(rewardThreshold)) throw new ArgumentOutOfRangeException(nameof(rewardThreshold), rewardThreshold, "the reward threshold must be finite.");
        RewardThreshold = rewardThreshold;
    }
    public double RewardThreshold { get; }
    /// <summary>The last evaluation's mean return, set by the <see cref="EvalCallback"/> before it calls <see cref="OnStep"/>.</summary>
    public double LastMeanReturn { get; internal set; } = double.NegativeInfinity;
    public override bool OnStep(TrainingState state) => !(LastMeanReturn >= RewardThreshold);
}

/// <summary>One evaluation of <see cref="EvalCallback"/>.</summary>
public sealed record Evaluation(long Timesteps, double MeanReturn, double StdReturn, double MeanLength);

/// <summary>
/// Evaluates the agent every <c>evalFrequency</c> environment steps on a separate env (SB3's EvalCallback):
/// <c>episodes</c> episodes of the deterministic policy, the first reset seeded with <c>seed</c> (so every evaluation
/// sees the same starts). A new best mean return saves the agent to <c>{bestModelFolder}/best_model.bin</c> and runs
/// <c>callbackOnNewBest</c> (e.g. <see cref="StopTrainingOnRewardThreshold"/>), which can stop training.
/// </summary>
public sealed class EvalCallback : EveryNStepsCallback
{
    readonly Env<double[], double[]> _env;
    readonly int _episodes, _seed;
    readonly bool _deterministic;
    readonly string? _bestFolder;
    readonly TrainingCallback? _onNewBest;
    readonly TextWriter? _log;
    readonly List<Evaluation> _evaluations = new();

    public EvalCallback(Env<double[], double[]> evalEnv, long evalFrequency, int episodes = 5, string? bestModelFolder = null,
        TrainingCallback? callbackOnNewBest = null, bool deterministic = true, int seed = 0, TextWriter? log = null)
        : base(evalFrequency, "the evaluation frequency")
    {
        _env = evalEnv ?? throw new ArgumentNullException(nameof(evalEnv));
        if (episodes < 1) throw new ArgumentOutOfRangeException(nameof(episodes), episodes, "an evaluation needs at least one episode.");
        if (bestModelFolder is not null && string.IsNullOrWhiteSpace(bestModelFolder)) throw new ArgumentException("the best-model folder is empty.", nameof(bestModelFolder));
        _episodes = episodes; _seed = seed; _deterministic = deterministic; _bestFolder = bestModelFolder; _onNewBest = callbackOnNewBest; _log = log;
    }

    public IReadOnlyList<Evaluation> Evaluations => _evaluations;
    public double BestMeanReturn { get; private set; } = double.NegativeInfinity;
    public string? BestModelPath => _bestFolder is null ? null : Path.Combine(_bestFolder, "best_model.bin");

    protected override bool OnEvent(TrainingState state)
    {
        var returns = new double[_episodes];
        long steps = 0;
        for (int e = 0; e < _episodes; e++)
        {
            var obs = _env.Reset(e == 0 ? _seed : null).Observation;
            while (true)
            {
                var s = _env.Step(state.Agent.Act(obs, _deterministic));
                returns[e] += s.Reward; steps++;
                obs = s.Observation;
                if (s.Done) break;
            }
        }
        double mean = returns.Average();
        double std = Math.Sqrt(returns.Select(r => (r - mean) * (r - mean)).Average());
        _evaluations.Add(new Evaluation(state.NumTimesteps, mean, std, steps / (double)_episodes));
        _log?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"eval  steps {state.NumTimesteps}  mean return {mean:G6} ± {std:G3} over {_episodes} episodes"));
        if (!(mean > BestMeanReturn)) return true;
        BestMeanReturn = mean;
        if (BestModelPath is string path) state.Agent.Save(path);
        if (_onNewBest is null) return true;
        if (_onNewBest is StopTrainingOnRewardThreshold stop) stop.LastMeanReturn = mean;
        return _onNewBest.OnStep(state);
    }
}

/// <summary>
/// Training progress on a writer (SB3's verbose=1 logger, one line): steps, steps/s, episodes and the mean return
/// of the last 100 episodes. On a terminal (<c>interactive</c>) one line is rewritten at most every 0.2 s; otherwise
/// plain lines are written every <c>everySteps</c> steps (0: at every rollout end, at most one per
/// <c>minSeconds</c>), and a final line marked "(done)" at the end unless the last line already showed the last step.
/// </summary>
public sealed class ProgressCallback : TrainingCallback
{
    readonly TextWriter _w;
    readonly bool _interactive;
    readonly long _every;
    readonly double _minSeconds;
    long _next, _lastPrinted = -1;
    double _lastShown = double.NegativeInfinity;

    public ProgressCallback(TextWriter writer, bool interactive, long everySteps = 0, double minSeconds = 2)
    {
        _w = writer ?? throw new ArgumentNullException(nameof(writer));
        if (everySteps < 0) throw new ArgumentOutOfRangeException(nameof(everySteps), everySteps, "everySteps must be ≥ 0.");
        if (!(minSeconds >= 0)) throw new ArgumentOutOfRangeException(nameof(minSeconds), minSeconds, "minSeconds must be ≥ 0.");
        _interactive = interactive; _every = everySteps; _minSeconds = minSeconds;
    }

    /// <summary>The progress line of <paramref name="s"/>.</summary>
    public static string Line(TrainingState s) => string.Create(CultureInfo.InvariantCulture,
        $"{s.Agent.Name}  steps {s.NumTimesteps}{(s.TotalTimesteps < long.MaxValue ? "/" + s.TotalTimesteps : "")}  {s.StepsPerSecond:F0} steps/s  episodes {s.Episodes}  mean return {(s.RecentReturns.Count == 0 ? "n/a" : s.MeanReturn.ToString("G6", CultureInfo.InvariantCulture))}");

    public override void OnTrainingStart(TrainingState state) { _next = _every; _lastShown = double.NegativeInfinity; _lastPrinted = -1; }

    public override bool OnStep(TrainingState state)
    {
        if (_interactive)
        {
            double t = state.ElapsedSeconds;
            if (t - _lastShown >= 0.2) { _w.Write("\r  " + Line(state) + "   "); _lastShown = t; }
        }
        else if (_every > 0 && state.NumTimesteps >= _next)
        {
            while (_next <= state.NumTimesteps) _next += _every;
            _w.WriteLine(Line(state));
            _lastPrinted = state.NumTimesteps;
        }
        return true;
    }

    public override void OnRolloutEnd(TrainingState state)
    {
        if (_interactive || _every > 0) return;
        double t = state.ElapsedSeconds;
        if (t - _lastShown < _minSeconds) return;
        _lastShown = t;
        _w.WriteLine(Line(state));
        _lastPrinted = state.NumTimesteps;
    }

    public override void OnTrainingEnd(TrainingState state)
    {
        if (_interactive) { _w.Write("\r  " + Line(state) + "   "); _w.WriteLine(); }
        else if (_lastPrinted != state.NumTimesteps) _w.WriteLine(Line(state) + "  (done)");   // not the line just printed again
    }
}
