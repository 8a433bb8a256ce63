using System.Globalization;
using System.Runtime.CompilerServices;
using ContactOpt.Autodiff;
using ContactOpt.Rendering;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.Rigid;

/// <summary>
/// Physical description of a cart carrying a planar chain of 1–3 uniform rods (BO-Leap's Nimble cart-pole).
/// Values the paper leaves open are chosen here and documented in the task descriptions.
/// </summary>
public sealed record CartPoleModel
{
    /// <summary>Rod lengths from the cart outwards (m).</summary>
    public required double[] LinkLengths { get; init; }
    /// <summary>Rod masses from the cart outwards (kg).</summary>
    public required double[] LinkMasses { get; init; }
    /// <summary>Joint torque at action ±1 (N·m), one per joint (joint i drives link i against link i−1 or the cart).</summary>
    public required double[] MaxTorques { get; init; }
    /// <summary>Cart velocity command at action ±1 (m/s).</summary>
    public double MaxCartSpeed { get; init; } = 2.0;
    /// <summary>The cart velocity servo: ẋ follows the command as a first-order lag with this time constant (s).</summary>
    public double CartTimeConstant { get; init; } = 0.05;
    public double TargetX { get; init; }
    public double TargetZ { get; init; }
    public int Steps { get; init; } = 100;
    /// <summary>Duration of one control step (s).</summary>
    public double ControlDt { get; init; } = 0.02;
    public int Substeps { get; init; } = 10;
    public double Gravity { get; init; } = 9.81;
    /// <summary>Initial absolute link angles from the upward vertical (rad); default: hanging down (π).</summary>
    public double[]? InitialAngles { get; init; }
    /// <summary>Initial absolute angular velocities (rad/s); default 0.</summary>
    public double[]? InitialAngularVelocities { get; init; }

    public int Links => LinkLengths.Length;

    /// <summary>1-link preset: Nimble's 1 m pole (1 kg), 2 N·m joint torque, target tip (1.0, 0.8) m.</summary>
    public static CartPoleModel OneLink => new()
    {
        LinkLengths = [1.0], LinkMasses = [1.0], MaxTorques = [2.0], TargetX = 1.0, TargetZ = 0.8,
    };

    /// <summary>3-link preset: three 1 m rods of 1, 0.5 and 0.25 kg, torques 8/3/1 N·m, target tip (0.5, 2.5) m.</summary>
    public static CartPoleModel ThreeLink => new()
    {
        LinkLengths = [1.0, 1.0, 1.0], LinkMasses = [1.0, 0.5, 0.25], MaxTorques = [8.0, 3.0, 1.0], TargetX = 0.5, TargetZ = 2.5,
    };

    internal void Validate()
    {
        int n = Links;
        if (n is < 1 or > CartPoleDynamics.MaxLinks) throw new ArgumentException($"a cart-pole has 1 to {CartPoleDynamics.MaxLinks} links, got {n}.");
        if (LinkMasses.Length != n || MaxTorques.Length != n)
            throw new ArgumentException($"link lengths ({n}), masses ({LinkMasses.Length}) and max torques ({MaxTorques.Length}) must have one entry per link.");
        for (int i = 0; i < n; i++)
        {
            if (!(LinkLengths[i] > 0) || !double.IsFinite(LinkLengths[i])) throw new ArgumentException($"link length {i} is {LinkLengths[i]}; it must be positive and finite.");
            if (!(LinkMasses[i] > 0) || !double.IsFinite(LinkMasses[i])) throw new ArgumentException($"link mass {i} is {LinkMasses[i]}; it must be positive and finite.");
            if (!(MaxTorques[i] >= 0) || !double.IsFinite(MaxTorques[i])) throw new ArgumentException($"max torque {i} is {MaxTorques[i]}; it must be ≥ 0 and finite.");
        }
        if (!(MaxCartSpeed >= 0) || !double.IsFinite(MaxCartSpeed)) throw new ArgumentException($"max cart speed {MaxCartSpeed} must be ≥ 0 and finite.");
        if (!(CartTimeConstant > 0) || !double.IsFinite(CartTimeConstant)) throw new ArgumentException($"cart time constant {CartTimeConstant} must be positive.");
        if (Steps < 1 || Substeps < 1) throw new ArgumentException("steps and substeps must be ≥ 1.");
        if (!(ControlDt > 0) || !double.IsFinite(ControlDt)) throw new ArgumentException($"control dt {ControlDt} must be positive.");
        if (InitialAngles is { } a && a.Length != n) throw new ArgumentException($"initial angles have {a.Length} entries, expected {n}.");
        if (InitialAngularVelocities is { } w && w.Length != n) throw new ArgumentException($"initial angular velocities have {w.Length} entries, expected {n}.");
    }
}

