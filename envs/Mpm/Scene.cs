namespace ContactOpt.Envs.Mpm;

/// <summary>
/// An immutable MLS-MPM scene: grid, time step, material, floor, primitives and the initial particle positions.
/// Frames (the state between substeps) are flat arrays of <see cref="FrameSize"/> doubles: x (3N), v (3N),
/// F (9N, row-major), C (9N), then the primitive positions (3P).
/// </summary>
public sealed class Scene
{
    public Scene(int gridSize, double dt, int substepsPerEnvStep, Material material, double floorFriction, double softness,
        IReadOnlyList<Primitive> primitives, double[] positions, double particleVolume, double gravityScale = 30)
    {
        if (gridSize < 8) throw new ArgumentOutOfRangeException(nameof(gridSize), gridSize, "grid must have at least 8 cells per axis.");
        if (!(dt > 0)) throw new ArgumentOutOfRangeException(nameof(dt), dt, "dt must be positive.");
        if (substepsPerEnvStep < 1) throw new ArgumentOutOfRangeException(nameof(substepsPerEnvStep));
        if (!(softness >= 0)) throw new ArgumentOutOfRangeException(nameof(softness), softness, "softness must be ≥ 0.");
        if (positions.Length % 3 != 0 || positions.Length == 0) throw new ArgumentException("positions must be 3N > 0 values.");
        N = gridSize; Dx = 1.0 / gridSize; InvDx = gridSize; Dt = dt; Substeps = substepsPerEnvStep;
        Material = material; FloorFriction = floorFriction; Softness = softness;
        Primitives = primitives.ToArray();
        foreach (var pr in Primitives)
            if ((pr.Rotates || pr.ActionDim > 0) && !pr.HasHessian)
                throw new ArgumentException($"a {pr.Kind} primitive can only be a fixed obstacle (its SDF has no Hessian for the contact adjoint).");
        Positions = (double[])positions.Clone();
        Particles = positions.Length / 3;
        PVol = particleVolume; PMass = particleVolume; GravityScale = gravityScale;
        Coefficients = Constitutive.Make(dt, material, PVol, PMass, Dx);
        int off = 0;
        ActionOffsets = new int[Primitives.Length];
        for (int k = 0; k < Primitives.Length; k++) { ActionOffsets[k] = off; off += Primitives[k].ActionDim; }
        ActionSize = off;
    }

    /// <summary>Cells per axis (nodes are 0..N−1, at i·dx).</summary>
    public int N { get; }
    public double Dx { get; }
    public double InvDx { get; }
    public double Dt { get; }
    /// <summary>MPM substeps per env step.</summary>
    public int Substeps { get; }
    public Material Material { get; }
    /// <summary>Floor (y) friction: ≥ 10 sticky, otherwise Coulomb with this coefficient (PlasticineLab's rule).</summary>
    public double FloorFriction { get; }
    public double Softness { get; }
    public Primitive[] Primitives { get; }
    public double[] Positions { get; }
    public int Particles { get; }
    public double PVol { get; }
    public double PMass { get; }
    public double GravityScale { get; }
    public Constitutive.Coefficients Coefficients { get; }
    /// <summary>Per-particle materials (liquid, rigid clusters; see EngineMaterials.cs); null: all plasticine.</summary>
    public ParticleMaterials? Materials { get; init; }
    public int[] ActionOffsets { get; }
    public int ActionSize { get; }
    public const int Bound = 3;

    public int FrameSize => 24 * Particles + 7 * Primitives.Length;
    public int VOffset => 3 * Particles;
    public int FOffset => 6 * Particles;
    public int COffset => 15 * Particles;
    public int PoseOffset => 24 * Particles;
    /// <summary>Offset of the primitive orientations (4 per primitive) in a frame.</summary>
    public int RotOffset => 24 * Particles + 3 * Primitives.Length;
    /// <summary>Doubles of the primitive poses in a frame (positions then orientations, from <see cref="PoseOffset"/>).</summary>
    public int PoseSize => 7 * Primitives.Length;
    /// <summary>Per-substep velocity channels: 3 per primitive (displacement or rolling pin), then 3 angular per primitive.</summary>
    public int VelocitySize => 6 * Primitives.Length;

    /// <summary>The initial frame: particles at rest (F = I, C = 0), primitives at their initial positions.</summary>
    public void InitialFrame(Span<double> frame)
    {
        frame.Clear();
        Positions.CopyTo(frame);
        for (int p = 0; p < Particles; p++) { int o = FOffset + 9 * p; frame[o] = 1; frame[o + 4] = 1; frame[o + 8] = 1; }
        for (int k = 0; k < Primitives.Length; k++)
        {
            Primitives[k].InitialPosition.Store(frame, PoseOffset + 3 * k);
            Primitives[k].InitialRotation.Store(frame, RotOffset + 4 * k);
        }
    }
}
