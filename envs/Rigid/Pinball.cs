using System.Globalization;
using ContactOpt.Autodiff;
using ContactOpt.Rendering;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.Rigid;

/// <summary>
/// Geometry and material of a pinball board (BO-Leap's Nimble pinball; the paper fixes only the 8 m × 10 m
/// board, the grid of rotatable colliders, rigid contact and a bottom-right target, the rest is chosen here).
/// </summary>
public sealed record PinballModel
{
    public int Rows { get; init; } = 1;
    public int Columns { get; init; } = 2;
    public double Width { get; init; } = 8.0;
    public double Height { get; init; } = 10.0;
    public double BallRadius { get; init; } = 0.2;
    /// <summary>Drop point (the ball starts at rest); default: 0.3 m right of the first collider's pivot, z = 9.5 m.</summary>
    public double? DropX { get; init; }
    public double DropZ { get; init; } = 9.5;
    /// <summary>Half length of each paddle (a line segment rotating about its centre).</summary>
    public double PaddleHalfLength { get; init; } = 0.75;
    /// <summary>Horizontal and vertical distance between collider pivots; the grid is centred horizontally.</summary>
    public double ColumnSpacing { get; init; } = 2.0;
    public double RowSpacing { get; init; } = 1.8;
    /// <summary>Height of the top row of pivots.</summary>
    public double TopRowZ { get; init; } = 7.5;
    /// <summary>Paddle angle at parameter ±1 (rad); ±π/2 are the same (vertical) paddle.</summary>
    public double MaxAngle { get; init; } = Math.PI / 2;
    public double PaddleRestitution { get; init; } = 0.7;
    public double WallRestitution { get; init; } = 0.7;
    public double FloorRestitution { get; init; } = 0.5;
    /// <summary>Coulomb friction of the floor (impulse form); paddles and walls are frictionless.</summary>
    public double FloorFriction { get; init; } = 0.4;
    /// <summary>Impacts slower than this (normal speed, m/s) are perfectly inelastic, so the ball comes to rest.</summary>
    public double RestitutionThreshold { get; init; } = 0.3;
    public double TargetX { get; init; } = 7.0;
    public double TargetZ { get; init; } = 0.5;
    public double Duration { get; init; } = 5.0;
    public double Dt { get; init; } = 1.0 / 240;
    public double Gravity { get; init; } = 9.81;

    public int Colliders => Rows * Columns;
    public double PivotX(int column) => 0.5 * Width + (column - 0.5 * (Columns - 1)) * ColumnSpacing;
    public double PivotZ(int row) => TopRowZ - row * RowSpacing;
    public double StartX => DropX ?? PivotX(0) + 0.3;

    internal void Validate()
    {
        if (Rows < 1 || Columns < 1 || Colliders > PinballDynamics.MaxColliders)
            throw new ArgumentException($"a pinball grid has 1 to {PinballDynamics.MaxColliders} colliders, got {Rows}×{Columns}.");
        foreach (var (name, v) in new[] { ("width", Width), ("height", Height), ("ball radius", BallRadius), ("paddle half length", PaddleHalfLength), ("duration", Duration), ("dt", Dt) })
            if (!(v > 0) || !double.IsFinite(v)) throw new ArgumentException($"pinball {name} is {v}; it must be positive and finite.");
        if (!(StartX - BallRadius > 0 && StartX + BallRadius < Width && DropZ + BallRadius < Height && DropZ - BallRadius > 0))
            throw new ArgumentException($"the drop point ({StartX}, {DropZ}) is not inside the board.");
    }
}

