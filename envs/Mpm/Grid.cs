namespace ContactOpt.Envs.Mpm;

/// <summary>
/// Grid update per node with mass > 1e-12: v = P/M + dt·30·g, each primitive's soft contact in turn
/// (<see cref="Collide"/>), then the walls (3 cells) and the floor: sticky (friction ≥ 10: v = 0) or Coulomb.
/// Empty nodes stay at zero velocity. The adjoint walks each node's chain back (the chain kept by the backward's grid recompute).
/// </summary>
public sealed partial class Engine
{
    readonly Action<int, int> _gridBody, _gridKeepBody, _gridBarBody;
    // Per node the velocity chain of the grid update (primitives + 1 vectors), written by the backward's grid
    // recompute and read by the grid adjoint of the same substep (so the adjoint does not run the chain again).
    readonly double[] _chains;
    const int MaxPrimitives = 8;

    void GridBlock(int start, int end) => GridBlock(start, end, false);

    /// <summary>As the forward grid update, keeping each node's chain in <see cref="_chains"/> for <see cref="GridBackwardBlock"/> (same substep).</summary>
    void GridKeepBlock(int start, int end) => GridBlock(start, end, true);

    void GridBlock(int start, int end, bool keep)
    {
        int n = _n, links = _s.Primitives.Length + 1;
        Span<V3> chain = stackalloc V3[MaxPrimitives + 1];
        for (int layer = start; layer < end; layer++)
        {
            int z = _zLo + layer;
            for (int y = _yLo; y <= _yHi; y++)
                for (int x = _xLo; x <= _xHi; x++)
                {
                    int node = (z * n + y) * n + x;
                    double m = _gpm[4 * node + 3];
                    if (!(m > 1e-12)) { _gv[3 * node] = 0; _gv[3 * node + 1] = 0; _gv[3 * node + 2] = 0; continue; }
                    var v = NodeForward(node, x, y, z, chain, out _);
                    v.Store(_gv, 3 * node);
                    if (keep)
                        for (int k = 0; k < links; k++) chain[k].Store(_chains, 3 * (node * links + k));
                }
        }
    }

    /// <summary>The node's chain: chain[0] = P/M + dt g, chain[k+1] after primitive k; returns the velocity after the walls.</summary>
    V3 NodeForward(int node, int x, int y, int z, Span<V3> chain, out int wallFlags)
    {
        double m = _gpm[4 * node + 3];
        var v = new V3(_gpm[4 * node] / m, _gpm[4 * node + 1] / m - _s.Dt * _s.GravityScale, _gpm[4 * node + 2] / m);
        chain[0] = v;
        var pos = new V3(x * _s.Dx, y * _s.Dx, z * _s.Dx);
        int po = _s.PoseOffset, ro = _s.RotOffset;
        for (int k = 0; k < _s.Primitives.Length; k++)
        {
            var pr = _s.Primitives[k];
            v = pr.Rotates
                ? CollideRotating(pr, pos, v, V3.Load(_in, po + 3 * k), V3.Load(_out, po + 3 * k), Quat.Load(_in, ro + 4 * k), Quat.Load(_out, ro + 4 * k))
                : Collide(pr, pos, v, V3.Load(_in, po + 3 * k), V3.Load(_out, po + 3 * k));
            chain[k + 1] = v;
        }
        return Walls(v, x, y, z, out wallFlags);
    }

    /// <summary>PlasticineLab's soft contact of one primitive at a node (positions at frames f and f+1, fixed rotation).</summary>
    V3 Collide(Primitive pr, V3 node, V3 v, V3 p0, V3 p1)
    {
        var r = pr.Rotation;
        bool ident = pr.IsIdentity;
        pr.World(node, p0, r, ident, out double d, out var nrm);
        double s = _s.Softness;
        double infl = Math.Min(Math.Exp(-d * s), 1);
        if (!((s > 0 && infl > 0.1) || d <= 0)) return v;
        return Project(v, (1 / _s.Dt) * (p1 - p0), nrm, infl, pr.Friction);
    }

