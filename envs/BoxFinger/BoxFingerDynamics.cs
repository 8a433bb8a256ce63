using System.Runtime.CompilerServices;
using ContactOpt.Autodiff;
using ContactOpt.Rendering;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.BoxFinger;

/// <summary>How the rotational part of the box-corner velocities is computed.</summary>
public enum CornerVelocity
{
    /// <summary>As in the reference code: θ̇·√2·h along the corner directions (√2 too large); reproduces the paper.</summary>
    Reference,
    /// <summary>Physically correct ω × r (θ̇·h per component).</summary>
    Corrected,
}

/// <summary>
/// The planar box-and-point-fingers simulator of Dawson, "A Tale of Two Gradients" (2021), faithful to the
/// reference code (see research/flip-grasp.md): penalty contact with damping and no clamping, regularised
/// Coulomb friction, the offset signed distance and its quadrant normals, explicit Euler with dt = 1 ms.
/// State: box (x, z, θ, ẋ, ż, θ̇) then per finger (x, z, ẋ, ż). Action: one constant (x, z) setpoint per
/// finger, held for the whole episode (one segment of rows − 1 substeps).
/// Declared physical parameters: box mass, dynamic friction μ_d and contact stiffness k_c (the contact
/// damping 2√(m_b·k_c) and the box inertia m_b·s²/6 follow from them, as in the code).
/// </summary>
public abstract class BoxFingerDynamics : ScalarDynamics, ISideView
{
    public override Frame RenderState(ReadOnlySpan<double> state, ReadOnlySpan<double> action, string? label = null) =>
        SideView.Render(this, state, action, label);

    // Constants of the reference code.
    public const double Dt = 1e-3;
    public const double HalfSide = 0.25;
    public const double FingerMass = 0.1;
    public const double FingerDamping = 2.0;   // k_d: 2.0 for both tasks in the code (the paper says 2√(m k_p)).
    public const double Gravity = 9.81;
    public const double StickSlope = 2.0;      // c, s/m: μ = c·v_t in the stick region.
    public const double SdfFloor = 1e-3;       // the offset in the signed distance (≈1.41 mm of free penetration).
    public const double TangentOffset = 1e-3;  // the offsets in the finger–box tangent norm.
    public const double DefaultBoxMass = 1.0, DefaultFriction = 0.7, DefaultContactStiffness = 1000.0;

    readonly int _fingers;
    readonly double _kp;
    readonly int _rows;
    readonly double _cornerRadius;
    readonly double[] _initial;
    readonly Box _bounds, _sampling;

    protected BoxFingerDynamics(int fingers, double kp, int rows, double[] initialState, double[] samplingLow, double[] samplingHigh, CornerVelocity cornerVelocity)
    {
        if (fingers is < 1 or > 2) throw new ArgumentOutOfRangeException(nameof(fingers));
        _fingers = fingers; _kp = kp; _rows = rows; _initial = initialState;
        CornerMode = cornerVelocity;
        _cornerRadius = cornerVelocity == CornerVelocity.Reference ? Math.Sqrt(2) * HalfSide : HalfSide;
        _bounds = new Box(double.NegativeInfinity, double.PositiveInfinity, 2 * fingers);
        _sampling = new Box(samplingLow, samplingHigh);
    }

    public CornerVelocity CornerMode { get; }

    /// <summary>The task option shared by flip and grasp.</summary>
    public static TaskOption CornerVelocityOption { get; } = new("corner_velocity", "reference",
        "reference: the code's √2-too-large rotational corner velocity (reproduces the paper); corrected: ω × r",
        ["reference", "corrected"]);

    public static CornerVelocity ParseCornerVelocity(TaskOptions o) =>
        o.GetString(CornerVelocityOption.Name) == "corrected" ? CornerVelocity.Corrected : CornerVelocity.Reference;
    public int Fingers => _fingers;
    /// <summary>Rows of the trajectory (initial state included): rows − 1 Euler steps.</summary>
    public int Rows => _rows;
    public double ControlStiffness => _kp;

