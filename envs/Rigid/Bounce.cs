using System.Globalization;
using System.Runtime.CompilerServices;
using ContactOpt.Autodiff;
using ContactOpt.Rendering;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.Rigid;

/// <summary>How the bouncing ball touches the ground and the wall.</summary>
public enum BounceContact
{
    /// <summary>Warp's relaxed contact: penalty force ke·c + kd·min(vₙ, 0) with regularised Coulomb friction, semi-implicit Euler.</summary>
    Penalty,
    /// <summary>Velocity impulse when the ball is found penetrating, no time-of-impact correction (DiffTaichi's naive scheme).</summary>
    Impulse,
    /// <summary>Velocity impulse with the position advanced to the time of impact and on with the new velocity (DiffTaichi's TOI fix).</summary>
    ImpulseToi,
}

/// <summary>The bounce scene (Warp's sim-grad-bounce example run for 2 s, in z-up coordinates: x right, y depth, z up).</summary>
public sealed record BounceScene
{
    public BounceContact Contact { get; init; } = BounceContact.Penalty;
    public double Radius { get; init; } = 0.1;
    public double Mass { get; init; } = 1.0;
    public double Gravity { get; init; } = 9.81;
    /// <summary>Start position (x, y, z); z is the initial height of the ball centre.</summary>
    public double[] Start { get; init; } = [-0.5, 0.0, 1.0];
    public bool HasWall { get; init; } = true;
    public double[] WallCentre { get; init; } = [2.0, 0.0, 1.0];
    public double[] WallHalfSize { get; init; } = [0.25, 1.0, 1.0];
    public double Duration { get; init; } = 2.0;
    public double Dt { get; init; } = 1.0 / 480;
    // Penalty contact (Warp): ke, kd, kf, μ.
    public double Ke { get; init; } = 1e4;
    public double Kd { get; init; } = 10.0;
    /// <summary>Friction slope of Warp's regularised Coulomb law; Warp's stock example sets 0, which disables friction altogether.</summary>
    public double Kf { get; init; } = 100.0;
    public double Mu { get; init; } = 0.2;
    /// <summary>Restitution of the impulse models, matched to the penalty model's effective restitution at these constants.</summary>
    public double Restitution { get; init; } = 0.92;
    public double[] Target { get; init; } = [-1.4, 0.0, 1.1];
    public double MaxSpeed { get; init; } = 10.0;

    internal void Validate()
    {
        if (Start.Length != 3 || WallCentre.Length != 3 || WallHalfSize.Length != 3 || Target.Length != 3)
            throw new ArgumentException("bounce start, wall centre, wall half size and target are 3-vectors.");
        foreach (var (name, v) in new[] { ("radius", Radius), ("mass", Mass), ("duration", Duration), ("dt", Dt), ("max speed", MaxSpeed) })
            if (!(v > 0) || !double.IsFinite(v)) throw new ArgumentException($"bounce {name} is {v}; it must be positive and finite.");
        if (!(Restitution >= 0 && Restitution <= 1)) throw new ArgumentException($"bounce restitution {Restitution} must be in [0, 1].");
    }
}

/// <summary>
/// A ball with an initial 3-D velocity (the decision: one step whose action is v₀ ∈ [−10, 10]³ m/s) bounces off the
/// ground (z = 0) and a box wall and should be at a target after 2 s. Three contact models share the scene
/// (<see cref="BounceContact"/>). State (x, y, z, ẋ, ẏ, ż); the action replaces the velocity at the start, so the
/// initial height is the state's z and ∂L/∂(initial state) includes ∂L/∂(initial height).
/// </summary>
public sealed class BounceDynamics : ScalarDynamics, ISideView
{
    public override Frame RenderState(ReadOnlySpan<double> state, ReadOnlySpan<double> action, string? label = null) =>
        SideView.Render(this, state, action, label);

    readonly BounceScene _s;
    readonly int _substeps;
    readonly Box _bounds;

    public BounceDynamics(BounceScene scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        scene.Validate();
        _s = Copy(scene);   // a private copy: the scene's arrays cannot change the simulator afterwards
        _substeps = (int)Math.Round(scene.Duration / scene.Dt);
        _bounds = new Box(-scene.MaxSpeed, scene.MaxSpeed, 3);
    }

