using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ContactOpt.Envs.Mpm;

/// <summary>
/// G2P: v' = Σ w v_i, C' = (4/dx²) Σ w v_i (x_i − x_p)ᵀ, x' = clamp(x + dt v', 0, 1 − 3dx). Forward gathers per
/// particle; the adjoint computes the particle terms and scatters ∂L/∂v_i particle by particle, slab by slab.
/// </summary>
public sealed partial class Engine
{
    readonly Action<int, int> _g2pBody, _g2pBarSlab;

    void G2PBlock(int start, int end)
    {
        double inv = _s.InvDx, dt = _s.Dt, hi = 1 - 3 * _s.Dx;
        int n = _n, vo = _s.VOffset, co = _s.COffset, nn = n * n;
        for (int p = start; p < end; p++)
        {
            int bx = _base[3 * p], by = _base[3 * p + 1], bz = _base[3 * p + 2];
            double fx = _fx[3 * p], fy = _fx[3 * p + 1], fz = _fx[3 * p + 2];
            int wo = 9 * p;
            double vx = 0, vy = 0, vz = 0;
            // Rows of C as (C_r0, C_r1, C_r2, 0) in Vector256 lanes; the offset (ox, oy, oz, 0) is assembled from
            // one-hot lanes by exact additions of zeros, and each lane adds g·o in the scalar node order: bit-identical.
            var c0 = Vector256<double>.Zero; var c1 = c0; var c2 = c0;
            for (int i = 0; i < 3; i++)
            {
                var ox = Vector256.Create(i - fx, 0, 0, 0);
                double wx = _w[wo + i];
                for (int j = 0; j < 3; j++)
                {
                    var oxy = ox + Vector256.Create(0, j - fy, 0, 0);
                    double wxy = wx * _w[wo + 3 + j];
                    int node = ((bz * n + (by + j)) * n + bx + i);
                    for (int l = 0; l < 3; l++, node += nn)
                    {
                        var o = oxy + Vector256.Create(0, 0, l - fz, 0);
                        double wt = wxy * _w[wo + 6 + l];
                        double gx = wt * _gv[3 * node], gy = wt * _gv[3 * node + 1], gz = wt * _gv[3 * node + 2];
                        vx += gx; vy += gy; vz += gz;
                        c0 += Vector256.Create(gx) * o; c1 += Vector256.Create(gy) * o; c2 += Vector256.Create(gz) * o;
                    }
                }
            }
            _out[vo + 3 * p] = vx; _out[vo + 3 * p + 1] = vy; _out[vo + 3 * p + 2] = vz;
            double sc = 4 * inv;
            int oc = co + 9 * p;
            _out[oc] = sc * c0.GetElement(0); _out[oc + 1] = sc * c0.GetElement(1); _out[oc + 2] = sc * c0.GetElement(2);
            _out[oc + 3] = sc * c1.GetElement(0); _out[oc + 4] = sc * c1.GetElement(1); _out[oc + 5] = sc * c1.GetElement(2);
            _out[oc + 6] = sc * c2.GetElement(0); _out[oc + 7] = sc * c2.GetElement(1); _out[oc + 8] = sc * c2.GetElement(2);
            _out[3 * p] = Math.Max(Math.Min(_in[3 * p] + dt * vx, hi), 0.0);
            _out[3 * p + 1] = Math.Max(Math.Min(_in[3 * p + 1] + dt * vy, hi), 0.0);
            _out[3 * p + 2] = Math.Max(Math.Min(_in[3 * p + 2] + dt * vz, hi), 0.0);
        }
    }

