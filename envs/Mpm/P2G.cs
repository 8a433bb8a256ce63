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
        // Per particle, the momentum term splits as ((m v + A·x̂ ox) + A·ŷ oy) + A·ẑ oz: the three partial products
        // per axis offset are computed once (same operations in the same order as per node, so bit-identical), and
        // the nodes are visited with x innermost (each node gets one contribution per particle: order-free).
        Span<double> px = stackalloc double[9], py = stackalloc double[9], pz = stackalloc double[9];
        for (int k = start; k < end; k++)
        {
            int slab = SlabOf(k);
            for (int q = _slabStart[slab]; q < _slabStart[slab + 1]; q++)
            {
                int p = _sorted[q];
                int bx = _base[3 * p], by = _base[3 * p + 1], bz = _base[3 * p + 2];
                double fx = _fx[3 * p], fy = _fx[3 * p + 1], fz = _fx[3 * p + 2];
                var a = M3.Load(_affine, 9 * p);
                double mvx = m * _in[vo + 3 * p], mvy = m * _in[vo + 3 * p + 1], mvz = m * _in[vo + 3 * p + 2];
                int wo = 9 * p;
                for (int i = 0; i < 3; i++)
                {
                    double ox = (i - fx) * dx, oy = (i - fy) * dx, oz = (i - fz) * dx;
                    px[3 * i] = mvx + a.A00 * ox; px[3 * i + 1] = mvy + a.A10 * ox; px[3 * i + 2] = mvz + a.A20 * ox;
                    py[3 * i] = a.A01 * oy; py[3 * i + 1] = a.A11 * oy; py[3 * i + 2] = a.A21 * oy;
                    pz[3 * i] = a.A02 * oz; pz[3 * i + 1] = a.A12 * oz; pz[3 * i + 2] = a.A22 * oz;
                }
                double wx0 = _w[wo], wx1 = _w[wo + 1], wx2 = _w[wo + 2];
                for (int l = 0; l < 3; l++)
                {
                    double wz = _w[wo + 6 + l], zx = pz[3 * l], zy = pz[3 * l + 1], zz = pz[3 * l + 2];
                    for (int j = 0; j < 3; j++)
                    {
                        double wy = _w[wo + 3 + j], yx = py[3 * j], yy = py[3 * j + 1], yz = py[3 * j + 2];
                        int row = ((bz + l) * n + (by + j)) * n + bx;
                        for (int i = 0; i < 3; i++)
                        {
                            double wt = (i == 0 ? wx0 : i == 1 ? wx1 : wx2) * wy * wz;
                            int node = row + i;
                            _gp[3 * node] += wt * (px[3 * i] + yx + zx);
                            _gp[3 * node + 1] += wt * (px[3 * i + 1] + yy + zy);
                            _gp[3 * node + 2] += wt * (px[3 * i + 2] + yz + zz);
                            _gm[node] += wt * m;
                        }
                    }
                }
            }
        }
    }

    /// <summary>From ∂L/∂(node momentum, mass): ∂L/∂v_p, ∂L/∂A_p (into _affineBar) and ∂L/∂x_p (added).</summary>
    void P2GBackwardBlock(int start, int end)
    {
        double m = _s.PMass, dx = _s.Dx, inv = _s.InvDx;
        int n = _n, vo = _s.VOffset;
        for (int p = start; p < end; p++)
        {
            int bx = _base[3 * p], by = _base[3 * p + 1], bz = _base[3 * p + 2];
            double fx = _fx[3 * p], fy = _fx[3 * p + 1], fz = _fx[3 * p + 2];
            var a = M3.Load(_affine, 9 * p);
            double mvx = m * _in[vo + 3 * p], mvy = m * _in[vo + 3 * p + 1], mvz = m * _in[vo + 3 * p + 2];
            int wo = 9 * p;
            var sumWP = new V3();
            var aBar = new M3();
            double gx = 0, gy = 0, gz = 0;   // ∂L/∂x through the weights
            for (int i = 0; i < 3; i++)
            {
                double ox = (i - fx) * dx, wx = _w[wo + i], dwx = _dw[wo + i] * inv;
                for (int j = 0; j < 3; j++)
                {
                    double oy = (j - fy) * dx, wy = _w[wo + 3 + j], dwy = _dw[wo + 3 + j] * inv;
                    for (int l = 0; l < 3; l++)
                    {
                        double oz = (l - fz) * dx, wz = _w[wo + 6 + l], dwz = _dw[wo + 6 + l] * inv;
                        int node = ((bz + l) * n + (by + j)) * n + bx + i;
                        double px = _gpBar[3 * node], py = _gpBar[3 * node + 1], pz = _gpBar[3 * node + 2], mb = _gmBar[node];
                        double wt = wx * wy * wz;
                        sumWP.X += wt * px; sumWP.Y += wt * py; sumWP.Z += wt * pz;
                        aBar.A00 += wt * px * ox; aBar.A01 += wt * px * oy; aBar.A02 += wt * px * oz;
                        aBar.A10 += wt * py * ox; aBar.A11 += wt * py * oy; aBar.A12 += wt * py * oz;
                        aBar.A20 += wt * pz * ox; aBar.A21 += wt * pz * oy; aBar.A22 += wt * pz * oz;
                        double contrib = px * (mvx + a.A00 * ox + a.A01 * oy + a.A02 * oz)
                                       + py * (mvy + a.A10 * ox + a.A11 * oy + a.A12 * oz)
                                       + pz * (mvz + a.A20 * ox + a.A21 * oy + a.A22 * oz) + m * mb;
                        gx += dwx * wy * wz * contrib; gy += wx * dwy * wz * contrib; gz += wx * wy * dwz * contrib;
                    }
                }
            }
            // Offsets x_i − x_p depend on x_p: −Aᵀ Σ w P̄.
            var t = a.TMul(sumWP);
            _inBar[3 * p] += gx - t.X; _inBar[3 * p + 1] += gy - t.Y; _inBar[3 * p + 2] += gz - t.Z;
            _inBar[vo + 3 * p] += m * sumWP.X; _inBar[vo + 3 * p + 1] += m * sumWP.Y; _inBar[vo + 3 * p + 2] += m * sumWP.Z;
            aBar.Store(_affineBar, 9 * p);
        }
    }
}
