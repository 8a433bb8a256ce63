namespace ContactOpt.Autodiff;

/// <summary>
/// A scalar that simulation code is written against once and instantiated three ways:
/// <see cref="Real"/> (plain double, loss-only rollouts), <see cref="Dual4"/> (forward mode, up to four
/// tangent directions in one SIMD register) and <see cref="Rev"/> (reverse mode on a <see cref="Tape"/>).
/// Comparisons are made on <see cref="Value"/> explicitly, so every branch is visible in the code and its
/// derivative is the derivative of the branch taken (as in JAX or Taichi).
/// </summary>
public interface IScalar<T> where T : struct, IScalar<T>
{
    double Value { get; }

    static abstract T Constant(double value);
    static abstract implicit operator T(double value);

    static abstract T operator +(T a, T b);
    static abstract T operator -(T a, T b);
    static abstract T operator *(T a, T b);
    static abstract T operator /(T a, T b);
    static abstract T operator -(T a);

    // Mixed operations with constants skip a product with a zero tangent or a tape node.
    static abstract T operator +(T a, double b);
    static abstract T operator -(T a, double b);
    static abstract T operator -(double a, T b);
    static abstract T operator *(T a, double b);
    static abstract T operator *(double a, T b);
    static abstract T operator /(T a, double b);

    static abstract T Sqrt(T x);
    static abstract T Sin(T x);
    static abstract T Cos(T x);
    /// <summary>Sine and cosine together (one call for the plain double path).</summary>
    static abstract (T Sin, T Cos) SinCos(T x);
    static abstract T Exp(T x);
    static abstract T Log(T x);
    static abstract T Tanh(T x);
    static abstract T Atan2(T y, T x);
    /// <summary>|x| with derivative sign(x) and 0 at 0.</summary>
    static abstract T Abs(T x);
}

/// <summary>Helpers that follow the selected argument (derivative of the branch taken).</summary>
public static class Scalar
{
    public static T Max<T>(T a, T b) where T : struct, IScalar<T> => a.Value >= b.Value ? a : b;
    public static T Min<T>(T a, T b) where T : struct, IScalar<T> => a.Value <= b.Value ? a : b;
    public static T Max<T>(T a, double b) where T : struct, IScalar<T> => a.Value >= b ? a : T.Constant(b);
    public static T Min<T>(T a, double b) where T : struct, IScalar<T> => a.Value <= b ? a : T.Constant(b);
    /// <summary>sign(x) as a constant: derivative 0 everywhere, sign(0) = 0.</summary>
    public static double Sign<T>(T x) where T : struct, IScalar<T> => Sign(x.Value);
    /// <summary>sign(v) with sign(0) = 0 and sign(NaN) = 0 (Math.Sign throws on NaN, which a diverging simulation produces).</summary>
    public static double Sign(double v) => v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0;
    public static T Clamp<T>(T x, double lo, double hi) where T : struct, IScalar<T> =>
        x.Value < lo ? T.Constant(lo) : x.Value > hi ? T.Constant(hi) : x;
    /// <summary>Euclidean norm of a 2-vector.</summary>
    public static T Hypot<T>(T x, T y) where T : struct, IScalar<T> => T.Sqrt(x * x + y * y);
}