/// <summary>
/// A cart on a rail carrying a chain of 1–3 uniform rods joined by revolute joints (no self-contact, no rail
/// limits), in minimal coordinates: the cart position x and the absolute rod angles φᵢ measured from the upward
/// vertical (φ = 0 up, φ = π hanging; positive tips the rod towards +x).
/// <para>
/// Actuation (action ∈ [−1, 1]^(1+n), scaled by the model): a cart velocity command v (the cart follows it
/// through a stiff first-order servo, ẋ → v with time constant τ, integrated exactly, so the cart acceleration
/// is prescribed) and one torque per joint. The rods obey M(φ)·φ̈ = Q: with rod i of mass mᵢ, length lᵢ, centre
/// cᵢ = lᵢ/2 and inertia mᵢlᵢ²/12, Bⱼ = mⱼcⱼ + lⱼ·Σ_{i&gt;j} mᵢ, Aⱼⱼ = mⱼcⱼ² + Iⱼ + lⱼ²·Σ_{i&gt;j} mᵢ and
/// Aⱼₖ = lⱼ·Bₖ (j &lt; k): Mⱼₖ = Aⱼₖ·cos(φⱼ − φₖ) and
/// Qⱼ = g·Bⱼ·sin φⱼ − Bⱼ·cos φⱼ·ẍ − Σₖ Aⱼₖ·sin(φⱼ − φₖ)·φ̇ₖ² + τⱼ' − τⱼ₊₁', where τⱼ' = τⱼ − b·(φ̇ⱼ − φ̇ⱼ₋₁) is the
/// joint torque less viscous joint damping b (a declared physical parameter, default 0). M is solved per
/// substep by an LDLᵀ factorisation written over the scalar type; integration is semi-implicit Euler.
/// </para>
/// State: (x, φ₁..φₙ, ẋ, φ̇₁..φ̇ₙ). Loss: the distance from the final tip of the chain to the target.
/// </summary>
public sealed class CartPoleDynamics : ScalarDynamics, ISideView
{
    public override Frame RenderState(ReadOnlySpan<double> state, ReadOnlySpan<double> action, string? label = null) =>
        SideView.Render(this, state, action, label);

    public const int MaxLinks = 3;

    readonly CartPoleModel _m;
    readonly int _n;
    readonly double _dt, _alpha, _invDt;
    readonly double[] _b = new double[MaxLinks], _a = new double[MaxLinks * MaxLinks];
    readonly Box _bounds;

    public CartPoleDynamics(CartPoleModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Validate();
        // A private copy: the model's arrays cannot change the simulator afterwards.
        _m = model with
        {
            LinkLengths = (double[])model.LinkLengths.Clone(), LinkMasses = (double[])model.LinkMasses.Clone(),
            MaxTorques = (double[])model.MaxTorques.Clone(), InitialAngles = (double[]?)model.InitialAngles?.Clone(),
            InitialAngularVelocities = (double[]?)model.InitialAngularVelocities?.Clone(),
        };
        _n = _m.Links;
        _dt = model.ControlDt / model.Substeps;
        _invDt = 1.0 / _dt;
        _alpha = Math.Exp(-_dt / model.CartTimeConstant);
        var l = model.LinkLengths; var mass = model.LinkMasses;
        for (int j = 0; j < _n; j++)
        {
            double outer = 0;
            for (int i = j + 1; i < _n; i++) outer += mass[i];
            double c = 0.5 * l[j];
            _b[j] = mass[j] * c + l[j] * outer;
            _a[j * MaxLinks + j] = mass[j] * c * c + mass[j] * l[j] * l[j] / 12.0 + l[j] * l[j] * outer;
        }
        for (int j = 0; j < _n; j++)
            for (int k = j + 1; k < _n; k++)
                _a[j * MaxLinks + k] = _a[k * MaxLinks + j] = l[j] * _b[k];
        _bounds = new Box(-1.0, 1.0, 1 + _n);
    }

    /// <summary>A copy of the model (changing it does not change this simulator).</summary>
    public CartPoleModel Model => _m with
    {
        LinkLengths = (double[])_m.LinkLengths.Clone(), LinkMasses = (double[])_m.LinkMasses.Clone(), MaxTorques = (double[])_m.MaxTorques.Clone(),
        InitialAngles = (double[]?)_m.InitialAngles?.Clone(), InitialAngularVelocities = (double[]?)_m.InitialAngularVelocities?.Clone(),
    };
    public int Links => _n;
    /// <summary>Integration step (s).</summary>
    public double Dt => _dt;

