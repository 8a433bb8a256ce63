using System.Runtime.CompilerServices;

namespace ContactOpt.Envs.Cloth;

/// <summary>A small 3-vector for per-vertex kernel algebra (values only; buffers stay structure-of-arrays).</summary>
public readonly struct Vec3(double x, double y, double z)
{
    public readonly double X = x, Y = y, Z = z;
    public static readonly Vec3 Zero = new(0, 0, 0);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec3 operator +(Vec3 a, Vec3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec3 operator -(Vec3 a, Vec3 b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec3 operator -(Vec3 a) => new(-a.X, -a.Y, -a.Z);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec3 operator *(double s, Vec3 a) => new(s * a.X, s * a.Y, s * a.Z);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec3 operator *(Vec3 a, double s) => new(s * a.X, s * a.Y, s * a.Z);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Dot(Vec3 a, Vec3 b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec3 Cross(Vec3 a, Vec3 b) => new(a.Y * b.Z - a.Z * b.Y, a.Z * b.X - a.X * b.Z, a.X * b.Y - a.Y * b.X);
    public double Norm => Math.Sqrt(X * X + Y * Y + Z * Z);

    /// <summary>Reads vertex i of a structure-of-arrays buffer (x block, y block, z block of n values each).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec3 Get(ReadOnlySpan<double> soa, int n, int i) => new(soa[i], soa[n + i], soa[2 * n + i]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Set(Span<double> soa, int n, int i, Vec3 v) { soa[i] = v.X; soa[n + i] = v.Y; soa[2 * n + i] = v.Z; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(Span<double> soa, int n, int i, Vec3 v) { soa[i] += v.X; soa[n + i] += v.Y; soa[2 * n + i] += v.Z; }
}
