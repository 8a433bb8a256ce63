namespace ContactOpt.Envs.Mpm;

/// <summary>Loss weights (PlasticineLab: 10·density + 10·SDF + 1·contact).</summary>
public readonly record struct LossWeights(double Density, double Sdf, double Contact);

/// <summary>A target: grid mass T and its unsigned distance field (world units, 0 where T &gt; 1e-4).</summary>
public sealed class Target
{
    public Target(int n, double[] mass)
    {
        if (mass.Length != n * n * n) throw new ArgumentException($"target has {mass.Length} cells, expected {n}³.");
        N = n; Mass = mass; Sdf = DistanceField(n, mass);
        foreach (var t in mass) { TotalMass += t; if (t > MaxMass) MaxMass = t; SumSquares += t * t; }
        var nz = new List<int>();
        for (int i = 0; i < mass.Length; i++) if (mass[i] != 0) nz.Add(i);
        Occupied = nz.ToArray();
    }
    /// <summary>Indices of the nodes with nonzero target mass.</summary>
    public int[] Occupied { get; }
    public int N { get; }
    public double[] Mass { get; }
    public double[] Sdf { get; }
    public double TotalMass { get; }
    public double MaxMass { get; }
    public double SumSquares { get; }

    /// <summary>Distance of each node to the nearest occupied node (√(d² + 1e-8) as PlasticineLab's norm), exact (brute force over occupied nodes).</summary>
    static double[] DistanceField(int n, double[] mass)
    {
        var occ = new List<int>();
        for (int i = 0; i < mass.Length; i++) if (mass[i] > 1e-4) occ.Add(i);
        var sdf = new double[mass.Length];
        double dx = 1.0 / n;
        var ox = occ.Select(i => i % n).ToArray(); var oy = occ.Select(i => i / n % n).ToArray(); var oz = occ.Select(i => i / (n * n)).ToArray();
        for (int i = 0; i < mass.Length; i++)
        {
            if (mass[i] > 1e-4) continue;
            if (occ.Count == 0) { sdf[i] = 1000; continue; }
            int x = i % n, y = i / n % n, z = i / (n * n);
            int best = int.MaxValue;
            for (int k = 0; k < ox.Length; k++)
            {
                int a = x - ox[k], b = y - oy[k], c = z - oz[k];
                int d2 = a * a + b * b + c * c;
                if (d2 < best) best = d2;
            }
            sdf[i] = Math.Sqrt(best * dx * dx + 1e-8);
        }
        return sdf;
    }
}

/// <summary>
/// PlasticineLab's loss at a frame: grid mass M by the quadratic splat of the particle masses, density
/// Σ|M − T|, SDF Σ sdf_T·M, contact Σ over moving primitives of (minₚ max(sdf(xₚ), 0))²; and its adjoint.
/// </summary>
public sealed partial class Engine
{
    readonly Action<int, int> _splatSlab, _splatBarBody;
    Target? _target;
    LossWeights _weights;

