using ContactOpt.Kernels;

namespace ContactOpt.Envs.SpringChain;

/// <summary>
/// The chain's substep as kernels with their adjoints beside them (the kernel route). Buffers are structure of
/// arrays of length n (masses) or n − 1 (springs). Every loop is gather form — each output written by one index —
/// so the parallel versions are bit-identical for any thread count.
/// <list type="number">
/// <item><see cref="SpringForward"/>: per spring s (masses s, s+1): tension f = k(L − L₀) + c·(Δv·u) along u.</item>
/// <item><see cref="Integrate"/>: per mass, gather its springs' forces, gravity and ground; v' = v + dt·F/m,
/// x' = x + dt·v'; mass 0 moves with the action.</item>
/// </list>
/// </summary>
public sealed class ChainKernels
{
    readonly ChainModel _m;
    readonly KernelLoop _loop;
    const int Grain = 256;
    // Per-spring scratch: unit direction, length, tension, relative normal velocity; their adjoints.
    readonly double[] _ux, _uz, _len, _f, _w;
    readonly double[] _gdx, _gdz, _gdvx, _gdvz, _gk, _gc;
    readonly Action<int, int> _springBody, _integrateBody, _integrateBackBody, _springBackBody;
    // Arguments of the current kernel call (fields so the cached loop bodies allocate nothing).
    double[] _s = [], _out = [], _adjOut = [], _adjIn = [];
    double _k, _c, _ax, _az;

    public ChainKernels(ChainModel model, int threads)
    {
        _m = model;
        _loop = new KernelLoop(threads);
        int ns = model.Masses - 1;
        _ux = new double[ns]; _uz = new double[ns]; _len = new double[ns]; _f = new double[ns]; _w = new double[ns];
        _gdx = new double[ns]; _gdz = new double[ns]; _gdvx = new double[ns]; _gdvz = new double[ns]; _gk = new double[ns]; _gc = new double[ns];
        _springBody = SpringBlock; _integrateBody = IntegrateBlock; _integrateBackBody = IntegrateBackBlock; _springBackBody = SpringBackBlock;
    }

    // ---------------- spring tensions ----------------

    /// <summary>Tension of every spring at state s (fills the per-spring scratch).</summary>
    public void SpringForward(double[] s, double k, double c)
    {
        _s = s; _k = k; _c = c;
        _loop.For(_m.Masses - 1, Grain, _springBody);
    }

    void SpringBlock(int lo, int hi)
    {
        int n = _m.Masses;
        var s = _s;
        for (int j = lo; j < hi; j++)
        {
            double dx = s[j + 1] - s[j], dz = s[n + j + 1] - s[n + j];
            double L = Math.Sqrt(dx * dx + dz * dz);
            double ux = dx / L, uz = dz / L;
            double dvx = s[2 * n + j + 1] - s[2 * n + j], dvz = s[3 * n + j + 1] - s[3 * n + j];
            double w = dvx * ux + dvz * uz;
            _ux[j] = ux; _uz[j] = uz; _len[j] = L; _w[j] = w;
            _f[j] = _k * (L - _m.RestLength) + _c * w;
        }
    }

    /// <summary>
    /// Adjoint of the tension vector φ = f·u of each spring (gathered from the two masses it pushes): fills
    /// ∂/∂Δx, ∂/∂Δv, ∂/∂k, ∂/∂c per spring. Needs <see cref="SpringForward"/> at the same state first.
    /// </summary>
    void SpringBackBlock(int lo, int hi)
    {
        double k = _k, c = _c;
        int n = _m.Masses;
        double dt = _m.Dt, dtm = dt / _m.Mass;
        var a = _adjOut;
        for (int j = lo; j < hi; j++)
        {
            // ḡφ_j = ∂L/∂F_j − ∂L/∂F_{j+1} with ∂L/∂F_i = dt/m·(∂L/∂v'_i + dt·∂L/∂x'_i): spring j acts on mass j
            // with +φ and on mass j+1 with −φ (mass 0 is driven, so its force is unused).
            double gx = 0, gz = 0;
            if (j >= 1) { gx += dtm * (a[2 * n + j] + dt * a[j]); gz += dtm * (a[3 * n + j] + dt * a[n + j]); }
            gx -= dtm * (a[2 * n + j + 1] + dt * a[j + 1]); gz -= dtm * (a[3 * n + j + 1] + dt * a[n + j + 1]);
            double ux = _ux[j], uz = _uz[j], L = _len[j], f = _f[j], w = _w[j];
            double gf = gx * ux + gz * uz;                    // φ = f u
            double gux = f * gx, guz = f * gz;
            double gL = k * gf, gw = c * gf;                  // f = k(L − L₀) + c w
            _gk[j] = (L - _m.RestLength) * gf; _gc[j] = w * gf;
            double dvx = _s[2 * n + j + 1] - _s[2 * n + j], dvz = _s[3 * n + j + 1] - _s[3 * n + j];
            _gdvx[j] = gw * ux; _gdvz[j] = gw * uz;           // w = Δv·u
            gux += gw * dvx; guz += gw * dvz;
            double ug = ux * gux + uz * guz;                  // u = Δx / L: (I − u uᵀ) ḡu / L
            double gdx = (gux - ux * ug) / L + gL * ux;       // L = |Δx|
            double gdz = (guz - uz * ug) / L + gL * uz;
            _gdx[j] = gdx; _gdz[j] = gdz;
        }
    }

