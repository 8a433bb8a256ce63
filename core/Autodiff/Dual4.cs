using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ContactOpt.Autodiff;

/// <summary>
/// Forward-mode dual number carrying up to four tangent directions in one 256-bit vector.
/// One rollout with <see cref="Dual4"/> yields the full gradient for problems of dimension ≤ 4 (flip, grasp,
/// bounce) at about twice the cost of a plain rollout; the tangents in a SIMD register keep the code compact.
/// </summary>
public readonly struct Dual4 : IScalar<Dual4>
{
    public readonly double V;
    public readonly Vector256<double> D;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Dual4(double v, Vector256<double> d) { V = v; D = d; }

    public double Value { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => V; }
    /// <summary>Tangent component i (0 ≤ i &lt; 4).</summary>
    public double Tangent(int i) => D.GetElement(i);

    /// <summary>An input variable whose tangent is the unit vector e_direction.</summary>
    public static Dual4 Variable(double value, int direction)
    {
        if ((uint)direction >= 4) throw new ArgumentOutOfRangeException(nameof(direction), direction, "Dual4 carries four directions (0..3).");
        return new Dual4(value, Vector256<double>.Zero.WithElement(direction, 1.0));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual4 Constant(double value) => new(value, Vector256<double>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static implicit operator Dual4(double value) => new(value, Vector256<double>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual4 operator +(Dual4 a, Dual4 b) => new(a.V + b.V, a.D + b.D);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual4 operator -(Dual4 a, Dual4 b) => new(a.V - b.V, a.D - b.D);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Dual4 operator *(Dual4 a, Dual4 b) =>
        new(a.V * b.V, a.D * Vector256.Create(b.V) + b.D * Vector256.Create(a.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Dual4 operator /(Dual4 a, Dual4 b)
    {
        double inv = 1.0 / b.V, q = a.V * inv;
        return new(q, (a.D - b.D * Vector256.Create(q)) * Vector256.Create(inv));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual4 operator -(Dual4 a) => new(-a.V, -a.D);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual4 operator +(Dual4 a, double b) => new(a.V + b, a.D);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual4 operator -(Dual4 a, double b) => new(a.V - b, a.D);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual4 operator -(double a, Dual4 b) => new(a - b.V, -b.D);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual4 operator *(Dual4 a, double b) => new(a.V * b, a.D * Vector256.Create(b));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual4 operator *(double a, Dual4 b) => new(a * b.V, b.D * Vector256.Create(a));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual4 operator /(Dual4 a, double b) { double inv = 1.0 / b; return new(a.V * inv, a.D * Vector256.Create(inv)); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] static Dual4 Chain(double v, double dv, Dual4 x) => new(v, x.D * Vector256.Create(dv));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Dual4 Sqrt(Dual4 x) { double s = Math.Sqrt(x.V); return Chain(s, 0.5 / s, x); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual4 Sin(Dual4 x) => Chain(Math.Sin(x.V), Math.Cos(x.V), x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual4 Cos(Dual4 x) => Chain(Math.Cos(x.V), -Math.Sin(x.V), x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Dual4 Sin, Dual4 Cos) SinCos(Dual4 x) { var (s, c) = Math.SinCos(x.V); return (Chain(s, c, x), Chain(c, -s, x)); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual4 Exp(Dual4 x) { double e = Math.Exp(x.V); return Chain(e, e, x); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual4 Log(Dual4 x) => Chain(Math.Log(x.V), 1.0 / x.V, x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual4 Tanh(Dual4 x) { double t = Math.Tanh(x.V); return Chain(t, 1 - t * t, x); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Dual4 Atan2(Dual4 y, Dual4 x)
    {
        double r2 = x.V * x.V + y.V * y.V;
        return new(Math.Atan2(y.V, x.V), x.D * Vector256.Create(-y.V / r2) + y.D * Vector256.Create(x.V / r2));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual4 Abs(Dual4 x) => x.V > 0 ? x : x.V < 0 ? -x : new(0, Vector256<double>.Zero);

    public override string ToString() => $"{V} + {D}ε";
}
