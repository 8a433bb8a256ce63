using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ContactOpt.Envs.Mpm;

/// <summary>
/// SVD of a 3×3 matrix in the rotation convention F = U diag(σ) Vᵀ with det U = det V = +1, |σ₁| ≥ |σ₂| ≥ |σ₃|,
/// σ₁, σ₂ ≥ 0 and σ₃ carrying the sign of det F (as Taichi's ti.svd). Built from a cyclic Jacobi eigen-solve
/// of FᵀF (V), then U by Gram–Schmidt of F V, so U is orthonormal to rounding even when singular values coincide
/// or σ₃ → 0.
/// </summary>
public static class Svd3
{
    /// <summary>The Jacobi eigen-solve of FᵀF before sorting: eigenvalues (A00, A11, A22) and eigenvectors (columns C0, C1, C2).</summary>
    public struct Eigen
    {
        public double A00, A11, A22;
        public V3 C0, C1, C2;
    }

    public static void Decompose(in M3 f, out M3 u, out V3 sigma, out M3 v) => Finish(f, EigenOf(f), out u, out sigma, out v);

    const int MaxSweeps = 30;

    /// <summary>Cyclic Jacobi on FᵀF until the off-diagonal part is at rounding level (at most 30 sweeps).</summary>
    public static Eigen EigenOf(in M3 f)
    {
        var a = f.T * f;
        double a00 = a.A00, a01 = a.A01, a02 = a.A02, a11 = a.A11, a12 = a.A12, a22 = a.A22;
        var c0 = new V3(1, 0, 0); var c1 = new V3(0, 1, 0); var c2 = new V3(0, 0, 1);
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            double off = a01 * a01 + a02 * a02 + a12 * a12;
            double diag = a00 * a00 + a11 * a11 + a22 * a22;
            if (off <= 1e-34 * diag || off == 0) break;
            Rotate(ref a00, ref a11, ref a01, ref a02, ref a12, ref c0, ref c1);
            Rotate(ref a00, ref a22, ref a02, ref a01, ref a12, ref c0, ref c2);
            Rotate(ref a11, ref a22, ref a12, ref a01, ref a02, ref c1, ref c2);
        }
        return new Eigen { A00 = a00, A11 = a11, A22 = a22, C0 = c0, C1 = c1, C2 = c2 };
    }

    /// <summary>
    /// <see cref="EigenOf"/> of four matrices at once, one per SIMD lane (<c>Vector256&lt;double&gt;</c>). Every lane
    /// performs exactly the scalar operations in the scalar order (no fused multiply-add; a lane that has converged,
    /// or whose pivot is 0, is left unchanged by blending), so each result is bit-identical to <see cref="EigenOf"/>
    /// whatever the other lanes hold.
    /// </summary>
    public static void EigenOf4(ReadOnlySpan<M3> f, Span<Eigen> result)
    {
        if (f.Length < 4 || result.Length < 4) throw new ArgumentException("EigenOf4 takes four matrices.");
        if (!Vector256.IsHardwareAccelerated)
        {
            for (int i = 0; i < 4; i++) result[i] = EigenOf(f[i]);
            return;
        }
        M3 m0 = f[0].T * f[0], m1 = f[1].T * f[1], m2 = f[2].T * f[2], m3 = f[3].T * f[3];
        var a00 = Vector256.Create(m0.A00, m1.A00, m2.A00, m3.A00);
        var a01 = Vector256.Create(m0.A01, m1.A01, m2.A01, m3.A01);
        var a02 = Vector256.Create(m0.A02, m1.A02, m2.A02, m3.A02);
        var a11 = Vector256.Create(m0.A11, m1.A11, m2.A11, m3.A11);
        var a12 = Vector256.Create(m0.A12, m1.A12, m2.A12, m3.A12);
        var a22 = Vector256.Create(m0.A22, m1.A22, m2.A22, m3.A22);
        var one = Vector256.Create(1.0); var zero = Vector256<double>.Zero;
        // Eigenvector columns, one Vector256 per component.
        V4 c0 = new(one, zero, zero), c1 = new(zero, one, zero), c2 = new(zero, zero, one);
        var done = zero;
        var tiny = Vector256.Create(1e-34);
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            var off = a01 * a01 + a02 * a02 + a12 * a12;
            var diag = a00 * a00 + a11 * a11 + a22 * a22;
            done |= Vector256.LessThanOrEqual(off, tiny * diag) | Vector256.Equals(off, zero);
            if (Vector256.EqualsAll(done.AsInt64(), Vector256<long>.AllBitsSet)) break;
            Rotate4(done, ref a00, ref a11, ref a01, ref a02, ref a12, ref c0, ref c1);
            Rotate4(done, ref a00, ref a22, ref a02, ref a01, ref a12, ref c0, ref c2);
            Rotate4(done, ref a11, ref a22, ref a12, ref a01, ref a02, ref c1, ref c2);
        }
        for (int i = 0; i < 4; i++)
            result[i] = new Eigen
            {
                A00 = a00.GetElement(i), A11 = a11.GetElement(i), A22 = a22.GetElement(i),
                C0 = c0.Lane(i), C1 = c1.Lane(i), C2 = c2.Lane(i),
            };
    }

    /// <summary>A 3-vector per lane.</summary>
    struct V4(Vector256<double> x, Vector256<double> y, Vector256<double> z)
    {
        public Vector256<double> X = x, Y = y, Z = z;
        public readonly V3 Lane(int i) => new(X.GetElement(i), Y.GetElement(i), Z.GetElement(i));
    }

    /// <summary><see cref="Rotate"/> per lane; lanes in <paramref name="done"/> or with a_pq = 0 keep their values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Rotate4(Vector256<double> done, ref Vector256<double> app, ref Vector256<double> aqq, ref Vector256<double> apq,
        ref Vector256<double> apr, ref Vector256<double> aqr, ref V4 vp, ref V4 vq)
    {
        var zero = Vector256<double>.Zero; var one = Vector256.Create(1.0);
        var skip = done | Vector256.Equals(apq, zero);
        var theta = (aqq - app) / (Vector256.Create(2.0) * apq);
        var num = Vector256.ConditionalSelect(Vector256.LessThan(theta, zero), -one, one);
        var t = num / (Vector256.Abs(theta) + Vector256.Sqrt(theta * theta + one));
        var c = one / Vector256.Sqrt(t * t + one);
        var s = t * c;
        var tq = t * apq;
        app = Vector256.ConditionalSelect(skip, app, app - tq);
        aqq = Vector256.ConditionalSelect(skip, aqq, aqq + tq);
        apq = Vector256.ConditionalSelect(skip, apq, zero);
        var pr = apr; var qr = aqr;
        apr = Vector256.ConditionalSelect(skip, pr, c * pr - s * qr);
        aqr = Vector256.ConditionalSelect(skip, qr, s * pr + c * qr);
        var p = vp; var q = vq;
        vp = new V4(Vector256.ConditionalSelect(skip, p.X, c * p.X - s * q.X), Vector256.ConditionalSelect(skip, p.Y, c * p.Y - s * q.Y),
            Vector256.ConditionalSelect(skip, p.Z, c * p.Z - s * q.Z));
        vq = new V4(Vector256.ConditionalSelect(skip, q.X, s * p.X + c * q.X), Vector256.ConditionalSelect(skip, q.Y, s * p.Y + c * q.Y),
            Vector256.ConditionalSelect(skip, q.Z, s * p.Z + c * q.Z));
    }

    /// <summary>The SVD of <paramref name="f"/> from the eigen-solve of its FᵀF: sort, V with det +1, U by Gram–Schmidt of F V.</summary>
    public static void Finish(in M3 f, in Eigen e, out M3 u, out V3 sigma, out M3 v)
    {
        double a00 = e.A00, a11 = e.A11, a22 = e.A22;
        var c0 = e.C0; var c1 = e.C1; var c2 = e.C2;
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
        var x = new M3
        {
            A00 = jac.A00 * g.A00 + jac.A10 * g.A11 + jac.A20 * g.A22,
            A11 = jac.A01 * g.A00 + jac.A11 * g.A11 + jac.A21 * g.A22,
            A22 = jac.A02 * g.A00 + jac.A12 * g.A11 + jac.A22 * g.A22,
        };
        double s01 = 0.5 * (g.A01 + g.A10), k01 = 0.5 * (g.A01 - g.A10);
        double s02 = 0.5 * (g.A02 + g.A20), k02 = 0.5 * (g.A02 - g.A20);
        double s12 = 0.5 * (g.A12 + g.A21), k12 = 0.5 * (g.A12 - g.A21);
        x.A01 = a.A01 * s01 + b.A01 * k01; x.A10 = a.A10 * s01 - b.A10 * k01;
        x.A02 = a.A02 * s02 + b.A02 * k02; x.A20 = a.A20 * s02 - b.A20 * k02;
        x.A12 = a.A12 * s12 + b.A12 * k12; x.A21 = a.A21 * s12 - b.A21 * k12;
        return u * x * v.T;
    }

    /// <summary>
    /// <see cref="IsotropicAdjoint"/> of the polar rotation R = U Vᵀ (f ≡ 1: J = 0, a = 0), with the symmetric
    /// b_ij = 2/(σᵢ + σⱼ) given as <paramref name="b01"/>, <paramref name="b02"/>, <paramref name="b12"/>.
    /// </summary>
    public static M3 RotationAdjoint(in M3 u, in M3 v, in M3 gBar, double b01, double b02, double b12)
    {
        var g = u.T * gBar * v;
        double k01 = b01 * (0.5 * (g.A01 - g.A10)), k02 = b02 * (0.5 * (g.A02 - g.A20)), k12 = b12 * (0.5 * (g.A12 - g.A21));
        var x = new M3 { A01 = k01, A10 = -k01, A02 = k02, A20 = -k02, A12 = k12, A21 = -k12 };
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
