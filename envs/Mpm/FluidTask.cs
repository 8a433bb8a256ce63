using System.Globalization;
using ContactOpt.Rendering;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.Mpm;

/// <summary>A resolution preset of the fluid task.</summary>
public sealed record FluidPreset(string Name, int Grid, int SubstepsPerStep, int ControlSteps, double ParticlesPerCell, string Note,
    double Duration = FluidScene.Duration);

/// <summary>
/// The BO-Leap Fluid scene in metres (boleap.md §3.4): a 0.4 × 0.4 m tank (x right, y up, z forward), 0.2 m high,
/// filled to <see cref="LiquidDepth"/> with a viscous, weakly compressible syrup; a sugar cube denser than the syrup,
/// just submerged on the tank axis and sinking; a ladle (hemispherical bowl shell with a vertical handle) behind it.
/// The engine's domain [0, 1]³ holds the tank: its interior x, z ∈ [3dx, 1 − 3dx] (inside the engine's 3-cell walls)
/// is the 0.4 m tank, so 1 m = (1 − 6dx)/0.4 engine units, and y = 0 m is the engine floor at 3dx.
/// </summary>
public static class FluidScene
{
    public const double TankWidth = 0.4, TankHeight = 0.2, LiquidDepth = 0.1;
    /// <summary>
    /// Nominal cube edge (m). All particles have one mass, so the cube is an m × m × m lattice (m ≥ 3, chosen to come
    /// closest to this edge) whose spacing makes it <c>cube_density</c> times as dense as the syrup: its edge is
    /// m·spacing/∛density (4.4 cm at the default preset and density 1.15).
    /// </summary>
    public const double NominalCubeEdge = 0.044;
    /// <summary>Bowl mid-surface radius and half-thickness (m): inner radius 0.045 m, wall 0.032 m.</summary>
    public const double BowlRadius = 0.061, BowlHalfThickness = 0.016;
    public const double HandleRadius = 0.012, HandleLength = 0.12;
    /// <summary>Syrup: speed of sound (m/s) and kinematic viscosity (m²/s).</summary>
    public const double SoundSpeed = 2.5, Viscosity = 1e-2;
    public const double Gravity = 9.81;
    /// <summary>Episode duration (s) and the velocity of one parameter unit (m/s): x ∈ [−2, 2] is ±0.5 m/s.</summary>
    public const double Duration = 0.8, VelocityUnit = 0.25;
    /// <summary>Initial ladle offset behind the cube (m, along −z) and the gap under its bowl (m).</summary>
    public const double LadleBehind = 0.07, LadleGap = 0.006;
    public const double LadleFriction = 0.5, FloorFriction = 0.5;

    public static double Scale(int grid) => (1 - 6.0 / grid) / TankWidth;
    public static double Floor(int grid) => 3.0 / grid;

    /// <summary>Engine coordinates of a point given in tank metres.</summary>
    public static V3 ToEngine(int grid, double x, double y, double z)
    {
        double s = Scale(grid), f = Floor(grid);
        return new V3(f + s * x, f + s * y, f + s * z);
    }

    /// <summary>Tank metres of an engine point.</summary>
    public static V3 ToMetres(int grid, V3 e)
    {
        double s = Scale(grid), f = Floor(grid);
        return new V3((e.X - f) / s, (e.Y - f) / s, (e.Z - f) / s);
    }

