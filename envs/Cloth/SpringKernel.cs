using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ContactOpt.Envs.Cloth;

/// <summary>
/// Spring forces with per-spring stiffness k (force per unit strain, from the patch) and stiffness-proportional
/// damping: F = k·(ℓ/L − 1) + β·k·(w·n̂)/L along n̂ = d/ℓ, d = x_b − x_a, w = v_b − v_a; +F·n̂ acts on a, −F·n̂ on b.
/// Two passes, both in gather form: a spring pass writes each spring's force, a vertex pass sums the springs
/// incident to each vertex (so a parallel loop gives bit-identical results for any thread count).
/// <para>The spring passes run 4 springs at a time in 256-bit vectors where the hardware has them, with exactly the
/// scalar code's operations in the scalar code's order (IEEE add, multiply, divide and square root are lane-wise
/// identical, and nothing is fused), so the vector and scalar paths give the same bits; the scalar loop does the tail.</para>
/// </summary>
public static class SpringKernel
{
    /// <summary>Spring pass over springs [s0, s1): fs (3 × S, SoA) ← per-spring force on vertex a.</summary>
    public static void SpringForces(ClothMesh mesh, ReadOnlySpan<double> x, ReadOnlySpan<double> v, ReadOnlySpan<double> k,
        ReadOnlySpan<double> rest, double beta, Span<double> fs, int s0, int s1)
    {
        int s = s0;
        if (Vector256.IsHardwareAccelerated && s1 - s0 >= 4) s = SpringForcesVector(mesh, x, v, k, rest, beta, fs, s0, s1);
        SpringForcesScalar(mesh, x, v, k, rest, beta, fs, s, s1);
    }

    /// <summary>The scalar spring pass (the reference the vector path reproduces bit for bit).</summary>
    public static void SpringForcesScalar(ClothMesh mesh, ReadOnlySpan<double> x, ReadOnlySpan<double> v, ReadOnlySpan<double> k,
        ReadOnlySpan<double> rest, double beta, Span<double> fs, int s0, int s1)
    {
        int n = mesh.Vertices, S = mesh.Springs;
        var A = mesh.A; var B = mesh.B;
        for (int s = s0; s < s1; s++)
        {
            int a = A[s], b = B[s];
            var d = Vec3.Get(x, n, b) - Vec3.Get(x, n, a);
            var w = Vec3.Get(v, n, b) - Vec3.Get(v, n, a);
            double l = d.Norm, L = rest[s];
            var nh = (1.0 / l) * d;
            double F = k[s] * (l / L - 1) + beta * k[s] * Vec3.Dot(w, nh) / L;
            Vec3.Set(fs, S, s, F * nh);
        }
    }

    /// <summary>Loads component c (block offset c·n) of the 4 vertices idx[0..3] of a structure-of-arrays buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<double> Load4(ref double soa, int offset, ref int idx) =>
        Vector256.Create(Unsafe.Add(ref soa, offset + idx), Unsafe.Add(ref soa, offset + Unsafe.Add(ref idx, 1)),
                         Unsafe.Add(ref soa, offset + Unsafe.Add(ref idx, 2)), Unsafe.Add(ref soa, offset + Unsafe.Add(ref idx, 3)));