    public override int StateSize => 6 + 4 * _fingers;
    public override int ActionSize => 2 * _fingers;
    public override int Horizon => 1;
    public override IReadOnlyList<string> ParameterNames => ["box_mass", "friction", "contact_stiffness"];
    public override double[] DefaultParameters() => [DefaultBoxMass, DefaultFriction, DefaultContactStiffness];
    /// <summary>Box mass 0.5–2 kg, friction coefficient 0.2–1.2, contact stiffness 500–2000 N/m (around Dawson's values).</summary>
    public override Box? ParameterBounds { get; } = new([0.5, 0.2, 500.0], [2.0, 1.2, 2000.0]);
    public override Box ActionBounds => _bounds;
    public override Box ActionSamplingBox => _sampling;
    public override void InitialState(Span<double> state, Random rng) => _initial.CopyTo(state);
    public override int TraceEvery => 10;

    struct BoxS<T> where T : struct, IScalar<T> { public T X, Z, Th, VX, VZ, W; }
    struct FingerS<T> where T : struct, IScalar<T> { public T X, Z, VX, VZ; }
    struct Phys<T> where T : struct, IScalar<T> { public T Mass, Inertia, Kc, Dc, Mu; public double SlipSpeed; }

    public override void Step<T>(Span<T> state, ReadOnlySpan<T> action, ReadOnlySpan<T> parameters, int t, StepTrace? trace)
    {
        var b = new BoxS<T> { X = state[0], Z = state[1], Th = state[2], VX = state[3], VZ = state[4], W = state[5] };
        var f1 = new FingerS<T> { X = state[6], Z = state[7], VX = state[8], VZ = state[9] };
        var f2 = _fingers == 2 ? new FingerS<T> { X = state[10], Z = state[11], VX = state[12], VZ = state[13] } : default;
        T sx1 = action[0], sz1 = action[1];
        T sx2 = _fingers == 2 ? action[2] : default, sz2 = _fingers == 2 ? action[3] : default;
        var p = MakePhys(parameters);
        int steps = _rows - 1;
        for (int k = 0; k < steps; k++)
        {
            if (trace is not null && k % trace.Every == 0 && k > 0) { Store(state, b, f1, f2); trace.Record<T>(state, action); }
            Substep(ref b, ref f1, ref f2, sx1, sz1, sx2, sz2, p);
        }
        Store(state, b, f1, f2);
        trace?.Record<T>(state, action);
    }

    void Store<T>(Span<T> s, in BoxS<T> b, in FingerS<T> f1, in FingerS<T> f2) where T : struct, IScalar<T>
    {
        s[0] = b.X; s[1] = b.Z; s[2] = b.Th; s[3] = b.VX; s[4] = b.VZ; s[5] = b.W;
        s[6] = f1.X; s[7] = f1.Z; s[8] = f1.VX; s[9] = f1.VZ;
        if (_fingers == 2) { s[10] = f2.X; s[11] = f2.Z; s[12] = f2.VX; s[13] = f2.VZ; }
    }

    static Phys<T> MakePhys<T>(ReadOnlySpan<T> q) where T : struct, IScalar<T>
    {
        T mass = q[0], mu = q[1], kc = q[2];
        return new Phys<T>
        {
            Mass = mass,
            Inertia = mass * (4 * HalfSide * HalfSide / 6.0),
            Kc = kc,
            Dc = 2.0 * T.Sqrt(mass * kc),
            Mu = mu,
            SlipSpeed = mu.Value / StickSlope,
        };
    }

