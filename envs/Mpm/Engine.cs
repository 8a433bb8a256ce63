using ContactOpt.Kernels;

namespace ContactOpt.Envs.Mpm;

/// <summary>
/// The mutable MLS-MPM engine of one workspace: grid and particle scratch (structure-of-arrays, allocated once),
/// one substep forward and its adjoint. Node-writing kernels (P2G, the adjoint of G2P, mass splats) scatter from
/// particles sorted into z-slabs of 3 cells, even slabs in parallel and then odd slabs, so every node receives its
/// contributions in one fixed order whatever the thread count: results are bit-identical for any threads.
/// </summary>
public sealed partial class Engine
{
    readonly Scene _s;
    readonly KernelLoop _loop;
    readonly int _n, _np, _nodes;
    // Grid.
    readonly double[] _gm, _gp, _gv, _gvBar, _gpBar, _gmBar;
    // Per-particle weights of the current frame: base cell, fractional position, 1-D weights and derivatives.
    readonly int[] _base;
    readonly double[] _fx, _w, _dw;
    // Constitutive outputs of the current substep.
    readonly double[] _affine, _affineBar, _vBarTotal;
    // Trial SVD per particle (U 9, σ 3, V 9), kept by the recomputation of a substep for its adjoint.
    readonly double[] _svd;
    bool _keepSvd;
    // Slab sort.
    readonly int[] _sorted, _slabStart, _slabCount;
    readonly int _slabs;
    int _zLo, _zHi, _yLo, _yHi, _xLo, _xHi;   // node bounding box touched by the particles (inclusive)
    // Pose adjoints: per node-block partials (3 per primitive), summed in block order.
    readonly double[] _posePartials;
    const int NodeGrain = 1;   // one z-layer of nodes per block
    const int ParticleGrain = 64;

    public Engine(Scene scene, int threads)
    {
        _s = scene;
        _loop = new KernelLoop(threads);
        _n = scene.N; _np = scene.Particles; _nodes = _n * _n * _n;
        _gm = new double[_nodes]; _gp = new double[3 * _nodes]; _gv = new double[3 * _nodes];
        _gvBar = new double[3 * _nodes]; _gpBar = new double[3 * _nodes]; _gmBar = new double[_nodes];
        _base = new int[3 * _np]; _fx = new double[3 * _np]; _w = new double[9 * _np]; _dw = new double[9 * _np];
        _affine = new double[9 * _np];
        _sorted = new int[_np];
        _slabs = (_n + 2) / 3;
        _slabStart = new int[_slabs + 1]; _slabCount = new int[_slabs];
        _posePartials = new double[2 * _n * 3 * Math.Max(1, scene.Primitives.Length)];
        _affineBar = new double[9 * _np]; _vBarTotal = new double[3 * _np]; _svd = new double[21 * _np];
        _g2pBody = G2PBlock; _stressBody = StressBlock; _gridBody = GridBlock; _prepareBody = PrepareBlock;
        _p2gSlab = P2GSlab; _g2pBarParticles = G2PBackwardParticles; _g2pBarSlab = G2PBackwardSlab;
        _gridBarBody = GridBackwardBlock; _p2gBarBody = P2GBackwardBlock; _stressBarBody = StressBackwardBlock;
        _splatSlab = SplatSlab; _splatBarBody = SplatBackwardBlock;
        InitMaterials();
    }

    public Scene Scene => _s;
    public int Threads => _loop.Threads;

    // ---- frame binding (fields read by the loop bodies) ----
    double[] _in = [], _out = [], _inBar = [], _outBar = [];
    double[] _vel = [], _velBar = [];

    // ---- weights and slab sort of the particles of frame _in ----
    readonly Action<int, int> _prepareBody;

    void Prepare()
    {
        _loop.For(_np, ParticleGrain, _prepareBody);
        // Bounding box of the stencils and counting sort by base z into slabs of 3 cells (stable: particle order).
        int zl = int.MaxValue, zh = int.MinValue, yl = int.MaxValue, yh = int.MinValue, xl = int.MaxValue, xh = int.MinValue;
        Array.Clear(_slabCount);
        for (int p = 0; p < _np; p++)
        {
            int bx = _base[3 * p], by = _base[3 * p + 1], bz = _base[3 * p + 2];
            if (bx < xl) xl = bx; if (bx > xh) xh = bx;
            if (by < yl) yl = by; if (by > yh) yh = by;
            if (bz < zl) zl = bz; if (bz > zh) zh = bz;
            _slabCount[bz / 3]++;
        }
        _xLo = xl; _xHi = xh + 2; _yLo = yl; _yHi = yh + 2; _zLo = zl; _zHi = zh + 2;
        _slabStart[0] = 0;
        for (int s = 0; s < _slabs; s++) _slabStart[s + 1] = _slabStart[s] + _slabCount[s];
        Array.Clear(_slabCount);
        for (int p = 0; p < _np; p++)
        {
            int s = _base[3 * p + 2] / 3;
            _sorted[_slabStart[s] + _slabCount[s]++] = p;
        }
    }