    public override int StateSize => 2 * (_n + 1);
    public override int ActionSize => 1 + _n;
    public override int Horizon => _m.Steps;
    /// <summary>x, ẋ, then (sin φᵢ, cos φᵢ, φ̇ᵢ) per link, then tip − target (x, z).</summary>
    public override int ObservationSize => 2 + 3 * _n + 2;
    public override IReadOnlyList<string> ParameterNames => ["joint_damping"];
    public override double[] DefaultParameters() => [0.0];
    /// <summary>Joint damping in [0, 1] N·m·s/rad (the task runs undamped by default).</summary>
    public override Box? ParameterBounds { get; } = new([0.0], [1.0]);
    public override Box ActionBounds => _bounds;
    public override Box ActionSamplingBox => _bounds;
    public override void InitialGuess(int t, Span<double> action) => action.Clear();
    public override int TraceEvery => _m.Substeps;

    public override void InitialState(Span<double> state, Random rng)
    {
        state.Clear();
        for (int i = 0; i < _n; i++)
        {
            state[1 + i] = _m.InitialAngles?[i] ?? Math.PI;
            state[_n + 2 + i] = _m.InitialAngularVelocities?[i] ?? 0.0;
        }
    }

    struct S<T> where T : struct, IScalar<T>
    {
        public T X, Xd;
        public Buf3<T> Phi, Phid;
    }

    public override void Step<T>(Span<T> state, ReadOnlySpan<T> action, ReadOnlySpan<T> parameters, int t, StepTrace? trace)
    {
        int n = _n;
        var s = new S<T> { X = state[0], Xd = state[n + 1] };
        for (int i = 0; i < n; i++) { s.Phi[i] = state[1 + i]; s.Phid[i] = state[n + 2 + i]; }
        T v = action[0] * _m.MaxCartSpeed;
        var tau = new Buf3<T>();
        for (int i = 0; i < n; i++) tau[i] = action[1 + i] * _m.MaxTorques[i];
        T damping = parameters[0];
        for (int k = 0; k < _m.Substeps; k++) Substep(ref s, v, ref tau, damping);
        state[0] = s.X; state[n + 1] = s.Xd;
        for (int i = 0; i < n; i++) { state[1 + i] = s.Phi[i]; state[n + 2 + i] = s.Phid[i]; }
        trace?.Record<T>(state, action);
    }

    void Substep<T>(ref S<T> s, T v, ref Buf3<T> tau, T damping) where T : struct, IScalar<T>
    {
        // Cart servo, integrated exactly: ẋ' = v + (ẋ − v)·e^{−dt/τ}; the rods see ẍ = (ẋ' − ẋ)/dt.
        T xdNew = v + (s.Xd - v) * _alpha;
        T xdd = (xdNew - s.Xd) * _invDt;
        var sin = new Buf3<T>(); var cos = new Buf3<T>();
        for (int i = 0; i < _n; i++) (sin[i], cos[i]) = T.SinCos(s.Phi[i]);
        var m = new Buf9<T>(); var q = new Buf3<T>();
        Assemble(ref s, ref sin, ref cos, xdd, ref tau, damping, ref m, ref q);
        SolveLdlt(ref m, ref q, _n);
        for (int i = 0; i < _n; i++)
        {
            s.Phid[i] += q[i] * _dt;
            s.Phi[i] += s.Phid[i] * _dt;
        }
        s.Xd = xdNew;
        s.X += xdNew * _dt;
    }

    /// <summary>Mass matrix (lower triangle) and generalised forces of the rods.</summary>
    void Assemble<T>(ref S<T> s, ref Buf3<T> sin, ref Buf3<T> cos, T xdd, ref Buf3<T> tau, T damping, ref Buf9<T> m, ref Buf3<T> q)
        where T : struct, IScalar<T>
    {
        int n = _n;
        // Effective joint torques τⱼ' = τⱼ − b·(φ̇ⱼ − φ̇ⱼ₋₁).
        var te = new Buf3<T>();
        for (int j = 0; j < n; j++)
        {
            T rel = j == 0 ? s.Phid[0] : s.Phid[j] - s.Phid[j - 1];
            te[j] = tau[j] - damping * rel;
        }
        var w2 = new Buf3<T>();
        for (int k = 0; k < n; k++) w2[k] = s.Phid[k] * s.Phid[k];
        for (int j = 0; j < n; j++)
        {
            double bj = _b[j];
            T f = (_m.Gravity * bj) * sin[j] - (bj * cos[j]) * xdd + te[j];
            if (j + 1 < n) f -= te[j + 1];
            m[j * MaxLinks + j] = T.Constant(_a[j * MaxLinks + j]);
            for (int k = 0; k < j; k++)
            {
                // φⱼ − φₖ from products (no extra trigonometry).
                T cjk = cos[j] * cos[k] + sin[j] * sin[k];
                T sjk = sin[j] * cos[k] - cos[j] * sin[k];
                double ajk = _a[j * MaxLinks + k];
                m[j * MaxLinks + k] = ajk * cjk;
                // Coriolis/centrifugal terms of rows j and k: A·sin(φⱼ − φₖ) enters with opposite signs.
                T as_ = ajk * sjk;
                f -= as_ * w2[k];
                q[k] += as_ * w2[j];
            }
            q[j] = f;   // rows below j add their Coriolis terms to q[j] later
        }
    }

