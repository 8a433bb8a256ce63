using System.Globalization;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.Cloth;

/// <summary>What the swing task's decision x sets (the paper's parameter setups).</summary>
public enum SwingSetup { Stiffness, Velocity, Anchor, Size }

/// <summary>Which final-configuration loss the swing task uses (the paper's three variants).</summary>
public enum SwingLoss { Com, Corner, Mesh }

/// <summary>
/// BO-Leap's Swing (DiffTaichi mass-spring cloth): two anchors hold the top corners of a 20 × 20 cm cloth hanging in
/// the y–z plane, swing it forward and down with a fixed motion and release it at 0.5 s; the cloth flies onto the
/// floor and settles until 1.2 s. One control segment whose action is the setup's parameters; the goal is the final
/// configuration produced by a hidden reference action (so a zero loss is reachable).
/// </summary>
public sealed class SwingDynamics : ClothDynamics
{
    public const double ReleaseAt = 0.5, Height = 0.32, Forward = 0.3, Down = 0.12;
    public const int KnotCount = 4;
    readonly SwingSetup _setup;
    readonly SwingLoss _loss;
    readonly Box _bounds, _sampling;
    readonly double[] _default;
    readonly double[]? _target;   // null only while it is being computed
    readonly double _k0 = 0.5, _mass = 0.05, _mu = 0.5;

    public SwingDynamics(SwingSetup setup, SwingLoss loss, int resolution, int patchesU, int patchesV, ClothContact contact, double smoothing = 0.05)
        : base(Scene(resolution, patchesU, patchesV, contact, smoothing))
    {
        _setup = setup; _loss = loss;
        (_bounds, _sampling, _default) = setup switch
        {
            SwingSetup.Stiffness => (new Box(0.1, 1.0, Mesh.Patches), new Box(0.1, 1.0, Mesh.Patches), Enumerable.Repeat(_k0, Mesh.Patches).ToArray()),
            SwingSetup.Velocity => (new Box(-1.0, 1.0, 3), new Box(-1.0, 1.0, 3), new double[3]),
            SwingSetup.Anchor => (new Box(0.25, 2.0, KnotCount), new Box(0.25, 2.0, KnotCount), Enumerable.Repeat(1.0, KnotCount).ToArray()),
            _ => (new Box(0.12, 0.28, 2), new Box(0.12, 0.28, 2), [0.2, 0.2]),
        };
        _target = FinalState(ReferenceAction());
    }

    static ClothSetup Scene(int res, int pu, int pv, ClothContact contact, double smoothing)
    {
        var mesh = new ClothMesh(res, res, pu, pv);
        int n = mesh.Vertices;
        var x = new double[3 * n];
        for (int i = 0; i < n; i++)
        {
            x[i] = 0; x[n + i] = -0.1 + 0.2 * mesh.U(i); x[2 * n + i] = Height - 0.2 * mesh.V(i);
        }
        return new ClothSetup
        {
            Mesh = mesh, InitialPositions = x, AxisU = 1, AxisV = 2, Dt = 1e-3, Substeps = 1200, Segments = 1,
            Contact = contact, ContactSmoothing = smoothing, Driven = [0, res - 1], ReleaseTime = ReleaseAt, Knots = KnotCount,
            BaseDrive = tau => new Vec3(2 * Forward * tau / (ReleaseAt * ReleaseAt), 0, -2 * Down * tau / (ReleaseAt * ReleaseAt)),
            Drag = 0.5, ReferenceMass = 0.05,
        };
    }

    public SwingSetup ParameterSetup => _setup;
    public SwingLoss LossKind => _loss;
    public override int ActionSize => _bounds.Size;
    public override Box ActionBounds => _bounds;
    public override Box ActionSamplingBox => _sampling;
    public override void InitialGuess(int t, Span<double> action) => _default.CopyTo(action);

    /// <summary>The hidden action whose final configuration is the goal.</summary>
    public double[] ReferenceAction()
    {
        switch (_setup)
        {
            case SwingSetup.Stiffness:
                var rng = Rng.Create(13);
                return Enumerable.Range(0, Mesh.Patches).Select(_ => 0.15 + 0.75 * rng.NextDouble()).ToArray();
            case SwingSetup.Velocity: return [0.4, 0.2, 0.3];
            case SwingSetup.Anchor: return [1.3, 0.8, 1.2, 0.9];
            default: return [0.16, 0.24];
        }
    }

    /// <summary>The final state of the episode with action a.</summary>
    public double[] FinalState(double[] a)
    {
        using var tape = new SegmentTape(this);
        var s0 = new double[StateSize];
        InitialState(s0, Rng.Create(0));
        tape.Reset(s0, [], record: false);
        tape.Advance(a);
        return tape.State.ToArray();
    }

    public double[] TargetState => (double[])_target!.Clone();

