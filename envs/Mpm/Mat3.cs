using System.Runtime.CompilerServices;

namespace ContactOpt.Envs.Mpm;

/// <summary>A 3-vector of doubles (value type, no allocation).</summary>
public struct V3
{
    public double X, Y, Z;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public V3(double x, double y, double z) { X = x; Y = y; Z = z; }
    public double this[int i]
    {
        readonly get => i == 0 ? X : i == 1 ? Y : Z;
        set { if (i == 0) X = value; else if (i == 1) Y = value; else Z = value; }
    }
    public static V3 operator +(V3 a, V3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);
    public static V3 operator -(V3 a, V3 b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);
    public static V3 operator -(V3 a) => new(-a.X, -a.Y, -a.Z);
    public static V3 operator *(double s, V3 a) => new(s * a.X, s * a.Y, s * a.Z);
    public static V3 operator *(V3 a, double s) => new(s * a.X, s * a.Y, s * a.Z);
    public readonly double Dot(V3 b) => X * b.X + Y * b.Y + Z * b.Z;
    public readonly V3 Cross(V3 b) => new(Y * b.Z - Z * b.Y, Z * b.X - X * b.Z, X * b.Y - Y * b.X);
    public readonly double Norm2 => X * X + Y * Y + Z * Z;
    public static V3 Load(ReadOnlySpan<double> s, int i) => new(s[i], s[i + 1], s[i + 2]);
    public readonly void Store(Span<double> s, int i) { s[i] = X; s[i + 1] = Y; s[i + 2] = Z; }
    public readonly void AddTo(Span<double> s, int i) { s[i] += X; s[i + 1] += Y; s[i + 2] += Z; }
}

/// <summary>A 3×3 matrix of doubles, row-major (value type, no allocation).</summary>
public struct M3
{
    public double A00, A01, A02, A10, A11, A12, A20, A21, A22;

    public double this[int i, int j]
    {
        readonly get => (i * 3 + j) switch { 0 => A00, 1 => A01, 2 => A02, 3 => A10, 4 => A11, 5 => A12, 6 => A20, 7 => A21, _ => A22 };
        set
        {
            switch (i * 3 + j)
            {
                case 0: A00 = value; break; case 1: A01 = value; break; case 2: A02 = value; break;
                case 3: A10 = value; break; case 4: A11 = value; break; case 5: A12 = value; break;
                case 6: A20 = value; break; case 7: A21 = value; break; default: A22 = value; break;
            }
        }
    }

    public static M3 Identity => new() { A00 = 1, A11 = 1, A22 = 1 };
    public static M3 Diag(double a, double b, double c) => new() { A00 = a, A11 = b, A22 = c };
    public static M3 Cols(V3 c0, V3 c1, V3 c2) => new()
    { A00 = c0.X, A10 = c0.Y, A20 = c0.Z, A01 = c1.X, A11 = c1.Y, A21 = c1.Z, A02 = c2.X, A12 = c2.Y, A22 = c2.Z };
    public readonly V3 Col(int j) => new(this[0, j], this[1, j], this[2, j]);

    public static M3 Load(ReadOnlySpan<double> s, int i) => new()
    { A00 = s[i], A01 = s[i + 1], A02 = s[i + 2], A10 = s[i + 3], A11 = s[i + 4], A12 = s[i + 5], A20 = s[i + 6], A21 = s[i + 7], A22 = s[i + 8] };
    public readonly void Store(Span<double> s, int i)
    {
        s[i] = A00; s[i + 1] = A01; s[i + 2] = A02; s[i + 3] = A10; s[i + 4] = A11; s[i + 5] = A12; s[i + 6] = A20; s[i + 7] = A21; s[i + 8] = A22;
    }
    public readonly void AddTo(Span<double> s, int i)
    {
        s[i] += A00; s[i + 1] += A01; s[i + 2] += A02; s[i + 3] += A10; s[i + 4] += A11; s[i + 5] += A12; s[i + 6] += A20; s[i + 7] += A21; s[i + 8] += A22;
    }

    public readonly M3 T => new() { A00 = A00, A01 = A10, A02 = A20, A10 = A01, A11 = A11, A12 = A21, A20 = A02, A21 = A12, A22 = A22 };
    public readonly double Trace => A00 + A11 + A22;
    public readonly double Det => A00 * (A11 * A22 - A12 * A21) - A01 * (A10 * A22 - A12 * A20) + A02 * (A10 * A21 - A11 * A20);
    /// <summary>Cofactor matrix: ∂det/∂A.</summary>
    public readonly M3 Cofactor => new()
    {
        A00 = A11 * A22 - A12 * A21, A01 = A12 * A20 - A10 * A22, A02 = A10 * A21 - A11 * A20,
        A10 = A02 * A21 - A01 * A22, A11 = A00 * A22 - A02 * A20, A12 = A01 * A20 - A00 * A21,
        A20 = A01 * A12 - A02 * A11, A21 = A02 * A10 - A00 * A12, A22 = A00 * A11 - A01 * A10,
    };

