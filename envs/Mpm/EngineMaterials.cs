namespace ContactOpt.Envs.Mpm;

/// <summary>
/// Engine hooks for scenes with per-particle materials (<see cref="Scene.Materials"/>): the liquid and rigid-cluster
/// branches of the constitutive kernel, and the rigid projection of each cluster after G2P with its adjoint before
/// the G2P adjoint. Scenes without materials never enter this code.
/// </summary>
public sealed partial class Engine
{
    ParticleKind[]? _kinds;
    RigidCluster[] _clusters = [];
    LiquidMaterial _liquid;
    double[] _volumeScale = [];
    /// <summary>Per-particle masses when some cluster's particles are not of the scene's particle mass (read by P2G and its adjoint), else null.</summary>
    double[]? _pmass;
    double[] _rigidOutBar = [], _rigidV = [], _rigidXBar = [], _rigidVBar = [], _rigidTrace = [];

    void InitMaterials()
    {
        var m = _s.Materials;
        if (m is null) return;
        if (m.Kinds.Length != _np) throw new ArgumentException($"scene materials give {m.Kinds.Length} particle kinds for {_np} particles.");
        _kinds = m.Kinds; _clusters = m.Clusters; _liquid = m.Liquid;
        _volumeScale = new double[_np];
        Array.Fill(_volumeScale, 1.0);
        foreach (var c in _clusters) Array.Fill(_volumeScale, c.MassScale / c.Density, c.Start, c.Count);
        if (_clusters.Any(c => c.MassScale != 1))
        {
            _pmass = new double[_np];
            Array.Fill(_pmass, _s.PMass);
            foreach (var c in _clusters) Array.Fill(_pmass, _s.PMass * c.MassScale, c.Start, c.Count);
        }
        int largest = _clusters.Length == 0 ? 0 : _clusters.Max(c => c.Count);
        _rigidV = new double[3 * largest]; _rigidXBar = new double[3 * largest]; _rigidVBar = new double[3 * largest]; _rigidTrace = new double[largest];
        if (_clusters.Length > 0) _rigidOutBar = new double[_s.FrameSize];
    }

    /// <summary>Constitutive step of a liquid or rigid particle (F' and A); plasticine returns false.</summary>
    bool MaterialStress(int p, int fo, int co)
    {
        var kind = _kinds![p];
        if (kind == ParticleKind.Plasticine) return false;
        // Liquid, and rigid-cluster particles too: the syrup's pressure law on J (the projection keeps the cluster rigid;
        // its particles' pressure only keeps the syrup out of the cube).
        var c = M3.Load(_in, co + 9 * p);
        LiquidKernel.Forward(_s.Dt, _liquid, _s.Coefficients.StressScale * _volumeScale[p], ParticleMass(p), _in[fo + 9 * p], c, out double jNew, out var a);
        a.Store(_affine, 9 * p);
        if (_rec is not null) a.Store(_rec, RecordSize * p);   // the backward's P2G recompute reads A from the record
        M3.Diag(jNew, 1, 1).Store(_out, fo + 9 * p);
        return true;
    }

    /// <summary>Mass of particle p (the scene's particle mass unless a cluster sets its own).</summary>
    double ParticleMass(int p) => _pmass is null ? _s.PMass : _pmass[p];

    /// <summary>Whether particle p has a non-plasticine material (its constitutive step is <see cref="MaterialStress"/>).</summary>
    bool IsMaterial(int p) => _kinds is not null && _kinds[p] != ParticleKind.Plasticine;

    bool MaterialStressBackward(int p, int fo, int co)
    {
        var kind = _kinds![p];
        if (kind == ParticleKind.Plasticine) return false;
        var aBar = M3.Load(_affineBar, 9 * p);
        var cBar = M3.Load(_inBar, co + 9 * p);
        double jBar = _inBar[fo + 9 * p];
        LiquidKernel.Backward(_s.Dt, _liquid, _s.Coefficients.StressScale * _volumeScale[p], ParticleMass(p), _in[fo + 9 * p], M3.Load(_in, co + 9 * p),
            _outBar[fo + 9 * p], aBar, ref jBar, ref cBar);
        _inBar[fo + 9 * p] = jBar;
        cBar.Store(_inBar, co + 9 * p);
        return true;
    }