    /// <summary>
    /// Soft contact of a rotating primitive with poses (p0, q0) at frame f and (p1, q1) at f+1: SDF and normal in the
    /// local frame of (p0, q0); collider velocity (p1 + R1 R0ᵀ(node − p0) − node)/dt, as PlasticineLab's collider_v.
    /// </summary>
    V3 CollideRotating(Primitive pr, V3 node, V3 v, V3 p0, V3 p1, Quat q0, Quat q1)
    {
        var r0 = q0.Matrix();
        var ql = r0.TMul(node - p0);
        pr.Local(ql, out double d, out var g);
        double s = _s.Softness;
        double infl = Math.Min(Math.Exp(-d * s), 1);
        if (!((s > 0 && infl > 0.1) || d <= 0)) return v;
        var vc = (1 / _s.Dt) * (p1 + q1.Matrix() * ql - node);
        return Project(v, vc, r0 * g, infl, pr.Friction);
    }

    /// <summary>The velocity projection of the contact: relative velocity, approaching normal part removed, Coulomb friction, blend by the influence.</summary>
    static V3 Project(V3 v, V3 vc, V3 nrm, double infl, double friction)
    {
        var u = v - vc;
        double un = u.Dot(nrm);
        var ut = u - Math.Min(un, 0) * nrm;
        var utf = ut;
        if (un < 0 && Math.Sqrt(ut.Norm2) > 1e-30)
        {
            double l = Math.Sqrt(ut.Norm2 + 1e-14);
            utf = (Math.Max(0, l + friction * un) / l) * ut;
        }
        return vc + (1 - infl) * u + infl * utf;
    }

    /// <summary>Adjoint of <see cref="Project"/>: returns ∂L/∂v, writes ∂L/∂vc, ∂L/∂n and ∂L/∂influence.</summary>
    static V3 ProjectBackward(V3 v, V3 vc, V3 nrm, double infl, double friction, V3 outBar, out V3 vcBar, out V3 nBar, out double inflBar)
    {
        var u = v - vc;
        double un = u.Dot(nrm);
        var ut = u - Math.Min(un, 0) * nrm;
        bool flag = un < 0 && Math.Sqrt(ut.Norm2) > 1e-30;
        double l = 0, gg = 0;
        var utf = ut;
        if (flag) { l = Math.Sqrt(ut.Norm2 + 1e-14); gg = Math.Max(0, l + friction * un); utf = (gg / l) * ut; }
        // out = vc + (1 − infl) u + infl·utf
        vcBar = outBar;
        var uBar = (1 - infl) * outBar;
        var utfBar = infl * outBar;
        inflBar = outBar.Dot(utf - u);
        V3 utBar;
        double unBar = 0;
        if (flag)
        {
            double sc = gg / l;
            utBar = sc * utfBar;
            double scBar = utfBar.Dot(ut);
            double gBar = scBar / l, lBar = -scBar * gg / (l * l);
            if (l + friction * un > 0) { lBar += gBar; unBar += friction * gBar; }
            utBar = utBar + (lBar / l) * ut;
        }
        else utBar = utfBar;
        // ut = u − min(un, 0) n
        uBar = uBar + utBar;
        nBar = new V3();
        if (un < 0) { unBar -= utBar.Dot(nrm); nBar = nBar - un * utBar; }
        // un = u·n
        uBar = uBar + unBar * nrm;
        nBar = nBar + unBar * u;
        // u = v − vc
        vcBar = vcBar - uBar;
        return uBar;
    }

    /// <summary>Adjoint of <see cref="Collide"/>: returns ∂L/∂v and adds ∂L/∂p0, ∂L/∂p1.</summary>
    V3 CollideBackward(Primitive pr, V3 node, V3 v, V3 p0, V3 p1, V3 outBar, ref V3 p0Bar, ref V3 p1Bar)
    {
        var r = pr.Rotation;
        bool ident = pr.IsIdentity;
        pr.World(node, p0, r, ident, out double d, out var nrm, out var hw);
        double s = _s.Softness;
        double ex = Math.Exp(-d * s);
        double infl = Math.Min(ex, 1);
        if (!((s > 0 && infl > 0.1) || d <= 0)) return outBar;
        double invDt = 1 / _s.Dt;
        var vBar = ProjectBackward(v, invDt * (p1 - p0), nrm, infl, pr.Friction, outBar, out var vcBar, out var nBar, out double inflBar);
        // influence = exp(−d s) when d > 0 (1 otherwise); d and n depend on p0 (∂d/∂p0 = −n, ∂n/∂p0 = −H).
        double dBar = d > 0 && ex < 1 ? -s * ex * inflBar : 0;
        p0Bar = p0Bar - dBar * nrm - hw * nBar;
        p0Bar = p0Bar - invDt * vcBar;
        p1Bar = p1Bar + invDt * vcBar;
        return vBar;
    }