/// <summary>
/// A ball falling through a vertical board of static paddles whose angles are the decision variables, with
/// impulse-based rigid contact resolved at the exact time of impact (continuous collision detection of the
/// linear substep motion against the walls and every paddle, treated as a capsule of the ball's radius).
/// Semi-implicit Euler: each substep adds gravity to the velocity, then moves the ball along a straight line,
/// stopping at each impact to reflect the normal velocity with restitution (and apply Coulomb friction on the
/// floor); the gravity kick is spread over the substep at impacts (see <c>Resolve</c>), so the state after an
/// impact is continuous in the impact time and does not jump when an impact moves from one substep to the next.
/// After <see cref="MaxEventsPerSubstep"/> impacts in one substep (a ball wedged between two surfaces) the rest of
/// the substep is dropped. The collision time, point and normal
/// are computed with the scalar type, so gradients flow through them (exact derivatives of the code as
/// written); which collider is hit is a branch, so the loss jumps where the contact sequence changes and is
/// flat where the ball misses every paddle.
/// State (x, z, ẋ, ż); one step = the whole episode with the paddle angles as the action.
/// </summary>
public sealed class PinballDynamics : ScalarDynamics, ISideView
{
    public override Frame RenderState(ReadOnlySpan<double> state, ReadOnlySpan<double> action, string? label = null) =>
        SideView.Render(this, state, action, label);

    public const int MaxColliders = 16;
    public const int MaxEventsPerSubstep = 8;
    const double Eps = 1e-12;

    readonly PinballModel _m;
    readonly int _substeps;
    readonly double[] _px, _pz;
    readonly Box _bounds;

    public PinballDynamics(PinballModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Validate();
        _m = model;
        _substeps = (int)Math.Round(model.Duration / model.Dt);
        _px = new double[model.Colliders]; _pz = new double[model.Colliders];
        for (int r = 0; r < model.Rows; r++)
            for (int c = 0; c < model.Columns; c++) { _px[r * model.Columns + c] = model.PivotX(c); _pz[r * model.Columns + c] = model.PivotZ(r); }
        _bounds = new Box(-1.0, 1.0, model.Colliders);
    }

    public PinballModel Model => _m;
    public override int StateSize => 4;
    public override int ActionSize => _m.Colliders;
    public override int Horizon => 1;
    public override Box ActionBounds => _bounds;
    public override Box ActionSamplingBox => _bounds;
    public override void InitialGuess(int t, Span<double> action) => action.Clear();
    public override void InitialState(Span<double> state, Random rng)
    {
        state[0] = _m.StartX; state[1] = _m.DropZ; state[2] = 0; state[3] = 0;
    }
    public override int TraceEvery => 12;

    // Contact features. Walls: 0 left, 1 right, 2 floor, 3 ceiling. Paddles: 4 + 3k + (0 face, 1 end −, 2 end +).
    const int Left = 0, Right = 1, Floor = 2, Ceiling = 3, PaddleBase = 4;

    struct Ball<T> where T : struct, IScalar<T> { public T X, Z, Vx, Vz; }

    /// <summary>Paddle k: direction (Ux, Uz) = (cos θ, sin θ) and face normal (Nx, Ux) with Nx = −Uz, computed once per episode.</summary>
    struct Paddles<T> where T : struct, IScalar<T> { public Buf16<T> Ux, Uz, Nx; }

    public override void Step<T>(Span<T> state, ReadOnlySpan<T> action, ReadOnlySpan<T> parameters, int t, StepTrace? trace)
    {
        int n = _m.Colliders;
        var pad = new Paddles<T>();
        Span<double> uxd = stackalloc double[n], uzd = stackalloc double[n];
        for (int k = 0; k < n; k++)
        {
            T th = action[k] * _m.MaxAngle;
            pad.Ux[k] = T.Cos(th); pad.Uz[k] = T.Sin(th); pad.Nx[k] = -pad.Uz[k];
            uxd[k] = pad.Ux[k].Value; uzd[k] = pad.Uz[k].Value;
        }
        var b = new Ball<T> { X = state[0], Z = state[1], Vx = state[2], Vz = state[3] };
        for (int s = 0; s < _substeps; s++)
        {
            Substep(ref b, ref pad, uxd, uzd);
            if (trace is not null && (s + 1) % trace.Every == 0 && s + 1 < _substeps) { Store(state, b); trace.Record<T>(state, action); }
        }
        Store(state, b);
        trace?.Record<T>(state, action);
    }

