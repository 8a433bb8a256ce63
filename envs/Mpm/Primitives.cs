namespace ContactOpt.Envs.Mpm;

/// <summary>Shapes of the rigid primitives (PlasticineLab's local-frame SDFs).</summary>
public enum ShapeKind { Sphere, Capsule, Cylinder, Torus, Ladle }

/// <summary>How a primitive's pose follows its action channels (PlasticineLab's forward_kinematics).</summary>
public enum Motion
{
    /// <summary>3 channels: position_{f+1} = clamp(position_f + v_f); the orientation stays fixed.</summary>
    Translate,
    /// <summary>6 channels: translation as <see cref="Translate"/>, then rotation_{f+1} = quat(w_f) ⊗ rotation_f (world frame), renormalised.</summary>
    Rotate,
    /// <summary>
    /// PlasticineLab's RollingPin, 3 channels (roll, yaw, dy): rotation_{f+1} = quat(−yaw·ŷ) ⊗ (rotation_f ⊗ quat(roll·ŷ)),
    /// each product renormalised (roll about the pin's own axis, yaw about world y); the pin translates by
    /// 0.03·roll·(ŷ × R_f(−ŷ)) (rolling without slip at radius 0.03) plus dy vertically, clamped to the bounds.
    /// </summary>
    RollingPin,
}

