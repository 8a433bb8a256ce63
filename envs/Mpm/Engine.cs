using ContactOpt.Kernels;

namespace ContactOpt.Envs.Mpm;

/// <summary>
/// The mutable MLS-MPM engine of one workspace: grid and particle scratch (structure-of-arrays, allocated once),
/// one substep forward and its adjoint. Node-writing kernels (P2G, the adjoint of G2P, mass splats) scatter from
/// particles sorted into slabs, even slabs in parallel and then odd slabs, so every node receives its
/// contributions in one fixed order whatever the thread count: results are bit-identical for any threads.
/// The slabs are 2 cells wide along the axis in which the particles' stencils extend furthest (chosen per substep
/// from the particles alone), so that thin or flat bodies still split into many slabs for the threads.
/// </summary>
public sealed partial class Engine
{
    readonly Scene _s;
    readonly KernelLoop _loop;
    readonly int _n, _np, _nodes;
    // Grid. _gpm: P2G's momentum and mass in one 4-double slot per node (px, py, pz, m), so that a particle adds to a
    // node with one 4-lane read-modify-write; _gpmBar its adjoint in the same layout; _gvBar the grid-velocity
    // adjoint in 4-double slots (x, y, z, unused). _gm is the loss's grid mass (Splat), _gmBar its adjoint.
    readonly double[] _gm, _gpm, _gv, _gvBar, _gpmBar, _gmBar;
    // Per-particle weights of the current frame: base cell, fractional position, 1-D weights and derivatives.
    readonly int[] _base;
    readonly double[] _fx, _w, _dw;
    // Constitutive outputs of the current substep.
    readonly double[] _affine, _affineBar;
    // The substep record of the adjoint (RecordSize doubles per particle: A 9, U 9, σ 3, V 9); _rec is the one being
    // written (forward) or read (backward), _ownRecord the buffer of a backward that recomputes it.
    readonly double[] _ownRecord;
    double[]? _rec;
    // Slab sort.
    readonly int[] _sorted, _slabStart, _slabCount;
    int _slabs;                       // slabs of the current frame
    const int SlabWidth = 2;          // same-colour slabs are separated by one slab ≥ 2 cells: their 3-node stencils never meet
    int _zLo, _zHi, _yLo, _yHi, _xLo, _xHi;   // node bounding box touched by the particles (inclusive)
    // Pose adjoints: per node-block partials (the frame's pose layout: 3 per primitive, then 4 per primitive), summed in block order.
    readonly double[] _posePartials;
    const int NodeGrain = 1;   // one z-layer of nodes per block
    const int ParticleGrain = 64;

    public Engine(Scene scene, int threads)
    {
        _s = scene;
        _loop = new KernelLoop(threads);
        _n = scene.N; _np = scene.Particles; _nodes = _n * _n * _n;
        _gm = new double[_nodes]; _gpm = new double[4 * _nodes]; _gv = new double[3 * _nodes];
        _gvBar = new double[4 * _nodes]; _gpmBar = new double[4 * _nodes]; _gmBar = new double[_nodes];
        _base = new int[3 * _np]; _fx = new double[3 * _np]; _w = new double[9 * _np]; _dw = new double[9 * _np];
        _affine = new double[9 * _np];
        _sorted = new int[_np];
        int maxSlabs = (_n + SlabWidth - 1) / SlabWidth;
        _slabStart = new int[maxSlabs + 1]; _slabCount = new int[maxSlabs];
        _posePartials = new double[2 * _n * Math.Max(1, scene.PoseSize)];
        _affineBar = new double[9 * _np]; _ownRecord = new double[RecordSize * _np];
        _g2pBody = G2PBlock; _stressBody = StressBlock; _gridBody = GridBlock; _prepareBody = PrepareBlock;
        _p2gSlab = P2GSlab; _g2pBarSlab = G2PBackwardSlab;
        _gridBarBody = GridBackwardBlock; _gridKeepBody = GridKeepBlock;
        _chains = new double[checked(3 * (scene.Primitives.Length + 1) * _nodes)]; _p2gBarBody = P2GBackwardBlock; _stressBarBody = StressBackwardBlock;
        _prepareStressBody = PrepareStressBlock; _prepareAffineBody = PrepareAffineBlock; _p2gStressBarBody = P2GStressBackwardBlock;
        _scratchOut = new double[scene.FrameSize];
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
        SortIntoSlabs();
    }

