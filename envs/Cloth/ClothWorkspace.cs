using ContactOpt.Kernels;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.Cloth;

/// <summary>
/// Mutable scratch of one cloth view: the working frame (positions ‖ velocities, 6N), the substep frames of the
/// current segment (a <see cref="FrameStore"/>), kernel intermediates and adjoints. All buffers are allocated
/// once; the hot loops do not allocate. Spring passes run through a <see cref="KernelLoop"/> in gather form.
/// </summary>
public sealed class ClothWorkspace : SegmentWorkspace
{
    const int Grain = 256;
    /// <summary>Gap (m) within which the TOI-consistent projection looks at a vertex (reachable at ≤ 10 m/s in 1 ms).</summary>
    public const double ContactMargin = 0.01;
    readonly ClothDynamics _d;
    readonly ClothSetup _s;
    readonly ClothMesh _m;
    readonly int _n, _S, _K;
    readonly KernelLoop _loop;
    readonly FrameStore _frames;
    readonly double[] _xv, _x0;               // working frame; segment input positions (for the t = 0 rescale adjoint)
    readonly double[] _fs, _F, _vInt, _vFloor;
    readonly double[] _k, _rest, _kAcc, _restAcc, _kBar, _restBar, _dBar, _wBar;
    readonly double[] _xvBar, _vPBar, _FBar;
    readonly double[] _pose = new double[PanCollider.PoseSize], _poseBar = new double[PanCollider.PoseSize];
    readonly double[] _p0 = new double[3], _p1 = new double[3], _p0Bar = new double[3], _p1Bar = new double[3];
    readonly double[] _vDrive = new double[3], _driveBar = new double[3];
    readonly bool[] _isDriven;
    readonly ClothInputs _in, _inBar;
    readonly Action<int, int> _springFwd, _gatherFwd, _springBwd, _gatherBwd;
    double _invM, _invMBar, _mu, _muBar, _decay;
    readonly double _margin, _specDt, _eps;
    readonly bool _project;
    // Recorded segments (record = true): per segment t, the inputs it ran on (to validate a later backward) and per
    // substep its input frame (6N) and the intermediates F, v_int, v_floor (3N each), so the backward neither re-runs
    // the segment nor recomputes forces and contact. Allocated on first use, reused across episodes.
    const int RecordStride = 15;
    readonly double[]?[] _rec, _recInputs;
    readonly bool[] _recValid;

    public ClothWorkspace(ClothDynamics dynamics, WorkspaceOptions? options) : base(dynamics, options)
    {
        _d = dynamics; _s = dynamics.Setup; _m = _s.Mesh;
        _n = _m.Vertices; _S = _m.Springs; _K = _s.Substeps;
        _loop = new KernelLoop(Options.Threads);
        _frames = new FrameStore(6 * _n);
        _xv = new double[6 * _n]; _x0 = new double[3 * _n];
        _fs = new double[3 * _S]; _F = new double[3 * _n]; _vInt = new double[3 * _n]; _vFloor = new double[3 * _n];
        _k = new double[_S]; _rest = new double[_S]; _kAcc = new double[_S]; _restAcc = new double[_S];
        _kBar = new double[_S]; _restBar = new double[_S]; _dBar = new double[3 * _S]; _wBar = new double[3 * _S];
        _xvBar = new double[6 * _n]; _vPBar = new double[3 * _n]; _FBar = new double[3 * _n];
        _project = _s.Contact != ClothContact.Penalty;
        _specDt = _s.Contact == ClothContact.Projection ? _s.Dt : 0;
        _eps = _s.Contact == ClothContact.Projection ? _s.ContactSmoothing : 0;
        _margin = _s.Contact == ClothContact.Projection ? ContactMargin : 0;
        _isDriven = new bool[_n];
        foreach (var i in _s.Driven) _isDriven[i] = true;
        _in = new ClothInputs(_m.Patches, _s.Knots); _inBar = new ClothInputs(_m.Patches, _s.Knots);
        _springFwd = (a, b) => SpringKernel.SpringForces(_m, X, V, _k, _rest, _s.Beta, _fs, a, b);
        _gatherFwd = (a, b) => SpringKernel.Gather(_m, _fs, _F, a, b);
        _springBwd = (a, b) => SpringKernel.SpringBackward(_m, X, V, _k, _rest, _s.Beta, _FBar, _dBar, _wBar, _kBar, _restBar, a, b);
        _gatherBwd = (a, b) => SpringKernel.GatherBackward(_m, _dBar, _wBar, _xvBar.AsSpan(0, 3 * _n), _xvBar.AsSpan(3 * _n), a, b);
        _rec = new double[]?[_s.Segments]; _recInputs = new double[]?[_s.Segments]; _recValid = new bool[_s.Segments];
    }