    /// <summary>Adjoint of <see cref="CollideRotating"/>: returns ∂L/∂v and adds ∂L/∂p0, ∂L/∂p1, ∂L/∂q0, ∂L/∂q1.</summary>
    V3 CollideRotatingBackward(Primitive pr, V3 node, V3 v, V3 p0, V3 p1, Quat q0, Quat q1, V3 outBar,
        ref V3 p0Bar, ref V3 p1Bar, ref Quat q0Bar, ref Quat q1Bar)
    {
        var r0 = q0.Matrix();
        var rel = node - p0;
        var ql = r0.TMul(rel);
        pr.Local(ql, out double d, out var g, out var h);
        double s = _s.Softness;
        double ex = Math.Exp(-d * s);
        double infl = Math.Min(ex, 1);
        if (!((s > 0 && infl > 0.1) || d <= 0)) return outBar;
        double invDt = 1 / _s.Dt;
        var r1 = q1.Matrix();
        var vc = invDt * (p1 + r1 * ql - node);
        var vBar = ProjectBackward(v, vc, r0 * g, infl, pr.Friction, outBar, out var vcBar, out var nBar, out double inflBar);
        double dBar = d > 0 && ex < 1 ? -s * ex * inflBar : 0;
        // vc = (p1 + R1 ql − node)/dt
        var w = invDt * vcBar;
        p1Bar = p1Bar + w;
        var r1Bar = M3.Outer(w, ql);
        var qlBar = r1.TMul(w);
        // n = R0 g(ql); d = d(ql)
        var r0Bar = M3.Outer(nBar, g);
        var gBar = r0.TMul(nBar);
        qlBar = qlBar + dBar * g + h * gBar;
        // ql = R0ᵀ (node − p0)
        r0Bar = r0Bar + M3.Outer(rel, qlBar);
        p0Bar = p0Bar - r0 * qlBar;
        q0Bar += Quat.MatrixBackward(q0, r0Bar);
        q1Bar += Quat.MatrixBackward(q1, r1Bar);
        return vBar;
    }

    // Wall flags: bit 2d = lower wall of axis d acted, bit 2d+1 = upper wall; bit 6 = Coulomb floor, bit 7 = sticky floor.
    V3 Walls(V3 v, int x, int y, int z, out int flags)
    {
        flags = 0;
        int hiIdx = _n - Scene.Bound;
        for (int d = 0; d < 3; d++)
        {
            int i = d == 0 ? x : d == 1 ? y : z;
            if (i < Scene.Bound && v[d] < 0)
            {
                if (d != 1 || _s.FloorFriction == 0) { v[d] = 0; flags |= 1 << (2 * d); }
                else if (_s.FloorFriction < 10)
                {
                    double lin = v.Y;
                    double lit = Math.Sqrt(v.X * v.X + v.Z * v.Z + 1e-8);
                    double sc = Math.Max(1 + _s.FloorFriction * lin / lit, 0);
                    v = new V3(sc * v.X, 0, sc * v.Z);
                    flags |= 1 << 6;
                }
                else { v = new V3(); flags |= 1 << 7; }
            }
            if (i > hiIdx && v[d] > 0) { v[d] = 0; flags |= 1 << (2 * d + 1); }
        }
        return v;
    }