    /// <summary>After G2P: replaces each cluster's particle velocities, C and new positions by the rigid motion.</summary>
    void RigidAfterG2P()
    {
        if (_clusters.Length == 0) return;
        double hi = 1 - 3 * _s.Dx;
        int vo = _s.VOffset, co = _s.COffset;
        foreach (var c in _clusters)
        {
            int s = c.Start, n = c.Count;
            // G2P's velocities are read before any output is written (the projection reads v first, then writes).
            _out.AsSpan(vo + 3 * s, 3 * n).CopyTo(_rigidV);
            for (int q = 0; q < n; q++) { int o = co + 9 * (s + q); _rigidTrace[q] = _out[o] + _out[o + 4] + _out[o + 8]; }
            RigidProjection.Forward(_in.AsSpan(3 * s, 3 * n), _rigidV.AsSpan(0, 3 * n), _rigidTrace.AsSpan(0, n), n, _s.Dt, hi,
                _out.AsSpan(3 * s, 3 * n), _out.AsSpan(vo + 3 * s, 3 * n), _out.AsSpan(co + 9 * s, 9 * n));
        }
    }

    /// <summary>
    /// Before the G2P adjoint: turns ∂L/∂(x', v', C') of the clusters' particles into ∂L/∂(G2P velocity), adds the
    /// projection's ∂L/∂x to the input adjoint and points the G2P adjoint at the modified output adjoint.
    /// </summary>
    void RigidBeforeG2PBackward()
    {
        if (_clusters.Length == 0) return;
        double hi = 1 - 3 * _s.Dx;
        int vo = _s.VOffset, co = _s.COffset;
        _outBar.CopyTo(_rigidOutBar, 0);
        foreach (var c in _clusters)
        {
            int s = c.Start, n = c.Count;
            for (int q = 0; q < n; q++) GatherVelocity(s + q).Store(_rigidV, 3 * q);
            RigidProjection.Backward(_in.AsSpan(3 * s, 3 * n), _rigidV.AsSpan(0, 3 * n), n, _s.Dt, hi,
                _outBar.AsSpan(3 * s, 3 * n), _outBar.AsSpan(vo + 3 * s, 3 * n), _outBar.AsSpan(co + 9 * s, 9 * n),
                _rigidXBar.AsSpan(0, 3 * n), _rigidVBar.AsSpan(0, 3 * n), _rigidTrace.AsSpan(0, n));
            for (int i = 0; i < 3 * n; i++) _inBar[3 * s + i] += _rigidXBar[i];
            _rigidVBar.AsSpan(0, 3 * n).CopyTo(_rigidOutBar.AsSpan(vo + 3 * s));
            Array.Clear(_rigidOutBar, 3 * s, 3 * n);
            Array.Clear(_rigidOutBar, co + 9 * s, 9 * n);
            // G2P's C enters only through its trace.
            for (int q = 0; q < n; q++) { int o = co + 9 * (s + q); _rigidOutBar[o] = _rigidOutBar[o + 4] = _rigidOutBar[o + 8] = _rigidTrace[q]; }
        }
        _outBar = _rigidOutBar;
    }

    /// <summary>G2P's velocity Σ w v_i of particle p (the weights of the current frame).</summary>
    V3 GatherVelocity(int p)
    {
        int n = _n, bx = _base[3 * p], by = _base[3 * p + 1], bz = _base[3 * p + 2], wo = 9 * p;
        var v = new V3();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int l = 0; l < 3; l++)
                {
                    double wt = _w[wo + i] * _w[wo + 3 + j] * _w[wo + 6 + l];
                    int node = ((bz + l) * n + (by + j)) * n + bx + i;
                    v.X += wt * _gv[3 * node]; v.Y += wt * _gv[3 * node + 1]; v.Z += wt * _gv[3 * node + 2];
                }
        return v;
    }
}