    static void Store<T>(Span<T> s, in Ball<T> b) where T : struct, IScalar<T> { s[0] = b.X; s[1] = b.Z; s[2] = b.Vx; s[3] = b.Vz; }

    void Substep<T>(ref Ball<T> b, ref Paddles<T> pad, ReadOnlySpan<double> uxd, ReadOnlySpan<double> uzd)
        where T : struct, IScalar<T>
    {
        b.Vz -= _m.Gravity * _m.Dt;
        T remaining = T.Constant(_m.Dt);
        for (int e = 0; e < MaxEventsPerSubstep; e++)
        {
            // Broad and narrow phase on values; the winning contact is then recomputed with T.
            int feature = Earliest(b.X.Value, b.Z.Value, b.Vx.Value, b.Vz.Value, remaining.Value, uxd, uzd, out double sValue);
            if (feature < 0)
            {
                b.X += b.Vx * remaining; b.Z += b.Vz * remaining;
                return;
            }
            T s = sValue <= 0 ? T.Constant(0) : ImpactTime(b, feature, ref pad);
            b.X += b.Vx * s; b.Z += b.Vz * s;
            remaining -= s;
            Resolve(ref b, feature, remaining, ref pad);
        }
        // Still colliding after the event budget (a ball wedged between two surfaces): it stays put for the rest
        // of the substep instead of creeping into a surface with the unresolved velocity.
    }

    /// <summary>The first contact along the straight path p + v·s, s ∈ [0, horizon], or −1.</summary>
    int Earliest(double x, double z, double vx, double vz, double horizon, ReadOnlySpan<double> uxd, ReadOnlySpan<double> uzd, out double sBest)
    {
        double r = _m.BallRadius;
        int best = -1; sBest = horizon;
        Plane(x - r, -vx, Left, ref best, ref sBest);                 // distance to x = 0
        Plane(_m.Width - r - x, vx, Right, ref best, ref sBest);
        Plane(z - r, -vz, Floor, ref best, ref sBest);
        Plane(_m.Height - r - z, vz, Ceiling, ref best, ref sBest);
        double reach = _m.PaddleHalfLength + r + Math.Sqrt(vx * vx + vz * vz) * horizon;
        for (int k = 0; k < uxd.Length; k++)
        {
            double wx = x - _px[k], wz = z - _pz[k];
            if (wx * wx + wz * wz > reach * reach) continue;
            PaddleCandidate(k, wx, wz, vx, vz, uxd[k], uzd[k], ref best, ref sBest);
        }
        return best;
    }

    /// <summary>A plane at signed clearance d (ball surface to plane), approached at speed −vn... here <paramref name="closing"/> = −(v·n).</summary>
    static void Plane(double d, double closing, int feature, ref int best, ref double sBest)
    {
        if (closing <= Eps) return;
        double s = d / closing;
        if (s < 0) s = 0;                   // already touching or slightly inside: immediate impact
        if (s <= sBest) { sBest = s; best = feature; }
    }