    /// <summary>Adjoint of <see cref="Walls"/> at input velocity <paramref name="v"/>.</summary>
    V3 WallsBackward(V3 v, int x, int y, int z, V3 bar)
    {
        // Recompute the per-axis intermediate velocities, then walk back.
        Span<V3> before = stackalloc V3[3];
        Span<int> flag = stackalloc int[3];
        int hiIdx = _n - Scene.Bound;
        for (int d = 0; d < 3; d++)
        {
            before[d] = v;
            int i = d == 0 ? x : d == 1 ? y : z;
            int f = 0;
            if (i < Scene.Bound && v[d] < 0)
            {
                if (d != 1 || _s.FloorFriction == 0) { v[d] = 0; f |= 1; }
                else if (_s.FloorFriction < 10)
                {
                    double lit = Math.Sqrt(v.X * v.X + v.Z * v.Z + 1e-8);
                    double sc = Math.Max(1 + _s.FloorFriction * v.Y / lit, 0);
                    v = new V3(sc * v.X, 0, sc * v.Z); f |= 4;
                }
                else { v = new V3(); f |= 8; }
            }
            if (i > hiIdx && v[d] > 0) { v[d] = 0; f |= 2; }
            flag[d] = f;
        }
        for (int d = 2; d >= 0; d--)
        {
            int f = flag[d];
            if ((f & 2) != 0) bar[d] = 0;
            if ((f & 1) != 0) bar[d] = 0;
            else if ((f & 8) != 0) bar = new V3();
            else if ((f & 4) != 0)
            {
                var w = before[d];
                double lit = Math.Sqrt(w.X * w.X + w.Z * w.Z + 1e-8);
                double arg = 1 + _s.FloorFriction * w.Y / lit;
                double sc = Math.Max(arg, 0);
                // out = (sc·wx, 0, sc·wz)
                double scBar = bar.X * w.X + bar.Z * w.Z;
                var wBar = new V3(sc * bar.X, 0, sc * bar.Z);
                if (arg > 0)
                {
                    double mu = _s.FloorFriction;
                    wBar.Y += scBar * mu / lit;
                    double litBar = -scBar * mu * w.Y / (lit * lit);
                    wBar.X += litBar * w.X / lit; wBar.Z += litBar * w.Z / lit;
                }
                bar = wBar;
            }
        }
        return bar;
    }

    void GridBackwardBlock(int start, int end)
    {
        int n = _n, pp = _s.PoseSize, po = _s.PoseOffset, ro = _s.RotOffset;
        Span<V3> chain = stackalloc V3[MaxPrimitives + 1];
        for (int layer = start; layer < end; layer++)
        {
            int z = _zLo + layer;
            var part0 = new Span<double>(_posePartials, (2 * layer) * pp, pp);
            var part1 = new Span<double>(_posePartials, (2 * layer + 1) * pp, pp);
            for (int y = _yLo; y <= _yHi; y++)
                for (int x = _xLo; x <= _xHi; x++)
                {
                    int node = (z * n + y) * n + x;
                    double m = _gpm[4 * node + 3];
                    if (!(m > 1e-12)) continue;
                    int np = _s.Primitives.Length;
                    for (int k = 0; k <= np; k++) chain[k] = V3.Load(_chains, 3 * (node * (np + 1) + k));   // kept by GridKeepBlock
                    var bar = WallsBackward(chain[np], x, y, z, V3.Load(_gvBar, 4 * node));
                    var pos = new V3(x * _s.Dx, y * _s.Dx, z * _s.Dx);
                    for (int k = np - 1; k >= 0; k--)
                    {
                        var pr = _s.Primitives[k];
                        var p0b = V3.Load(part0, 3 * k); var p1b = V3.Load(part1, 3 * k);
                        if (pr.Rotates)
                        {
                            int qo = 3 * np + 4 * k;
                            var q0b = Quat.Load(part0, qo); var q1b = Quat.Load(part1, qo);
                            bar = CollideRotatingBackward(pr, pos, chain[k], V3.Load(_in, po + 3 * k), V3.Load(_out, po + 3 * k),
                                Quat.Load(_in, ro + 4 * k), Quat.Load(_out, ro + 4 * k), bar, ref p0b, ref p1b, ref q0b, ref q1b);
                            q0b.Store(part0, qo); q1b.Store(part1, qo);
                        }
                        else bar = CollideBackward(pr, pos, chain[k], V3.Load(_in, po + 3 * k), V3.Load(_out, po + 3 * k), bar, ref p0b, ref p1b);
                        p0b.Store(part0, 3 * k); p1b.Store(part1, 3 * k);
                    }
                    // chain[0] = P/M + dt g
                    double im = 1 / m;
                    int o = 4 * node;
                    _gpmBar[o] = bar.X * im; _gpmBar[o + 1] = bar.Y * im; _gpmBar[o + 2] = bar.Z * im;
                    _gpmBar[o + 3] = -(bar.X * _gpm[o] + bar.Y * _gpm[o + 1] + bar.Z * _gpm[o + 2]) * im * im;
                }
        }
    }
}
