namespace ContactOpt.Envs.Mpm;

/// <summary>
/// A quaternion (w first, as PlasticineLab) with the operations the primitive kinematics need, each with its
/// adjoint beside it: Hamilton product, normalisation, the rotation of an axis-angle vector, a rotation about y
/// and the rotation matrix of the normalised quaternion.
/// </summary>
public readonly record struct Quat(double W, double X, double Y, double Z)
{
    public static Quat Identity => new(1, 0, 0, 0);
    public static Quat Load(ReadOnlySpan<double> s, int i) => new(s[i], s[i + 1], s[i + 2], s[i + 3]);
    public void Store(Span<double> s, int i) { s[i] = W; s[i + 1] = X; s[i + 2] = Y; s[i + 3] = Z; }
    public void AddTo(Span<double> s, int i) { s[i] += W; s[i + 1] += X; s[i + 2] += Y; s[i + 3] += Z; }
    public static Quat operator +(Quat a, Quat b) => new(a.W + b.W, a.X + b.X, a.Y + b.Y, a.Z + b.Z);
    public static Quat operator *(double s, Quat a) => new(s * a.W, s * a.X, s * a.Y, s * a.Z);
    public double Dot(Quat b) => W * b.W + X * b.X + Y * b.Y + Z * b.Z;
    public double Norm => Math.Sqrt(Dot(this));

    /// <summary>Hamilton product q ⊗ r (q applied after r).</summary>
    public static Quat Mul(Quat q, Quat r) => new(
        q.W * r.W - q.X * r.X - q.Y * r.Y - q.Z * r.Z,
        q.W * r.X + q.X * r.W + q.Y * r.Z - q.Z * r.Y,
        q.W * r.Y - q.X * r.Z + q.Y * r.W + q.Z * r.X,
        q.W * r.Z + q.X * r.Y - q.Y * r.X + q.Z * r.W);

    /// <summary>Adjoint of <see cref="Mul"/>: adds ∂/∂q and ∂/∂r of bar·(q ⊗ r).</summary>
    public static void MulBackward(Quat q, Quat r, Quat b, ref Quat qBar, ref Quat rBar)
    {
        qBar += new Quat(
            b.W * r.W + b.X * r.X + b.Y * r.Y + b.Z * r.Z,
            -b.W * r.X + b.X * r.W - b.Y * r.Z + b.Z * r.Y,
            -b.W * r.Y + b.X * r.Z + b.Y * r.W - b.Z * r.X,
            -b.W * r.Z - b.X * r.Y + b.Y * r.X + b.Z * r.W);
        rBar += new Quat(
            b.W * q.W + b.X * q.X + b.Y * q.Y + b.Z * q.Z,
            -b.W * q.X + b.X * q.W + b.Y * q.Z - b.Z * q.Y,
            -b.W * q.Y - b.X * q.Z + b.Y * q.W + b.Z * q.X,
            -b.W * q.Z + b.X * q.Y - b.Y * q.X + b.Z * q.W);
    }

    public Quat Normalized() { double n = Norm; return new Quat(W / n, X / n, Y / n, Z / n); }

    /// <summary>Adjoint of <see cref="Normalized"/> at q: (bar − u (u·bar)) / |q| with u = q/|q|.</summary>
    public static Quat NormalizedBackward(Quat q, Quat bar)
    {
        double n = q.Norm;
        var u = q.Normalized();
        double ub = u.Dot(bar);
        return new Quat((bar.W - u.W * ub) / n, (bar.X - u.X * ub) / n, (bar.Y - u.Y * ub) / n, (bar.Z - u.Z * ub) / n);
    }

    /// <summary>Rotation by the angle |w| about w/|w| (PlasticineLab's w2quat), smooth at w = 0 (series below |w| = 1e-2).</summary>
    public static Quat AxisAngle(V3 w)
    {
        AxisAngleTerms(w.Norm2, out double c, out double s, out _, out _);
        return new Quat(c, s * w.X, s * w.Y, s * w.Z);
    }

    /// <summary>Adjoint of <see cref="AxisAngle"/>.</summary>
    public static V3 AxisAngleBackward(V3 w, Quat bar)
    {
        AxisAngleTerms(w.Norm2, out _, out double s, out double dc, out double ds);
        var bv = new V3(bar.X, bar.Y, bar.Z);
        // q = (c(t), s(t)·w) with t = |w|²: ∂/∂w = s·bv + 2w·(bar.W·c'(t) + (bv·w)·s'(t)).
        return s * bv + (2 * (bar.W * dc + bv.Dot(w) * ds)) * w;
    }

    /// <summary>c = cos(θ/2), s = sin(θ/2)/θ and their derivatives with respect to t = θ².</summary>
    static void AxisAngleTerms(double t, out double c, out double s, out double dc, out double ds)
    {
        if (t < 1e-4)
        {
            c = 1 - t / 8 + t * t / 384;
            s = 0.5 - t / 48 + t * t / 3840;
            ds = -1.0 / 48 + t / 1920;
        }
        else
        {
            double th = Math.Sqrt(t);
            c = Math.Cos(0.5 * th);
            double sh = Math.Sin(0.5 * th);
            s = sh / th;
            ds = (0.5 * th * c - sh) / (2 * t * th);
        }
        dc = -s / 4;   // d cos(√t/2)/dt = −sin(θ/2)/(4θ)
    }

    /// <summary>Rotation by angle a about the y axis.</summary>
    public static Quat AboutY(double a) => new(Math.Cos(0.5 * a), 0, Math.Sin(0.5 * a), 0);

    /// <summary>Adjoint of <see cref="AboutY"/>: ∂/∂a of bar·q(a).</summary>
    public static double AboutYBackward(double a, Quat bar) => -0.5 * Math.Sin(0.5 * a) * bar.W + 0.5 * Math.Cos(0.5 * a) * bar.Y;

    /// <summary>Rotation matrix of q/|q| (<see cref="M3.FromQuaternion"/>).</summary>
    public M3 Matrix() => M3.FromQuaternion(W, X, Y, Z);

    /// <summary>Adjoint of <see cref="Matrix"/> at q (through the normalisation): ∂/∂q of ⟨rBar, R(q/|q|)⟩.</summary>
    public static Quat MatrixBackward(Quat q, in M3 b)
    {
        var u = q.Normalized();
        double w = u.W, x = u.X, y = u.Y, z = u.Z;
        double gw = 2 * (-z * b.A01 + y * b.A02 + z * b.A10 - x * b.A12 - y * b.A20 + x * b.A21);
        double gx = 2 * (y * b.A01 + z * b.A02 + y * b.A10 - 2 * x * b.A11 - w * b.A12 + z * b.A20 + w * b.A21 - 2 * x * b.A22);
        double gy = 2 * (-2 * y * b.A00 + x * b.A01 + w * b.A02 + x * b.A10 + z * b.A12 - w * b.A20 + z * b.A21 - 2 * y * b.A22);
        double gz = 2 * (-2 * z * b.A00 - w * b.A01 + x * b.A02 + w * b.A10 - 2 * z * b.A11 + y * b.A12 + x * b.A20 + y * b.A21);
        return NormalizedBackward(q, new Quat(gw, gx, gy, gz));
    }
}
