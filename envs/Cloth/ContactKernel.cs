namespace ContactOpt.Envs.Cloth;

/// <summary>
/// Contact of one vertex with one collider, two models.
/// <para><b>Velocity projection</b> (the paper's model): when the vertex is inside and approaching
/// (v_n = (v − v_c)·n̂ &lt; 0) the normal component of its relative velocity is removed (naive form), or raised to
/// the velocity that reaches the surface in one substep (TOI-consistent form); Coulomb friction shrinks the
/// tangential part u by μ·Δv_n, stopping it when |u| ≤ μ·Δv_n (stick); the TOI-consistent form uses the regularised
/// law u·(1 − μΔv_n/√(|u|² + (μΔv_n)²)), which has no stick/slip kink.</para>
/// <para><b>Penalty</b>: force f_n·n̂ + f_t with f_n = −k_c φ − k_d min(v_n, 0) and regularised Coulomb friction
/// f_t = −μ f_n u/√(|u|² + ε²).</para>
/// </summary>
public static class ContactKernel
{
    /// <summary>Beyond this many smoothing widths from the threshold the smoothed projection leaves a vertex untouched (its change is below 1e−17 of ε).</summary>
    const double Cutoff = 40;

    static double Softplus(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));
    static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>
    /// Velocity projection: returns the new velocity. The relative normal velocity v_n is raised to a floor b:
    /// b = 0 with <paramref name="dt"/> = 0 (the paper's rule: the normal component removed when negative), or
    /// b = −φ/dt (time-of-impact consistent: the vertex stops exactly on the surface; continuous in the state).
    /// v_n' = max(v_n, b), or with smoothing width <paramref name="eps"/> &gt; 0 the smooth maximum b + ε·softplus((v_n − b)/ε).
    /// Friction shrinks the tangential part by μ·(v_n' − v_n): exact Coulomb (stick/slip) with dt = 0, regularised otherwise.
    /// </summary>
    public static Vec3 Project(in ContactGeometry g, Vec3 v, double mu, double dt = 0, double eps = 0)
    {
        var rel = v - g.Velocity;
        double vn = Vec3.Dot(rel, g.Normal);
        double b = dt > 0 ? -g.Phi / dt : 0;
        double vn2;
        if (eps > 0)
        {
            double x = (vn - b) / eps;
            if (x > Cutoff) return v;
            vn2 = b + eps * Softplus(x);
        }
        else
        {
            if (!(vn < b)) return v;
            vn2 = b;
        }
        var u = rel - vn * g.Normal;
        double t = u.Norm, dn = vn2 - vn, c = mu * dn;
        double scale = dt > 0 ? 1 - c / Math.Sqrt(t * t + c * c) : t > c ? 1 - c / t : 0;
        return g.Velocity + scale * u + vn2 * g.Normal;
    }

    /// <summary>
    /// Adjoint of <see cref="Project"/> from v̄' (adjoint of the returned velocity): returns v̄ and writes the
    /// adjoints of φ, of the normal and of the collider velocity, and adds μ̄.
    /// </summary>
    public static Vec3 ProjectBackward(in ContactGeometry g, Vec3 v, double mu, double dt, double eps, Vec3 outBar,
        out double phiBar, out Vec3 nBar, out Vec3 velBar, ref double muBar)
    {
        var n = g.Normal;
        var rel = v - g.Velocity;
        double vn = Vec3.Dot(rel, n);
        double b = dt > 0 ? -g.Phi / dt : 0;
        phiBar = 0;
        double vn2, sig;
        if (eps > 0)
        {
            double x = (vn - b) / eps;
            if (x > Cutoff) { nBar = Vec3.Zero; velBar = Vec3.Zero; return outBar; }
            vn2 = b + eps * Softplus(x); sig = Sigmoid(x);
        }
        else
        {
            if (!(vn < b)) { nBar = Vec3.Zero; velBar = Vec3.Zero; return outBar; }
            vn2 = b; sig = 0;
        }
        var u = rel - vn * n;
        double t = u.Norm, dn = vn2 - vn, c = mu * dn;
        bool smooth = dt > 0, slip = t > c;
        double r = Math.Sqrt(t * t + c * c);
        double scale = smooth ? 1 - c / r : slip ? 1 - c / t : 0;
        velBar = outBar;
        var uBar = scale * outBar;
        double vn2Bar = Vec3.Dot(n, outBar);
        nBar = vn2 * outBar;
        double sBar = Vec3.Dot(u, outBar);
        double cBar = 0, tBar = 0;
        if (smooth) { cBar = -t * t / (r * r * r) * sBar; tBar = c * t / (r * r * r) * sBar; }
        else if (slip) { cBar = -sBar / t; tBar = c / (t * t) * sBar; }
        muBar += dn * cBar;
        double dnBar = mu * cBar;
        if (t > 0) uBar = uBar + (tBar / t) * u;
        // dn = vn2 − vn; vn2 = b + ε softplus((vn − b)/ε) (or b).
        vn2Bar += dnBar;
        double vnBar = -dnBar + sig * vn2Bar;
        double bBar = (1 - sig) * vn2Bar;
        // u = rel − vn n; vn = rel·n; b = −φ/dt.
        var relBar = uBar;
        vnBar += -Vec3.Dot(n, uBar);
        nBar = nBar - vn * uBar;
        relBar = relBar + vnBar * n;
        nBar = nBar + vnBar * rel;
        if (dt > 0) phiBar = -bBar / dt;
        velBar = velBar - relBar;
        return relBar;
    }

    /// <summary>Penalty force on a vertex in contact.</summary>
    public static Vec3 PenaltyForce(in ContactGeometry g, Vec3 v, double mu, double kc, double kd, double eps)
    {
        var n = g.Normal;
        var rel = v - g.Velocity;
        double vn = Vec3.Dot(rel, n);
        double fn = -kc * g.Phi - kd * Math.Min(vn, 0);
        var u = rel - vn * n;
        double su = Math.Sqrt(Vec3.Dot(u, u) + eps * eps);
        return fn * n - (mu * fn / su) * u;
    }

    /// <summary>Adjoint of <see cref="PenaltyForce"/> from F̄: returns v̄, writes φ̄, n̄ and the collider-velocity adjoint, adds μ̄.</summary>
    public static Vec3 PenaltyBackward(in ContactGeometry g, Vec3 v, double mu, double kc, double kd, double eps, Vec3 fBar,
        out double phiBar, out Vec3 nBar, out Vec3 velBar, ref double muBar)
    {
        var n = g.Normal;
        var rel = v - g.Velocity;
        double vn = Vec3.Dot(rel, n);
        double fn = -kc * g.Phi - kd * Math.Min(vn, 0);
        var u = rel - vn * n;
        double su = Math.Sqrt(Vec3.Dot(u, u) + eps * eps);
        double uf = Vec3.Dot(u, fBar);
        nBar = fn * fBar;
        double fnBar = Vec3.Dot(fBar, n) - mu * uf / su;
        muBar += -fn * uf / su;
        var uBar = (-mu * fn / su) * fBar + (mu * fn * uf / (su * su * su)) * u;
        var relBar = uBar;
        double vnBar = -Vec3.Dot(n, uBar);
        nBar = nBar - vn * uBar;
        phiBar = -kc * fnBar;
        if (vn < 0) vnBar += -kd * fnBar;
        relBar = relBar + vnBar * n;
        nBar = nBar + vnBar * rel;
        velBar = -relBar;
        return relBar;
    }
}
