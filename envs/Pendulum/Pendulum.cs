using ContactOpt.Autodiff;
using ContactOpt.Rendering;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.Pendulum;

/// <summary>
/// The classic torque-limited inverted pendulum with Gymnasium Pendulum-v1's constants and equations: a pole of
/// mass m = 1 and length l = 1 (θ = 0 upright), torque u ∈ [−2, 2], explicit update
/// θ̇' = clip(θ̇ + (3g/(2l)·sin θ + 3/(m l²)·u)·dt, ±8), θ' = θ + θ̇'·dt with dt = 0.05 and g = 10; 200 steps.
/// Cost of a step = normalize(θ)² + 0.1·θ̇² + 0.001·u², evaluated at the state the torque is applied in
/// (so the reward is Gymnasium's). Initial state θ ~ U[−π, π], θ̇ ~ U[−1, 1] drawn from the env's generator.
/// Step view as Pendulum-v1: observation (cos θ, sin θ, θ̇), actions outside [−2, 2] clipped, and the episode
/// <c>truncated</c> at step 200 (a time limit, not a terminal state). Task option <c>time_feature=true</c> keeps the
/// former extension: the time fraction t/200 appended to the observation and <c>terminated</c> at step 200 (the
/// finite horizon as part of the MDP).
/// State: (θ, θ̇, θ_prev, θ̇_prev), the last two being the state the previous torque was applied in.
/// Declared physical parameters: mass and length (gradients are also taken with respect to them).
/// </summary>
public sealed class PendulumDynamics : ScalarDynamics, ISideView
{
    public override Frame RenderState(ReadOnlySpan<double> state, ReadOnlySpan<double> action, string? label = null) =>
        SideView.Render(this, state, action, label);

    public const double MaxSpeed = 8.0, MaxTorque = 2.0, Dt = 0.05, DefaultGravity = 10.0, DefaultMass = 1.0, DefaultLength = 1.0;
    public const int EpisodeSteps = 200;

    static readonly Box Torque = new(-MaxTorque, MaxTorque, 1);
    readonly int _horizon;

    /// <param name="gravity">g (Gymnasium's <c>g</c> argument).</param>
    /// <param name="horizon">Steps per episode (200 in Pendulum-v1).</param>
    /// <param name="timeFeature">Append t/H to the step view's observation and terminate at the horizon (not Pendulum-v1).</param>
    public PendulumDynamics(double gravity = DefaultGravity, int horizon = EpisodeSteps, bool timeFeature = false)
    {
        TimeFeature = timeFeature;
        if (!double.IsFinite(gravity) || gravity < 0) throw new ArgumentOutOfRangeException(nameof(gravity), gravity, "gravity must be finite and ≥ 0.");
        if (horizon < 1) throw new ArgumentOutOfRangeException(nameof(horizon), horizon, "the horizon must be at least 1 step.");
        Gravity = gravity; _horizon = horizon;
    }

    public double Gravity { get; }
    public bool TimeFeature { get; }
    public override HorizonKind HorizonKind => TimeFeature ? HorizonKind.Terminal : HorizonKind.TimeLimit;
    public override OutOfRangeAction OutOfRangeAction => OutOfRangeAction.Clip;
    public override int StateSize => 4;
    public override int ActionSize => 1;
    public override int Horizon => _horizon;
    public override int ObservationSize => 3;
    public override IReadOnlyList<string> ParameterNames => ["mass", "length"];
    public override double[] DefaultParameters() => [DefaultMass, DefaultLength];
    /// <summary>Mass 0.5–2 kg and length 0.5–2 m around Pendulum-v1's 1 and 1.</summary>
    public override Box? ParameterBounds { get; } = new([0.5, 0.5], [2.0, 2.0]);
    public override Box ActionBounds => Torque;
    public override Box ActionSamplingBox => Torque;
    public override void InitialGuess(int t, Span<double> action) => action[0] = 0.0;

    public override void InitialState(Span<double> state, Random rng)
    {
        double th = -Math.PI + 2 * Math.PI * rng.NextDouble();
        double thdot = -1.0 + 2.0 * rng.NextDouble();
        state[0] = th; state[1] = thdot; state[2] = th; state[3] = thdot;
    }