    // ---------------- integration ----------------

    /// <summary>next ← one substep from s with driven velocity (ax, az); <see cref="SpringForward"/> must have run on s.</summary>
    public void Integrate(double[] s, double[] next, double ax, double az)
    {
        _s = s; _out = next; _ax = ax; _az = az;
        _loop.For(_m.Masses, Grain, _integrateBody);
    }

    void IntegrateBlock(int lo, int hi)
    {
        int n = _m.Masses;
        var s = _s; var o = _out;
        double dt = _m.Dt, invM = 1.0 / _m.Mass;
        for (int i = lo; i < hi; i++)
        {
            double vx, vz;
            if (i == 0) { vx = _ax; vz = _az; }
            else
            {
                double fx = 0, fz = -_m.Mass * _m.Gravity;
                if (i < n - 1) { fx += _f[i] * _ux[i]; fz += _f[i] * _uz[i]; }          // spring i pulls towards i+1
                fx -= _f[i - 1] * _ux[i - 1]; fz -= _f[i - 1] * _uz[i - 1];              // spring i−1 pulls towards i−1
                double z = s[n + i];
                if (z < 0) fz += -_m.GroundStiffness * z - _m.GroundDamping * s[3 * n + i];
                vx = s[2 * n + i] + dt * fx * invM;
                vz = s[3 * n + i] + dt * fz * invM;
            }
            o[2 * n + i] = vx; o[3 * n + i] = vz;
            o[i] = s[i] + dt * vx;
            o[n + i] = s[n + i] + dt * vz;
        }
    }

    /// <summary>
    /// Adjoint of one substep: from ∂L/∂next (adjOut) writes ∂L/∂s (adjIn) and returns ∂L/∂(ax, az, k, c) of
    /// this substep. <see cref="SpringForward"/> must have run on s (the substep's input).
    /// </summary>
    public (double Ax, double Az, double K, double C) SubstepBackward(double[] s, double[] adjOut, double[] adjIn)
    {
        _s = s; _adjOut = adjOut; _adjIn = adjIn;
        int n = _m.Masses;
        // 1. Per spring: adjoint of its tension vector, gathered from the two masses it acts on, then through
        //    the tension to Δx, Δv, k and c.
        _loop.For(n - 1, Grain, _springBackBody);
        // 2. Per mass: adjoint of its state, gathered from its own update and its springs.
        _loop.For(n, Grain, _integrateBackBody);
        double gk = 0, gc = 0;
        for (int j = 0; j < n - 1; j++) { gk += _gk[j]; gc += _gc[j]; }   // fixed order: thread-count independent
        double vbx = adjOut[2 * n] + _m.Dt * adjOut[0], vbz = adjOut[3 * n] + _m.Dt * adjOut[n];
        return (vbx, vbz, gk, gc);
    }

    void IntegrateBackBlock(int lo, int hi)
    {
        int n = _m.Masses;
        var s = _s; var a = _adjOut; var g = _adjIn;
        double dt = _m.Dt, dtm = dt / _m.Mass;
        for (int i = lo; i < hi; i++)
        {
            double gx = a[i], gz = a[n + i];                       // x' = x + dt v'
            double gvx, gvz;
            if (i == 0) { gvx = 0; gvz = 0; }                      // v'₀ = action: no dependence on v₀
            else
            {
                double gvpx = a[2 * n + i] + dt * a[i], gvpz = a[3 * n + i] + dt * a[n + i];
                gvx = gvpx; gvz = gvpz;                            // v' = v + dt F/m
                if (s[n + i] < 0)                                  // ground: F_z += −k_g z − c_g v_z
                {
                    gz += -_m.GroundStiffness * dtm * gvpz;
                    gvz += -_m.GroundDamping * dtm * gvpz;
                }
            }
            // Springs: Δx_j = x_{j+1} − x_j for j = i − 1 (mass i is its upper end) and j = i (lower end).
            if (i >= 1) { gx += _gdx[i - 1]; gz += _gdz[i - 1]; gvx += _gdvx[i - 1]; gvz += _gdvz[i - 1]; }
            if (i < n - 1) { gx -= _gdx[i]; gz -= _gdz[i]; gvx -= _gdvx[i]; gvz -= _gdvz[i]; }
            g[i] = gx; g[n + i] = gz; g[2 * n + i] = gvx; g[3 * n + i] = gvz;
        }
    }
}