    void Substep<T>(ref BoxS<T> b, ref FingerS<T> f1, ref FingerS<T> f2, T sx1, T sz1, T sx2, T sz2, in Phys<T> p)
        where T : struct, IScalar<T>
    {
        // 1. gravity
        T bfx = T.Constant(0), bfz = T.Constant(-Gravity) * p.Mass, tau = T.Constant(0);
        T f1x = T.Constant(0), f1z = T.Constant(-FingerMass * Gravity);
        T f2x = T.Constant(0), f2z = T.Constant(-FingerMass * Gravity);
        // 2. stiffness control on each finger
        Control(f1, sx1, sz1, ref f1x, ref f1z);
        if (_fingers == 2) Control(f2, sx2, sz2, ref f2x, ref f2z);
        // 3. ground: the box corners, then each finger
        var (s, c) = T.SinCos(b.Th);
        Corner(b, c, s, -HalfSide, +HalfSide, -1, -1, p, ref bfx, ref bfz, ref tau);
        Corner(b, c, s, +HalfSide, +HalfSide, -1, +1, p, ref bfx, ref bfz, ref tau);
        Corner(b, c, s, -HalfSide, -HalfSide, +1, -1, p, ref bfx, ref bfz, ref tau);
        Corner(b, c, s, +HalfSide, -HalfSide, +1, +1, p, ref bfx, ref bfz, ref tau);
        PointGround(f1.Z, f1.VX, f1.VZ, p, ref f1x, ref f1z);
        if (_fingers == 2) PointGround(f2.Z, f2.VX, f2.VZ, p, ref f2x, ref f2z);
        // 4. finger–box contacts, finger 1 first
        FingerBox(b, c, s, f1, p, ref f1x, ref f1z, ref bfx, ref bfz, ref tau);
        if (_fingers == 2) FingerBox(b, c, s, f2, p, ref f2x, ref f2z, ref bfx, ref bfz, ref tau);
        // 5. explicit Euler: positions with the old velocities
        b.X += Dt * b.VX; b.Z += Dt * b.VZ; b.Th += Dt * b.W;
        b.VX += Dt * (bfx / p.Mass); b.VZ += Dt * (bfz / p.Mass); b.W += Dt * (tau / p.Inertia);
        Euler(ref f1, f1x, f1z);
        if (_fingers == 2) Euler(ref f2, f2x, f2z);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void Control<T>(in FingerS<T> f, T sx, T sz, ref T fx, ref T fz) where T : struct, IScalar<T>
    {
        fx += _kp * (sx - f.X) - FingerDamping * f.VX;
        fz += _kp * (sz - f.Z) - FingerDamping * f.VZ;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Euler<T>(ref FingerS<T> f, T fx, T fz) where T : struct, IScalar<T>
    {
        f.X += Dt * f.VX; f.Z += Dt * f.VZ;
        f.VX += Dt * (fx * (1.0 / FingerMass)); f.VZ += Dt * (fz * (1.0 / FingerMass));
    }

    /// <summary>Ground force on a point at height z with velocity (vx, vz): (tangential, normal).</summary>
    static void GroundForce<T>(T z, T vx, T vz, in Phys<T> p, out T ft, out T fn) where T : struct, IScalar<T>
    {
        // φ = min(0, z); the normal force is not clamped at 0 and damping acts only while penetrating.
        fn = -(p.Kc * z) - p.Dc * vz;
        // Regularised Coulomb: stick slope c below ψ_s = μ_d / c, μ_d·sign(v_t) above.
        T mu = Math.Abs(vx.Value) <= p.SlipSpeed ? StickSlope * vx : p.Mu * Scalar.Sign(vx.Value);
        ft = -(mu * fn);
    }

    static void PointGround<T>(T z, T vx, T vz, in Phys<T> p, ref T fx, ref T fz) where T : struct, IScalar<T>
    {
        if (z.Value >= 0) return; // φ = 0: no force
        GroundForce(z, vx, vz, p, out var ft, out var fn);
        fx += ft; fz += fn;
    }

    void Corner<T>(in BoxS<T> b, T c, T s, double ox, double oz, double sx, double sz, in Phys<T> p,
        ref T bfx, ref T bfz, ref T tau) where T : struct, IScalar<T>
    {
        T rx = c * ox - s * oz, rz = s * ox + c * oz;
        T z = b.Z + rz;
        if (z.Value >= 0) return;
        // Corner velocity from rotation as coded: θ̇·r·(sign pattern), r = √2·h in the reference variant.
        T lx = b.W * (_cornerRadius * sx), lz = b.W * (_cornerRadius * sz);
        T vx = b.VX + (c * lx - s * lz), vz = b.VZ + (s * lx + c * lz);
        GroundForce(z, vx, vz, p, out var ft, out var fn);
        bfx += ft; bfz += fn;
        tau += rx * fn - rz * ft;
    }

    /// <summary>The reference signed distance of a point (box frame) to the box, before clipping at 0.</summary>
    public static T SignedDistance<T>(T px, T pz) where T : struct, IScalar<T>
    {
        T dx = Scalar.Max(-(px + HalfSide), px - HalfSide);
        T dz = Scalar.Max(-(pz + HalfSide), pz - HalfSide);
        T ox = Scalar.Max(dx, SdfFloor), oz = Scalar.Max(dz, SdfFloor);
        return Scalar.Min(Scalar.Max(dx, dz), 0.0) + T.Sqrt(ox * ox + oz * oz);
    }

    /// <summary>Signed distance of a world point to a box at (x, z, θ), as the simulator computes it.</summary>
    public static double SignedDistance(double boxX, double boxZ, double boxTheta, double x, double z)
    {
        double c = Math.Cos(boxTheta), s = Math.Sin(boxTheta), dx = x - boxX, dz = z - boxZ;
        return SignedDistance<Real>(c * dx + s * dz, -s * dx + c * dz).Value;
    }

    static void FingerBox<T>(in BoxS<T> b, T c, T s, in FingerS<T> f, in Phys<T> p,
        ref T ffx, ref T ffz, ref T bfx, ref T bfz, ref T tau) where T : struct, IScalar<T>
    {
        T dx = f.X - b.X, dz = f.Z - b.Z;
        T px = c * dx + s * dz, pz = c * dz - s * dx;          // Rᵀ(p_f − p_b)
        T phi = SignedDistance(px, pz);
        if (phi.Value >= 0) return;                           // φ ← min(0, φ) = 0: no force
        // Quadrant normal (box frame), constant for the gradient.
        bool A = pz.Value > -px.Value, B = pz.Value > px.Value;
        double nx = A && !B ? 1 : B && !A ? -1 : 0;
        double nz = A && B ? 1 : !A && !B ? -1 : 0;
        // Velocity of the finger relative to the box's material point, box frame.
        T dvx = f.VX - b.VX, dvz = f.VZ - b.VZ;
        T vrx = c * dvx + s * dvz + b.W * pz;
        T vrz = c * dvz - s * dvx - b.W * px;
        T vn = vrx * nx + vrz * nz;
        T vtx = vrx - vn * nx, vtz = vrz - vn * nz;
        T ex = vtx + TangentOffset, ez = vtz + TangentOffset;
        T offsetNorm = T.Sqrt(ex * ex + ez * ez);
        T fn = -(p.Kc * phi) - p.Dc * vn;
        T mux, muz;
        if (offsetNorm.Value <= p.SlipSpeed) { mux = StickSlope * vtx; muz = StickSlope * vtz; }
        else { T inv = p.Mu / (offsetNorm + TangentOffset); mux = inv * vtx; muz = inv * vtz; }
        T fbx = fn * nx - mux * fn, fbz = fn * nz - muz * fn;  // force on the finger, box frame
        T fx = c * fbx - s * fbz, fz = s * fbx + c * fbz;     // world frame
        ffx += fx; ffz += fz;
        bfx -= fx; bfz -= fz;
        tau += dx * (-fz) - dz * (-fx);
    }

    public virtual (int Width, int Height, double XMin, double XMax, double ZMin) View => (360, 270, -1.6, 1.1, -0.15);

    public void Draw(Canvas canvas, ReadOnlySpan<double> state, ReadOnlySpan<double> action)
    {
        canvas.Ground();
        canvas.RotatedBox(state[0], state[1], HalfSide, HalfSide, state[2], new Rgb(90, 140, 220), new Rgb(30, 60, 120));
        // A mark on the box's initial top face shows the rotation.
        double c = Math.Cos(state[2]), s = Math.Sin(state[2]);
        canvas.Line(state[0], state[1], state[0] - s * HalfSide, state[1] + c * HalfSide, new Rgb(30, 60, 120), 2);
        for (int i = 0; i < _fingers; i++)
        {
            if (action.Length >= 2 * i + 2) canvas.Cross(action[2 * i], action[2 * i + 1], new Rgb(200, 60, 60));
            canvas.Disc(state[6 + 4 * i], state[7 + 4 * i], 0.025, new Rgb(220, 40, 40));
        }
    }
}