    void PaddleCandidate(int k, double wx, double wz, double vx, double vz, double ux, double uz, ref int best, ref double sBest)
    {
        double r = _m.BallRadius, h = _m.PaddleHalfLength;
        // Face: normal n = (−uz, ux); the ball is on side σ = sign(n·w).
        double nw = -uz * wx + ux * wz, nv = -uz * vx + ux * vz;
        double sigma = nw >= 0 ? 1 : -1;
        double clearance = sigma * nw - r, closing = -sigma * nv;
        if (closing > Eps && clearance >= -r)
        {
            double s = Math.Max(0, clearance / closing);
            double along = ux * (wx + vx * s) + uz * (wz + vz * s);
            if (Math.Abs(along) <= h && s <= sBest) { sBest = s; best = PaddleBase + 3 * k; }
        }
        // End caps: |w − e + v·s| = r.
        for (int end = 1; end <= 2; end++)
        {
            double sign = end == 1 ? -1 : 1;
            double qx = wx - sign * h * ux, qz = wz - sign * h * uz;
            double a = vx * vx + vz * vz, bq = qx * vx + qz * vz, c = qx * qx + qz * qz - r * r;
            if (bq >= 0 || a <= Eps) continue;               // moving away from the cap
            double disc = bq * bq - a * c;
            if (disc < 0) continue;
            double s = c <= 0 ? 0 : (-bq - Math.Sqrt(disc)) / a;
            if (s < 0) s = 0;
            // Only the part of the cap beyond the face counts (the face test covers the rest).
            double along = ux * (qx + vx * s) + uz * (qz + vz * s);
            if (sign * along < 0) continue;
            if (s <= sBest) { sBest = s; best = PaddleBase + 3 * k + end; }
        }
    }

    /// <summary>The impact time of a known feature, as a function of the ball state and the paddle angles.</summary>
    T ImpactTime<T>(in Ball<T> b, int feature, ref Paddles<T> pad) where T : struct, IScalar<T>
    {
        double r = _m.BallRadius;
        switch (feature)
        {
            case Left: return (b.X - r) / -b.Vx;
            case Right: return (_m.Width - r - b.X) / b.Vx;
            case Floor: return (b.Z - r) / -b.Vz;
            case Ceiling: return (_m.Height - r - b.Z) / b.Vz;
        }
        int k = (feature - PaddleBase) / 3, part = (feature - PaddleBase) % 3;
        T wx = b.X - _px[k], wz = b.Z - _pz[k];
        if (part == 0)
        {
            // s = (σ·n·w − r) / (−σ·n·v), σ the side of the ball.
            T nw = wx * pad.Nx[k] + wz * pad.Ux[k], nv = b.Vx * pad.Nx[k] + b.Vz * pad.Ux[k];
            return nw.Value >= 0 ? (r - nw) / nv : (nw + r) / -nv;
        }
        double sign = part == 1 ? -1 : 1;
        T qx = wx - (sign * _m.PaddleHalfLength) * pad.Ux[k], qz = wz - (sign * _m.PaddleHalfLength) * pad.Uz[k];
        T a = b.Vx * b.Vx + b.Vz * b.Vz, bq = qx * b.Vx + qz * b.Vz, c = qx * qx + qz * qz - r * r;
        return (-bq - T.Sqrt(bq * bq - a * c)) / a;
    }

    /// <summary>
    /// Collision response at a contact reached <paramref name="rest"/> seconds before the end of the substep. The
    /// substep's gravity kick is spread over time: the velocity at the impact is v⁻ = v − g·rest; its normal part
    /// is reflected with restitution (Coulomb friction on the floor), then g·rest is added back. A velocity that
    /// still points into the surface (a ball resting or sliding on it) loses its normal part.
    /// </summary>
    void Resolve<T>(ref Ball<T> b, int feature, T rest, ref Paddles<T> pad) where T : struct, IScalar<T>
    {
        if (feature < PaddleBase) { ResolveWall(ref b, feature, rest); return; }
        int k = (feature - PaddleBase) / 3, part = (feature - PaddleBase) % 3;
        T nx, nz;
        if (part == 0)
        {
            bool above = (b.X.Value - _px[k]) * pad.Nx[k].Value + (b.Z.Value - _pz[k]) * pad.Ux[k].Value >= 0;
            nx = above ? pad.Nx[k] : -pad.Nx[k]; nz = above ? pad.Ux[k] : -pad.Ux[k];
        }
        else
        {
            double sign = part == 1 ? -1 : 1;
            T qx = b.X - _px[k] - (sign * _m.PaddleHalfLength) * pad.Ux[k], qz = b.Z - _pz[k] - (sign * _m.PaddleHalfLength) * pad.Uz[k];
            T len = Scalar.Hypot(qx, qz);
            nx = qx / len; nz = qz / len;
        }
        // Signs are decided on values; the tape records only the impulses actually applied.
        T g = _m.Gravity * rest;
        b.Vz += g;                                                  // v⁻: the velocity at the impact
        if (b.Vx.Value * nx.Value + b.Vz.Value * nz.Value < 0)
        {
            T vn = b.Vx * nx + b.Vz * nz;
            T j = (1 + Restitution(_m.PaddleRestitution, vn.Value)) * vn;
            b.Vx -= j * nx; b.Vz -= j * nz;
        }
        b.Vz -= g;
        if (b.Vx.Value * nx.Value + b.Vz.Value * nz.Value < 0)
        {
            // Resting or sliding on the paddle: no motion into it (frictionless).
            T vn = b.Vx * nx + b.Vz * nz;
            b.Vx -= vn * nx; b.Vz -= vn * nz;
        }
    }