    /// <summary>Doubles held by the recorded segments (memory accounting).</summary>
    public long RecordedDoubles => _rec.Sum(r => (long)(r?.Length ?? 0)) + _recInputs.Sum(r => (long)(r?.Length ?? 0));

    public override void BeginEpisode() => Array.Clear(_recValid);

    static void Pack(Span<double> dst, ReadOnlySpan<double> a, ReadOnlySpan<double> b, ReadOnlySpan<double> c)
    {
        a.CopyTo(dst); b.CopyTo(dst[a.Length..]); c.CopyTo(dst[(a.Length + b.Length)..]);
    }

    /// <summary>True when segment t was recorded with exactly (bit for bit) these inputs.</summary>
    bool IsRecorded(int t, ReadOnlySpan<double> state, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters)
    {
        var r = _recInputs[t];
        if (!_recValid[t] || r is null || r.Length != state.Length + action.Length + parameters.Length) return false;
        return Bits(r.AsSpan(0, state.Length)).SequenceEqual(Bits(state)) &&
               Bits(r.AsSpan(state.Length, action.Length)).SequenceEqual(Bits(action)) &&
               Bits(r.AsSpan(state.Length + action.Length)).SequenceEqual(Bits(parameters));
    }

    static ReadOnlySpan<long> Bits(ReadOnlySpan<double> v) => System.Runtime.InteropServices.MemoryMarshal.Cast<double, long>(v);

    Span<double> X => _xv.AsSpan(0, 3 * _n);
    Span<double> V => _xv.AsSpan(3 * _n, 3 * _n);

    // ---- inputs → per-spring quantities ----

    void Derive()
    {
        var m = _m; int nu = m.Nu, nv = m.Nv;
        double cu = _in.Width / (nu - 1), cv = _in.Length / (nv - 1);
        for (int s = 0; s < _S; s++)
        {
            _k[s] = _in.Stiffness[m.Patch[s]] * _s.KindScale[(int)m.Kind[s]];
            double a = m.Du[s] * cu, b = m.Dv[s] * cv;
            _rest[s] = Math.Sqrt(a * a + b * b);
        }
        _invM = _n / _in.Mass;
        _mu = _in.Friction;
        _decay = Math.Exp(-_s.Drag * _s.Dt);
    }

    void DeriveBackward()
    {
        var m = _m; int nu = m.Nu, nv = m.Nv;
        double cu = _in.Width / (nu - 1), cv = _in.Length / (nv - 1);
        for (int s = 0; s < _S; s++)
        {
            _inBar.Stiffness[m.Patch[s]] += _kAcc[s] * _s.KindScale[(int)m.Kind[s]];
            double a = m.Du[s] * cu, b = m.Dv[s] * cv;
            double r = _rest[s];
            _inBar.Width += _restAcc[s] * a * m.Du[s] / (nu - 1) / r;
            _inBar.Length += _restAcc[s] * b * m.Dv[s] / (nv - 1) / r;
        }
        _inBar.Mass += -_invMBar * _n / (_in.Mass * _in.Mass);
        _inBar.Friction += _muBar;
    }

    // ---- t = 0: rescale about vertex 0 and add the initial velocity ----

