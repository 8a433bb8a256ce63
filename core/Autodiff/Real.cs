using System.Runtime.CompilerServices;

namespace ContactOpt.Autodiff;

/// <summary>A plain double behind the <see cref="IScalar{T}"/> contract; compiles to double arithmetic.</summary>
public readonly struct Real : IScalar<Real>
{
    public readonly double V;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Real(double v) => V = v;
    public double Value { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => V; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real Constant(double value) => new(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static implicit operator Real(double value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real operator +(Real a, Real b) => new(a.V + b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real operator -(Real a, Real b) => new(a.V - b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real operator *(Real a, Real b) => new(a.V * b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real operator /(Real a, Real b) => new(a.V / b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real operator -(Real a) => new(-a.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real operator +(Real a, double b) => new(a.V + b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real operator -(Real a, double b) => new(a.V - b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real operator -(double a, Real b) => new(a - b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real operator *(Real a, double b) => new(a.V * b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real operator *(double a, Real b) => new(a * b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real operator /(Real a, double b) => new(a.V / b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real Sqrt(Real x) => new(Math.Sqrt(x.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real Sin(Real x) => new(Math.Sin(x.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real Cos(Real x) => new(Math.Cos(x.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static (Real Sin, Real Cos) SinCos(Real x) { var (s, c) = Math.SinCos(x.V); return (new(s), new(c)); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real Exp(Real x) => new(Math.Exp(x.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real Log(Real x) => new(Math.Log(x.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real Tanh(Real x) => new(Math.Tanh(x.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real Atan2(Real y, Real x) => new(Math.Atan2(y.V, x.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real Abs(Real x) => new(Math.Abs(x.V));

    public override string ToString() => V.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