    /// <summary><see cref="Resolve"/> for the axis-aligned walls (constant normals: fewer tape nodes).</summary>
    void ResolveWall<T>(ref Ball<T> b, int feature, T rest) where T : struct, IScalar<T>
    {
        T g = _m.Gravity * rest;
        b.Vz += g;
        switch (feature)
        {
            case Left: case Right:
            {
                double side = feature == Left ? 1 : -1;                 // inward normal along x
                if (side * b.Vx.Value < 0) b.Vx = -(Restitution(_m.WallRestitution, b.Vx.Value) * b.Vx);
                b.Vz -= g;
                if (side * b.Vx.Value < 0) b.Vx = T.Constant(0);
                return;
            }
            case Ceiling:
                if (b.Vz.Value > 0) b.Vz = -(Restitution(_m.WallRestitution, b.Vz.Value) * b.Vz);
                b.Vz -= g;
                if (b.Vz.Value > 0) b.Vz = T.Constant(0);
                return;
            default:
                if (b.Vz.Value < 0)
                {
                    double e = Restitution(_m.FloorRestitution, b.Vz.Value);
                    FloorFriction(ref b, (1 + e) * -b.Vz);
                    b.Vz = -(e * b.Vz);
                }
                b.Vz -= g;
                if (b.Vz.Value < 0) { FloorFriction(ref b, -b.Vz); b.Vz = T.Constant(0); }
                return;
        }
    }

    /// <summary>Coulomb friction of a floor impulse (normal velocity change <paramref name="dvn"/> ≥ 0): at most stops the sliding.</summary>
    void FloorFriction<T>(ref Ball<T> b, T dvn) where T : struct, IScalar<T>
    {
        T cap = _m.FloorFriction * dvn;
        if (Math.Abs(b.Vx.Value) <= cap.Value) b.Vx = T.Constant(0);
        else b.Vx -= Scalar.Sign(b.Vx.Value) * cap;
    }

    double Restitution(double e, double vn) => Math.Abs(vn) < _m.RestitutionThreshold ? 0.0 : e;

    public override T TerminalCost<T>(ReadOnlySpan<T> state) => Scalar.Hypot(state[0] - _m.TargetX, state[1] - _m.TargetZ);

    public (int Width, int Height, double XMin, double XMax, double ZMin) View => (200, 252, -0.2, 8.2, -0.2);