    (double, double, double) Scales()
    {
        Span<double> sc = [1, 1, 1];
        sc[_s.AxisU] = _in.Width / _s.Width0;
        sc[_s.AxisV] *= _in.Length / _s.Length0;
        return (sc[0], sc[1], sc[2]);
    }

    void SetupForward()
    {
        var (s0, s1, s2) = Scales();
        Span<double> sc = [s0, s1, s2];
        var x = X; var v = V; int n = _n;
        x.CopyTo(_x0);
        for (int d = 0; d < 3; d++)
        {
            double o = _x0[d * n];
            for (int i = 0; i < n; i++) x[d * n + i] = o + sc[d] * (_x0[d * n + i] - o);
            for (int i = 0; i < n; i++) if (!_isDriven[i]) v[d * n + i] += _in.InitialVelocity[d];
        }
    }

    void SetupBackward()
    {
        var (s0, s1, s2) = Scales();
        Span<double> sc = [s0, s1, s2];
        Span<double> scBar = [0, 0, 0];
        int n = _n;
        var xBar = _xvBar.AsSpan(0, 3 * n); var vBar = _xvBar.AsSpan(3 * n);
        for (int d = 0; d < 3; d++)
        {
            double o = _x0[d * n], sum = 0, sb = 0;
            for (int i = 0; i < n; i++)
            {
                double g = xBar[d * n + i];
                sum += g; sb += (_x0[d * n + i] - o) * g;
                xBar[d * n + i] = sc[d] * g;
            }
            xBar[d * n] += (1 - sc[d]) * sum;
            scBar[d] = sb;
            double vb = 0;
            for (int i = 0; i < n; i++) if (!_isDriven[i]) vb += vBar[d * n + i];
            _inBar.InitialVelocity[d] += vb;
        }
        _inBar.Width += scBar[_s.AxisU] / _s.Width0;
        _inBar.Length += scBar[_s.AxisV] / _s.Length0;
    }

    // ---- one substep ----

    void PoseAt(int j)
    {
        double a = (double)j / _K, T = _K * _s.Dt;
        for (int c = 0; c < 3; c++) { _pose[c] = _p0[c] + a * (_p1[c] - _p0[c]); _pose[3 + c] = (_p1[c] - _p0[c]) / T; }
    }

    void DriveAt(double tau)
    {
        for (int c = 0; c < 3; c++) _vDrive[c] = _in.DriveVelocity[c];
        if (_s.Knots > 0)
        {
            var b = _s.BaseDrive!(tau);
            double sp = 0;
            for (int k = 0; k < _s.Knots; k++) sp += _d.KnotWeight(k, tau) * _in.Knots[k];
            _vDrive[0] += sp * b.X; _vDrive[1] += sp * b.Y; _vDrive[2] += sp * b.Z;
        }
    }

    /// <summary>Forces, integration and contact of the working frame (positions and velocities unchanged); leaves v in _vFloor→ returned by <see cref="SubstepForward"/>.</summary>
    void Intermediates()
    {
        int n = _n;
        var x = X; var v = V;
        _loop.For(_S, Grain, _springFwd);
        _loop.For(n, Grain, _gatherFwd);
        var pan = _s.Pan;

        if (_s.Contact == ClothContact.Penalty)
        {
            double kc = _s.PenaltyStiffness * _s.ReferenceMass / n, kd = _s.PenaltyDamping * _s.ReferenceMass / n;
            for (int i = 0; i < n; i++)
            {
                var xi = Vec3.Get(x, n, i); var vi = Vec3.Get(v, n, i);
                var g = FloorCollider.Eval(xi);
                if (g.Active) Vec3.Add(_F, n, i, ContactKernel.PenaltyForce(g, vi, _mu, kc, kd, _s.PenaltyEpsilon));
                if (pan is not null)
                {
                    var gp = pan.Eval(xi, _pose);
                    if (gp.Active) Vec3.Add(_F, n, i, ContactKernel.PenaltyForce(gp, vi, _mu, kc, kd, _s.PenaltyEpsilon));
                }
            }
        }

        double dt = _s.Dt, dec = _decay, g0 = _s.Gravity;
        for (int d = 0; d < 3; d++)
        {
            double gd = d == 2 ? -g0 : 0;
            for (int i = 0; i < n; i++) _vInt[d * n + i] = (v[d * n + i] + dt * (_invM * _F[d * n + i] + gd)) * dec;
        }
        if (_project)
        {
            for (int i = 0; i < n; i++)
            {
                var xi = Vec3.Get(x, n, i); var vi = Vec3.Get(_vInt, n, i);
                var g = FloorCollider.Eval(xi, _margin);
                if (g.Active) vi = ContactKernel.Project(g, vi, _mu, _specDt, _eps);
                Vec3.Set(_vFloor, n, i, vi);
            }
        }
        else _vInt.CopyTo(_vFloor, 0);
    }

