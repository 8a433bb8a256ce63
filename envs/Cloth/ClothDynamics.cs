using ContactOpt.Kernels;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.Cloth;

/// <summary>Which contact model the cloth uses against the floor and the pan.</summary>
public enum ClothContact
{
    /// <summary>
    /// Velocity projection, time-of-impact consistent: a vertex whose relative normal velocity would carry it through
    /// the surface within the substep gets the normal velocity −φ/dt that stops it on the surface (for a resting
    /// vertex: the normal component removed, as in the paper), with Coulomb friction. Continuous in the state.
    /// </summary>
    Projection,
    /// <summary>The paper's/DiffTaichi's naive rule: a vertex found penetrating with negative normal velocity loses the
    /// normal component and stays where it is (its resting depth depends on the substep it entered: a discontinuity).</summary>
    Naive,
    /// <summary>Penalty force −k_c·φ − k_d·min(v_n, 0) along the normal, with regularised Coulomb friction.</summary>
    Penalty,
}

/// <summary>The fixed part of a cloth scene (one per task instance; immutable once built).</summary>
public sealed record ClothSetup
{
    public required ClothMesh Mesh { get; init; }
    /// <summary>Width (along u) and length (along v) of the sheet in the initial state (m).</summary>
    public double Width0 { get; init; } = 0.2;
    public double Length0 { get; init; } = 0.2;
    /// <summary>World axes (0 = x, 1 = y, 2 = z) of the sheet's u and v directions in the initial state.</summary>
    public int AxisU { get; init; } = 0;
    public int AxisV { get; init; } = 1;
    /// <summary>Initial vertex positions (3N, structure of arrays).</summary>
    public required double[] InitialPositions { get; init; }
    public double Dt { get; init; } = 1e-3;
    /// <summary>Substeps per control segment.</summary>
    public int Substeps { get; init; } = 100;
    public int Segments { get; init; } = 1;
    public double Gravity { get; init; } = 9.81;
    /// <summary>Air drag rate (1/s): velocities are multiplied by exp(−drag·dt) every substep.</summary>
    public double Drag { get; init; } = 0.5;
    /// <summary>Stiffness-proportional spring damping β (s): damping force β·k·strain rate.</summary>
    public double Beta { get; init; } = 2e-4;
    /// <summary>Stiffness multipliers of structural, shear and bending springs.</summary>
    public double[] KindScale { get; init; } = [1.0, 0.5, 0.5];
    public ClothContact Contact { get; init; } = ClothContact.Projection;
    /// <summary>Width ε (m/s) of the smooth maximum in the TOI-consistent projection (0: the exact max, a kink at every contact switch).</summary>
    public double ContactSmoothing { get; init; }
    /// <summary>Penalty constants per unit vertex mass (k_c/m in 1/s², k_d/m in 1/s) and friction regularisation ε (m/s).</summary>
    public double PenaltyStiffness { get; init; } = 9e4;
    public double PenaltyDamping { get; init; } = 60;
    public double PenaltyEpsilon { get; init; } = 1e-3;
    public PanCollider? Pan { get; init; }
    /// <summary>Pan pose (x, z, tilt) at the start.</summary>
    public double[] PanStart { get; init; } = [0, 0, 0];
    /// <summary>Vertices whose velocity is prescribed (anchors, the lifted corner) until <see cref="ReleaseTime"/>.</summary>
    public int[] Driven { get; init; } = [];
    public double ReleaseTime { get; init; } = double.PositiveInfinity;
    /// <summary>Knots of the drive's speed profile over [0, ReleaseTime] (0: no profile).</summary>
    public int Knots { get; init; }
    /// <summary>Base drive velocity at time τ (scaled by the knot profile); null: none.</summary>
    public Func<double, Vec3>? BaseDrive { get; init; }
    /// <summary>Default vertex mass used to scale penalty constants (kg).</summary>
    public double ReferenceMass { get; init; } = 0.05;
}

/// <summary>The inputs of one segment after a task maps its action and parameters (also used for their adjoints).</summary>
public sealed class ClothInputs
{
    public ClothInputs(int patches, int knots) { Stiffness = new double[patches]; Knots = new double[knots]; }
    public double Width, Length, Mass, Friction;
    public double[] Stiffness { get; }
    public double[] InitialVelocity { get; } = new double[3];
    public double[] Knots { get; }
    public double[] DriveVelocity { get; } = new double[3];
    public double[] PanEnd { get; } = new double[3];

    public void Clear()
    {
        Width = Length = Mass = Friction = 0;
        Array.Clear(Stiffness); Array.Clear(InitialVelocity); Array.Clear(Knots); Array.Clear(DriveVelocity); Array.Clear(PanEnd);
    }
}