    public void Draw(Canvas canvas, ReadOnlySpan<double> state, ReadOnlySpan<double> action)
    {
        double w = _m.Width, h = _m.Height;
        var wall = new Rgb(60, 60, 60);
        canvas.Line(0, 0, w, 0, wall, 3); canvas.Line(0, 0, 0, h, wall, 3); canvas.Line(w, 0, w, h, wall, 3); canvas.Line(0, h, w, h, wall, 3);
        canvas.Cross(_m.TargetX, _m.TargetZ, new Rgb(40, 90, 220), 6);
        for (int k = 0; k < _m.Colliders; k++)
        {
            double th = (action.Length == _m.Colliders ? action[k] : 0) * _m.MaxAngle;
            double dx = _m.PaddleHalfLength * Math.Cos(th), dz = _m.PaddleHalfLength * Math.Sin(th);
            canvas.Line(_px[k] - dx, _pz[k] - dz, _px[k] + dx, _pz[k] + dz, new Rgb(30, 120, 60), 4);
            canvas.Disc(_px[k], _pz[k], 0.06, new Rgb(20, 60, 30));
        }
        canvas.Disc(state[0], state[1], _m.BallRadius, new Rgb(210, 50, 50));
    }

    static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    internal string Describe() =>
        $"Pinball (BO-Leap, Nimble): an {F(_m.Width)} m × {F(_m.Height)} m vertical board; a ball (radius {F(_m.BallRadius)} m) dropped at rest from " +
        $"({F(_m.StartX)}, {F(_m.DropZ)}) falls through a {_m.Rows}×{_m.Columns} grid of static paddles ({F(2 * _m.PaddleHalfLength)} m segments " +
        $"rotating about pivots {F(_m.ColumnSpacing)} m apart, top row at z = {F(_m.TopRowZ)} m, rows {F(_m.RowSpacing)} m apart); " +
        $"x ∈ [−1, 1]^{_m.Colliders} = paddle angles / {F(_m.MaxAngle)} rad (0 = horizontal, row-major from the top left), initial guess 0; " +
        $"impulse contact at the exact time of impact, restitution {F(_m.PaddleRestitution)} (paddles, walls), {F(_m.FloorRestitution)} with " +
        $"Coulomb μ = {F(_m.FloorFriction)} (floor), none below {F(_m.RestitutionThreshold)} m/s; {F(_m.Duration)} s at {F(1 / _m.Dt)} Hz; " +
        $"loss = distance of the final ball centre to the target ({F(_m.TargetX)}, {F(_m.TargetZ)}) m; success: loss < 0.1, the ball ending within half its " +
        "radius of the target (at 0.5, the first threshold tried, uniform random search succeeded on every seed within 26 episodes). " +
        "Step view: one step whose action is all the angles; observation (x, z, ẋ, ż) of the ball.";

    internal static TaskInstance CreateTask(string name, PinballModel model, LandscapePreset landscape)
    {
        var dyn = new PinballDynamics(model);
        return new TaskInstance(name, dyn.Describe(), dyn, successThreshold: 0.1, landscape: landscape);
    }
}

/// <summary>Registration of the 1×2 (2-D) and 4×4 (16-D) pinball tasks.</summary>
public static class PinballTasks
{
    public static PinballModel Small { get; } = new() { Rows = 1, Columns = 2 };
    public static PinballModel Large { get; } = new() { Rows = 4, Columns = 4 };

    public static TaskSpec OneByTwo { get; } = new(
        "pinball",
        "BO-Leap pinball 1×2: two paddle angles route a falling ball to a bottom-right target (2-D; flat regions and jumps).",
        [], o => PinballDynamics.CreateTask("pinball", Small,
            new LandscapePreset("paddle 1 angle (normalised)", "paddle 2 angle (normalised)", -1, 1, -1, 1, 201, (a, b) => [a, b],
                "both paddle angles over [−1, 1]² (the whole parameter space)")));

    public static TaskSpec FourByFour { get; } = new(
        "pinball16",
        "BO-Leap pinball 4×4: sixteen paddle angles route a falling ball to a bottom-right target (16-D).",
        [], o => PinballDynamics.CreateTask("pinball16", Large,
            new LandscapePreset("top-left paddle angle (normalised)", "second-row left paddle angle (normalised)", -1, 1, -1, 1, 201,
                (a, b) => { var x = new double[16]; x[0] = a; x[4] = b; return x; },
                "angles of the two left-column paddles of the top two rows (the ball is dropped above the top-left one), the others 0")));
}
