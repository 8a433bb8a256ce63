using MathNet.Numerics.Distributions;

namespace ContactOpt.Examples.CustomAgent;

using ContactOpt.Agents;

/// <summary>Hyperparameters of <see cref="HillClimber"/>: one record, each with its default and a comment.</summary>
public sealed record HillClimberOptions : IValidatable
{
    [Option("sigma0", "initial step size, as a fraction of the sampling box's width per coordinate")]
    public double Sigma0 { get; init; } = 0.1;
    [Option("restart_below", "restart from a random point when the step size falls below this fraction")]
    public double RestartBelow { get; init; } = 1e-4;

    public void Validate()
    {
        if (!double.IsFinite(Sigma0) || Sigma0 <= 0) throw new ArgumentException($"hillclimb: sigma0 = {Sigma0}; it must be a finite number > 0.");
        if (!double.IsFinite(RestartBelow) || RestartBelow < 0 || RestartBelow >= Sigma0)
            throw new ArgumentException($"hillclimb: restart_below = {RestartBelow}; it must be ≥ 0 and below sigma0.");
    }
}

/// <summary>
/// A (1+1) evolution strategy with the 1/5th success rule (Rechenberg): keep one point, try a Gaussian step, keep
/// it if it is no worse; grow the step after a success (×e^{1/3}), shrink it after a failure (×e^{−1/12}).
/// It uses the parameter view: <c>context.Objective()</c> charges one episode per call.
/// </summary>
public sealed class HillClimber(HillClimberOptions options) : IAgent
{
    public static AgentSpec Spec { get; } = new(
        "hillclimb",
        "(1+1)-ES hill-climber with the 1/5th success rule and restarts (example of a user-written agent)",
        OptionsBinder.Describe(new HillClimberOptions()),
        settings => new HillClimber(OptionsBinder.Bind(new HillClimberOptions(), settings)));

    public string Name => "hillclimb";

    public void Run(AgentContext context)
    {
        var f = context.Objective();
        var rng = Rng.Create(context.Seed);           // all randomness from the run's seed
        int d = f.Dimension;
        var width = Enumerable.Range(0, d).Select(i => f.SamplingUpper[i] - f.SamplingLower[i]).ToArray();
        var x = f.InitialGuess.ToArray();
        double fx = f.Loss(x), sigma = options.Sigma0;
        var y = new double[d];
        while (!context.Budget.Exhausted && !context.Cancellation.IsCancellationRequested)
        {
            for (int i = 0; i < d; i++)
                y[i] = Math.Clamp(x[i] + sigma * width[i] * Normal.Sample(rng, 0, 1), f.Lower[i], f.Upper[i]);
            double fy = f.Loss(y);                    // +∞ when the simulation diverged: never accepted
            if (fy <= fx) { (x, y) = (y, x); fx = fy; sigma *= Math.Exp(1.0 / 3); }
            else sigma *= Math.Exp(-1.0 / 12);
            if (sigma < options.RestartBelow && !context.Budget.Exhausted)
            {
                for (int i = 0; i < d; i++) x[i] = f.SamplingLower[i] + width[i] * rng.NextDouble();
                fx = f.Loss(x); sigma = options.Sigma0;
            }
        }
    }
}

/// <summary>
/// The simplest step-view agent: uniformly random actions in the task's action box (or its sampling box where the
/// actions are unbounded), one episode after another. <c>context.Env()</c> charges each finished episode.
/// </summary>
public sealed class RandomPolicy : IAgent
{
    public static AgentSpec Spec { get; } = new("randompolicy", "uniformly random actions on the step view (example)", [], _ => new RandomPolicy());

    public string Name => "randompolicy";

    public void Run(AgentContext context)
    {
        var rng = Rng.Create(context.Seed);
        var scaling = ActionScaling.For(context.Task);   // [−1, 1] → the action box
        var unit = new double[scaling.Size];
        using var env = context.Env();
        env.Reset(seed: context.Seed);
        while (true)
        {
            bool done = false;
            while (!done)
            {
                for (int i = 0; i < unit.Length; i++) unit[i] = 2 * rng.NextDouble() - 1;
                done = env.Step(scaling.ToEnv(unit)).Done;
            }
            if (context.Budget.Exhausted) return;         // stop cleanly instead of letting Reset throw
            env.Reset();
        }
    }
}

/// <summary>
/// The plugin entry point: the command line finds this class in the built assembly
/// (<c>contactopt compare flip --agents hillclimb,rand --agents-from examples/CustomAgent/bin/Release/net10.0/CustomAgent.dll</c>),
/// and a library user adds the same specs to a registry of their own (<c>registry.AddRange(new ExampleAgents().Specs())</c>).
/// </summary>
public sealed class ExampleAgents : IAgentProvider
{
    public IEnumerable<AgentSpec> Specs() => [HillClimber.Spec, RandomPolicy.Spec];
}