    /// <summary>
    /// The geometry and force of 4 springs (s … s + 3) as the scalar passes compute them, operation for operation:
    /// relative velocity w, length ℓ, rest length L, stiffness k, 1/ℓ, direction n̂, strain rate w·n̂ and the force
    /// F = k(ℓ/L − 1) + βk(w·n̂)/L.
    /// </summary>
    readonly struct Springs4
    {
        public readonly Vector256<double> Wx, Wy, Wz, Length, Rest, K, Inv, Nx, Ny, Nz, Rate, F;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        Springs4(ref double xr, ref double vr, ref double kr, ref double Lr, int n, int s, ref int ia, ref int ib, Vector256<double> beta)
        {
            var dx = Load4(ref xr, 0, ref ib) - Load4(ref xr, 0, ref ia);
            var dy = Load4(ref xr, n, ref ib) - Load4(ref xr, n, ref ia);
            var dz = Load4(ref xr, 2 * n, ref ib) - Load4(ref xr, 2 * n, ref ia);
            Wx = Load4(ref vr, 0, ref ib) - Load4(ref vr, 0, ref ia);
            Wy = Load4(ref vr, n, ref ib) - Load4(ref vr, n, ref ia);
            Wz = Load4(ref vr, 2 * n, ref ib) - Load4(ref vr, 2 * n, ref ia);
            Length = Vector256.Sqrt(dx * dx + dy * dy + dz * dz);
            Rest = Vector256.LoadUnsafe(ref Lr, (nuint)s);
            K = Vector256.LoadUnsafe(ref kr, (nuint)s);
            Inv = Vector256<double>.One / Length;
            Nx = Inv * dx; Ny = Inv * dy; Nz = Inv * dz;
            Rate = Wx * Nx + Wy * Ny + Wz * Nz;
            F = K * (Length / Rest - Vector256<double>.One) + beta * K * Rate / Rest;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Springs4 At(ref double xr, ref double vr, ref double kr, ref double Lr, int n, int s, ref int ia, ref int ib, Vector256<double> beta) =>
            new(ref xr, ref vr, ref kr, ref Lr, n, s, ref ia, ref ib, beta);
    }

    /// <summary>Vector spring pass over whole blocks of 4 springs from s0; returns the first spring it did not do.</summary>
    static int SpringForcesVector(ClothMesh mesh, ReadOnlySpan<double> x, ReadOnlySpan<double> v, ReadOnlySpan<double> k,
        ReadOnlySpan<double> rest, double beta, Span<double> fs, int s0, int s1)
    {
        int n = mesh.Vertices, S = mesh.Springs;
        if (x.Length < 3 * n || v.Length < 3 * n || k.Length < S || rest.Length < S || fs.Length < 3 * S || s1 > S || s0 < 0)
            throw new ArgumentException("spring buffers are shorter than the mesh needs.");
        ref double xr = ref MemoryMarshal.GetReference(x), vr = ref MemoryMarshal.GetReference(v);
        ref double kr = ref MemoryMarshal.GetReference(k), Lr = ref MemoryMarshal.GetReference(rest), fr = ref MemoryMarshal.GetReference(fs);
        ref int Ar = ref MemoryMarshal.GetArrayDataReference(mesh.A), Br = ref MemoryMarshal.GetArrayDataReference(mesh.B);
        var vb = Vector256.Create(beta);
        int s = s0;
        for (; s + 4 <= s1; s += 4)
        {
            ref int ia = ref Unsafe.Add(ref Ar, s); ref int ib = ref Unsafe.Add(ref Br, s);
            var q = Springs4.At(ref xr, ref vr, ref kr, ref Lr, n, s, ref ia, ref ib, vb);
            (q.F * q.Nx).StoreUnsafe(ref fr, (nuint)s);
            (q.F * q.Ny).StoreUnsafe(ref fr, (nuint)(S + s));
            (q.F * q.Nz).StoreUnsafe(ref fr, (nuint)(2 * S + s));
        }
        return s;
    }

    /// <summary>Vertex pass over vertices [i0, i1): F ← Σ sign·fs over incident springs (overwrites).</summary>
    public static void Gather(ClothMesh mesh, ReadOnlySpan<double> fs, Span<double> F, int i0, int i1, double signScale = 1.0)
    {
        int n = mesh.Vertices, S = mesh.Springs;
        var start = mesh.IncidenceStart; var spr = mesh.IncidenceSpring; var sign = mesh.IncidenceSign;
        for (int i = i0; i < i1; i++)
        {
            double fx = 0, fy = 0, fz = 0;
            for (int e = start[i]; e < start[i + 1]; e++)
            {
                int s = spr[e]; double sg = sign[e] * signScale;
                fx += sg * fs[s]; fy += sg * fs[S + s]; fz += sg * fs[2 * S + s];
            }
            F[i] = fx; F[n + i] = fy; F[2 * n + i] = fz;
        }
    }

    /// <summary>
    /// Backward spring pass over [s0, s1): from F̄ (3N), writes per-spring d̄ and w̄ (3 × S each; the vertex pass adds
    /// −sign·d̄ to x̄ and −sign·w̄ to v̄) and overwrites k̄[s], L̄[s].
    /// </summary>
    public static void SpringBackward(ClothMesh mesh, ReadOnlySpan<double> x, ReadOnlySpan<double> v, ReadOnlySpan<double> k,
        ReadOnlySpan<double> rest, double beta, ReadOnlySpan<double> forceAdjoint, Span<double> dBar, Span<double> wBar,
        Span<double> kBar, Span<double> restBar, int s0, int s1)
    {
        int s = s0;
        if (Vector256.IsHardwareAccelerated && s1 - s0 >= 4) s = SpringBackwardVector(mesh, x, v, k, rest, beta, forceAdjoint, dBar, wBar, kBar, restBar, s0, s1);
        SpringBackwardScalar(mesh, x, v, k, rest, beta, forceAdjoint, dBar, wBar, kBar, restBar, s, s1);
    }

    static int SpringBackwardVector(ClothMesh mesh, ReadOnlySpan<double> x, ReadOnlySpan<double> v, ReadOnlySpan<double> k,
        ReadOnlySpan<double> rest, double beta, ReadOnlySpan<double> forceAdjoint, Span<double> dBar, Span<double> wBar,
        Span<double> kBar, Span<double> restBar, int s0, int s1)
    {
        int n = mesh.Vertices, S = mesh.Springs;
        if (x.Length < 3 * n || v.Length < 3 * n || forceAdjoint.Length < 3 * n || k.Length < S || rest.Length < S || kBar.Length < S ||
            restBar.Length < S || dBar.Length < 3 * S || wBar.Length < 3 * S || s1 > S || s0 < 0)
            throw new ArgumentException("spring buffers are shorter than the mesh needs.");
        ref double xr = ref MemoryMarshal.GetReference(x), vr = ref MemoryMarshal.GetReference(v), gr = ref MemoryMarshal.GetReference(forceAdjoint);
        ref double kr = ref MemoryMarshal.GetReference(k), Lr = ref MemoryMarshal.GetReference(rest);
        ref double dr = ref MemoryMarshal.GetReference(dBar), wr = ref MemoryMarshal.GetReference(wBar);
        ref double kbr = ref MemoryMarshal.GetReference(kBar), Lbr = ref MemoryMarshal.GetReference(restBar);
        ref int Ar = ref MemoryMarshal.GetArrayDataReference(mesh.A), Br = ref MemoryMarshal.GetArrayDataReference(mesh.B);
        var vb = Vector256.Create(beta);
        int s = s0;
        for (; s + 4 <= s1; s += 4)
        {
            ref int ia = ref Unsafe.Add(ref Ar, s); ref int ib = ref Unsafe.Add(ref Br, s);
            var q = Springs4.At(ref xr, ref vr, ref kr, ref Lr, n, s, ref ia, ref ib, vb);
            var (nx, ny, nz, l, L, ks, rel, F) = (q.Nx, q.Ny, q.Nz, q.Length, q.Rest, q.K, q.Rate, q.F);
            var fx = Load4(ref gr, 0, ref ia) - Load4(ref gr, 0, ref ib);
            var fy = Load4(ref gr, n, ref ia) - Load4(ref gr, n, ref ib);
            var fz = Load4(ref gr, 2 * n, ref ia) - Load4(ref gr, 2 * n, ref ib);
            var FBar = fx * nx + fy * ny + fz * nz;
            var nbx = F * fx; var nby = F * fy; var nbz = F * fz;
            (((l / L - Vector256<double>.One) + vb * rel / L) * FBar).StoreUnsafe(ref kbr, (nuint)s);
            var lBar = ks / L * FBar;
            (Vector256.Negate(ks * l + vb * ks * rel) / (L * L) * FBar).StoreUnsafe(ref Lbr, (nuint)s);
            var relBar = vb * ks / L * FBar;
            (relBar * nx).StoreUnsafe(ref wr, (nuint)s);
            (relBar * ny).StoreUnsafe(ref wr, (nuint)(S + s));
            (relBar * nz).StoreUnsafe(ref wr, (nuint)(2 * S + s));
            nbx = nbx + relBar * q.Wx; nby = nby + relBar * q.Wy; nbz = nbz + relBar * q.Wz;
            var dn = nbx * nx + nby * ny + nbz * nz;
            (q.Inv * (nbx - dn * nx) + lBar * nx).StoreUnsafe(ref dr, (nuint)s);
            (q.Inv * (nby - dn * ny) + lBar * ny).StoreUnsafe(ref dr, (nuint)(S + s));
            (q.Inv * (nbz - dn * nz) + lBar * nz).StoreUnsafe(ref dr, (nuint)(2 * S + s));
        }
        return s;
    }

    /// <summary>
    /// The scalar backward spring pass (the reference of the vector path). Backward spring pass over [s0, s1): from F̄ (3N), writes per-spring d̄ and w̄ (3 × S each; the vertex pass adds
    /// −sign·d̄ to x̄ and −sign·w̄ to v̄) and overwrites k̄[s], L̄[s].
    /// </summary>
    public static void SpringBackwardScalar(ClothMesh mesh, ReadOnlySpan<double> x, ReadOnlySpan<double> v, ReadOnlySpan<double> k,
        ReadOnlySpan<double> rest, double beta, ReadOnlySpan<double> forceAdjoint, Span<double> dBar, Span<double> wBar,
        Span<double> kBar, Span<double> restBar, int s0, int s1)
    {
        int n = mesh.Vertices, S = mesh.Springs;
        var A = mesh.A; var B = mesh.B;
        for (int s = s0; s < s1; s++)
        {
            int a = A[s], b = B[s];
            var d = Vec3.Get(x, n, b) - Vec3.Get(x, n, a);
            var w = Vec3.Get(v, n, b) - Vec3.Get(v, n, a);
            double l = d.Norm, L = rest[s], ks = k[s];
            var nh = (1.0 / l) * d;
            double rel = Vec3.Dot(w, nh);
            double F = ks * (l / L - 1) + beta * ks * rel / L;
            // f = F n̂ acts +f on a, −f on b: f̄ = F̄_a − F̄_b.
            var fBar = Vec3.Get(forceAdjoint, n, a) - Vec3.Get(forceAdjoint, n, b);
            double FBar = Vec3.Dot(fBar, nh);
            var nBar = F * fBar;
            kBar[s] = ((l / L - 1) + beta * rel / L) * FBar;
            double lBar = ks / L * FBar;
            restBar[s] = -(ks * l + beta * ks * rel) / (L * L) * FBar;
            double relBar = beta * ks / L * FBar;
            var wB = relBar * nh;
            nBar = nBar + relBar * w;
            var dB = (1.0 / l) * (nBar - Vec3.Dot(nBar, nh) * nh) + lBar * nh;
            Vec3.Set(dBar, S, s, dB);
            Vec3.Set(wBar, S, s, wB);
        }
    }

    /// <summary>Backward vertex pass over [i0, i1): x̄ += −Σ sign·d̄, v̄ += −Σ sign·w̄ (accumulates).</summary>
    public static void GatherBackward(ClothMesh mesh, ReadOnlySpan<double> dBar, ReadOnlySpan<double> wBar,
        Span<double> xBar, Span<double> vBar, int i0, int i1)
    {
        int n = mesh.Vertices, S = mesh.Springs;
        var start = mesh.IncidenceStart; var spr = mesh.IncidenceSpring; var sign = mesh.IncidenceSign;
        for (int i = i0; i < i1; i++)
        {
            double ax = 0, ay = 0, az = 0, bx = 0, by = 0, bz = 0;
            for (int e = start[i]; e < start[i + 1]; e++)
            {
                int s = spr[e]; double sg = -sign[e];
                ax += sg * dBar[s]; ay += sg * dBar[S + s]; az += sg * dBar[2 * S + s];
                bx += sg * wBar[s]; by += sg * wBar[S + s]; bz += sg * wBar[2 * S + s];
            }
            xBar[i] += ax; xBar[n + i] += ay; xBar[2 * n + i] += az;
            vBar[i] += bx; vBar[n + i] += by; vBar[2 * n + i] += bz;
        }
    }
}