    public override void MapInputs(int t, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters, ClothInputs inp)
    {
        inp.Width = 0.2; inp.Length = 0.2; inp.Mass = _mass; inp.Friction = _mu;
        Array.Fill(inp.Stiffness, _k0);
        Array.Fill(inp.Knots, 1.0);
        switch (_setup)
        {
            case SwingSetup.Stiffness: action.CopyTo(inp.Stiffness); break;
            case SwingSetup.Velocity: action.CopyTo(inp.InitialVelocity); break;
            case SwingSetup.Anchor: action.CopyTo(inp.Knots); break;
            default: inp.Width = action[0]; inp.Length = action[1]; break;
        }
    }

    public override void MapInputsBackward(int t, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters, ClothInputs bar,
        Span<double> actionAdjoint, Span<double> parameterAdjoint)
    {
        switch (_setup)
        {
            case SwingSetup.Stiffness: bar.Stiffness.CopyTo(actionAdjoint); break;
            case SwingSetup.Velocity: bar.InitialVelocity.CopyTo(actionAdjoint); break;
            case SwingSetup.Anchor: bar.Knots.CopyTo(actionAdjoint); break;
            default: actionAdjoint[0] = bar.Width; actionAdjoint[1] = bar.Length; break;
        }
        parameterAdjoint.Clear();
    }

    int[] LossVertices => _loss == SwingLoss.Mesh ? Enumerable.Range(0, N).ToArray() : Mesh.Corners;

    double[] LossGoals()
    {
        var tgt = _target!; var v = LossVertices; var g = new double[3 * v.Length];
        for (int k = 0; k < v.Length; k++) for (int c = 0; c < 3; c++) g[3 * k + c] = tgt[c * N + v[k]];
        return g;
    }

    double[] ComGoal()
    {
        var c = CentreOfMass(_target!);
        return [c.X, c.Y, c.Z];
    }

    public override double TerminalCost(ReadOnlySpan<double> state) => _target is null ? 0 : _loss == SwingLoss.Com
        ? ClothLoss.CentreDistance(state, N, ComGoal())
        : ClothLoss.MeanDistance(state, N, LossVertices, LossGoals());

    public override void TerminalCostBackward(ReadOnlySpan<double> state, double costAdjoint, Span<double> stateAdjoint)
    {
        stateAdjoint.Clear();
        if (_target is null) return;
        if (_loss == SwingLoss.Com) ClothLoss.CentreDistanceBackward(state, N, ComGoal(), costAdjoint, stateAdjoint);
        else ClothLoss.MeanDistanceBackward(state, N, LossVertices, LossGoals(), costAdjoint, stateAdjoint);
    }

    public override IReadOnlyList<Vec3> Goals
    {
        get
        {
            if (_loss == SwingLoss.Com) { var g = ComGoal(); return [new Vec3(g[0], g[1], g[2])]; }
            var gs = LossGoals();
            return Enumerable.Range(0, gs.Length / 3).Select(k => new Vec3(gs[3 * k], gs[3 * k + 1], gs[3 * k + 2])).ToList();
        }
    }

    public string Describe()
    {
        string x = _setup switch
        {
            SwingSetup.Stiffness => $"the stiffness of {Mesh.PatchesU}×{Mesh.PatchesV} patches (N per unit strain) in [0.1, 1.0] (initial guess 0.5)",
            SwingSetup.Velocity => "the cloth's initial 3-D velocity in [−1, 1]³ m/s (initial guess 0)",
            SwingSetup.Anchor => $"the anchors' speed scale at {KnotCount} knots over the swing in [0.25, 2] (initial guess 1)",
            _ => "the cloth's width and length in [0.12, 0.28] m (initial guess 0.2 × 0.2)",
        };
        string loss = _loss switch
        {
            SwingLoss.Com => "distance of the final centre of mass to the goal's",
            SwingLoss.Corner => "mean distance of the 4 corners to their goals",
            _ => "mean vertex distance to the target mesh",
        };
        return $"Swing (BO-Leap §3.6, DiffTaichi mass-spring cloth): a {Mesh.Nu}×{Mesh.Nv}-vertex 0.2 × 0.2 m cloth (0.05 kg, μ = 0.5) hangs from two anchors " +
               $"at z = {Height} m that accelerate {Forward} m forward and {Down} m down and let go at {ReleaseAt} s; it lands on the floor and settles until 1.2 s " +
               $"(dt 1 ms, {(Setup.Contact == ClothContact.Projection ? "velocity-projection" : "penalty")} contact, Coulomb friction). x = {x}. " +
               $"Loss = {loss}, the goal being the final configuration of a hidden reference x; success: loss < {SuccessThreshold(_loss).ToString(CultureInfo.InvariantCulture)} m.";
    }

    public static double SuccessThreshold(SwingLoss loss) => loss == SwingLoss.Com ? 0.005 : 0.01;
}