    void SubstepForward(int j, double tau)
    {
        if (_s.Pan is not null) PoseAt(j);
        Intermediates();
        int n = _n; var x = X; var v = V; var pan = _s.Pan;
        bool drive = tau < _s.ReleaseTime && _s.Driven.Length > 0;
        if (drive) DriveAt(tau);
        double dt = _s.Dt;
        for (int i = 0; i < n; i++)
        {
            var vi = Vec3.Get(_vFloor, n, i);
            var xi = Vec3.Get(x, n, i);
            if (pan is not null && _project)
            {
                var gp = pan.Eval(xi, _pose, _margin);
                if (gp.Active) vi = ContactKernel.Project(gp, vi, _mu, _specDt, _eps);
            }
            if (drive && _isDriven[i]) vi = new Vec3(_vDrive[0], _vDrive[1], _vDrive[2]);
            Vec3.Set(v, n, i, vi);
            Vec3.Set(x, n, i, xi + dt * vi);
        }
    }

    /// <summary>From the adjoint of the substep's output frame (in _xvBar) to that of its input frame (the working frame).</summary>
    void SubstepBackward(int j, double tau, bool recompute)
    {
        if (_s.Pan is not null) PoseAt(j);
        if (recompute) Intermediates();
        int n = _n; var x = X; var v = V; var pan = _s.Pan; double dt = _s.Dt;
        var xBar = _xvBar.AsSpan(0, 3 * n); var vBar = _xvBar.AsSpan(3 * n);
        for (int q = 0; q < 3 * n; q++) _vPBar[q] = vBar[q] + dt * xBar[q];
        bool drive = tau < _s.ReleaseTime && _s.Driven.Length > 0;
        if (drive)
        {
            Array.Clear(_driveBar);
            foreach (var i in _s.Driven)
            {
                for (int d = 0; d < 3; d++) { _driveBar[d] += _vPBar[d * n + i]; _vPBar[d * n + i] = 0; }
            }
            for (int d = 0; d < 3; d++) _inBar.DriveVelocity[d] += _driveBar[d];
            if (_s.Knots > 0)
            {
                var b = _s.BaseDrive!(tau);
                double spBar = _driveBar[0] * b.X + _driveBar[1] * b.Y + _driveBar[2] * b.Z;
                for (int k = 0; k < _s.Knots; k++) _inBar.Knots[k] += _d.KnotWeight(k, tau) * spBar;
            }
        }
        if (_project)
        {
            Array.Clear(_poseBar);
            for (int i = 0; i < n; i++)
            {
                var xi = Vec3.Get(x, n, i);
                var gBar = Vec3.Get(_vPBar, n, i);
                if (pan is not null)
                {
                    var gp = pan.Eval(xi, _pose, _margin);
                    if (gp.Active)
                    {
                        var vF = Vec3.Get(_vFloor, n, i);
                        gBar = ContactKernel.ProjectBackward(gp, vF, _mu, _specDt, _eps, gBar, out double phiB, out var nB, out var velB, ref _muBar);
                        Vec3.Add(xBar, n, i, pan.Backward(xi, _pose, phiB, nB, velB, _poseBar));
                    }
                }
                var g = FloorCollider.Eval(xi, _margin);
                if (g.Active)
                {
                    gBar = ContactKernel.ProjectBackward(g, Vec3.Get(_vInt, n, i), _mu, _specDt, _eps, gBar, out double phiB, out _, out _, ref _muBar);
                    Vec3.Add(xBar, n, i, FloorCollider.Backward(phiB));
                }
                Vec3.Set(_vPBar, n, i, gBar);     // now ∂L/∂v_int
            }
            if (pan is not null) PoseBackward(j);
        }
        // v_int = (v + dt (invM F + g))·decay.
        double dec = _decay, fv = 0;
        for (int q = 0; q < 3 * n; q++)
        {
            double gq = _vPBar[q];
            _FBar[q] = dec * dt * _invM * gq;
            fv += _F[q] * gq;
            vBar[q] = dec * gq;
        }
        _invMBar += dec * dt * fv;
        if (_s.Contact == ClothContact.Penalty)
        {
            Array.Clear(_poseBar);
            double kc = _s.PenaltyStiffness * _s.ReferenceMass / n, kd = _s.PenaltyDamping * _s.ReferenceMass / n;
            for (int i = 0; i < n; i++)
            {
                var xi = Vec3.Get(x, n, i); var vi = Vec3.Get(v, n, i); var fB = Vec3.Get(_FBar, n, i);
                var g = FloorCollider.Eval(xi);
                if (g.Active)
                {
                    var vb = ContactKernel.PenaltyBackward(g, vi, _mu, kc, kd, _s.PenaltyEpsilon, fB, out double phiB, out _, out _, ref _muBar);
                    Vec3.Add(vBar, n, i, vb);
                    Vec3.Add(xBar, n, i, FloorCollider.Backward(phiB));
                }
                if (pan is not null)
                {
                    var gp = pan.Eval(xi, _pose);
                    if (gp.Active)
                    {
                        var vb = ContactKernel.PenaltyBackward(gp, vi, _mu, kc, kd, _s.PenaltyEpsilon, fB, out double phiB, out var nB, out var velB, ref _muBar);
                        Vec3.Add(vBar, n, i, vb);
                        Vec3.Add(xBar, n, i, pan.Backward(xi, _pose, phiB, nB, velB, _poseBar));
                    }
                }
            }
            if (pan is not null) PoseBackward(j);
        }
        _loop.For(_S, Grain, _springBwd);
        for (int s = 0; s < _S; s++) { _kAcc[s] += _kBar[s]; _restAcc[s] += _restBar[s]; }
        _loop.For(n, Grain, _gatherBwd);
    }