    public static M3 operator +(M3 a, M3 b) => new()
    {
        A00 = a.A00 + b.A00, A01 = a.A01 + b.A01, A02 = a.A02 + b.A02, A10 = a.A10 + b.A10, A11 = a.A11 + b.A11,
        A12 = a.A12 + b.A12, A20 = a.A20 + b.A20, A21 = a.A21 + b.A21, A22 = a.A22 + b.A22,
    };
    public static M3 operator -(M3 a, M3 b) => new()
    {
        A00 = a.A00 - b.A00, A01 = a.A01 - b.A01, A02 = a.A02 - b.A02, A10 = a.A10 - b.A10, A11 = a.A11 - b.A11,
        A12 = a.A12 - b.A12, A20 = a.A20 - b.A20, A21 = a.A21 - b.A21, A22 = a.A22 - b.A22,
    };
    public static M3 operator *(double s, M3 a) => new()
    {
        A00 = s * a.A00, A01 = s * a.A01, A02 = s * a.A02, A10 = s * a.A10, A11 = s * a.A11,
        A12 = s * a.A12, A20 = s * a.A20, A21 = s * a.A21, A22 = s * a.A22,
    };
    public static M3 operator *(M3 a, M3 b) => new()
    {
        A00 = a.A00 * b.A00 + a.A01 * b.A10 + a.A02 * b.A20,
        A01 = a.A00 * b.A01 + a.A01 * b.A11 + a.A02 * b.A21,
        A02 = a.A00 * b.A02 + a.A01 * b.A12 + a.A02 * b.A22,
        A10 = a.A10 * b.A00 + a.A11 * b.A10 + a.A12 * b.A20,
        A11 = a.A10 * b.A01 + a.A11 * b.A11 + a.A12 * b.A21,
        A12 = a.A10 * b.A02 + a.A11 * b.A12 + a.A12 * b.A22,
        A20 = a.A20 * b.A00 + a.A21 * b.A10 + a.A22 * b.A20,
        A21 = a.A20 * b.A01 + a.A21 * b.A11 + a.A22 * b.A21,
        A22 = a.A20 * b.A02 + a.A21 * b.A12 + a.A22 * b.A22,
    };
    public static V3 operator *(M3 a, V3 v) => new(
        a.A00 * v.X + a.A01 * v.Y + a.A02 * v.Z, a.A10 * v.X + a.A11 * v.Y + a.A12 * v.Z, a.A20 * v.X + a.A21 * v.Y + a.A22 * v.Z);
    /// <summary>Aᵀ v.</summary>
    public readonly V3 TMul(V3 v) => new(
        A00 * v.X + A10 * v.Y + A20 * v.Z, A01 * v.X + A11 * v.Y + A21 * v.Z, A02 * v.X + A12 * v.Y + A22 * v.Z);
    /// <summary>a bᵀ.</summary>
    public static M3 Outer(V3 a, V3 b) => new()
    {
        A00 = a.X * b.X, A01 = a.X * b.Y, A02 = a.X * b.Z, A10 = a.Y * b.X, A11 = a.Y * b.Y, A12 = a.Y * b.Z,
        A20 = a.Z * b.X, A21 = a.Z * b.Y, A22 = a.Z * b.Z,
    };
    /// <summary>Σᵢⱼ aᵢⱼ bᵢⱼ.</summary>
    public static double Frob(M3 a, M3 b) =>
        a.A00 * b.A00 + a.A01 * b.A01 + a.A02 * b.A02 + a.A10 * b.A10 + a.A11 * b.A11 + a.A12 * b.A12 + a.A20 * b.A20 + a.A21 * b.A21 + a.A22 * b.A22;

    /// <summary>Rotation matrix of a quaternion (w, x, y, z), normalised first.</summary>
    public static M3 FromQuaternion(double w, double x, double y, double z)
    {
        double n = Math.Sqrt(w * w + x * x + y * y + z * z);
        w /= n; x /= n; y /= n; z /= n;
        return new M3
        {
            A00 = 1 - 2 * (y * y + z * z), A01 = 2 * (x * y - w * z), A02 = 2 * (x * z + w * y),
            A10 = 2 * (x * y + w * z), A11 = 1 - 2 * (x * x + z * z), A12 = 2 * (y * z - w * x),
            A20 = 2 * (x * z - w * y), A21 = 2 * (y * z + w * x), A22 = 1 - 2 * (x * x + y * y),
        };
    }
}