    /// <summary>Solves M·x = q in place (q ← x) for a symmetric positive definite M given by its lower triangle.</summary>
    static void SolveLdlt<T>(ref Buf9<T> m, ref Buf3<T> q, int n) where T : struct, IScalar<T>
    {
        if (n == 1) { q[0] = q[0] / m[0]; return; }
        // LDLᵀ: m[j,j] ← D_j, m[i,j] ← L_ij (i > j).
        for (int j = 0; j < n; j++)
        {
            T d = m[j * MaxLinks + j];
            for (int k = 0; k < j; k++) { T l = m[j * MaxLinks + k]; d -= l * l * m[k * MaxLinks + k]; }
            m[j * MaxLinks + j] = d;
            for (int i = j + 1; i < n; i++)
            {
                T v = m[i * MaxLinks + j];
                for (int k = 0; k < j; k++) v -= m[i * MaxLinks + k] * m[j * MaxLinks + k] * m[k * MaxLinks + k];
                m[i * MaxLinks + j] = v / d;
            }
        }
        for (int i = 1; i < n; i++)
            for (int k = 0; k < i; k++) q[i] -= m[i * MaxLinks + k] * q[k];
        for (int i = 0; i < n; i++) q[i] = q[i] / m[i * MaxLinks + i];
        for (int i = n - 2; i >= 0; i--)
            for (int k = i + 1; k < n; k++) q[i] -= m[k * MaxLinks + i] * q[k];
    }

    /// <summary>Tip of the chain (x, z).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (T X, T Z) Tip<T>(ReadOnlySpan<T> state) where T : struct, IScalar<T>
    {
        T x = state[0], z = T.Constant(0);
        for (int i = 0; i < _n; i++)
        {
            x += _m.LinkLengths[i] * T.Sin(state[1 + i]);
            z += _m.LinkLengths[i] * T.Cos(state[1 + i]);
        }
        return (x, z);
    }

    public override T TerminalCost<T>(ReadOnlySpan<T> state)
    {
        var (x, z) = Tip(state);
        return Scalar.Hypot(x - _m.TargetX, z - _m.TargetZ);
    }

    public override void Observe<T>(ReadOnlySpan<T> state, Span<T> obs)
    {
        int n = _n;
        obs[0] = state[0];
        obs[1] = state[n + 1];
        for (int i = 0; i < n; i++)
        {
            obs[2 + 3 * i] = T.Sin(state[1 + i]);
            obs[3 + 3 * i] = T.Cos(state[1 + i]);
            obs[4 + 3 * i] = state[n + 2 + i];
        }
        var (x, z) = Tip(state);
        obs[2 + 3 * n] = x - _m.TargetX;
        obs[3 + 3 * n] = z - _m.TargetZ;
    }

    /// <summary>Total mechanical energy of the rods in the frame of a cart moving at constant velocity (J).</summary>
    public double Energy(ReadOnlySpan<double> state)
    {
        int n = _n;
        double kinetic = 0, potential = 0;
        for (int j = 0; j < n; j++)
        {
            potential += _m.Gravity * _b[j] * Math.Cos(state[1 + j]);
            for (int k = 0; k < n; k++)
                kinetic += 0.5 * _a[j * MaxLinks + k] * Math.Cos(state[1 + j] - state[1 + k]) * state[n + 2 + j] * state[n + 2 + k];
        }
        return kinetic + potential;
    }

    public (int Width, int Height, double XMin, double XMax, double ZMin) View =>
        _n == 1 ? (400, 180, -4.5, 4.5, -1.5) : (400, 320, -4.5, 4.5, -3.5);

