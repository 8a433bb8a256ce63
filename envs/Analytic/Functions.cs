using ContactOpt.Autodiff;

namespace ContactOpt.Envs.Analytic;

/// <summary>Sphere Σ xᵢ² on [−5.12, 5.12]ᵈ; f* = 0 at 0. Initial guess 𝟏 (the purecma reference x₀).</summary>
public sealed class SphereDynamics(int d) : AnalyticDynamics(d, -5.12, 5.12, 1.0)
{
    public override double MinimumValue => 0;
    public override double[] Minimizer => new double[Dimension];
    public override T F<T>(ReadOnlySpan<T> x)
    {
        T s = T.Constant(0);
        for (int i = 0; i < x.Length; i++) s += x[i] * x[i];
        return s;
    }
}

/// <summary>Ellipsoid Σ 10^{6(i−1)/(d−1)}·xᵢ² (condition 1e6) on [−5.12, 5.12]ᵈ; f* = 0 at 0. Initial guess 𝟏.</summary>
public sealed class EllipsoidDynamics(int d) : AnalyticDynamics(d, -5.12, 5.12, 1.0)
{
    public override double MinimumValue => 0;
    public override double[] Minimizer => new double[Dimension];
    public override T F<T>(ReadOnlySpan<T> x)
    {
        T s = T.Constant(0);
        int n = x.Length;
        for (int i = 0; i < n; i++) s += Math.Pow(10, n == 1 ? 0 : 6.0 * i / (n - 1)) * (x[i] * x[i]);
        return s;
    }
}

/// <summary>Rosenbrock Σ 100(x_{i+1} − xᵢ²)² + (1 − xᵢ)² on [−5, 10]ᵈ; f* = 0 at 𝟏. Initial guess 0 (the purecma reference x₀).</summary>
public sealed class RosenbrockDynamics(int d) : AnalyticDynamics(d, -5.0, 10.0, 0.0)
{
    public override double MinimumValue => 0;
    public override double[] Minimizer => Enumerable.Repeat(1.0, Dimension).ToArray();
    public override T F<T>(ReadOnlySpan<T> x)
    {
        T s = T.Constant(0);
        for (int i = 0; i + 1 < x.Length; i++)
        {
            T a = x[i + 1] - x[i] * x[i];
            T b = 1.0 - x[i];
            s += 100.0 * (a * a) + b * b;
        }
        return s;
    }
}

/// <summary>Rastrigin 10d + Σ (xᵢ² − 10 cos 2πxᵢ) on [−5.12, 5.12]ᵈ; f* = 0 at 0. Initial guess 2.5·𝟏.</summary>
public sealed class RastriginDynamics(int d) : AnalyticDynamics(d, -5.12, 5.12, 2.5)
{
    public override double MinimumValue => 0;
    public override double[] Minimizer => new double[Dimension];
    public override T F<T>(ReadOnlySpan<T> x)
    {
        T s = T.Constant(10.0 * x.Length);
        for (int i = 0; i < x.Length; i++) s += x[i] * x[i] - 10.0 * T.Cos(2 * Math.PI * x[i]);
        return s;
    }
}

/// <summary>
/// Ackley −20·exp(−0.2·√(Σxᵢ²/d)) − exp(Σ cos(2πxᵢ)/d) + 20 + e on [−32.768, 32.768]ᵈ; f* = 0 at 0.
/// Initial guess 16·𝟏. At x = 0 exactly the square root's derivative is taken as 0 (a subgradient of the kink).
/// </summary>
public sealed class AckleyDynamics(int d) : AnalyticDynamics(d, -32.768, 32.768, 16.0)
{
    public override double MinimumValue => 0;
    public override double[] Minimizer => new double[Dimension];
    public override T F<T>(ReadOnlySpan<T> x)
    {
        int n = x.Length;
        T sq = T.Constant(0), cs = T.Constant(0);
        for (int i = 0; i < n; i++) { sq += x[i] * x[i]; cs += T.Cos(2 * Math.PI * x[i]); }
        T r = sq.Value > 0 ? T.Sqrt(sq / n) : T.Constant(0);
        return -20.0 * T.Exp(-0.2 * r) - T.Exp(cs / n) + (20.0 + Math.E);
    }
}

/// <summary>
/// Branin–Hoo a(x₂ − b x₁² + c x₁ − r)² + s(1 − t)cos x₁ + s on [−5, 10] × [0, 15]; f* = 0.397887 at
/// (−π, 12.275), (π, 2.275), (9.42478, 2.475). Initial guess: the box centre (2.5, 7.5).
/// </summary>
public sealed class BraninDynamics() : AnalyticDynamics(2, [-5.0, 0.0], [10.0, 15.0], [2.5, 7.5])
{
    const double A = 1, R = 6, S = 10;
    static readonly double B = 5.1 / (4 * Math.PI * Math.PI), C = 5 / Math.PI, Tt = 1 / (8 * Math.PI);
    public override double MinimumValue => 0.39788735772973816;
    public override double[] Minimizer => [Math.PI, 2.275];
    public override T F<T>(ReadOnlySpan<T> x)
    {
        T q = x[1] - B * (x[0] * x[0]) + C * x[0] - R;
        return A * (q * q) + S * (1 - Tt) * T.Cos(x[0]) + S;
    }
}

/// <summary>Hartmann-6 −Σᵢ αᵢ exp(−Σⱼ Aᵢⱼ(xⱼ − Pᵢⱼ)²) on [0, 1]⁶; f* = −3.32237. Initial guess 0.5·𝟏.</summary>
public sealed class Hartmann6Dynamics() : AnalyticDynamics(6, 0.0, 1.0, 0.5)
{
    static readonly double[] Alpha = [1.0, 1.2, 3.0, 3.2];
    static readonly double[,] Am =
    {
        { 10, 3, 17, 3.5, 1.7, 8 },
        { 0.05, 10, 17, 0.1, 8, 14 },
        { 3, 3.5, 1.7, 10, 17, 8 },
        { 17, 8, 0.05, 10, 0.1, 14 },
    };
    static readonly double[,] Pm =
    {
        { 0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886 },
        { 0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991 },
        { 0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650 },
        { 0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381 },
    };
    public override double MinimumValue => -3.32236801141551;
    public override double[] Minimizer => [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573];
    public override T F<T>(ReadOnlySpan<T> x)
    {
        T s = T.Constant(0);
        for (int i = 0; i < 4; i++)
        {
            T inner = T.Constant(0);
            for (int j = 0; j < 6; j++) { T t = x[j] - Pm[i, j]; inner += Am[i, j] * (t * t); }
            s -= Alpha[i] * T.Exp(-inner);
        }
        return s;
    }
}

/// <summary>Styblinski–Tang ½ Σ (xᵢ⁴ − 16xᵢ² + 5xᵢ) on [−5, 5]ᵈ; f* = −39.16616570377142·d at xᵢ = −2.903534. Initial guess 0.</summary>
public sealed class StyblinskiTangDynamics(int d) : AnalyticDynamics(d, -5.0, 5.0, 0.0)
{
    public override double MinimumValue => -39.16616570377142 * Dimension;
    public override double[] Minimizer => Enumerable.Repeat(-2.903534027771178, Dimension).ToArray();
    public override T F<T>(ReadOnlySpan<T> x)
    {
        T s = T.Constant(0);
        for (int i = 0; i < x.Length; i++)
        {
            T x2 = x[i] * x[i];
            s += 0.5 * (x2 * x2 - 16.0 * x2 + 5.0 * x[i]);
        }
        return s;
    }
}
