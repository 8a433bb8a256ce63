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
