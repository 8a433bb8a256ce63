using ContactOpt.Autodiff;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.BoxFinger;

/// <summary>
/// Box flip (Dawson 2021): one finger (k_p = 10) must push a box lying at x = −1 to the right and turn it by
/// −90°. Decision: the constant finger setpoint (x_des, z_des); 600 rows; cost x_T² + θ_T².
/// </summary>
public sealed class FlipDynamics : BoxFingerDynamics
{
    public FlipDynamics(CornerVelocity cornerVelocity = CornerVelocity.Reference)
        : base(1, kp: 10, rows: 600,
               initialState: [-1.0, 0.25, Math.PI / 2, 0, 0, 0, -1.25, 0.4, 0, 0],
               samplingLow: [-0.5, 0.0], samplingHigh: [0.5, 1.0], cornerVelocity) { }

    public override void InitialGuess(int t, Span<double> action) { action[0] = 0.0; action[1] = 0.25; }

    public override T TerminalCost<T>(ReadOnlySpan<T> s) => s[0] * s[0] + s[2] * s[2];

    public static TaskSpec Spec { get; } = new(
        "flip",
        "Dawson box flip: one finger setpoint (x_des, z_des) pushes and flips a box; cost x_T² + θ_T².",
        [CornerVelocityOption],
        Create);

    static TaskInstance Create(TaskOptions o)
    {
        var mode = ParseCornerVelocity(o);
        return new TaskInstance(
            TaskRegistry.CanonicalName("flip", o, Spec.Options),
            "Box flip (Dawson 2021): x = (x_des, z_des), unbounded (sampling box [−0.5, 0.5] × [0, 1]); " +
            "initial guess (0, 0.25); 599 Euler steps of 1 ms; success: loss < 0.01, the box flipped (θ_T ≈ 0) and pushed to within " +
            "0.1 m of x = 0. The paper's qualitative success (box flipped; exact GD ends at 0.0446, 0.21 m short of x = 0) does not " +
            "discriminate: uniform random search in the sampling box finds a loss below 0.1 in 1–5 episodes and below 0.05 in about 10.",
            new FlipDynamics(mode),
            successThreshold: 0.01,
            landscape: new LandscapePreset("x_des", "z_des", -0.5, 0.5, 0.0, 1.0, 200, (x, z) => [x, z],
                "Dawson Fig. 2: finger setpoint over x_des ∈ [−0.5, 0.5], z_des ∈ [0, 1]"));
    }
}

/// <summary>
/// Box grasp (Dawson 2021): two fingers (k_p = 40) squeeze a box and must lift it to z = 1.
/// Decision: (x₁, z₁, x₂, z₂); 500 rows; cost (z_T − 1)² + 0.1·(x_T² + θ_T² + ẋ_T² + ż_T² + θ̇_T²).
/// </summary>
public sealed class GraspDynamics : BoxFingerDynamics
{
    static readonly double[] Weights = [0.1, 1.0, 0.1, 0.1, 0.1, 0.1];
    static readonly double[] Target = [0, 1.0, 0, 0, 0, 0];

    public GraspDynamics(CornerVelocity cornerVelocity = CornerVelocity.Reference)
        : base(2, kp: 40, rows: 500,
               initialState: [0, 0.25, 0, 0, 0, 0, -0.3, 0.25, 0, 0, 0.3, 0.25, 0, 0],
               samplingLow: [-1, 0, -1, 0], samplingHigh: [1, 2, 1, 2], cornerVelocity) { }

    public override void InitialGuess(int t, Span<double> action) { action[0] = -0.05; action[1] = 0.25; action[2] = 0.05; action[3] = 0.25; }

    public override T TerminalCost<T>(ReadOnlySpan<T> s)
    {
        T cost = T.Constant(0);
        for (int i = 0; i < 6; i++) { T d = s[i] - Target[i]; cost += Weights[i] * (d * d); }
        return cost;
    }

    public override (int Width, int Height, double XMin, double XMax, double ZMin) View => (300, 270, -0.9, 0.9, -0.15);

    public static TaskSpec Spec { get; } = new(
        "grasp",
        "Dawson box grasp: two finger setpoints (x1, z1, x2, z2) squeeze and lift a box to z = 1.",
        [CornerVelocityOption],
        Create);

    static TaskInstance Create(TaskOptions o)
    {
        var mode = ParseCornerVelocity(o);
        return new TaskInstance(
            TaskRegistry.CanonicalName("grasp", o, Spec.Options),
            "Box grasp (Dawson 2021): x = (x1, z1, x2, z2), unbounded (sampling box [−1, 1] × [0, 2] per finger); " +
            "initial guess (−0.05, 0.25, 0.05, 0.25); 499 Euler steps of 1 ms; success: loss < 0.3, the box lifted to z > 0.45 m " +
            "from its resting 0.245 m (the paper's qualitative criterion, the fingers lifting the box off the 0.57 plateau where a failed run stays).",
            new GraspDynamics(mode),
            successThreshold: 0.3,
            landscape: new LandscapePreset("x (left finger; right finger mirrored)", "z", -1.0, 1.0, 0.0, 2.0, 200,
                (x, z) => [x, z, -x, z], "Dawson Fig. 5: mirrored setpoints (x, z) and (−x, z)"));
    }
}