    /// <summary>The scene: liquid particles first, then the cube's cluster; primitives 0 = bowl, 1 = handle.</summary>
    public static Scene Build(FluidPreset preset, double cubeDensity, double softness, double ladleBehind = LadleBehind, double? cubeBottom = null)
    {
        int n = preset.Grid;
        double s = Scale(n), dx = 1.0 / n;
        double dt = preset.Duration / (preset.ControlSteps * preset.SubstepsPerStep);
        // Cube lattice: m per axis at the liquid's spacing divided by ∛density (equal particle masses).
        double spacing = dx / Math.Cbrt(preset.ParticlesPerCell);
        var lo = ToEngine(n, 0, 0, 0); var hi = ToEngine(n, TankWidth, LiquidDepth, TankWidth);
        int nx = (int)Math.Round((hi.X - lo.X) / spacing), ny = (int)Math.Round((hi.Y - lo.Y) / spacing), nz = (int)Math.Round((hi.Z - lo.Z) / spacing);
        double sx = (hi.X - lo.X) / nx, sy = (hi.Y - lo.Y) / ny, sz = (hi.Z - lo.Z) / nz;
        int m = Math.Max(3, (int)Math.Round(NominalCubeEdge * s * Math.Cbrt(cubeDensity) / spacing));
        double cs = Math.Cbrt(sx * sy * sz / cubeDensity), half = 0.5 * m * cs;
        // The cube rests on the syrup's surface on the tank axis (dropped in: it sinks).
        var cubeC = ToEngine(n, TankWidth / 2, cubeBottom ?? LiquidDepth, TankWidth / 2) + new V3(0, half, 0);
        var bowl = LadleStart(n, ladleBehind);
        var bowlShape = new Primitive(ShapeKind.Ladle, BowlRadius * s, BowlHalfThickness * s, bowl, LadleFriction, new V3(0, 1, 1), bowl, bowl);
        var handleOffset = new V3(0, (HandleLength / 2 + 0.01) * s, -BowlRadius * s);
        var handleShape = new Primitive(ShapeKind.Capsule, HandleLength * s, HandleRadius * s, bowl + handleOffset, LadleFriction, new V3(0, 1, 1), bowl, bowl);
        // Liquid: a jittered lattice with the preset's particles per cell, outside the ladle (by half a cell); its lowest
        // layer sits at the floor plane y = 3dx, whose stencils reach the floor nodes (else the bottom layer slumps by half a cell).
        var rng = new Random(0);
        var x = new List<double>();
        for (int k = 0; k < nz; k++)
            for (int j = 0; j < ny; j++)
                for (int i = 0; i < nx; i++)
                {
                    var p = new V3(lo.X + (i + 0.5 + 0.3 * (rng.NextDouble() - 0.5)) * sx, lo.Y + (j + 0.3 * (rng.NextDouble() - 0.5)) * sy,
                        lo.Z + (k + 0.5 + 0.3 * (rng.NextDouble() - 0.5)) * sz);
                    bowlShape.World(p, bowl, M3.Identity, true, out double d0, out _, out _);
                    handleShape.World(p, bowl + handleOffset, M3.Identity, true, out double d1, out _, out _);
                    if (Math.Min(d0, d1) < 0.5 * dx) continue;
                    if (Math.Abs(p.X - cubeC.X) < half && Math.Abs(p.Y - cubeC.Y) < half && Math.Abs(p.Z - cubeC.Z) < half) continue;
                    x.Add(p.X); x.Add(p.Y); x.Add(p.Z);
                }
        int liquid = x.Count / 3;
        for (int k = 0; k < m; k++)
            for (int j = 0; j < m; j++)
                for (int i = 0; i < m; i++)
                {
                    x.Add(cubeC.X - half + (i + 0.5) * cs); x.Add(cubeC.Y - half + (j + 0.5) * cs); x.Add(cubeC.Z - half + (k + 0.5) * cs);
                }
        int total = x.Count / 3;
        var kinds = new ParticleKind[total];
        for (int p = 0; p < total; p++) kinds[p] = p < liquid ? ParticleKind.Liquid : ParticleKind.Rigid;
        double pVol = sx * sy * sz;   // density 1 for the liquid (mass = volume)
        double c = SoundSpeed * s, nu = Viscosity * s * s;
        var materials = new ParticleMaterials(kinds, new LiquidMaterial(c * c, nu), [new RigidCluster(liquid, total - liquid, sx * sy * sz / (cs * cs * cs))]);
        double bowlLowY = Floor(n) + (BowlRadius + BowlHalfThickness) * s + 1e-9;
        double wallIn = Floor(n) + (BowlRadius + BowlHalfThickness) * s, wallOut = 1 - 3 * dx - (BowlRadius + BowlHalfThickness) * s;
        var lower = new V3(bowl.X, bowlLowY, wallIn);
        var upper = new V3(bowl.X, 1 - 3 * dx - HandleLength * s, wallOut);
        var prims = new[]
        {
            new Primitive(ShapeKind.Ladle, BowlRadius * s, BowlHalfThickness * s, bowl, LadleFriction, new V3(0, 1, 1), lower, upper),
            new Primitive(ShapeKind.Capsule, HandleLength * s, HandleRadius * s, bowl + handleOffset, LadleFriction, new V3(0, 1, 1),
                lower + handleOffset, upper + handleOffset),
        };
        return new Scene(n, dt, preset.SubstepsPerStep, new Material(5000, 0.2, 50), FloorFriction, softness, prims, x.ToArray(), pVol,
            gravityScale: Gravity * s) { Materials = materials };
    }