/// <summary>
/// A rigid primitive (manipulator or fixed obstacle): shape, initial orientation (unit quaternion, w first),
/// PlasticineLab's soft contact (softness, friction), position bounds, action scale (maximum displacement per env
/// step per axis; for a rolling pin the scales of roll, yaw and dy) and, for <see cref="Motion.Rotate"/>, the
/// angular scale (maximum rotation per env step about each world axis, radians).
/// The normal is the exact gradient of the SDF (lengths use √(x·x + 1e-14) as PlasticineLab's).
/// A primitive that does not rotate keeps its fixed orientation out of the frame (the engine's original path);
/// a rotating one reads its quaternion from the frame (<see cref="Scene.RotOffset"/>).
/// </summary>
public sealed record Primitive(ShapeKind Kind, double A, double B, V3 InitialPosition, double Friction, V3 ActionScale,
    V3 Lower, V3 Upper, double Qw = 1, double Qx = 0, double Qy = 0, double Qz = 0, Motion Motion = Motion.Translate, V3 AngularScale = default)
{
    /// <summary>Action channels (3 for a translating primitive or a rolling pin, 6 for a rotating one, 0 for a fixed one).</summary>
    public int ActionDim => Motion == Motion.Rotate ? 6 : Motion == Motion.RollingPin || ActionScale.Norm2 > 0 ? 3 : 0;
    /// <summary>True when the orientation changes during an episode (read from the frame).</summary>
    public bool Rotates => Motion != Motion.Translate;
    public M3 Rotation { get; } = M3.FromQuaternion(Qw, Qx, Qy, Qz);
    /// <summary>The initial orientation, normalised.</summary>
    public Quat InitialRotation { get; } = new Quat(Qw, Qx, Qy, Qz).Normalized();
    /// <summary>True when the orientation is the identity (local frame = world frame up to translation).</summary>
    public bool IsIdentity { get; } = Qw == 1 && Qx == 0 && Qy == 0 && Qz == 0;
    /// <summary>Shapes whose SDF Hessian is available, hence usable by a moving (and rotating) primitive.</summary>
    public bool HasHessian => Kind != ShapeKind.Cylinder;
    /// <summary>Rolling radius of PlasticineLab's RollingPin kinematics (hand-set there to 0.03).</summary>
    public const double RollRadius = 0.03;
    const double Eps = 1e-14;

    /// <summary>SDF at a local point q: distance d, gradient g and Hessian h (h is 0 for the cylinder, used fixed only).</summary>
    public void Local(V3 q, out double d, out V3 g, out M3 h) => Eval(q, true, out d, out g, out h);

    /// <summary>As <see cref="Local(V3, out double, out V3, out M3)"/> without the Hessian (the forward grid update needs none): the same d and g bits.</summary>
    public void Local(V3 q, out double d, out V3 g) => Eval(q, false, out d, out g, out _);

    void Eval(V3 q, bool hessian, out double d, out V3 g, out M3 h)
    {
        h = default;
        switch (Kind)
        {
            case ShapeKind.Sphere:
            {
                double l = Math.Sqrt(q.Norm2 + Eps);
                d = l - A; g = (1 / l) * q;
                if (hessian) h = (1 / l) * (M3.Identity - M3.Outer(g, g));
                return;
            }
            case ShapeKind.Capsule:
            {
                // Segment along local y from −A/2 to +A/2 (A = length h), radius B.
                double half = 0.5 * A;
                double cy = Math.Clamp(q.Y, -half, half);
                bool end = q.Y > half || q.Y < -half;
                var p = new V3(q.X, q.Y - cy, q.Z);
                double l = Math.Sqrt(p.Norm2 + Eps);
                d = l - B; g = (1 / l) * p;
                if (hessian) h = (1 / l) * (M3.Identity - M3.Outer(g, g));
                if (!end) { h.A01 = h.A10 = h.A11 = h.A12 = h.A21 = 0; g.Y = 0; }
                return;
            }
            case ShapeKind.Torus:
            {
                // Ring in the local xz plane: major radius A, tube radius B.
                double rho = Math.Sqrt(q.X * q.X + q.Z * q.Z + Eps);
                double a = rho - A, b = q.Y;
                double l2 = Math.Sqrt(a * a + b * b + Eps);
                d = l2 - B;
                double al = a / l2, be = b / l2;
                double ex = q.X / rho, ez = q.Z / rho;
                g = new V3(al * ex, be, al * ez);
                if (!hessian) return;
                double l3 = l2 * l2 * l2, r3 = rho * rho * rho;
                double alA = 1 / l2 - a * a / l3, alB = -a * b / l3, beB = 1 / l2 - b * b / l3;
                h = new M3
                {
                    A00 = alA * ex * ex + al * (1 / rho - q.X * q.X / r3),
                    A02 = alA * ex * ez - al * q.X * q.Z / r3,
                    A01 = alB * ex,
                    A11 = beB,
                    A12 = alB * ez,
                    A22 = alA * ez * ez + al * (1 / rho - q.Z * q.Z / r3),
                };
                h.A10 = h.A01; h.A20 = h.A02; h.A21 = h.A12;
                return;
            }
            case ShapeKind.Ladle:
                // Hemispherical bowl shell open towards +y: mid radius A, half-thickness B (LadleShape.cs).
                LadleShape.Bowl(q, A, B, out d, out g, out h);
                return;
            default:
            {
                // Cylinder with axis local y: radial half-size A, half-height B (PlasticineLab's h and r).
                double rho = Math.Sqrt(q.X * q.X + q.Z * q.Z + Eps);
                double d0 = rho - A, d1 = Math.Abs(q.Y) - B;
                double sy = q.Y >= 0 ? 1 : -1;
                var er = new V3(q.X / rho, 0, q.Z / rho);
                double o0 = Math.Max(d0, 0), o1 = Math.Max(d1, 0);
                double lo = Math.Sqrt(o0 * o0 + o1 * o1 + Eps);
                d = Math.Min(Math.Max(d0, d1), 0) + lo;
                if (d0 <= 0 && d1 <= 0) g = d0 > d1 ? er : new V3(0, sy, 0);
                else g = (o0 / lo) * er + new V3(0, sy * o1 / lo, 0);
                h = new M3();
                return;
            }
        }
    }

    /// <summary>As <see cref="World(V3, V3, in M3, bool, out double, out V3, out M3)"/> without the Hessian: the same d and n bits.</summary>
    public void World(V3 x, V3 p, in M3 r, bool identity, out double d, out V3 n)
    {
        var q = identity ? x - p : r.TMul(x - p);
        Eval(q, false, out d, out var g, out _);
        n = identity ? g : r * g;
    }

    /// <summary>World SDF of a point x for the primitive at position p: d, world normal n and world Hessian.</summary>
    public void World(V3 x, V3 p, in M3 r, bool identity, out double d, out V3 n, out M3 hw)
    {
        var q = identity ? x - p : r.TMul(x - p);
        Local(q, out d, out var g, out var h);
        if (identity) { n = g; hw = h; }
        else { n = r * g; hw = r * h * r.T; }
    }
}