    void PrepareBlock(int start, int end)
    {
        var x = _in;
        double inv = _s.InvDx;
        int maxBase = _n - 3;
        for (int p = start; p < end; p++)
            for (int d = 0; d < 3; d++)
            {
                double xs = x[3 * p + d] * inv;
                int b = Math.Clamp((int)Math.Floor(xs - 0.5), 0, maxBase);
                double f = xs - b;
                _base[3 * p + d] = b; _fx[3 * p + d] = f;
                int o = 9 * p + 3 * d;
                _w[o] = 0.5 * (1.5 - f) * (1.5 - f); _w[o + 1] = 0.75 - (f - 1) * (f - 1); _w[o + 2] = 0.5 * (f - 0.5) * (f - 0.5);
                _dw[o] = -(1.5 - f); _dw[o + 1] = -2 * (f - 1); _dw[o + 2] = f - 0.5;
            }
    }

    /// <summary>Runs <paramref name="slabBody"/> over even slabs in parallel, then over odd slabs.</summary>
    void ColouredSlabs(Action<int, int> slabBody)
    {
        int even = (_slabs + 1) / 2, odd = _slabs / 2;
        _colour = 0; _loop.For(even, 1, slabBody);
        _colour = 1; _loop.For(odd, 1, slabBody);
    }
    int _colour;
    int SlabOf(int k) => 2 * k + _colour;

    void ClearBox(double[] a, int comps)
    {
        int n = _n;
        for (int z = _zLo; z <= _zHi; z++)
            for (int y = _yLo; y <= _yHi; y++)
            {
                int row = (z * n + y) * n;
                Array.Clear(a, comps * (row + _xLo), comps * (_xHi - _xLo + 1));
            }
    }

    // ---- one substep ----

    /// <summary>
    /// One substep from frame <paramref name="input"/> to <paramref name="output"/> (both <see cref="Scene.FrameSize"/>),
    /// with per-substep primitive displacements <paramref name="velocity"/> (3 per primitive).
    /// </summary>
    public void Substep(double[] input, double[] output, double[] velocity)
    {
        _in = input; _out = output; _vel = velocity;
        long t0 = Profile is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        Prepare();
        Tick(0, ref t0);
        _loop.For(_np, ParticleGrain, _stressBody);     // F' → output, A → _affine
        Tick(1, ref t0);
        ClearBox(_gm, 1); ClearBox(_gp, 3);
        ColouredSlabs(_p2gSlab);
        Tick(2, ref t0);
        Kinematics(input, output, velocity);
        _loop.For(_zHi - _zLo + 1, NodeGrain, _gridBody);
        Tick(3, ref t0);
        _loop.For(_np, ParticleGrain, _g2pBody);
        RigidAfterG2P();
        Tick(4, ref t0);
    }

    /// <summary>Optional per-phase timestamps (prepare, constitutive, P2G, grid, G2P; backward phases 5..9) for benchmarks only.</summary>
    internal long[]? Profile;

    void Tick(int phase, ref long t0)
    {
        if (Profile is null) return;
        long t = System.Diagnostics.Stopwatch.GetTimestamp();
        Profile[phase] += t - t0; t0 = t;
    }