    public static V3 LadleStart(int grid, double behind = LadleBehind) =>
        ToEngine(grid, TankWidth / 2, LadleGap + BowlRadius + BowlHalfThickness, TankWidth / 2 - behind);
}

/// <summary>
/// The fluid task as a kernel-route <see cref="Dynamics"/>: 5 segments × (forward–back, up–down) ladle velocity in
/// parameter units of <see cref="FluidScene.VelocityUnit"/> m/s, bounds [−2, 2]; 50 control steps of
/// <see cref="FluidPreset.SubstepsPerStep"/> MPM substeps; terminal loss on the final cube centre (x, y, z) in
/// metres: max(0, y_w − y) + 3·‖(x, z) − ladle‖ + ‖(x, z) − tank axis‖ (y_w = 0.2 m).
/// </summary>
public sealed class FluidDynamics : Dynamics, IMpmSegments
{
    readonly Box _bounds = new(-2.0, 2.0, 2);
    public const double Bound = 2.0;

    public FluidDynamics(Scene scene, FluidPreset preset, int segments)
    {
        if (segments < 1 || preset.ControlSteps % segments != 0)
            throw new ArgumentException($"segments={segments} must divide the {preset.ControlSteps} control steps of preset {preset.Name}.");
        if (scene.Materials is not { Clusters.Length: 1 }) throw new ArgumentException("the fluid scene needs exactly one rigid cluster (the cube).");
        Scene = scene; Preset = preset; Segments = segments; StepsPerSegment = preset.ControlSteps / segments;
        Cube = scene.Materials.Clusters[0];
    }

    public Scene Scene { get; }
    public FluidPreset Preset { get; }
    public int Segments { get; }
    public int StepsPerSegment { get; }
    int IMpmSegments.EnvStepsPerSegment => StepsPerSegment;

    /// <summary>Memory budget (bytes) of a workspace's substep store, as <see cref="MpmDynamics.StoreBudgetBytes"/> (default 1 GiB).</summary>
    public long StoreBudgetBytes { get; init; } = MpmStore.DefaultBudgetBytes;
    /// <summary>Bytes of the substep frames and records of one whole episode.</summary>
    public long StoreBytesPerEpisode => MpmStore.BytesPerEpisode(Scene, Segments, StepsPerSegment);
    /// <summary>Whether a workspace keeps the recorded forward's substeps (see <see cref="StoreBudgetBytes"/>).</summary>
    public bool StoresEpisode => StoreBytesPerEpisode <= StoreBudgetBytes;
    public RigidCluster Cube { get; }
    public int LiquidParticles => Cube.Start;

    /// <summary>The cube's edge (m) from its lattice: extent along x of its particles × m/(m − 1).</summary>
    public double CubeEdge
    {
        get
        {
            double lo = double.MaxValue, hi = double.MinValue;
            for (int p = Cube.Start; p < Cube.Start + Cube.Count; p++) { lo = Math.Min(lo, Scene.Positions[3 * p]); hi = Math.Max(hi, Scene.Positions[3 * p]); }
            double m = Math.Round(Math.Cbrt(Cube.Count));
            return (hi - lo) * m / (m - 1) / FluidScene.Scale(Scene.N);
        }
    }