    void SortIntoSlabs()
    {
        // Bounding box of the stencils, then a counting sort into slabs along its longest axis (stable: particle order).
        int zl = int.MaxValue, zh = int.MinValue, yl = int.MaxValue, yh = int.MinValue, xl = int.MaxValue, xh = int.MinValue;
        for (int p = 0; p < _np; p++)
        {
            int bx = _base[3 * p], by = _base[3 * p + 1], bz = _base[3 * p + 2];
            if (bx < xl) xl = bx; if (bx > xh) xh = bx;
            if (by < yl) yl = by; if (by > yh) yh = by;
            if (bz < zl) zl = bz; if (bz > zh) zh = bz;
        }
        _xLo = xl; _xHi = xh + 2; _yLo = yl; _yHi = yh + 2; _zLo = zl; _zHi = zh + 2;
        int axis = 2, lo = zl, ext = zh - zl;
        if (yh - yl > ext) { axis = 1; lo = yl; ext = yh - yl; }
        if (xh - xl > ext) { axis = 0; lo = xl; ext = xh - xl; }
        _slabs = ext / SlabWidth + 1;
        Array.Clear(_slabCount, 0, _slabs);
        for (int p = 0; p < _np; p++) _slabCount[(_base[3 * p + axis] - lo) / SlabWidth]++;
        _slabStart[0] = 0;
        for (int s = 0; s < _slabs; s++) _slabStart[s + 1] = _slabStart[s] + _slabCount[s];
        Array.Clear(_slabCount, 0, _slabs);
        for (int p = 0; p < _np; p++)
        {
            int s = (_base[3 * p + axis] - lo) / SlabWidth;
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

    /// <summary>Doubles per particle of a substep record (<see cref="Substep"/>'s <c>record</c>): A (9), U (9), σ (3), V (9).</summary>
    public const int RecordSize = 30;
    /// <summary>Doubles of one substep record of this scene.</summary>
    public int RecordLength => RecordSize * _np;

    /// <summary>
    /// One substep from frame <paramref name="input"/> to <paramref name="output"/> (both <see cref="Scene.FrameSize"/>),
    /// with per-substep primitive displacements <paramref name="velocity"/> (3 per primitive). With
    /// <paramref name="record"/> (<see cref="RecordLength"/> doubles) it also keeps what the adjoint reads (the MLS
    /// affine matrices and trial SVDs), so that <see cref="SubstepBackward(double[], double[], double[], double[], double[], double[], double[])"/>
    /// need not recompute the constitutive kernel.
    /// </summary>
    public void Substep(double[] input, double[] output, double[] velocity, double[]? record = null)
    {
        _in = input; _out = output; _vel = velocity; _rec = record;
        long t0 = Profile is null ? 0 : ProfileNow();
        if (Profile is null)
        {
            _loop.For(_np, ParticleGrain, _prepareStressBody);   // weights; F' → output, A → _affine (and the record)
            SortIntoSlabs();
        }
        else
        {
            Prepare();
            Tick(0, ref t0);
            _loop.For(_np, ParticleGrain, _stressBody);
            Tick(1, ref t0);
        }
        _rec = null;
        ClearBox(_gpm, 4);
        ColouredSlabs(_p2gSlab);
        Tick(2, ref t0);
        Kinematics(input, output, velocity);
        _loop.For(_zHi - _zLo + 1, NodeGrain, _gridBody);
        Tick(3, ref t0);
        _loop.For(_np, ParticleGrain, _g2pBody);
        RigidAfterG2P();
        Tick(4, ref t0);
    }

    /// <summary>Optional per-phase timestamps (prepare, constitutive, P2G, grid, G2P; backward phases 5..9; loss 10, loss adjoint 11) for benchmarks only.</summary>
    internal long[]? Profile;
    /// <summary>Clock of <see cref="Profile"/> (default: Stopwatch ticks; benchmarks pass a thread CPU clock).</summary>
    internal Func<long>? ProfileClock;

    long ProfileNow() => ProfileClock?.Invoke() ?? System.Diagnostics.Stopwatch.GetTimestamp();

    void Tick(int phase, ref long t0)
    {
        if (Profile is null) return;
        long t = ProfileNow();
        Profile[phase] += t - t0; t0 = t;
    }

    /// <summary>
    /// Adjoint of <see cref="Substep"/> at (<paramref name="input"/>, <paramref name="velocity"/>): from ∂L/∂output
    /// overwrites ∂L/∂input and ∂L/∂velocity. <paramref name="output"/> is the substep's output frame. Recomputes the
    /// substep's record (constitutive kernel) first; the overload with a record skips that.
    /// </summary>
    public void SubstepBackward(double[] input, double[] velocity, double[] output, double[] outputBar, double[] inputBar, double[] velocityBar)
    {
        _in = input; _out = _scratchOut; _vel = velocity; _rec = _ownRecord;
        Prepare();
        _loop.For(_np, ParticleGrain, _stressBody);
        _rec = null;
        SubstepBackward(input, velocity, output, _ownRecord, outputBar, inputBar, velocityBar);
    }

    /// <summary>
    /// As <see cref="SubstepBackward(double[], double[], double[], double[], double[], double[])"/>, with the
    /// <paramref name="record"/> the forward <see cref="Substep"/> kept: bit-identical results, no constitutive recompute.
    /// </summary>
    public void SubstepBackward(double[] input, double[] velocity, double[] output, double[] record, double[] outputBar, double[] inputBar, double[] velocityBar)
    {
        // Recompute the substep's grid (PlasticineLab's scheme: grid quantities are never stored); G2P is not rerun:
        // its output is the stored next frame.
        if (record.Length < RecordLength) throw new ArgumentException($"record has {record.Length} doubles, expected {RecordLength}.", nameof(record));
        _in = input; _out = output; _vel = velocity; _rec = record;
        long t0 = Profile is null ? 0 : ProfileNow();
        _loop.For(_np, ParticleGrain, _prepareAffineBody);
        SortIntoSlabs();
        ClearBox(_gpm, 4);
        ColouredSlabs(_p2gSlab);
        _loop.For(_zHi - _zLo + 1, NodeGrain, _gridKeepBody);
        Tick(5, ref t0);
        _outBar = outputBar; _inBar = inputBar; _velBar = velocityBar;
        Array.Clear(inputBar);
        Array.Clear(velocityBar);
        ClearBox(_gvBar, 4); ClearBox(_gpmBar, 4);
        RigidBeforeG2PBackward();
        ColouredSlabs(_g2pBarSlab);   // per particle: the G2P adjoint's particle terms, then its node scatter
        Tick(6, ref t0);
        // Grid adjoint: primitive position adjoints of frames f and f+1 in per-layer partials.
        int layers = _zHi - _zLo + 1, pp = _s.PoseSize;
        Array.Clear(_posePartials, 0, 2 * layers * pp);
        _loop.For(layers, NodeGrain, _gridBarBody);
        var poseBar0 = new Span<double>(inputBar, _s.PoseOffset, pp);
        Span<double> poseBar1 = stackalloc double[pp];
        for (int i = 0; i < pp; i++) poseBar1[i] = outputBar[_s.PoseOffset + i];
        for (int l = 0; l < layers; l++)
            for (int i = 0; i < pp; i++) { poseBar0[i] += _posePartials[(2 * l) * pp + i]; poseBar1[i] += _posePartials[(2 * l + 1) * pp + i]; }
        KinematicsBackward(input, velocity, poseBar1, inputBar, velocityBar);
        Tick(7, ref t0);
        if (Profile is null) _loop.For(_np, ParticleGrain, _p2gStressBarBody);   // per particle: A̅ of P2G, then the constitutive adjoint
        else
        {
            _loop.For(_np, ParticleGrain, _p2gBarBody);
            Tick(8, ref t0);
            _loop.For(_np, ParticleGrain, _stressBarBody);
            Tick(9, ref t0);
        }
        _rec = null;
    }

    // ---- constitutive kernel over particles ----
    readonly Action<int, int> _stressBody, _stressBarBody;
    readonly double[] _scratchOut;

    void StressBlock(int start, int end)
    {
        var k = _s.Coefficients;
        int fo = _s.FOffset, co = _s.COffset;
        var rec = _rec;
        // Particles in groups of 4 (blocks start at multiples of ParticleGrain, so the groups do not depend on the
        // thread count): the Jacobi eigen-solves of a group run in SIMD lanes, bit-identical to one at a time.
        FourM3 ftr4 = default; FourEigen eig4 = default;   // inline arrays, not stackalloc (see P2G.cs)
        Span<M3> ftr = ftr4; Span<Svd3.Eigen> eig = eig4;
        for (int g = start; g < end; g += 4)
        {
            int m = Math.Min(4, end - g);
            for (int i = 0; i < 4; i++)
                ftr[i] = i < m && !IsMaterial(g + i) ? Constitutive.Trial(k, M3.Load(_in, fo + 9 * (g + i)), M3.Load(_in, co + 9 * (g + i))) : M3.Identity;
            Svd3.EigenOf4(ftr, eig);
            for (int i = 0; i < m; i++)
            {
                int p = g + i;
                if (_kinds is not null && MaterialStress(p, fo, co)) continue;   // liquid / rigid particles (EngineMaterials.cs)
                var c = M3.Load(_in, co + 9 * p);
                Constitutive.Forward(k, c, ftr[i], eig[i], out var fNew, out var a, out var u, out var sigma, out var v);
                fNew.Store(_out, fo + 9 * p);
                a.Store(_affine, 9 * p);
                if (rec is not null)
                {
                    int o = RecordSize * p;
                    a.Store(rec, o); u.Store(rec, o + 9); sigma.Store(rec, o + 18); v.Store(rec, o + 21);
                }
            }
        }
    }

    // Fused per-particle loops (one parallel loop instead of two; the same work per particle in the same order).
    readonly Action<int, int> _prepareStressBody, _prepareAffineBody, _p2gStressBarBody;
    void PrepareStressBlock(int start, int end) { PrepareBlock(start, end); StressBlock(start, end); }
    void PrepareAffineBlock(int start, int end) { PrepareBlock(start, end); AffineBlock(start, end); }
    void P2GStressBackwardBlock(int start, int end) { P2GBackwardBlock(start, end); StressBackwardBlock(start, end); }

    /// <summary>The affine matrices of the record into the P2G input.</summary>
    void AffineBlock(int start, int end)
    {
        var rec = _rec!;
        for (int p = start; p < end; p++) Array.Copy(rec, RecordSize * p, _affine, 9 * p, 9);
    }

    void StressBackwardBlock(int start, int end)
    {
        var k = _s.Coefficients;
        int fo = _s.FOffset, co = _s.COffset;
        var rec = _rec!;
        for (int p = start; p < end; p++)
        {
            if (_kinds is not null && MaterialStressBackward(p, fo, co)) continue;
            var f = M3.Load(_in, fo + 9 * p); var c = M3.Load(_in, co + 9 * p);
            var fNewBar = M3.Load(_outBar, fo + 9 * p);
            var aBar = M3.Load(_affineBar, 9 * p);
            var fBar = M3.Load(_inBar, fo + 9 * p); var cBar = M3.Load(_inBar, co + 9 * p);
            var ftr = (M3.Identity + k.Dt * c) * f;
            int o = RecordSize * p;
            Constitutive.Backward(k, f, c, ftr, M3.Load(rec, o + 9), V3.Load(rec, o + 18), M3.Load(rec, o + 21), fNewBar, aBar, ref fBar, ref cBar);
            fBar.Store(_inBar, fo + 9 * p); cBar.Store(_inBar, co + 9 * p);
        }
    }

    // ---- primitive kinematics (PlasticineLab's forward_kinematics, once per substep) ----
    // Translate: position_{f+1} = clamp(position_f + v_f, lower, upper), orientation copied.
    // Rotate: as Translate, and rotation_{f+1} = N(quat(w_f) ⊗ rotation_f) (a world-frame rotation).
    // RollingPin: channels (roll, yaw, dy); rotation_{f+1} = N(quat(−yaw ŷ) ⊗ N(rotation_f ⊗ quat(roll ŷ))),
    // position_{f+1} = clamp(position_f + (−0.03·roll·R₂₁, dy, 0.03·roll·R₀₁)), i.e. 0.03·roll·(ŷ × R_f(−ŷ)) + dy·ŷ.

    void Kinematics(double[] input, double[] output, double[] velocity)
    {
        int po = _s.PoseOffset, ro = _s.RotOffset, np = _s.Primitives.Length;
        for (int k = 0; k < np; k++)
        {
            var pr = _s.Primitives[k];
            var q0 = Quat.Load(input, ro + 4 * k);
            var step = new V3(velocity[3 * k], velocity[3 * k + 1], velocity[3 * k + 2]);
            var q1 = q0;
            if (pr.Motion == Motion.RollingPin)
            {
                var r0 = q0.Matrix();
                double roll = step.X;
                step = new V3(-Primitive.RollRadius * roll * r0.A21, step.Z, Primitive.RollRadius * roll * r0.A01);
                var qa = Quat.Mul(q0, Quat.AboutY(roll)).Normalized();
                q1 = Quat.Mul(Quat.AboutY(-velocity[3 * k + 1]), qa).Normalized();
            }
            else if (pr.Motion == Motion.Rotate)
                q1 = Quat.Mul(Quat.AxisAngle(V3.Load(velocity, 3 * np + 3 * k)), q0).Normalized();
            for (int d = 0; d < 3; d++)
            {
                double x = input[po + 3 * k + d] + step[d];
                output[po + 3 * k + d] = Math.Min(Math.Max(x, pr.Lower[d]), pr.Upper[d]);
            }
            q1.Store(output, ro + 4 * k);
        }
    }

    /// <summary>Adjoint of <see cref="Kinematics"/>: from ∂L/∂pose_{f+1} (<see cref="Scene.PoseSize"/> values) adds to ∂L/∂pose_f and ∂L/∂velocity.</summary>
    void KinematicsBackward(double[] input, double[] velocity, ReadOnlySpan<double> poseBar1, double[] inputBar, double[] velocityBar)
    {
        int po = _s.PoseOffset, ro = _s.RotOffset, np = _s.Primitives.Length;
        for (int k = 0; k < np; k++)
        {
            var pr = _s.Primitives[k];
            var q0 = Quat.Load(input, ro + 4 * k);
            var q1Bar = Quat.Load(poseBar1, 3 * np + 4 * k);
            var step = new V3(velocity[3 * k], velocity[3 * k + 1], velocity[3 * k + 2]);
            M3 r0 = default;
            if (pr.Motion == Motion.RollingPin)
            {
                r0 = q0.Matrix();
                step = new V3(-Primitive.RollRadius * step.X * r0.A21, step.Z, Primitive.RollRadius * step.X * r0.A01);
            }
            var stepBar = new V3();
            for (int d = 0; d < 3; d++)
            {
                double x = input[po + 3 * k + d] + step[d];
                if (x < pr.Lower[d] || x > pr.Upper[d]) continue;   // clamped: no gradient
                double g = poseBar1[3 * k + d];
                inputBar[po + 3 * k + d] += g;
                stepBar[d] = g;
            }
            var q0Bar = new Quat();
            if (pr.Motion == Motion.RollingPin)
            {
                double roll = velocity[3 * k], yaw = velocity[3 * k + 1];
                // Translation: step = (−c·roll·R₂₁, dy, c·roll·R₀₁).
                double c = Primitive.RollRadius;
                double rollBar = c * (-r0.A21 * stepBar.X + r0.A01 * stepBar.Z);
                double dyBar = stepBar.Y;
                var rBar = new M3 { A21 = -c * roll * stepBar.X, A01 = c * roll * stepBar.Z };
                q0Bar += Quat.MatrixBackward(q0, rBar);
                // Rotation: s = q0 ⊗ C, qa = N(s), t = B ⊗ qa, q1 = N(t).
                var cq = Quat.AboutY(roll); var bq = Quat.AboutY(-yaw);
                var sq = Quat.Mul(q0, cq); var qa = sq.Normalized(); var tq = Quat.Mul(bq, qa);
                var tBar = Quat.NormalizedBackward(tq, q1Bar);
                var bBar = new Quat(); var qaBar = new Quat();
                Quat.MulBackward(bq, qa, tBar, ref bBar, ref qaBar);
                var sBar = Quat.NormalizedBackward(sq, qaBar);
                var cBar = new Quat();
                Quat.MulBackward(q0, cq, sBar, ref q0Bar, ref cBar);
                rollBar += Quat.AboutYBackward(roll, cBar);
                double yawBar = -Quat.AboutYBackward(-yaw, bBar);
                velocityBar[3 * k] += rollBar; velocityBar[3 * k + 1] += yawBar; velocityBar[3 * k + 2] += dyBar;
            }
            else
            {
                for (int d = 0; d < 3; d++) velocityBar[3 * k + d] += stepBar[d];
                if (pr.Motion == Motion.Rotate)
                {
                    var w = V3.Load(velocity, 3 * np + 3 * k);
                    var aq = Quat.AxisAngle(w);
                    var tq = Quat.Mul(aq, q0);
                    var tBar = Quat.NormalizedBackward(tq, q1Bar);
                    var aBar = new Quat();
                    Quat.MulBackward(aq, q0, tBar, ref aBar, ref q0Bar);
                    Quat.AxisAngleBackward(w, aBar).AddTo(velocityBar, 3 * np + 3 * k);
                }
                else q0Bar = q1Bar;   // orientation copied
            }
            q0Bar.AddTo(inputBar, ro + 4 * k);
        }
    }

    [System.Runtime.CompilerServices.InlineArray(4)] struct FourM3 { M3 _e; }
    [System.Runtime.CompilerServices.InlineArray(4)] struct FourEigen { Svd3.Eigen _e; }
}
