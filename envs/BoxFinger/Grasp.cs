using ContactOpt.Autodiff;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.BoxFinger;

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
