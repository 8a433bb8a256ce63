namespace ContactOpt.Envs.Mpm;

/// <summary>
/// SVD of a 3×3 matrix in the rotation convention F = U diag(σ) Vᵀ with det U = det V = +1, |σ₁| ≥ |σ₂| ≥ |σ₃|,
/// σ₁, σ₂ ≥ 0 and σ₃ carrying the sign of det F (as Taichi's ti.svd). Built from a cyclic Jacobi eigen-solve
/// of FᵀF (V), then U by Gram–Schmidt of F V, so U is orthonormal to rounding even when singular values coincide
/// or σ₃ → 0.
/// </summary>
public static class Svd3
{
    public static void Decompose(in M3 f, out M3 u, out V3 sigma, out M3 v)
    {
        var a = f.T * f;
        double a00 = a.A00, a01 = a.A01, a02 = a.A02, a11 = a.A11, a12 = a.A12, a22 = a.A22;
        var c0 = new V3(1, 0, 0); var c1 = new V3(0, 1, 0); var c2 = new V3(0, 0, 1);
        for (int sweep = 0; sweep < 30; sweep++)
        {
            double off = a01 * a01 + a02 * a02 + a12 * a12;
            double diag = a00 * a00 + a11 * a11 + a22 * a22;
            if (off <= 1e-34 * diag || off == 0) break;
            Rotate(ref a00, ref a11, ref a01, ref a02, ref a12, ref c0, ref c1);
            Rotate(ref a00, ref a22, ref a02, ref a01, ref a12, ref c0, ref c2);
            Rotate(ref a11, ref a22, ref a12, ref a01, ref a02, ref c1, ref c2);
        }
        // Sort eigenvalues descending (columns of V with them).
        if (a00 < a11) { (a00, a11) = (a11, a00); (c0, c1) = (c1, c0); }
        if (a11 < a22) { (a11, a22) = (a22, a11); (c1, c2) = (c2, c1); }
        if (a00 < a11) { (a00, a11) = (a11, a00); (c0, c1) = (c1, c0); }
        var v0 = c0; var v1 = c1; var v2 = v0.Cross(v1);   // det V = +1
        v = M3.Cols(v0, v1, v2);
        var b0 = f * v0; var b1 = f * v1; var b2 = f * v2;
        double s0 = Math.Sqrt(b0.Norm2);
        V3 u0, u1;
        if (s0 > 1e-300) u0 = (1 / s0) * b0; else { u0 = new V3(1, 0, 0); s0 = 0; }
        var w1 = b1 - u0.Dot(b1) * u0;
        double s1 = Math.Sqrt(w1.Norm2);
        if (s1 > 1e-300 * Math.Max(1, s0)) u1 = (1 / s1) * w1;
        else
        {
            // Rank ≤ 1: any unit vector orthogonal to u0.
            var t = Math.Abs(u0.X) < 0.9 ? new V3(1, 0, 0) : new V3(0, 1, 0);
            var w = t - u0.Dot(t) * u0; u1 = (1 / Math.Sqrt(w.Norm2)) * w; s1 = u1.Dot(b1);
        }
        var u2 = u0.Cross(u1);
        u = M3.Cols(u0, u1, u2);
        sigma = new V3(s0, s1, u2.Dot(b2));
    }

    /// <summary>One Jacobi rotation zeroing a_pq of the symmetric matrix (r is the third index); columns p, q of V rotate with it.</summary>
    static void Rotate(ref double app, ref double aqq, ref double apq, ref double apr, ref double aqr, ref V3 vp, ref V3 vq)
    {
        if (apq == 0) return;
        double theta = (aqq - app) / (2 * apq);
        double t = theta == 0 ? 1 : Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
        double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
        app -= t * apq; aqq += t * apq; apq = 0;
        double pr = apr, qr = aqr;
        apr = c * pr - s * qr; aqr = s * pr + c * qr;
        var p = vp; var q = vq;
        vp = c * p - s * q; vq = s * p + c * q;
    }

    /// <summary>
    /// Adjoint of an isotropic matrix function G(F) = U diag(f(σ)) Vᵀ: F̄ = U X Vᵀ with, in the singular basis
    /// Ĝ = Uᵀ Ḡ V, X_jj = Σᵢ J_ij Ĝ_ii (J = ∂f/∂σ) and, for i ≠ j, X_ij = a_ij·sym(Ĝ)_ij + b_ij·skew(Ĝ)_ij where
    /// a_ij = (fᵢ − fⱼ)/(σᵢ − σⱼ) and b_ij = (fᵢ + fⱼ)/(σᵢ + σⱼ) are supplied by the caller in their stable forms
    /// (a is finite at σᵢ = σⱼ; no clamp of 1/(σᵢ² − σⱼ²) anywhere).
    /// </summary>
    public static M3 IsotropicAdjoint(in M3 u, in M3 v, in M3 gBar, in M3 jac, in M3 a, in M3 b)
    {
        var g = u.T * gBar * v;
        var x = new M3();
        for (int j = 0; j < 3; j++)
        {
            double s = 0;
            for (int i = 0; i < 3; i++) s += jac[i, j] * g[i, i];
            x[j, j] = s;
        }
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                if (i == j) continue;
                double sym = 0.5 * (g[i, j] + g[j, i]), skew = 0.5 * (g[i, j] - g[j, i]);
                x[i, j] = a[i, j] * sym + b[i, j] * skew;
            }
        return u * x * v.T;
    }

    /// <summary>(fᵢ + fⱼ)/(σᵢ + σⱼ) with the denominator kept away from 0 (only at inversion σᵢ = −σⱼ).</summary>
    public static double SumRatio(double fi, double fj, double si, double sj)
    {
        double d = si + sj;
        if (Math.Abs(d) < 1e-12) d = d < 0 ? -1e-12 : 1e-12;
        return (fi + fj) / d;
    }

    /// <summary>expm1(y)/y, stable at y → 0.</summary>
    public static double Expm1Ratio(double y) => Math.Abs(y) < 1e-5 ? 1 + y * (0.5 + y / 6) : (Math.Exp(y) - 1) / y;

    /// <summary>log1p(x)/x, stable at x → 0.</summary>
    public static double Log1pRatio(double x) => Math.Abs(x) < 1e-5 ? 1 - x * (0.5 - x / 3) : Math.Log(1 + x) / x;
}