    void SplatSlab(int start, int end)
    {
        double m = _s.PMass;
        int n = _n;
        for (int k = start; k < end; k++)
        {
            int slab = SlabOf(k);
            for (int q = _slabStart[slab]; q < _slabStart[slab + 1]; q++)
            {
                int p = _sorted[q];
                int bx = _base[3 * p], by = _base[3 * p + 1], bz = _base[3 * p + 2];
                int wo = 9 * p;
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++)
                    {
                        double wxy = _w[wo + i] * _w[wo + 3 + j];
                        for (int l = 0; l < 3; l++)
                            _gm[((bz + l) * n + (by + j)) * n + bx + i] += wxy * _w[wo + 6 + l] * m;
                    }
            }
        }
    }

    /// <summary>Grid mass of a frame into the engine's mass grid (for losses, IoU and rendering).</summary>
    public void Splat(double[] frame)
    {
        _in = frame;
        Prepare();
        ClearBox(_gm, 1);
        ColouredSlabs(_splatSlab);
    }

    /// <summary>Terms of the loss at <paramref name="frame"/>: (density, sdf, contact).</summary>
    public (double Density, double Sdf, double Contact) LossTerms(double[] frame, Target target)
    {
        Splat(frame);
        int n = _n;
        // Σ|M − T| = Σ over the particles' box of |M − T| + Σ of T outside it (no cancellation against the total).
        double dens = 0, sdf = 0;
        foreach (int i in target.Occupied)
        {
            int x = i % n, y = i / n % n, z = i / (n * n);
            if (x < _xLo || x > _xHi || y < _yLo || y > _yHi || z < _zLo || z > _zHi) dens += target.Mass[i];
        }
        var t = target.Mass; var st = target.Sdf;
        for (int z = _zLo; z <= _zHi; z++)
            for (int y = _yLo; y <= _yHi; y++)
                for (int x = _xLo; x <= _xHi; x++)
                {
                    int i = (z * n + y) * n + x;
                    double mi = _gm[i];
                    dens += Math.Abs(mi - t[i]);
                    sdf += st[i] * mi;
                }
        double contact = 0;
        for (int k = 0; k < _s.Primitives.Length; k++)
        {
            if (_s.Primitives[k].ActionDim == 0) continue;
            ContactMin(frame, k, out double dmin, out _, out _);
            contact += dmin * dmin;
        }
        return (dens, sdf, contact);
    }

    void ContactMin(double[] frame, int k, out double dmin, out int arg, out V3 normal)
    {
        var pr = _s.Primitives[k];
        var r = pr.Rotates ? Quat.Load(frame, _s.RotOffset + 4 * k).Matrix() : pr.Rotation;
        bool ident = !pr.Rotates && pr.IsIdentity;
        var pos = V3.Load(frame, _s.PoseOffset + 3 * k);
        dmin = double.PositiveInfinity; arg = -1; normal = new V3();
        for (int p = 0; p < _np; p++)
        {
            pr.World(V3.Load(frame, 3 * p), pos, r, ident, out double d, out var nrm);
            d = Math.Max(d, 0);
            if (d < dmin) { dmin = d; arg = p; normal = nrm; }
        }
    }

    public double Loss(double[] frame, Target target, LossWeights w)
    {
        long t0 = Profile is null ? 0 : ProfileNow();
        var (d, s, c) = LossTerms(frame, target);
        Tick(10, ref t0);
        return w.Density * d + w.Sdf * s + w.Contact * c;
    }

    /// <summary>Adds ∂(scale·loss)/∂frame to <paramref name="frameBar"/>.</summary>
    public void LossBackward(double[] frame, Target target, LossWeights w, double scale, double[] frameBar)
    {
        long t0 = Profile is null ? 0 : ProfileNow();
        LossBackwardCore(frame, target, w, scale, frameBar);
        Tick(11, ref t0);
    }

    void LossBackwardCore(double[] frame, Target target, LossWeights w, double scale, double[] frameBar)
    {
        Splat(frame);
        _target = target; _weights = w;
        int n = _n;
        var t = target.Mass; var st = target.Sdf;
        for (int z = _zLo; z <= _zHi; z++)
            for (int y = _yLo; y <= _yHi; y++)
                for (int x = _xLo; x <= _xHi; x++)
                {
                    int i = (z * n + y) * n + x;
                    double diff = _gm[i] - t[i];
                    _gmBar[i] = scale * (w.Density * (diff > 0 ? 1 : diff < 0 ? -1 : 0) + w.Sdf * st[i]);
                }
        _inBar = frameBar;
        _loop.For(_np, ParticleGrain, _splatBarBody);
        for (int k = 0; k < _s.Primitives.Length; k++)
        {
            if (_s.Primitives[k].ActionDim == 0) continue;
            ContactMin(frame, k, out double dmin, out int arg, out var nrm);
            if (!(dmin > 0)) continue;
            double g = scale * w.Contact * 2 * dmin;
            (g * nrm).AddTo(frameBar, 3 * arg);
            (-g * nrm).AddTo(frameBar, _s.PoseOffset + 3 * k);
            if (_s.Primitives[k].Rotates)
            {
                // d = sdf(R ᵀ(x − p)): ∂d/∂R = (x − p) gᵀ with g = Rᵀ n the local gradient.
                int ro = _s.RotOffset + 4 * k;
                var q = Quat.Load(frame, ro);
                var rel = V3.Load(frame, 3 * arg) - V3.Load(frame, _s.PoseOffset + 3 * k);
                Quat.MatrixBackward(q, M3.Outer(g * rel, q.Matrix().TMul(nrm))).AddTo(frameBar, ro);
            }
        }
    }

    void SplatBackwardBlock(int start, int end)
    {
        double m = _s.PMass, inv = _s.InvDx;
        int n = _n;
        for (int p = start; p < end; p++)
        {
            int bx = _base[3 * p], by = _base[3 * p + 1], bz = _base[3 * p + 2];
            int wo = 9 * p;
            double gx = 0, gy = 0, gz = 0;
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    for (int l = 0; l < 3; l++)
                    {
                        double mb = m * _gmBar[((bz + l) * n + (by + j)) * n + bx + i];
                        gx += _dw[wo + i] * _w[wo + 3 + j] * _w[wo + 6 + l] * mb;
                        gy += _w[wo + i] * _dw[wo + 3 + j] * _w[wo + 6 + l] * mb;
                        gz += _w[wo + i] * _w[wo + 3 + j] * _dw[wo + 6 + l] * mb;
                    }
            _inBar[3 * p] += gx * inv; _inBar[3 * p + 1] += gy * inv; _inBar[3 * p + 2] += gz * inv;
        }
    }

    /// <summary>PlasticineLab's soft IoU of the frame's grid mass with the target (each normalised by its maximum): I/(U − I).</summary>
    public double Iou(double[] frame, Target target)
    {
        Splat(frame);
        int n = _n;
        double ma = 0, inter = 0, ua = 0;
        for (int z = _zLo; z <= _zHi; z++)
            for (int y = _yLo; y <= _yHi; y++)
                for (int x = _xLo; x <= _xHi; x++)
                {
                    int i = (z * n + y) * n + x;
                    double mi = _gm[i];
                    if (mi > ma) ma = mi;
                    inter += mi * target.Mass[i]; ua += mi;
                }
        return SoftIou(ma, inter, ua, target);
    }

    public static double SoftIou(double ma, double inter, double ua, Target target)
    {
        double mb = target.MaxMass;
        if (ma <= 0 || mb <= 0) return 0;
        double i = inter / ma / mb, u = ua / ma + target.TotalMass / mb;
        return i / (u - i);
    }

    /// <summary>Grid mass of the last <see cref="Splat"/> (read-only view).</summary>
    public ReadOnlySpan<double> GridMass => _gm;
}
