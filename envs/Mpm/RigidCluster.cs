namespace ContactOpt.Envs.Mpm;

/// <summary>
/// Rigid projection of one particle cluster after G2P (deformables.md §3.4(ii)): from the particles' start-of-substep
/// positions x_p and their G2P velocities v_p (equal masses), centre c = mean x, r_p = x_p − c, V = mean v,
/// L = Σ r_p × v_p, I = Σ (|r_p|² 1 − r_p r_pᵀ), ω = I⁻¹ L; then v'_p = V + ω × r_p, C'_p = skew(ω) and
/// x'_p = clamp(x_p + dt·v'_p, 0, hi) per component (the clamp of G2P). This keeps the cluster's linear and
/// angular momentum, so the coupling to the liquid through the shared grid is two-way. The cluster's particles also
/// keep the isotropic part of their G2P velocity gradient, C'_p = skew(ω) + (tr C_p/3)·I, so that their volume ratio J
/// follows the grid's compression and their pressure keeps the syrup out of the cube (else the syrup seeps through the
/// sparse cluster and there is no buoyancy). Sums run in particle order (deterministic). Forward and adjoint side by side.
/// </summary>
public static class RigidProjection
{
    /// <summary>Centre, V, ω of a cluster (x and v hold 3n values each).</summary>
    static void Motion(ReadOnlySpan<double> x, ReadOnlySpan<double> v, int n, out V3 c, out V3 vel, out V3 l, out M3 inertia, out V3 omega)
    {
        c = new V3(); vel = new V3();
        for (int p = 0; p < n; p++) { c += V3.Load(x, 3 * p); vel += V3.Load(v, 3 * p); }
        c = (1.0 / n) * c; vel = (1.0 / n) * vel;
        l = new V3(); inertia = new M3();
        for (int p = 0; p < n; p++)
        {
            var r = V3.Load(x, 3 * p) - c;
            l += r.Cross(V3.Load(v, 3 * p));
            inertia += r.Norm2 * M3.Identity - M3.Outer(r, r);
        }
        omega = Solve(inertia, l);
    }

    /// <summary>I⁻¹ b for the symmetric positive-definite inertia (cofactor formula).</summary>
    static V3 Solve(in M3 a, V3 b) => (1 / a.Det) * (a.Cofactor.T * b);

    /// <summary><paramref name="trace"/>: tr C of each particle's G2P velocity gradient (n values).</summary>
    public static void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> v, ReadOnlySpan<double> trace, int n, double dt, double hi,
        Span<double> xOut, Span<double> vOut, Span<double> cOut)
    {
        Motion(x, v, n, out var c, out var vel, out _, out _, out var w);
        var skew = Skew(w);
        for (int p = 0; p < n; p++)
        {
            var xp = V3.Load(x, 3 * p);
            var u = vel + w.Cross(xp - c);
            u.Store(vOut, 3 * p);
            var cp = skew;
            double iso = trace[p] / 3;
            cp.A00 = iso; cp.A11 = iso; cp.A22 = iso;
            cp.Store(cOut, 9 * p);
            for (int d = 0; d < 3; d++) xOut[3 * p + d] = Math.Max(Math.Min(xp[d] + dt * u[d], hi), 0.0);
        }
    }

    static M3 Skew(V3 w) => new() { A01 = -w.Z, A02 = w.Y, A10 = w.Z, A12 = -w.X, A20 = -w.Y, A21 = w.X };

    /// <summary>From ∂L/∂(x', v', C') overwrites ∂L/∂x, ∂L/∂v and ∂L/∂(tr C).</summary>
    public static void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> v, int n, double dt, double hi,
        ReadOnlySpan<double> xOutBar, ReadOnlySpan<double> vOutBar, ReadOnlySpan<double> cOutBar, Span<double> xBar, Span<double> vBar, Span<double> traceBar)
    {
        Motion(x, v, n, out var c, out var vel, out _, out var inertia, out var w);
        var wBar = new V3(); var velBar = new V3();
        // Per particle: u = V + ω × r, x' = x + dt u (unclamped components), C' = skew(ω).
        for (int p = 0; p < n; p++)
        {
            var xp = V3.Load(x, 3 * p);
            var r = xp - c;
            var u = vel + w.Cross(r);
            var uBar = V3.Load(vOutBar, 3 * p);
            var direct = new V3();
            for (int d = 0; d < 3; d++)
            {
                double x1 = xp[d] + dt * u[d];
                if (x1 > hi || x1 < 0) continue;
                double g = xOutBar[3 * p + d];
                direct[d] = g; uBar[d] += dt * g;
            }
            direct.Store(vBar, 3 * p);   // parked here until the second pass
            var cb = M3.Load(cOutBar, 9 * p);
            traceBar[p] = cb.Trace / 3;
            wBar += new V3(cb.A21 - cb.A12, cb.A02 - cb.A20, cb.A10 - cb.A01);
            wBar += r.Cross(uBar);
            velBar += uBar;
            uBar.Cross(w).Store(xBar, 3 * p);   // r̄ from ω × r
        }
        // ω = I⁻¹ L.
        var lBar = Solve(inertia, wBar);
        var iBar = -1.0 * M3.Outer(lBar, w);
        var iSym = iBar + iBar.T;
        double trI = 2 * iBar.Trace;
        var rBarSum = new V3();
        for (int p = 0; p < n; p++)
        {
            var r = V3.Load(x, 3 * p) - c;
            var vp = V3.Load(v, 3 * p);
            // I = Σ (r·r 1 − r rᵀ), L = Σ r × v, V = mean v.
            var rb = V3.Load(xBar, 3 * p) + trI * r - iSym * r + vp.Cross(lBar);
            (rb + V3.Load(vBar, 3 * p)).Store(xBar, 3 * p);
            (lBar.Cross(r) + (1.0 / n) * velBar).Store(vBar, 3 * p);
            rBarSum += rb;
        }
        // r = x − c with c = mean x.
        var cShare = (1.0 / n) * rBarSum;
        for (int p = 0; p < n; p++) (V3.Load(xBar, 3 * p) - cShare).Store(xBar, 3 * p);
    }
}