    void PoseBackward(int j)
    {
        double a = (double)j / _K, T = _K * _s.Dt;
        for (int c = 0; c < 3; c++)
        {
            _p0Bar[c] += (1 - a) * _poseBar[c] - _poseBar[3 + c] / T;
            _p1Bar[c] += a * _poseBar[c] + _poseBar[3 + c] / T;
        }
    }

    // ---- the segment ----

    void BeginSegment(int t, ReadOnlySpan<double> state, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters)
    {
        _in.Clear();
        _d.MapInputs(t, action, parameters, _in);
        if (!(_in.Mass > 0) || !(_in.Width > 0) || !(_in.Length > 0))
            throw new InvalidOperationException("cloth width, length and mass must be positive.");
        Derive();
        state[..(6 * _n)].CopyTo(_xv);
        if (_s.Pan is not null)
        {
            state.Slice(6 * _n, 3).CopyTo(_p0);
            _in.PanEnd.CopyTo(_p1, 0);
        }
        if (t == 0) SetupForward();
    }

    protected override double SegmentForward(int t, ReadOnlySpan<double> state, ReadOnlySpan<double> action,
        ReadOnlySpan<double> parameters, Span<double> next, bool record, StepTrace? trace)
    {
        BeginSegment(t, state, action, parameters);
        int every = _d.TraceEvery, n3 = 3 * _n, stride = RecordStride * _n;
        double[]? rec = null;
        if (record)
        {
            _recValid[t] = false;
            rec = _rec[t] ??= new double[_K * stride];
            var inputs = _recInputs[t];
            if (inputs is null || inputs.Length != state.Length + action.Length + parameters.Length)
                inputs = _recInputs[t] = new double[state.Length + action.Length + parameters.Length];
            Pack(inputs, state, action, parameters);
        }
        for (int j = 0; j < _K; j++)
        {
            double tau = (t * _K + j) * _s.Dt;
            if (rec is not null) _xv.CopyTo(rec, j * stride);
            SubstepForward(j, tau);
            if (rec is not null)
            {
                int o = j * stride + 6 * _n;
                Array.Copy(_F, 0, rec, o, n3); Array.Copy(_vInt, 0, rec, o + n3, n3); Array.Copy(_vFloor, 0, rec, o + 2 * n3, n3);
            }
            if (trace is not null && (j + 1) % every == 0) { WriteState(next); trace.Record(next, action); }
        }
        if (record) _recValid[t] = true;
        WriteState(next);
        return _d.RunningCost(t, next);
    }