    /// <summary>
    /// Per particle: ∂L/∂x through the weights and offsets, with ḡ(o) = v̄ + (4/dx)·C̄·o the adjoint a node's velocity
    /// receives (o = node offset in cells, linear in the node index: built by additions per axis), and the offset
    /// term −(4/dx²)·C̄ᵀ Σ w v_i. Returns ḡ at o = 0 (<paramref name="q0"/>) and its steps per axis (k0, k1, k2) for the scatter.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void G2PBackwardParticle(int p, out V3 q0, out V3 k0, out V3 k1, out V3 k2)
    {
        double inv = _s.InvDx, dt = _s.Dt, hi = 1 - 3 * _s.Dx, s4 = 4 * inv;
        int n = _n, vo = _s.VOffset, co = _s.COffset, nn = n * n;
        var vNew = V3.Load(_out, vo + 3 * p);
        var vBar = V3.Load(_outBar, vo + 3 * p);
        for (int d = 0; d < 3; d++)
        {
            double x1 = _in[3 * p + d] + dt * vNew[d];
            if (x1 > hi || x1 < 0) continue;   // clamped component: no gradient
            double g = _outBar[3 * p + d];
            _inBar[3 * p + d] += g;
            vBar[d] += dt * g;
        }
        var cBar = M3.Load(_outBar, co + 9 * p);
        int bx = _base[3 * p], by = _base[3 * p + 1], bz = _base[3 * p + 2];
        double fx = _fx[3 * p], fy = _fx[3 * p + 1], fz = _fx[3 * p + 2];
        k0 = s4 * cBar.Col(0); k1 = s4 * cBar.Col(1); k2 = s4 * cBar.Col(2);
        q0 = vBar - (fx * k0 + fy * k1 + fz * k2);
        int wo = 9 * p;
        double gx = 0, gy = 0, gz = 0;
        var sumWv = new V3();
        for (int i = 0; i < 3; i++)
        {
            double wx = _w[wo + i], dwx = _dw[wo + i] * inv;
            var qi = q0 + i * k0;
            for (int j = 0; j < 3; j++)
            {
                double wy = _w[wo + 3 + j], dwy = _dw[wo + 3 + j] * inv;
                var qij = qi + j * k1;
                int node = (bz * n + (by + j)) * n + bx + i;
                for (int l = 0; l < 3; l++, node += nn)
                {
                    double wz = _w[wo + 6 + l], dwz = _dw[wo + 6 + l] * inv;
                    double ux = _gv[3 * node], uy = _gv[3 * node + 1], uz = _gv[3 * node + 2];
                    var g = qij + l * k2;
                    double contrib = ux * g.X + uy * g.Y + uz * g.Z;
                    double wyz = wy * wz;
                    gx += dwx * wyz * contrib; gy += wx * dwy * wz * contrib; gz += wx * wy * dwz * contrib;
                    double wt = wx * wyz;
                    sumWv.X += wt * ux; sumWv.Y += wt * uy; sumWv.Z += wt * uz;
                }
            }
        }
        var t = cBar.TMul(sumWv);
        double s = 4 * inv * inv;
        _inBar[3 * p] += gx - s * t.X; _inBar[3 * p + 1] += gy - s * t.Y; _inBar[3 * p + 2] += gz - s * t.Z;
    }

    /// <summary>
    /// The adjoint of G2P, slab by slab (fixed order): per particle <see cref="G2PBackwardParticle"/> (its own
    /// outputs only), then the scatter of w·ḡ(o) to the nodes' velocity adjoints (4-double slots). One loop, so the
    /// particle terms cost no parallel loop of their own. ḡ and its per-axis steps are 4-lane vectors (x, y, z, 0):
    /// each lane does the scalar operations in the scalar order.
    /// </summary>
    void G2PBackwardSlab(int start, int end)
    {
        int n = _n;
        var gvBar = _gvBar;
        for (int k = start; k < end; k++)
        {
            int slab = SlabOf(k);
            for (int q = _slabStart[slab]; q < _slabStart[slab + 1]; q++)
            {
                int p = _sorted[q];
                G2PBackwardParticle(p, out var q0, out var k0, out var k1, out var k2);
                int bx = _base[3 * p], by = _base[3 * p + 1], bz = _base[3 * p + 2];
                var q0v = Vector256.Create(q0.X, q0.Y, q0.Z, 0);
                var k0v = Vector256.Create(k0.X, k0.Y, k0.Z, 0);
                var k1v = Vector256.Create(k1.X, k1.Y, k1.Z, 0);
                var k2v = Vector256.Create(k2.X, k2.Y, k2.Z, 0);
                var g0 = Vector256.Create(0.0) * k0v; var g1 = k0v; var g2 = Vector256.Create(2.0) * k0v;   // i·k0 for i = 0, 1, 2 (as the scalar i * k0)
                int wo = 9 * p;
                double wx0 = _w[wo], wx1 = _w[wo + 1], wx2 = _w[wo + 2];
                for (int l = 0; l < 3; l++)
                {
                    double wz = _w[wo + 6 + l];
                    var ql = q0v + Vector256.Create((double)l) * k2v;
                    for (int j = 0; j < 3; j++)
                    {
                        double wyz = _w[wo + 3 + j] * wz;
                        var qjl = ql + Vector256.Create((double)j) * k1v;
                        int row = ((bz + l) * n + (by + j)) * n + bx;
                        ref double slot = ref gvBar[4 * row];   // nodes row..row+2, in range since bx ≤ n − 3
                        ref double s0 = ref Unsafe.Add(ref slot, 0); ref double s1 = ref Unsafe.Add(ref slot, 4); ref double s2 = ref Unsafe.Add(ref slot, 8);
                        Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref s0) + Vector256.Create(wx0 * wyz) * (qjl + g0), ref s0);
                        Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref s1) + Vector256.Create(wx1 * wyz) * (qjl + g1), ref s1);
                        Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref s2) + Vector256.Create(wx2 * wyz) * (qjl + g2), ref s2);
                    }
                }
            }
        }
    }
}