    public override void Step<T>(Span<T> state, ReadOnlySpan<T> action, ReadOnlySpan<T> parameters, int t, StepTrace? trace)
    {
        T th = state[0], thdot = state[1];
        T u = Scalar.Clamp(action[0], -MaxTorque, MaxTorque);
        T m = parameters[0], l = parameters[1];
        T newThdot = thdot + (3.0 * Gravity / (2.0 * l) * T.Sin(th) + 3.0 / (m * l * l) * u) * Dt;
        newThdot = Scalar.Clamp(newThdot, -MaxSpeed, MaxSpeed);
        T newTh = th + newThdot * Dt;
        state[2] = th; state[3] = thdot;
        state[0] = newTh; state[1] = newThdot;
        trace?.Record<T>(state, action);
    }

    public override T StepCost<T>(ReadOnlySpan<T> state, ReadOnlySpan<T> action, int t)
    {
        T th = AngleNormalize(state[2]), thdot = state[3];
        T u = Scalar.Clamp(action[0], -MaxTorque, MaxTorque);
        return th * th + 0.1 * (thdot * thdot) + 0.001 * (u * u);
    }

    /// <summary>((x + π) mod 2π) − π, with derivative 1 (the wrap is a constant shift).</summary>
    public static T AngleNormalize<T>(T x) where T : struct, IScalar<T>
    {
        double turns = Math.Floor((x.Value + Math.PI) / (2 * Math.PI));
        return x - turns * (2 * Math.PI);
    }

    public override void Observe<T>(ReadOnlySpan<T> state, Span<T> observation)
    {
        observation[0] = T.Cos(state[0]);
        observation[1] = T.Sin(state[0]);
        observation[2] = state[1];
    }

    public (int Width, int Height, double XMin, double XMax, double ZMin) View => (240, 240, -1.3, 1.3, -1.3);

    public void Draw(Canvas canvas, ReadOnlySpan<double> state, ReadOnlySpan<double> action)
    {
        double x = Math.Sin(state[0]) * DefaultLength, z = Math.Cos(state[0]) * DefaultLength;
        canvas.Line(0, 0, x, z, new Rgb(200, 80, 60), 8);
        canvas.Disc(0, 0, 0.05, new Rgb(40, 40, 40));
        if (action.Length == 1)
        {
            // Torque as a horizontal bar at the pivot (right = positive, anticlockwise).
            double u = Math.Clamp(action[0], -MaxTorque, MaxTorque) / MaxTorque;
            canvas.Line(0, -0.15, 0.5 * u, -0.15, new Rgb(60, 120, 200), 4);
        }
    }

    public static TaskSpec Spec { get; } = new(
        "pendulum",
        "Classic torque-limited pendulum swing-up (Gymnasium Pendulum-v1 constants); 200 torque steps, random start.",
        [new TaskOption("g", "10", "gravitational acceleration (Gymnasium's g)"),
         new TaskOption("time_feature", "false", "append t/200 to the step view's observation and terminate at step 200 (Pendulum-v1: no, truncate)", ["false", "true"])],
        Create);

    static TaskInstance Create(TaskOptions o)
    {
        double g = o.GetDouble("g");
        if (g < 0) throw new ArgumentException($"task option g={g} of 'pendulum' must be ≥ 0.");
        bool timeFeature = o.GetString("time_feature") == "true";
        return new TaskInstance(
            TaskRegistry.CanonicalName("pendulum", o, Spec.Options),
            "Pendulum-v1 (Gymnasium): x = 200 torques in [−2, 2]; cost Σ normalize(θ)² + 0.1·θ̇² + 0.001·u² " +
            "(return = −loss); random start θ ~ U[−π, π], θ̇ ~ U[−1, 1] (the parameter view uses the start drawn from seed 0); " +
            "step view as Pendulum-v1: observation (cos θ, sin θ, θ̇), torques clipped to [−2, 2], truncated at step 200 " +
            "(time_feature=true: t/200 appended, terminated at 200); success: loss < 200, a return above −200, about what the SB3 zoo's tuned agents " +
            "average over random starts once they swing up and balance (zero torque from the seed-0 start loses far more).",
            new PendulumDynamics(g, timeFeature: timeFeature),
            successThreshold: 200);
    }
}
