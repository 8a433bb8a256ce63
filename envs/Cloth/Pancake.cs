using ContactOpt.Tasks;

namespace ContactOpt.Envs.Cloth;

/// <summary>
/// BO-Leap's Flip (DiffTaichi mass-spring pancake), here <c>pancake</c>: a round pan (radius 0.2 m, smooth rim)
/// carries a soft 12 × 12 cm mass-spring pancake. The pan's x (left–right), z (up–down) and tilt at the end of each of
/// 5 segments of 0.2 s are the decision (15-D; linear interpolation inside a segment, so the pan moves with constant
/// velocity and angular velocity per segment). Loss = mean distance of the 4 extreme vertices (the midpoints of the
/// sheet's edges: extreme x and y at the start) to their flipped targets (mirrored in x about the pan's start, in the pan).
/// </summary>
public sealed class PancakeDynamics : ClothDynamics
{
    public const double PanZ = 0.3, Half = 0.06;
    static readonly Box Bounds = new([-0.25, 0.1, -1.5], [0.25, 0.7, 1.5]);
    static readonly Box Sampling = new([-0.05, 0.25, -0.4], [0.05, 0.4, 0.4]);
    readonly int[] _extremes;
    readonly double[] _goals;

    public PancakeDynamics(int resolution, ClothContact contact, double smoothing = 0.2) : base(Scene(resolution, contact, smoothing))
    {
        int mid = resolution / 2;
        _extremes = [Mesh.Index(0, mid), Mesh.Index(resolution - 1, mid), Mesh.Index(mid, 0), Mesh.Index(mid, resolution - 1)];
        var x0 = Setup.InitialPositions; int n = N;
        _goals = new double[12];
        for (int k = 0; k < 4; k++)
        {
            int i = _extremes[k];
            _goals[3 * k] = -x0[i]; _goals[3 * k + 1] = x0[n + i]; _goals[3 * k + 2] = x0[2 * n + i];
        }
    }

    static ClothSetup Scene(int res, ClothContact contact, double smoothing)
    {
        if (res % 2 == 0) throw new ArgumentException($"pancake resolution {res} must be odd (the extreme vertices are the edge midpoints).");
        var mesh = new ClothMesh(res, res, 1, 1);
        int n = mesh.Vertices;
        var x = new double[3 * n];
        for (int i = 0; i < n; i++)
        {
            x[i] = -Half + 2 * Half * mesh.U(i); x[n + i] = -Half + 2 * Half * mesh.V(i); x[2 * n + i] = PanZ + 0.003;
        }
        return new ClothSetup
        {
            Mesh = mesh, InitialPositions = x, Width0 = 2 * Half, Length0 = 2 * Half, AxisU = 0, AxisV = 1,
            Dt = 1e-3, Substeps = 200, Segments = 5, Contact = contact, ContactSmoothing = smoothing,
            Pan = new PanCollider(0.2, 0.03, 0.04), PanStart = [0, PanZ, 0], Drag = 0.5, ReferenceMass = 0.03,
            KindScale = [1.0, 0.5, 0.5],
        };
    }

    public override int ActionSize => 3;
    public override Box ActionBounds => Bounds;
    public override Box ActionSamplingBox => Sampling;
    public override void InitialGuess(int t, Span<double> action) { action[0] = 0; action[1] = PanZ; action[2] = 0; }
    public int[] Extremes => (int[])_extremes.Clone();

    public override void MapInputs(int t, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters, ClothInputs inp)
    {
        inp.Width = 2 * Half; inp.Length = 2 * Half; inp.Mass = 0.03; inp.Friction = 0.4;
        Array.Fill(inp.Stiffness, 0.08);
        action.CopyTo(inp.PanEnd);
    }

    public override void MapInputsBackward(int t, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters, ClothInputs bar,
        Span<double> actionAdjoint, Span<double> parameterAdjoint)
    {
        bar.PanEnd.CopyTo(actionAdjoint);
        parameterAdjoint.Clear();
    }

    public override double TerminalCost(ReadOnlySpan<double> state) => ClothLoss.MeanDistance(state, N, _extremes, _goals);

    public override void TerminalCostBackward(ReadOnlySpan<double> state, double costAdjoint, Span<double> stateAdjoint)
    {
        stateAdjoint.Clear();
        ClothLoss.MeanDistanceBackward(state, N, _extremes, _goals, costAdjoint, stateAdjoint);
    }

    public override IReadOnlyList<Vec3> Goals => Enumerable.Range(0, 4).Select(k => new Vec3(_goals[3 * k], _goals[3 * k + 1], _goals[3 * k + 2])).ToList();

    public const double Success = 0.025;

    public string Describe() =>
        $"Pancake flip (BO-Leap §3.7, DiffTaichi mass-spring pancake): a {Mesh.Nu}×{Mesh.Nv}-vertex 12 × 12 cm pancake (0.03 kg, stiffness 0.08 N per unit strain, μ = 0.4) " +
        $"lies in a pan of radius 0.2 m with a smooth rim (h = 3 cm·(ρ/R)⁴) at height {PanZ} m; x = the pan's (x, z, tilt) at the end of each of 5 segments of 0.2 s " +
        $"(15-D, linear interpolation inside a segment; bounds x ∈ [−0.25, 0.25] m, z ∈ [0.1, 0.7] m, tilt ∈ [−1.5, 1.5] rad; initial guess: the pan stays). " +
        $"{(Setup.Contact == ClothContact.Projection ? "Velocity-projection" : "Penalty")} contact with pan and floor, dt 1 ms. Loss = mean distance of the 4 edge-midpoint vertices " +
        $"to their flipped targets (mirrored in x about the pan's start position); success (flipped and back in the pan): loss < {Success} m.";
}
