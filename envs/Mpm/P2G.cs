using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ContactOpt.Envs.Mpm;

/// <summary>
/// P2G: node momentum += w·(m·v_p + A_p·(x_i − x_p)), node mass += w·m, quadratic B-spline weights over the
/// 3×3×3 stencil. Forward scatters slab by slab (fixed order); the adjoint gathers per particle.
/// </summary>
public sealed partial class Engine
{
    readonly Action<int, int> _p2gSlab, _p2gBarBody;

    void P2GSlab(int start, int end)
    {
        double m = _s.PMass, dx = _s.Dx;
        int n = _n, vo = _s.VOffset;
        var gpm = _gpm;
        // Per particle, the momentum term splits as ((m v + A·x̂ ox) + A·ŷ oy) + A·ẑ oz: the three partial products
        // per axis offset are computed once, as 4-lane vectors (px, py, pz, m), (yx, yy, yz, 0), (zx, zy, zz, 0), and
        // a node's slot (momentum, mass) gets w·((x-part + y-part) + z-part) with one 4-lane read-modify-write: the
        // same operations in the same order per component as one scalar at a time (m + 0 + 0 = m exactly), so the
        // results are bit-identical to the scalar form. Nodes are visited with x innermost (each node gets one
        // contribution per particle: order-free).
        // Inline-array locals, not stackalloc: a localloc makes the JIT compile the whole method more conservatively.
        ThreeV4 xs3 = default, ys3 = default, zs3 = default;
        Span<Vector256<double>> px = xs3, py = ys3, pz = zs3;
        for (int k = start; k < end; k++)
        {
            int slab = SlabOf(k);
            for (int q = _slabStart[slab]; q < _slabStart[slab + 1]; q++)
            {
                int p = _sorted[q];
                if (_pmass is not null) m = _pmass[p];   // per-particle masses (materials hook, EngineMaterials.cs)
                int bx = _base[3 * p], by = _base[3 * p + 1], bz = _base[3 * p + 2];
                double fx = _fx[3 * p], fy = _fx[3 * p + 1], fz = _fx[3 * p + 2];
                var a = M3.Load(_affine, 9 * p);
                double mvx = m * _in[vo + 3 * p], mvy = m * _in[vo + 3 * p + 1], mvz = m * _in[vo + 3 * p + 2];
                int wo = 9 * p;
                for (int i = 0; i < 3; i++)
                {
                    double ox = (i - fx) * dx, oy = (i - fy) * dx, oz = (i - fz) * dx;
                    px[i] = Vector256.Create(mvx + a.A00 * ox, mvy + a.A10 * ox, mvz + a.A20 * ox, m);
                    py[i] = Vector256.Create(a.A01 * oy, a.A11 * oy, a.A21 * oy, 0);
                    pz[i] = Vector256.Create(a.A02 * oz, a.A12 * oz, a.A22 * oz, 0);
                }
                double wx0 = _w[wo], wx1 = _w[wo + 1], wx2 = _w[wo + 2];
                for (int l = 0; l < 3; l++)
                {
                    double wz = _w[wo + 6 + l];
                    var zl = pz[l];
                    for (int j = 0; j < 3; j++)
                    {
                        double wy = _w[wo + 3 + j];
                        var yj = py[j];
                        int row = ((bz + l) * n + (by + j)) * n + bx;
                        ref double slot = ref gpm[4 * row];   // nodes row..row+2: 12 doubles, in range since bx ≤ n − 3
                        ref double s0 = ref Unsafe.Add(ref slot, 0); ref double s1 = ref Unsafe.Add(ref slot, 4); ref double s2 = ref Unsafe.Add(ref slot, 8);
                        Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref s0) + Vector256.Create(wx0 * wy * wz) * ((px[0] + yj) + zl), ref s0);
                        Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref s1) + Vector256.Create(wx1 * wy * wz) * ((px[1] + yj) + zl), ref s1);
                        Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref s2) + Vector256.Create(wx2 * wy * wz) * ((px[2] + yj) + zl), ref s2);
                    }
                }
            }
        }
    }

    /// <summary>
    /// From ∂L/∂(node momentum, mass): ∂L/∂v_p, ∂L/∂A_p (into _affineBar) and ∂L/∂x_p (added). A node's momentum
    /// term m v + A·o is linear in the node index (built by additions per axis); Σ w P̄ oᵀ is gathered as per-axis
    /// sums of w P̄ over the three node planes of each axis.
    /// </summary>
    void P2GBackwardBlock(int start, int end)
    {
        double m = _s.PMass, dx = _s.Dx, inv = _s.InvDx;
        int n = _n, vo = _s.VOffset, nn = n * n;
        var bar = _gpmBar;
        // Node slots (P̄x, P̄y, P̄z, M̄) read as 4-lane vectors; the node term (val, m) and the per-axis sums of w·slot
        // are 4-lane too (lane 3 of the sums unused). Each lane does the scalar operations in the scalar order, and the
        // contraction P̄·val + m·M̄ adds its four products left to right as before: bit-identical to the scalar form.
        ThreeV4 sx3 = default, sy3 = default, sz3 = default;
        Span<Vector256<double>> sx = sx3, sy = sy3, sz = sz3;
        for (int p = start; p < end; p++)
        {
            if (_pmass is not null) m = _pmass[p];   // per-particle masses (materials hook, EngineMaterials.cs)
            int bx = _base[3 * p], by = _base[3 * p + 1], bz = _base[3 * p + 2];
            double fx = _fx[3 * p], fy = _fx[3 * p + 1], fz = _fx[3 * p + 2];
            var a = M3.Load(_affine, 9 * p);
            var mv = m * V3.Load(_in, vo + 3 * p);
            var k0 = dx * a.Col(0); var k1 = dx * a.Col(1); var k2 = dx * a.Col(2);
            var q0 = mv - (fx * k0 + fy * k1 + fz * k2);
            var q0v = Vector256.Create(q0.X, q0.Y, q0.Z, m);   // lane 3: m (+ i·0, exact)
            var k0v = Vector256.Create(k0.X, k0.Y, k0.Z, 0); var k1v = Vector256.Create(k1.X, k1.Y, k1.Z, 0); var k2v = Vector256.Create(k2.X, k2.Y, k2.Z, 0);
            int wo = 9 * p;
            sx.Clear(); sy.Clear(); sz.Clear();
            double gx = 0, gy = 0, gz = 0;   // ∂L/∂x through the weights
            for (int i = 0; i < 3; i++)
            {
                double wx = _w[wo + i], dwx = _dw[wo + i] * inv;
                var qi = q0v + Vector256.Create((double)i) * k0v;
                for (int j = 0; j < 3; j++)
                {
                    double wy = _w[wo + 3 + j], dwy = _dw[wo + 3 + j] * inv;
                    var qij = qi + Vector256.Create((double)j) * k1v;
                    int node = (bz * n + (by + j)) * n + bx + i;
                    for (int l = 0; l < 3; l++, node += nn)
                    {
                        double wz = _w[wo + 6 + l], dwz = _dw[wo + 6 + l] * inv;
                        var slot = Vector256.LoadUnsafe(ref bar[4 * node]);
                        var val = qij + Vector256.Create((double)l) * k2v;
                        double wt = wx * wy * wz;
                        var wp = Vector256.Create(wt) * slot;
                        sx[i] += wp; sy[j] += wp; sz[l] += wp;
                        var prod = slot * val;
                        double contrib = prod.GetElement(0) + prod.GetElement(1) + prod.GetElement(2) + prod.GetElement(3);
                        gx += dwx * wy * wz * contrib; gy += wx * dwy * wz * contrib; gz += wx * wy * dwz * contrib;
                    }
                }
            }
            V3 X(Vector256<double> v) => new(v.GetElement(0), v.GetElement(1), v.GetElement(2));
            V3 sx0 = X(sx[0]), sx1 = X(sx[1]), sx2 = X(sx[2]);
            var sumWP = sx0 + sx1 + sx2;
            // Σ w P̄ oᵀ with o = (index − f)·dx, one column per axis.
            var cx = dx * (sx1 + 2 * sx2 - fx * sumWP);
            var cy = dx * (X(sy[1]) + 2 * X(sy[2]) - fy * sumWP);
            var cz = dx * (X(sz[1]) + 2 * X(sz[2]) - fz * sumWP);
            var aBar = M3.Cols(cx, cy, cz);
            // Offsets x_i − x_p depend on x_p: −Aᵀ Σ w P̄.
            var t = a.TMul(sumWP);
            _inBar[3 * p] += gx - t.X; _inBar[3 * p + 1] += gy - t.Y; _inBar[3 * p + 2] += gz - t.Z;
            _inBar[vo + 3 * p] += m * sumWP.X; _inBar[vo + 3 * p + 1] += m * sumWP.Y; _inBar[vo + 3 * p + 2] += m * sumWP.Z;
            aBar.Store(_affineBar, 9 * p);
        }
    }

    [InlineArray(3)] struct ThreeV4 { Vector256<double> _e; }
}
