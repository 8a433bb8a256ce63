namespace ContactOpt.Envs.Cloth;

/// <summary>
/// Spring forces with per-spring stiffness k (force per unit strain, from the patch) and stiffness-proportional
/// damping: F = k·(ℓ/L − 1) + β·k·(w·n̂)/L along n̂ = d/ℓ, d = x_b − x_a, w = v_b − v_a; +F·n̂ acts on a, −F·n̂ on b.
/// Two passes, both in gather form: a spring pass writes each spring's force, a vertex pass sums the springs
/// incident to each vertex (so a parallel loop gives bit-identical results for any thread count).
/// </summary>
public static class SpringKernel
{
    /// <summary>Spring pass over springs [s0, s1): fs (3 × S, SoA) ← per-spring force on vertex a.</summary>
    public static void SpringForces(ClothMesh mesh, ReadOnlySpan<double> x, ReadOnlySpan<double> v, ReadOnlySpan<double> k,
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