    /// <summary>A copy of the scene (changing it does not change this simulator).</summary>
    public BounceScene Scene => Copy(_s);

    static BounceScene Copy(BounceScene s) => s with
    {
        Start = (double[])s.Start.Clone(), WallCentre = (double[])s.WallCentre.Clone(),
        WallHalfSize = (double[])s.WallHalfSize.Clone(), Target = (double[])s.Target.Clone(),
    };
    public int Substeps => _substeps;
    public override int StateSize => 6;
    public override int ActionSize => 3;
    public override int Horizon => 1;
    public override Box ActionBounds => _bounds;
    public override Box ActionSamplingBox => _bounds;
    public override void InitialGuess(int t, Span<double> action) { action[0] = 3.0; action[1] = 0.0; action[2] = -3.0; }
    public override void InitialState(Span<double> state, Random rng)
    {
        state[0] = _s.Start[0]; state[1] = _s.Start[1]; state[2] = _s.Start[2];
        state[3] = 0; state[4] = 0; state[5] = 0;
    }
    public override int TraceEvery => 24;

    struct V3<T> where T : struct, IScalar<T>
    {
        public T X, Y, Z;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public V3(T x, T y, T z) { X = x; Y = y; Z = z; }
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V3<T> operator +(in V3<T> a, in V3<T> b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V3<T> operator -(in V3<T> a, in V3<T> b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V3<T> operator *(in V3<T> a, T s) => new(a.X * s, a.Y * s, a.Z * s);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V3<T> operator *(in V3<T> a, double s) => new(a.X * s, a.Y * s, a.Z * s);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly T Dot(in V3<T> b) => X * b.X + Y * b.Y + Z * b.Z;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly T Norm() => T.Sqrt(X * X + Y * Y + Z * Z);
    }

    public override void Step<T>(Span<T> state, ReadOnlySpan<T> action, ReadOnlySpan<T> parameters, int t, StepTrace? trace)
    {
        var p = new V3<T>(state[0], state[1], state[2]);
        var v = new V3<T>(action[0], action[1], action[2]);
        for (int k = 0; k < _substeps; k++)
        {
            switch (_s.Contact)
            {
                case BounceContact.Penalty: PenaltySubstep(ref p, ref v); break;
                case BounceContact.Impulse: ImpulseSubstep(ref p, ref v); break;
                default: ToiSubstep(ref p, ref v); break;
            }
            if (trace is not null && (k + 1) % trace.Every == 0 && k + 1 < _substeps) { Store(state, p, v); trace.Record<T>(state, action); }
        }
        Store(state, p, v);
        trace?.Record<T>(state, action);
    }

    static void Store<T>(Span<T> s, in V3<T> p, in V3<T> v) where T : struct, IScalar<T>
    {
        s[0] = p.X; s[1] = p.Y; s[2] = p.Z; s[3] = v.X; s[4] = v.Y; s[5] = v.Z;
    }

    // ---------------------------------------------------------------- penalty (Warp SemiImplicitIntegrator)

    void PenaltySubstep<T>(ref V3<T> p, ref V3<T> v) where T : struct, IScalar<T>
    {
        var f = new V3<T>(T.Constant(0), T.Constant(0), T.Constant(-_s.Mass * _s.Gravity));
        GroundPenalty(p, v, ref f);
        if (_s.HasWall) WallPenalty(p, v, ref f);
        v = v + f * (_s.Dt / _s.Mass);
        p = p + v * _s.Dt;
    }

    /// <summary>Warp's particle–ground force: c = min(z − r, 0), fₙ = ke·c + kd·min(vₙ, 0), friction min(kf·|vₜ|, μ·|fₙ|).</summary>
    void GroundPenalty<T>(in V3<T> p, in V3<T> v, ref V3<T> f) where T : struct, IScalar<T>
    {
        T c = p.Z - _s.Radius;
        if (c.Value >= 0) return;
        T fn = _s.Ke * c;
        if (v.Z.Value < 0) fn += _s.Kd * v.Z;
        f.Z -= fn;
        T vs = Scalar.Hypot(v.X, v.Y);
        if (vs.Value > 0)
        {
            T ft = Scalar.Min(_s.Kf * vs, _s.Mu * T.Abs(fn)) / vs;
            f.X -= v.X * ft; f.Y -= v.Y * ft;
        }
    }

    /// <summary>Warp's particle–shape force against the box wall, contact normal and point from the box's closest point.</summary>
    void WallPenalty<T>(in V3<T> p, in V3<T> v, ref V3<T> f) where T : struct, IScalar<T>
    {
        if (!WallContact(p, out var n, out T c) || c.Value > 0) return;
        T vn = n.Dot(v);
        T mag = _s.Ke * c;                         // elastic (c ≤ 0)
        if (vn.Value < 0) mag += _s.Kd * vn;       // damping while approaching
        var vt = v - n * vn;
        T vs = vt.Norm();
        f = f - n * mag;
        if (vs.Value > 0)
        {
            T ft = Scalar.Min(_s.Kf * vs, T.Abs(_s.Mu * _s.Ke * c)) / vs;
            f = f - vt * ft;
        }
    }

    /// <summary>Outward normal of the wall at the point of the box closest to p and the clearance c = n·(p − closest) − r.</summary>
    bool WallContact<T>(in V3<T> p, out V3<T> n, out T c) where T : struct, IScalar<T>
    {
        double[] ctr = _s.WallCentre, h = _s.WallHalfSize;
        T qx = p.X - ctr[0], qy = p.Y - ctr[1], qz = p.Z - ctr[2];
        double ox = Math.Abs(qx.Value) - h[0], oy = Math.Abs(qy.Value) - h[1], oz = Math.Abs(qz.Value) - h[2];
        if (ox > 0 || oy > 0 || oz > 0)
        {
            // Far away (decided on values, before any work in T): no contact.
            double px = Math.Max(ox, 0), py = Math.Max(oy, 0), pz = Math.Max(oz, 0);
            if (px * px + py * py + pz * pz > 4 * _s.Radius * _s.Radius) { n = default; c = T.Constant(1); return false; }
            // Outside: the closest point clamps q to the box.
            T dx = ox > 0 ? qx - Scalar.Sign(qx.Value) * h[0] : T.Constant(0);
            T dy = oy > 0 ? qy - Scalar.Sign(qy.Value) * h[1] : T.Constant(0);
            T dz = oz > 0 ? qz - Scalar.Sign(qz.Value) * h[2] : T.Constant(0);
            T d = T.Sqrt(dx * dx + dy * dy + dz * dz);
            n = new V3<T>(dx / d, dy / d, dz / d);
            c = d - _s.Radius;
            return true;
        }
        // Inside: push out through the nearest face.
        T zero = T.Constant(0);
        if (ox >= oy && ox >= oz) { double sg = Scalar.Sign(qx.Value) >= 0 ? 1 : -1; n = new V3<T>(T.Constant(sg), zero, zero); c = sg * qx - h[0] - _s.Radius; }
        else if (oy >= oz) { double sg = Scalar.Sign(qy.Value) >= 0 ? 1 : -1; n = new V3<T>(zero, T.Constant(sg), zero); c = sg * qy - h[1] - _s.Radius; }
        else { double sg = Scalar.Sign(qz.Value) >= 0 ? 1 : -1; n = new V3<T>(zero, zero, T.Constant(sg)); c = sg * qz - h[2] - _s.Radius; }
        return true;
    }

    // ---------------------------------------------------------------- impulse models (DiffTaichi rigid_body_toi)

    /// <summary>Reflects the normal velocity with restitution e and applies a Coulomb friction impulse (at most stopping the sliding).</summary>
    void Reflect<T>(ref V3<T> v, in V3<T> n) where T : struct, IScalar<T>
    {
        T vn = n.Dot(v);
        if (vn.Value >= 0) return;
        T jn = (1 + _s.Restitution) * vn;           // ≤ 0
        var vt = v - n * vn;
        T vs = vt.Norm();
        v = v - n * jn;
        if (vs.Value <= 0) return;
        T cap = _s.Mu * -jn;
        if (vs.Value <= cap.Value) v = v - vt;
        else v = v - vt * (cap / vs);
    }

    static V3<T> Up<T>() where T : struct, IScalar<T> => new(T.Constant(0), T.Constant(0), T.Constant(1));

    /// <summary>Naive: if the ball is penetrating and approaching, flip its normal velocity; then move with the new velocity.</summary>
    void ImpulseSubstep<T>(ref V3<T> p, ref V3<T> v) where T : struct, IScalar<T>
    {
        v.Z -= _s.Gravity * _s.Dt;
        if (p.Z.Value - _s.Radius < 0 && v.Z.Value < 0) Reflect(ref v, Up<T>());
        if (_s.HasWall && WallContact(p, out var n, out T c) && c.Value < 0) Reflect(ref v, n);
        p = p + v * _s.Dt;
    }

    /// <summary>
    /// Time of impact. The substep is semi-implicit Euler (velocity kicked by gravity, then a straight move); when
    /// the move would end inside, the ball stops at toi = clearance / closing speed, and the rest of the substep
    /// is split consistently in time: the velocity at impact is the kicked velocity less the gravity of the time
    /// left, v⁻ = v + g·toi; it is reflected and the remaining gravity is added back, v⁺ = R(v⁻) + g·(dt − toi);
    /// then x ← x + toi·v_kick + (dt − toi)·v⁺. DiffTaichi's TOI demo has no gravity and reflects the kicked
    /// velocity; with gravity that leaves the impact velocity blind to the impact time (a saw-tooth in the
    /// loss, slopes wrong by O(1) however small dt). If v⁺ still points into the surface (a ball at rest), its
    /// normal part is removed, so the ball rests instead of sinking.
    /// </summary>
    void ToiSubstep<T>(ref V3<T> p, ref V3<T> v) where T : struct, IScalar<T>
    {
        double dt = _s.Dt;
        v.Z -= _s.Gravity * dt;
        int which = 0; double best = double.PositiveInfinity;
        V3<T> wn = default; T wc = T.Constant(0);
        // Ground.
        double cg = p.Z.Value - _s.Radius, vg = v.Z.Value;
        if (vg < 0 && cg + vg * dt < 0) { which = 1; best = Math.Max(0, cg / -vg); }
        // Wall (its face plane at the current closest point).
        if (_s.HasWall && WallContact(p, out wn, out wc))
        {
            double vn = wn.Dot(v).Value;
            if (vn < 0 && wc.Value + vn * dt < 0)
            {
                double s = Math.Max(0, wc.Value / -vn);
                if (s < best) { which = 2; best = s; }
            }
        }
        if (which == 0) { p = p + v * dt; return; }
        var n = which == 1 ? Up<T>() : wn;
        T clearance = which == 1 ? p.Z - _s.Radius : wc;
        T toi = best <= 0 ? T.Constant(0) : clearance / -n.Dot(v);
        T rest = dt - toi;
        p = p + v * toi;
        // v⁻ = v_kick − g·(dt − toi): only the gravity of [0, toi] has acted at the impact.
        v.Z += _s.Gravity * rest;
        Reflect(ref v, n);
        v.Z -= _s.Gravity * rest;
        T vn2 = n.Dot(v);
        if (vn2.Value < 0) RemoveNormal(ref v, n, vn2);
        p = p + v * rest;
    }

    /// <summary>Removes an inward normal velocity −vₙ (a resting contact), with the Coulomb friction of that impulse.</summary>
    void RemoveNormal<T>(ref V3<T> v, in V3<T> n, T vn) where T : struct, IScalar<T>
    {
        var vt = v - n * vn;
        T vs = vt.Norm();
        v = vt;
        if (vs.Value <= 0) return;
        T cap = _s.Mu * -vn;
        if (vs.Value <= cap.Value) v = v - vt;
        else v = v - vt * (cap / vs);
    }

    public override T TerminalCost<T>(ReadOnlySpan<T> state)
    {
        T dx = state[0] - _s.Target[0], dy = state[1] - _s.Target[1], dz = state[2] - _s.Target[2];
        return T.Sqrt(dx * dx + dy * dy + dz * dz);
    }

    public (int Width, int Height, double XMin, double XMax, double ZMin) View => (300, 200, -4.0, 2.5, -0.3);

    public void Draw(Canvas canvas, ReadOnlySpan<double> state, ReadOnlySpan<double> action)
    {
        canvas.Ground();
        if (_s.HasWall)
            canvas.RotatedBox(_s.WallCentre[0], _s.WallCentre[2], _s.WallHalfSize[0], _s.WallHalfSize[2], 0, new Rgb(150, 150, 170), new Rgb(70, 70, 90));
        canvas.Cross(_s.Target[0], _s.Target[2], new Rgb(40, 90, 220), 6);
        canvas.Disc(state[0], state[2], _s.Radius, new Rgb(210, 50, 50));
        if (action.Length == 3)
        {
            // The initial velocity (0.1 s of flight) from the start point.
            canvas.Line(_s.Start[0], _s.Start[2], _s.Start[0] + 0.1 * action[0], _s.Start[2] + 0.1 * action[2], new Rgb(220, 120, 30), 2);
        }
    }

    static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
    static string V(double[] v) => $"({string.Join(", ", v.Select(F))})";

    internal string Describe()
    {
        string contact = _s.Contact switch
        {
            BounceContact.Penalty => $"Warp penalty contact (ke = {F(_s.Ke)}, kd = {F(_s.Kd)}, μ = {F(_s.Mu)}, friction slope kf = {F(_s.Kf)}: Warp's example has kf = 0, which disables friction) with semi-implicit Euler",
            BounceContact.Impulse => $"impulse contact (restitution {F(_s.Restitution)}, Coulomb μ = {F(_s.Mu)}) without time-of-impact correction",
            _ => $"impulse contact (restitution {F(_s.Restitution)}, Coulomb μ = {F(_s.Mu)}) with time-of-impact correction",
        };
        return $"Bounce (BO-Leap App. B.1, Warp's bounce scene, z up): a {F(_s.Mass)} kg ball of radius {F(_s.Radius)} m starts at {V(_s.Start)} with " +
               $"initial velocity x = (vx, vy, vz) ∈ [−{F(_s.MaxSpeed)}, {F(_s.MaxSpeed)}]³ m/s (initial guess (3, 0, −3)); ground z = 0 and a box wall " +
               $"at {V(_s.WallCentre)} with half sizes {V(_s.WallHalfSize)}; {contact} at {F(1 / _s.Dt)} Hz for {F(_s.Duration)} s; " +
               $"loss = distance of the final ball centre to the target {V(_s.Target)} m; success: loss < 0.1, the ball ending within one radius of the target " +
               "(random search gets no seed there in 1,000 episodes, CMA-ES every seed). Step view: one step whose action is v₀; " +
               "observation (x, y, z, ẋ, ẏ, ż); the initial height is the state's z, so ∂L/∂(initial state) includes ∂L/∂z₀.";
    }
}

/// <summary>Registration of the bounce task.</summary>
public static class BounceTasks
{
    public static TaskSpec Spec { get; } = new(
        "bounce",
        "BO-Leap/Warp bounce: an initial 3-D velocity sends a ball off the ground and a wall to a target at t = 2 s (3-D).",
        [new TaskOption("contact", "penalty",
            "penalty: Warp's relaxed contact with semi-implicit Euler; impulse: velocity flip without time of impact " +
            "(∂z_T/∂z_0 has the wrong sign); impulse-toi: with the time-of-impact correction",
            ["penalty", "impulse", "impulse-toi"])],
        Create);

    public static BounceContact ParseContact(string s) => s switch
    {
        "penalty" => BounceContact.Penalty,
        "impulse" => BounceContact.Impulse,
        "impulse-toi" => BounceContact.ImpulseToi,
        _ => throw new ArgumentException($"bounce contact '{s}' must be one of: penalty, impulse, impulse-toi."),
    };

    static TaskInstance Create(TaskOptions o)
    {
        var dyn = new BounceDynamics(new BounceScene { Contact = ParseContact(o.GetString("contact")) });
        return new TaskInstance(TaskRegistry.CanonicalName("bounce", o, Spec.Options), dyn.Describe(), dyn, successThreshold: 0.1,
            landscape: new LandscapePreset("initial vx (m/s)", "initial vz, vertical (m/s)", -10, 10, -10, 10, 201, (a, b) => [a, 0.0, b],
                "initial horizontal and vertical velocity over [−10, 10]² m/s with vy = 0 (the paper's X–Y slice, Y up there)"));
    }
}