    /// <summary>
    /// Adjoint of <see cref="Substep"/> at (<paramref name="input"/>, <paramref name="velocity"/>): from ∂L/∂output
    /// overwrites ∂L/∂input and ∂L/∂velocity. <paramref name="scratch"/> receives the recomputed output frame.
    /// </summary>
    public void SubstepBackward(double[] input, double[] velocity, double[] output, double[] outputBar, double[] inputBar, double[] velocityBar)
    {
        // Recompute the substep's grid (PlasticineLab's scheme: grid quantities are never stored) and keep the trial
        // SVDs; G2P is not rerun: its output is the stored next frame.
        _in = input; _out = output; _vel = velocity;
        long t0 = Profile is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        Prepare();
        _keepSvd = true;
        _loop.For(_np, ParticleGrain, _stressBody);
        _keepSvd = false;
        ClearBox(_gm, 1); ClearBox(_gp, 3);
        ColouredSlabs(_p2gSlab);
        _loop.For(_zHi - _zLo + 1, NodeGrain, _gridBody);
        Tick(5, ref t0);
        _outBar = outputBar; _inBar = inputBar; _velBar = velocityBar;
        Array.Clear(inputBar);
        Array.Clear(velocityBar);
        ClearBox(_gvBar, 3); ClearBox(_gpBar, 3); ClearBox(_gmBar, 1);
        RigidBeforeG2PBackward();
        _loop.For(_np, ParticleGrain, _g2pBarParticles);
        ColouredSlabs(_g2pBarSlab);
        Tick(6, ref t0);
        // Grid adjoint: primitive position adjoints of frames f and f+1 in per-layer partials.
        int layers = _zHi - _zLo + 1, pp = 3 * _s.Primitives.Length;
        Array.Clear(_posePartials, 0, 2 * layers * pp);
        _loop.For(layers, NodeGrain, _gridBarBody);
        var poseBar0 = new Span<double>(inputBar, _s.PoseOffset, pp);
        Span<double> poseBar1 = stackalloc double[pp];
        for (int i = 0; i < pp; i++) poseBar1[i] = outputBar[_s.PoseOffset + i];
        for (int l = 0; l < layers; l++)
            for (int i = 0; i < pp; i++) { poseBar0[i] += _posePartials[(2 * l) * pp + i]; poseBar1[i] += _posePartials[(2 * l + 1) * pp + i]; }
        KinematicsBackward(input, velocity, poseBar1, inputBar, velocityBar);
        Tick(7, ref t0);
        _loop.For(_np, ParticleGrain, _p2gBarBody);
        Tick(8, ref t0);
        _loop.For(_np, ParticleGrain, _stressBarBody);
        Tick(9, ref t0);
    }

    // ---- constitutive kernel over particles ----
    readonly Action<int, int> _stressBody, _stressBarBody;

    void StressBlock(int start, int end)
    {
        var k = _s.Coefficients;
        int fo = _s.FOffset, co = _s.COffset;
        for (int p = start; p < end; p++)
        {
            if (_kinds is not null && MaterialStress(p, fo, co)) continue;
            var f = M3.Load(_in, fo + 9 * p); var c = M3.Load(_in, co + 9 * p);
            Constitutive.Forward(k, f, c, out var fNew, out var a, out var u, out var sigma, out var v);
            if (_keepSvd) { u.Store(_svd, 21 * p); sigma.Store(_svd, 21 * p + 9); v.Store(_svd, 21 * p + 12); }
            else fNew.Store(_out, fo + 9 * p);
            a.Store(_affine, 9 * p);
        }
    }

    void StressBackwardBlock(int start, int end)
    {
        var k = _s.Coefficients;
        int fo = _s.FOffset, co = _s.COffset;
        for (int p = start; p < end; p++)
        {
            if (_kinds is not null && MaterialStressBackward(p, fo, co)) continue;
            var f = M3.Load(_in, fo + 9 * p); var c = M3.Load(_in, co + 9 * p);
            var fNewBar = M3.Load(_outBar, fo + 9 * p);
            var aBar = M3.Load(_affineBar, 9 * p);
            var fBar = M3.Load(_inBar, fo + 9 * p); var cBar = M3.Load(_inBar, co + 9 * p);
            var ftr = (M3.Identity + k.Dt * c) * f;
            Constitutive.Backward(k, f, c, ftr, M3.Load(_svd, 21 * p), V3.Load(_svd, 21 * p + 9), M3.Load(_svd, 21 * p + 12), fNewBar, aBar, ref fBar, ref cBar);
            fBar.Store(_inBar, fo + 9 * p); cBar.Store(_inBar, co + 9 * p);
        }
    }

    // ---- primitive kinematics: position_{f+1} = clamp(position_f + v_f, lower, upper) ----

    void Kinematics(double[] input, double[] output, double[] velocity)
    {
        int po = _s.PoseOffset;
        for (int k = 0; k < _s.Primitives.Length; k++)
        {
            var pr = _s.Primitives[k];
            for (int d = 0; d < 3; d++)
            {
                double x = input[po + 3 * k + d] + velocity[3 * k + d];
                output[po + 3 * k + d] = Math.Min(Math.Max(x, pr.Lower[d]), pr.Upper[d]);
            }
        }
    }

    void KinematicsBackward(double[] input, double[] velocity, ReadOnlySpan<double> poseBar1, double[] inputBar, double[] velocityBar)
    {
        int po = _s.PoseOffset;
        for (int k = 0; k < _s.Primitives.Length; k++)
        {
            var pr = _s.Primitives[k];
            for (int d = 0; d < 3; d++)
            {
                double x = input[po + 3 * k + d] + velocity[3 * k + d];
                if (x < pr.Lower[d] || x > pr.Upper[d]) continue;   // clamped: no gradient
                double g = poseBar1[3 * k + d];
                inputBar[po + 3 * k + d] += g;
                velocityBar[3 * k + d] += g;
            }
        }
    }
}