    public override int StateSize => Scene.FrameSize;
    public override int ActionSize => 2;
    public override int Horizon => Segments;
    public override int ObservationSize => 9;
    public override Box ActionBounds => _bounds;
    public override Box ActionSamplingBox => _bounds;
    public override void InitialGuess(int t, Span<double> action) => action.Clear();
    public override void InitialState(Span<double> state, Random rng) => InitialFrame(state);
    public override int TraceEvery => Scene.Substeps;
    public override SegmentWorkspace CreateWorkspace(WorkspaceOptions? options = null) => new FluidWorkspace(this, options);

    /// <summary>Initial frame: everything at rest, J of the syrup's and the cube's particles at its hydrostatic value J = 1 − g·depth/c².</summary>
    public void InitialFrame(Span<double> frame)
    {
        Scene.InitialFrame(frame);
        double surface = FluidScene.ToEngine(Scene.N, 0, FluidScene.LiquidDepth, 0).Y;
        double c2 = Scene.Materials!.Liquid.Bulk;
        for (int p = 0; p < Scene.Particles; p++)
            frame[Scene.FOffset + 9 * p] = 1 - Scene.GravityScale * Math.Max(0, surface - frame[3 * p + 1]) / c2;
    }

    /// <summary>Per-substep displacement of both ladle primitives for an action (forward–back, up–down).</summary>
    public void Velocities(ReadOnlySpan<double> action, double[] velocity)
    {
        double k = FluidScene.VelocityUnit * FluidScene.Scale(Scene.N) * Scene.Dt;
        double fb = Math.Clamp(action[0], -Bound, Bound) * k, ud = Math.Clamp(action[1], -Bound, Bound) * k;
        for (int i = 0; i < 2; i++) { velocity[3 * i] = 0; velocity[3 * i + 1] = ud; velocity[3 * i + 2] = fb; }
    }

    /// <summary>Adjoint of <see cref="Velocities"/> (summed over the primitives).</summary>
    public void VelocitiesBackward(ReadOnlySpan<double> action, ReadOnlySpan<double> velocityBar, Span<double> actionBar)
    {
        double k = FluidScene.VelocityUnit * FluidScene.Scale(Scene.N) * Scene.Dt;
        actionBar[0] = Math.Abs(action[0]) > Bound ? 0 : k * (velocityBar[2] + velocityBar[5]);
        actionBar[1] = Math.Abs(action[1]) > Bound ? 0 : k * (velocityBar[1] + velocityBar[4]);
    }

    /// <summary>Cube centre (engine units) of a state.</summary>
    public V3 CubeCentre(ReadOnlySpan<double> state)
    {
        var c = new V3();
        for (int p = Cube.Start; p < Cube.Start + Cube.Count; p++) c += V3.Load(state, 3 * p);
        return (1.0 / Cube.Count) * c;
    }

    /// <summary>The terms of the loss at a state: height, ladle distance, axis distance (metres).</summary>
    public (double Height, double Ladle, double Axis) LossTerms(ReadOnlySpan<double> state)
    {
        var c = FluidScene.ToMetres(Scene.N, CubeCentre(state));
        var l = FluidScene.ToMetres(Scene.N, V3.Load(state, Scene.PoseOffset));
        double h = Math.Max(0, FluidScene.TankHeight - c.Y);
        double dl = Math.Sqrt((c.X - l.X) * (c.X - l.X) + (c.Z - l.Z) * (c.Z - l.Z) + Eps);
        double ax = Math.Sqrt((c.X - FluidScene.TankWidth / 2) * (c.X - FluidScene.TankWidth / 2) + (c.Z - FluidScene.TankWidth / 2) * (c.Z - FluidScene.TankWidth / 2) + Eps);
        return (h, dl, ax);
    }

    const double Eps = 1e-12;
    public const double LadleWeight = 3;

    public double Loss(ReadOnlySpan<double> state)
    {
        var (h, dl, ax) = LossTerms(state);
        return h + LadleWeight * dl + ax;
    }