    void WriteState(Span<double> next)
    {
        _xv.CopyTo(next);
        if (_s.Pan is not null) _p1.CopyTo(next[(6 * _n)..]);
    }

    protected override void SegmentBackward(int t, ReadOnlySpan<double> state, ReadOnlySpan<double> action,
        ReadOnlySpan<double> parameters, ReadOnlySpan<double> next, ReadOnlySpan<double> nextAdjoint, double costAdjoint,
        Span<double> stateAdjoint, Span<double> actionAdjoint, Span<double> parameterAdjoint)
    {
        bool recorded = IsRecorded(t, state, action, parameters);
        BeginSegment(t, state, action, parameters);
        if (!recorded)
        {
            _frames.Clear();
            for (int j = 0; j < _K; j++)
            {
                _frames.Append(_xv);
                SubstepForward(j, (t * _K + j) * _s.Dt);
            }
        }
        _inBar.Clear();
        Array.Clear(_kAcc); Array.Clear(_restAcc); Array.Clear(_p0Bar); Array.Clear(_p1Bar);
        _invMBar = 0; _muBar = 0;
        nextAdjoint[..(6 * _n)].CopyTo(_xvBar);
        if (_s.Pan is not null) for (int c = 0; c < 3; c++) _p1Bar[c] = nextAdjoint[6 * _n + c];
        _d.RunningCostBackward(t, next, costAdjoint, _xvBar);
        var rec = _rec[t];
        int n3 = 3 * _n, stride = RecordStride * _n;
        for (int j = _K - 1; j >= 0; j--)
        {
            if (recorded)
            {
                int o = j * stride;
                Array.Copy(rec!, o, _xv, 0, 6 * _n); o += 6 * _n;
                Array.Copy(rec!, o, _F, 0, n3); Array.Copy(rec!, o + n3, _vInt, 0, n3); Array.Copy(rec!, o + 2 * n3, _vFloor, 0, n3);
            }
            else _frames.Checkpoint(j).CopyTo(_xv);
            SubstepBackward(j, (t * _K + j) * _s.Dt, recompute: !recorded);
        }
        if (t == 0) SetupBackward();
        DeriveBackward();
        _xvBar.CopyTo(stateAdjoint);
        if (_s.Pan is not null)
        {
            for (int c = 0; c < 3; c++) { stateAdjoint[6 * _n + c] = _p0Bar[c]; _inBar.PanEnd[c] = _p1Bar[c]; }
        }
        _d.MapInputsBackward(t, action, parameters, _inBar, actionAdjoint, parameterAdjoint);
    }

    protected override double TerminalForward(ReadOnlySpan<double> state, ReadOnlySpan<double> parameters) => _d.TerminalCost(state);

    protected override void TerminalBackward(ReadOnlySpan<double> state, ReadOnlySpan<double> parameters, double costAdjoint,
        Span<double> stateAdjoint, Span<double> parameterAdjoint)
    {
        _d.TerminalCostBackward(state, costAdjoint, stateAdjoint);
        parameterAdjoint.Clear();
    }
}