/// <summary>
/// A 3-D mass-spring cloth on the kernel route: state = positions (3N, SoA) ‖ velocities (3N, SoA) ‖ pan pose (x, z,
/// tilt) when the scene has a pan. A segment is <see cref="ClothSetup.Substeps"/> semi-implicit Euler substeps:
/// spring (+ penalty) forces, integration with drag, velocity-projection contact, prescribed velocities of driven
/// vertices, position update. At t = 0 the sheet is rescaled about vertex 0 to the segment's width and length and
/// given the initial velocity. Tasks map (action, parameters) to <see cref="ClothInputs"/> and define costs.
/// </summary>
public abstract class ClothDynamics : Dynamics
{
    protected ClothDynamics(ClothSetup setup)
    {
        Setup = setup;
        var m = setup.Mesh;
        if (setup.InitialPositions.Length != 3 * m.Vertices) throw new ArgumentException("initial positions must have 3N values.");
        if (!(setup.Dt > 0) || setup.Substeps < 1 || setup.Segments < 1) throw new ArgumentException("cloth dt, substeps and segments must be positive.");
        if (setup.Knots is 1 || (setup.Knots > 1 && setup.BaseDrive is null)) throw new ArgumentException("a drive profile needs ≥ 2 knots and a base drive.");
    }

    public ClothSetup Setup { get; }
    public ClothMesh Mesh => Setup.Mesh;
    public int N => Setup.Mesh.Vertices;
    public bool HasPan => Setup.Pan is not null;
    public override int StateSize => 6 * N + (HasPan ? 3 : 0);
    public override int Horizon => Setup.Segments;
    public double SegmentDuration => Setup.Substeps * Setup.Dt;
    public double Duration => Setup.Segments * SegmentDuration;

    public override void InitialState(Span<double> state, Random rng)
    {
        state.Clear();
        Setup.InitialPositions.CopyTo(state);
        if (HasPan) Setup.PanStart.CopyTo(state[(6 * N)..]);
    }

    public override bool IsDiverged(ReadOnlySpan<double> state)
    {
        foreach (var v in state) if (!double.IsFinite(v) || Math.Abs(v) > 100) return true;
        return false;
    }

    public override SegmentWorkspace CreateWorkspace(WorkspaceOptions? options = null) => new ClothWorkspace(this, options);

    /// <summary>Fills the segment's inputs from its action and the declared parameters.</summary>
    public abstract void MapInputs(int t, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters, ClothInputs inputs);

    /// <summary>Adjoint of <see cref="MapInputs"/>: overwrites ∂L/∂action and ∂L/∂parameters from the inputs' adjoints.</summary>
    public abstract void MapInputsBackward(int t, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters, ClothInputs inputsAdjoint,
        Span<double> actionAdjoint, Span<double> parameterAdjoint);

    /// <summary>Running cost of segment t from the state after it (default 0).</summary>
    public virtual double RunningCost(int t, ReadOnlySpan<double> next) => 0;
    /// <summary>Adds costAdjoint·∂(running cost)/∂next to <paramref name="nextAdjoint"/>.</summary>
    public virtual void RunningCostBackward(int t, ReadOnlySpan<double> next, double costAdjoint, Span<double> nextAdjoint) { }
    /// <summary>Terminal cost of the final state (default 0).</summary>
    public virtual double TerminalCost(ReadOnlySpan<double> state) => 0;
    /// <summary>Overwrites ∂(terminal cost)/∂state.</summary>
    public virtual void TerminalCostBackward(ReadOnlySpan<double> state, double costAdjoint, Span<double> stateAdjoint) => stateAdjoint.Clear();

    /// <summary>Speed profile weight of knot k at time τ (piecewise-linear hat functions over [0, ReleaseTime]).</summary>
    public double KnotWeight(int k, double tau)
    {
        int K = Setup.Knots;
        double s = Math.Clamp(tau / Setup.ReleaseTime, 0, 1) * (K - 1);
        return Math.Max(0, 1 - Math.Abs(s - k));
    }

    /// <summary>Centre of mass of a state.</summary>
    public Vec3 CentreOfMass(ReadOnlySpan<double> state)
    {
        int n = N; double x = 0, y = 0, z = 0;
        for (int i = 0; i < n; i++) { x += state[i]; y += state[n + i]; z += state[2 * n + i]; }
        return (1.0 / n) * new Vec3(x, y, z);
    }

    public override Rendering.Frame RenderState(ReadOnlySpan<double> state, ReadOnlySpan<double> action, string? label = null) =>
        ClothRenderer.Render(this, state, label);

    /// <summary>Points to draw as goals (world positions).</summary>
    public virtual IReadOnlyList<Vec3> Goals => [];
    public override int TraceEvery => Math.Max(1, Setup.Substeps * Setup.Segments / 64);
}