    /// <summary>∂loss/∂state (overwritten).</summary>
    public void LossBackward(ReadOnlySpan<double> state, double bar, Span<double> stateBar)
    {
        stateBar.Clear();
        int n = Scene.N;
        double s = FluidScene.Scale(n);
        var c = FluidScene.ToMetres(n, CubeCentre(state));
        var l = FluidScene.ToMetres(n, V3.Load(state, Scene.PoseOffset));
        double dl = Math.Sqrt((c.X - l.X) * (c.X - l.X) + (c.Z - l.Z) * (c.Z - l.Z) + Eps);
        double cx = c.X - FluidScene.TankWidth / 2, cz = c.Z - FluidScene.TankWidth / 2;
        double ax = Math.Sqrt(cx * cx + cz * cz + Eps);
        // ∂loss/∂(cube centre, ladle) in metres, then engine units (÷ s).
        var gc = new V3(LadleWeight * (c.X - l.X) / dl + cx / ax, FluidScene.TankHeight - c.Y > 0 ? -1 : 0, LadleWeight * (c.Z - l.Z) / dl + cz / ax);
        var gl = new V3(-LadleWeight * (c.X - l.X) / dl, 0, -LadleWeight * (c.Z - l.Z) / dl);
        gc = (bar / s / Cube.Count) * gc; gl = (bar / s) * gl;
        for (int p = Cube.Start; p < Cube.Start + Cube.Count; p++) gc.Store(stateBar, 3 * p);
        gl.Store(stateBar, Scene.PoseOffset);
    }

    public override Frame RenderState(ReadOnlySpan<double> state, ReadOnlySpan<double> action, string? label = null) =>
        FluidRenderer.Render(this, state, label);
}

/// <summary>
/// Mutable side of the fluid task: the shared MPM segment loop and substep store (<see cref="MpmSegmentWorkspace"/>;
/// the ladle's displacements come from <see cref="FluidDynamics.Velocities"/>, the rigid projection runs inside the
/// engine's substep), no running cost, the terminal loss of <see cref="FluidDynamics.Loss"/>.
/// </summary>
public sealed class FluidWorkspace : MpmSegmentWorkspace
{
    readonly FluidDynamics _d;

    public FluidWorkspace(FluidDynamics dynamics, WorkspaceOptions? options) : base(dynamics, dynamics, options) => _d = dynamics;

    protected override double TerminalForward(ReadOnlySpan<double> state, ReadOnlySpan<double> parameters) => _d.Loss(state);

    protected override void TerminalBackward(ReadOnlySpan<double> state, ReadOnlySpan<double> parameters, double costAdjoint,
        Span<double> stateAdjoint, Span<double> parameterAdjoint)
    {
        _d.LossBackward(state, costAdjoint, stateAdjoint);
        parameterAdjoint.Clear();
    }

    /// <summary>Observation: cube centre, cube mean velocity, bowl position (engine units).</summary>
    public override void Observe(ReadOnlySpan<double> state, Span<double> observation)
    {
        var cube = _d.Cube;
        int vo = _d.Scene.VOffset;
        var c = new V3(); var v = new V3();
        for (int p = cube.Start; p < cube.Start + cube.Count; p++) { c += V3.Load(state, 3 * p); v += V3.Load(state, vo + 3 * p); }
        ((1.0 / cube.Count) * c).Store(observation, 0);
        ((1.0 / cube.Count) * v).Store(observation, 3);
        for (int i = 0; i < 3; i++) observation[6 + i] = state[_d.Scene.PoseOffset + i];
    }

    public override void ObserveBackward(ReadOnlySpan<double> state, ReadOnlySpan<double> observationAdjoint, Span<double> stateAdjoint)
    {
        stateAdjoint.Clear();
        var cube = _d.Cube;
        int vo = _d.Scene.VOffset;
        var gc = (1.0 / cube.Count) * V3.Load(observationAdjoint, 0);
        var gv = (1.0 / cube.Count) * V3.Load(observationAdjoint, 3);
        for (int p = cube.Start; p < cube.Start + cube.Count; p++) { gc.Store(stateAdjoint, 3 * p); gv.Store(stateAdjoint, vo + 3 * p); }
        for (int i = 0; i < 3; i++) stateAdjoint[_d.Scene.PoseOffset + i] = observationAdjoint[6 + i];
    }
}