    public void Draw(Canvas canvas, ReadOnlySpan<double> state, ReadOnlySpan<double> action)
    {
        int n = _n;
        var rail = new Rgb(120, 120, 120);
        canvas.Line(-4.5, 0, 4.5, 0, rail, 2);
        canvas.Cross(_m.TargetX, _m.TargetZ, new Rgb(40, 90, 220), 7);
        double x = state[0], z = 0;
        canvas.RotatedBox(x, 0, 0.3, 0.1, 0, new Rgb(90, 90, 90), new Rgb(40, 40, 40));
        if (action.Length > 0)
        {
            // The cart velocity command as an arrow (0.5 m per m/s).
            double v = action[0] * _m.MaxCartSpeed;
            canvas.Line(x, -0.25, x + 0.5 * v, -0.25, new Rgb(220, 120, 30), 2);
        }
        var colours = new[] { new Rgb(200, 60, 60), new Rgb(220, 130, 40), new Rgb(200, 180, 40) };
        for (int i = 0; i < n; i++)
        {
            double l = _m.LinkLengths[i];
            double x2 = x + l * Math.Sin(state[1 + i]), z2 = z + l * Math.Cos(state[1 + i]);
            canvas.Line(x, z, x2, z2, colours[i % colours.Length], 5);
            canvas.Disc(x, z, 0.05, new Rgb(30, 30, 30));
            x = x2; z = z2;
        }
        canvas.Disc(x, z, 0.07, new Rgb(30, 30, 30));
    }

    static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    internal string Describe() =>
        $"{_n}-link cart-pole: rods of {string.Join("/", _m.LinkLengths.Select(F))} m and {string.Join("/", _m.LinkMasses.Select(F))} kg " +
        $"(uniform), starting at rest hanging down; {_m.Steps} control steps of {F(_m.ControlDt)} s ({_m.Substeps} semi-implicit Euler " +
        $"substeps each); action per step ∈ [−1, 1]^{1 + _n}: cart velocity command × {F(_m.MaxCartSpeed)} m/s (first-order servo, " +
        $"τ = {F(_m.CartTimeConstant)} s) and joint torques × {string.Join("/", _m.MaxTorques.Select(F))} N·m; " +
        $"x ∈ [−1, 1]^{Horizon * ActionSize}, initial guess 0; loss = distance of the final tip to the target " +
        $"({F(_m.TargetX)}, {F(_m.TargetZ)}) m (rail at height 0); success: loss < 0.1 (tip within 0.1 m of the target; random search gets no seed there in " +
        $"1,000 episodes); gradients by reverse mode. Step view: " +
        $"one step per control step; observation x, ẋ, (sin φ, cos φ, φ̇) per rod (φ from the upward vertical), tip − target.";

    internal static TaskInstance CreateTask(string name, CartPoleModel model, LandscapePreset landscape)
    {
        var dyn = new CartPoleDynamics(model);
        return new TaskInstance(name, dyn.Describe(), dyn, successThreshold: 0.1, landscape: landscape);
    }
}

/// <summary>Registration of the 1-link (200-D) and 3-link (400-D) cart-pole tasks.</summary>
public static class CartPoleTasks
{
    public static TaskSpec OneLink { get; } = new(
        "cartpole",
        "BO-Leap 1-link cart-pole: 100 steps × (cart velocity, joint torque) swing the pole tip to a target (200-D).",
        [], o => CartPoleDynamics.CreateTask("cartpole", CartPoleModel.OneLink, Landscape(CartPoleModel.OneLink)));

    public static TaskSpec ThreeLink { get; } = new(
        "cartpole3",
        "BO-Leap 3-link cart-pole: 100 steps × (cart velocity, 3 joint torques) swing the chain tip up to a target (400-D).",
        [], o => CartPoleDynamics.CreateTask("cartpole3", CartPoleModel.ThreeLink, Landscape(CartPoleModel.ThreeLink)));

    /// <summary>
    /// Cart velocity command held over the first half (u) and the second half (w) of the episode, torques 0:
    /// how far cart motion alone swings the chain.
    /// </summary>
    static LandscapePreset Landscape(CartPoleModel m)
    {
        int a = 1 + m.Links, h = m.Steps;
        return new LandscapePreset("cart velocity command, first half", "cart velocity command, second half", -1, 1, -1, 1, 101,
            (u, w) =>
            {
                var x = new double[a * h];
                for (int t = 0; t < h; t++) x[t * a] = t < h / 2 ? u : w;
                return x;
            },
            "cart velocity command u over steps 0–49 and w over steps 50–99, all torques 0");
    }
}
