using System.Runtime.Intrinsics;

namespace ContactOpt.Envs.Mpm;

/// <summary>
/// G2P: v' = Σ w v_i, C' = (4/dx²) Σ w v_i (x_i − x_p)ᵀ, x' = clamp(x + dt v', 0, 1 − 3dx). Forward gathers per
/// particle; the adjoint computes the particle terms per particle and scatters ∂L/∂v_i slab by slab.
/// </summary>
public sealed partial class Engine
{
    readonly Action<int, int> _g2pBody, _g2pBarParticles, _g2pBarSlab;

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

    void G2PBackwardParticles(int start, int end)
    {
        double inv = _s.InvDx, dt = _s.Dt, hi = 1 - 3 * _s.Dx;
        int n = _n, vo = _s.VOffset, co = _s.COffset;
        for (int p = start; p < end; p++)
        {
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
            vBar.Store(_vBarTotal, 3 * p);
            var cBar = M3.Load(_outBar, co + 9 * p);
            int bx = _base[3 * p], by = _base[3 * p + 1], bz = _base[3 * p + 2];
            double fx = _fx[3 * p], fy = _fx[3 * p + 1], fz = _fx[3 * p + 2];
            int wo = 9 * p;
            double gx = 0, gy = 0, gz = 0;
            var sumCtv = new V3();
            for (int i = 0; i < 3; i++)
            {
                double ox = i - fx, wx = _w[wo + i], dwx = _dw[wo + i] * inv;
                for (int j = 0; j < 3; j++)
                {
                    double oy = j - fy, wy = _w[wo + 3 + j], dwy = _dw[wo + 3 + j] * inv;
                    for (int l = 0; l < 3; l++)
                    {
                        double oz = l - fz, wz = _w[wo + 6 + l], dwz = _dw[wo + 6 + l] * inv;
                        int node = ((bz + l) * n + (by + j)) * n + bx + i;
                        var gv = new V3(_gv[3 * node], _gv[3 * node + 1], _gv[3 * node + 2]);
                        var co_ = cBar * new V3(ox, oy, oz);
                        double contrib = gv.Dot(vBar) + 4 * inv * gv.Dot(co_);
                        gx += dwx * wy * wz * contrib; gy += wx * dwy * wz * contrib; gz += wx * wy * dwz * contrib;
                        var ctv = cBar.TMul(gv);
                        double wt = wx * wy * wz;
                        sumCtv.X += wt * ctv.X; sumCtv.Y += wt * ctv.Y; sumCtv.Z += wt * ctv.Z;
                    }
                }
            }
            double s = 4 * inv * inv;
            _inBar[3 * p] += gx - s * sumCtv.X; _inBar[3 * p + 1] += gy - s * sumCtv.Y; _inBar[3 * p + 2] += gz - s * sumCtv.Z;
        }
    }

    void G2PBackwardSlab(int start, int end)
    {
        double inv = _s.InvDx;
        int n = _n, co = _s.COffset;
        for (int k = start; k < end; k++)
        {
            int slab = SlabOf(k);
            for (int q = _slabStart[slab]; q < _slabStart[slab + 1]; q++)
            {
                int p = _sorted[q];
                var vBar = V3.Load(_vBarTotal, 3 * p);
                var cBar = (4 * inv) * M3.Load(_outBar, co + 9 * p);
                int bx = _base[3 * p], by = _base[3 * p + 1], bz = _base[3 * p + 2];
                double fx = _fx[3 * p], fy = _fx[3 * p + 1], fz = _fx[3 * p + 2];
                int wo = 9 * p;
                for (int i = 0; i < 3; i++)
                {
                    double ox = i - fx, wx = _w[wo + i];
                    for (int j = 0; j < 3; j++)
                    {
                        double oy = j - fy, wxy = wx * _w[wo + 3 + j];
                        for (int l = 0; l < 3; l++)
                        {
                            double oz = l - fz, wt = wxy * _w[wo + 6 + l];
                            int node = ((bz + l) * n + (by + j)) * n + bx + i;
                            var g = vBar + cBar * new V3(ox, oy, oz);
                            _gvBar[3 * node] += wt * g.X; _gvBar[3 * node + 1] += wt * g.Y; _gvBar[3 * node + 2] += wt * g.Z;
                        }
                    }
                }
            }
        }
    }
}
