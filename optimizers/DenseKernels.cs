using System.Numerics;
using System.Runtime.InteropServices;

namespace ContactOpt.Optimizers;

/// <summary>
/// The few dense loops the GP needs beyond MathNet's Cholesky: dot products, axpy and triangular solves on a
/// row-major lower-triangular factor, written with <see cref="Vector{T}"/> because they run once per
/// acquisition evaluation (n² work, n up to ~1,000). Results do not depend on thread count or timing.
/// </summary>
internal static class DenseKernels
{
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int n = a.Length, i = 0;
        double s = 0;
        if (Vector.IsHardwareAccelerated && n >= 2 * Vector<double>.Count)
        {
            var va = MemoryMarshal.Cast<double, Vector<double>>(a);
            var vb = MemoryMarshal.Cast<double, Vector<double>>(b[..n]);
            var acc0 = Vector<double>.Zero; var acc1 = Vector<double>.Zero;
            int k = 0;
            for (; k + 1 < va.Length; k += 2) { acc0 += va[k] * vb[k]; acc1 += va[k + 1] * vb[k + 1]; }
            for (; k < va.Length; k++) acc0 += va[k] * vb[k];
            s = Vector.Dot(acc0 + acc1, Vector<double>.One);
            i = va.Length * Vector<double>.Count;
        }
        for (; i < n; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>y ← y + a·x.</summary>
    public static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        int n = x.Length, i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
            var vy = MemoryMarshal.Cast<double, Vector<double>>(y[..n]);
            var va = new Vector<double>(a);
            for (int k = 0; k < vx.Length; k++) vy[k] += va * vx[k];
            i = vx.Length * Vector<double>.Count;
        }
        for (; i < n; i++) y[i] += a * x[i];
    }

    /// <summary>Σ_j (a_j − b_j)² (SIMD; the order of the sum depends only on the length and the vector width).</summary>
    public static double SquaredDistance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int n = a.Length, i = 0;
        double s = 0;
        if (Vector.IsHardwareAccelerated && n >= 2 * Vector<double>.Count)
        {
            var va = MemoryMarshal.Cast<double, Vector<double>>(a);
            var vb = MemoryMarshal.Cast<double, Vector<double>>(b[..n]);
            var acc0 = Vector<double>.Zero; var acc1 = Vector<double>.Zero;
            int k = 0;
            for (; k + 1 < va.Length; k += 2)
            {
                var t0 = va[k] - vb[k]; var t1 = va[k + 1] - vb[k + 1];
                acc0 += t0 * t0; acc1 += t1 * t1;
            }
            for (; k < va.Length; k++) { var t = va[k] - vb[k]; acc0 += t * t; }
            s = Vector.Dot(acc0 + acc1, Vector<double>.One);
            i = va.Length * Vector<double>.Count;
        }
        for (; i < n; i++) { double t = a[i] - b[i]; s += t * t; }
        return s;
    }

    /// <summary>acc_j ← acc_j + c·(a_j − b_j)².</summary>
    public static void AddSquaredDifference(double c, ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> acc)
    {
        int n = a.Length, i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var va = MemoryMarshal.Cast<double, Vector<double>>(a);
            var vb = MemoryMarshal.Cast<double, Vector<double>>(b[..n]);
            var vacc = MemoryMarshal.Cast<double, Vector<double>>(acc[..n]);
            var vc = new Vector<double>(c);
            for (int k = 0; k < va.Length; k++) { var t = va[k] - vb[k]; vacc[k] += vc * (t * t); }
            i = va.Length * Vector<double>.Count;
        }
        for (; i < n; i++) { double t = a[i] - b[i]; acc[i] += c * t * t; }
    }

    /// <summary>y1 ← y1 + a1·x and y2 ← y2 + a2·x in one pass over x (each result as <see cref="Axpy"/> gives it).</summary>
    public static void Axpy2(double a1, double a2, ReadOnlySpan<double> x, Span<double> y1, Span<double> y2)
    {
        int n = x.Length, i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
            var v1 = MemoryMarshal.Cast<double, Vector<double>>(y1[..n]);
            var v2 = MemoryMarshal.Cast<double, Vector<double>>(y2[..n]);
            var va1 = new Vector<double>(a1); var va2 = new Vector<double>(a2);
            for (int k = 0; k < vx.Length; k++) { var t = vx[k]; v1[k] += va1 * t; v2[k] += va2 * t; }
            i = vx.Length * Vector<double>.Count;
        }
        for (; i < n; i++) { y1[i] += a1 * x[i]; y2[i] += a2 * x[i]; }
    }

    /// <summary>
    /// Cholesky factor of the symmetric matrix A + jitter·I (row-major n×n; only the lower triangle of A is read) into
    /// the row-major lower-triangular <paramref name="l"/> (upper triangle zero). Row-oriented (Cholesky–Banachiewicz):
    /// every entry is one SIMD dot product of two contiguous row prefixes. Returns false when a pivot is not positive
    /// and finite. Hand-written because MathNet's managed factorisation took 0.26 s CPU at n = 1,000 against ≈ 0.06 s here,
    /// and it is the largest single cost of a BO trial at 1,000 points.
    /// </summary>
    public static bool TryCholesky(double[] a, int n, double jitter, double[] l)
    {
        for (int i = 0; i < n; i++)
        {
            var li = l.AsSpan(i * n, n);
            for (int j = 0; j < i; j++)
                li[j] = (a[i * n + j] - Dot(li[..j], l.AsSpan(j * n, j))) / l[j * n + j];
            double pivot = a[i * n + i] + jitter - Dot(li[..i], li[..i]);
            if (!(pivot > 0) || !double.IsFinite(pivot)) return false;
            li[i] = Math.Sqrt(pivot);
            li[(i + 1)..].Clear();
        }
        return true;
    }

    /// <summary>Solves L·v = b (L lower triangular, row-major n×n), writing v.</summary>
    public static void ForwardSubstitute(double[] l, int n, ReadOnlySpan<double> b, Span<double> v)
    {
        for (int i = 0; i < n; i++)
        {
            var row = l.AsSpan(i * n, i);
            v[i] = (b[i] - Dot(row, v[..i])) / l[i * n + i];
        }
    }

    /// <summary>
    /// Solves L·v_b = b_b for m right-hand sides at once (rows of <paramref name="b"/> and <paramref name="v"/>, each of
    /// length n): every row of L is read once for all m, so L streams from memory m times less often. Each solution is
    /// bit-identical to <see cref="ForwardSubstitute"/> on its own.
    /// </summary>
    public static void ForwardSubstituteMany(double[] l, int n, double[] b, double[] v, int m)
    {
        for (int i = 0; i < n; i++)
        {
            var row = l.AsSpan(i * n, i);
            double lii = l[i * n + i];
            for (int r = 0; r < m; r++)
            {
                int o = r * n;
                v[o + i] = (b[o + i] - Dot(row, v.AsSpan(o, i))) / lii;
            }
        }
    }

    /// <summary>Solves Lᵀ·w = v (L lower triangular, row-major n×n), writing w; <paramref name="work"/> has length n.</summary>
    public static void BackSubstituteTransposed(double[] l, int n, ReadOnlySpan<double> v, Span<double> w, Span<double> work)
    {
        v.CopyTo(work);
        for (int i = n - 1; i >= 0; i--)
        {
            double wi = work[i] / l[i * n + i];
            w[i] = wi;
            Axpy(-wi, l.AsSpan(i * n, i), work[..i]);
        }
    }

    /// <summary>
    /// <see cref="BackSubstituteTransposed"/> for m right-hand sides (rows of <paramref name="v"/>, <paramref name="w"/> and
    /// <paramref name="work"/>, each of length n), reading each row of L once for all of them; each solution bit-identical.
    /// </summary>
    public static void BackSubstituteTransposedMany(double[] l, int n, double[] v, double[] w, double[] work, int m)
    {
        Array.Copy(v, work, m * n);
        for (int i = n - 1; i >= 0; i--)
        {
            var row = l.AsSpan(i * n, i);
            double lii = l[i * n + i];
            for (int r = 0; r < m; r++)
            {
                int o = r * n;
                double wi = work[o + i] / lii;
                w[o + i] = wi;
                Axpy(-wi, row, work.AsSpan(o, i));
            }
        }
    }

    /// <summary>K⁻¹ = L⁻ᵀ·L⁻¹ from the Cholesky factor (row-major), full symmetric result in <paramref name="inv"/>.</summary>
    public static void InverseFromCholesky(double[] l, int n, double[] inv, double[] m)
    {
        // M = L⁻¹ (lower), row by row: M[i,:] = (e_i − Σ_{k<i} L[i,k]·M[k,:]) / L[i,i].
        Array.Clear(m, 0, n * n);
        for (int i = 0; i < n; i++)
        {
            var mi = m.AsSpan(i * n, i + 1);
            for (int k = 0; k < i; k++)
            {
                double lik = l[i * n + k];
                if (lik != 0) Axpy(-lik, m.AsSpan(k * n, k + 1), mi);
            }
            mi[i] = 1.0;
            double inv_ii = 1.0 / l[i * n + i];
            for (int j = 0; j <= i; j++) mi[j] *= inv_ii;
        }
        // K⁻¹ = Mᵀ·M: K⁻¹[i, 0..i] = Σ_{k ≥ i} M[k,i]·M[k, 0..i].
        Array.Clear(inv, 0, n * n);
        for (int k = 0; k < n; k++)
        {
            var mk = m.AsSpan(k * n, k + 1);
            for (int i = 0; i <= k; i++)
            {
                double mki = mk[i];
                if (mki != 0) Axpy(mki, mk[..(i + 1)], inv.AsSpan(i * n, i + 1));
            }
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) inv[j * n + i] = inv[i * n + j];
    }
}
