using ContactOpt.Envs.Cloth;
using ContactOpt.Tasks;

namespace ContactOpt.Cloth.Tests;

/// <summary>
/// A tiny cloth scene for tests: every input is exposed. Action (per segment) = drive velocity (3) ‖ pan end pose (3,
/// ignored without a pan); parameters = width, length, mass, friction, patch stiffness ‖ initial velocity (3) ‖ knots.
/// </summary>
public sealed class TinyCloth : ClothDynamics
{
    readonly int _p;
    public TinyCloth(ClothSetup setup) : base(setup) { _p = setup.Mesh.Patches; }

    public static ClothSetup Sheet(int res = 4, int patches = 2, double z = 0.01, double tilt = 0.15, int substeps = 40, int segments = 3,
        ClothContact contact = ClothContact.Projection, PanCollider? pan = null, int[]? driven = null, double drag = 0.5, double beta = 2e-4,
        double gravity = 9.81, int knots = 0, double smoothing = 0, double dt = 1e-3)
    {
        var mesh = new ClothMesh(res, res, patches, patches);
        int n = mesh.Vertices;
        var x = new double[3 * n];
        for (int i = 0; i < n; i++)
        {
            x[i] = 0.1 * mesh.U(i) - 0.05; x[n + i] = 0.1 * mesh.V(i) - 0.05;
            x[2 * n + i] = z + tilt * 0.1 * mesh.U(i) + 0.003 * Math.Sin(7 * i);
        }
        return new ClothSetup
        {
            Mesh = mesh, InitialPositions = x, Width0 = 0.1, Length0 = 0.1, Dt = dt, Substeps = substeps, Segments = segments,
            Contact = contact, ContactSmoothing = smoothing, Pan = pan, PanStart = [0, 0, 0], Driven = driven ?? [], Drag = drag, Beta = beta, Gravity = gravity,
            ReferenceMass = 0.02, Knots = knots, BaseDrive = knots > 0 ? tau => new Vec3(0.2, 0.1 * tau, -0.3) : null,
            ReleaseTime = knots > 0 ? substeps * segments * dt * 0.7 : double.PositiveInfinity,
        };
    }

    public override int ActionSize => 6;
    public override Box ActionBounds => new(-1, 1, 6);
    public override Box ActionSamplingBox => new(-1, 1, 6);
    public override void InitialGuess(int t, Span<double> a) { a.Clear(); a[0] = 0.1; a[2] = 0.2; a[3] = 0.01 * t; a[4] = 0.02 * t; a[5] = 0.05 * t; }
    public override IReadOnlyList<string> ParameterNames =>
        ["width", "length", "mass", "friction", .. Enumerable.Range(0, _p).Select(k => $"k{k}"), "v0x", "v0y", "v0z", .. Enumerable.Range(0, Setup.Knots).Select(k => $"knot{k}")];
    public override double[] DefaultParameters() =>
        [0.11, 0.09, 0.02, 0.4, .. Enumerable.Range(0, _p).Select(k => 0.2 + 0.05 * k), 0.05, -0.02, -0.1, .. Enumerable.Range(0, Setup.Knots).Select(k => 1.0 + 0.1 * k)];
    public override Box? ParameterBounds => null;

    public override void MapInputs(int t, ReadOnlySpan<double> a, ReadOnlySpan<double> p, ClothInputs inp)
    {
        inp.Width = p[0]; inp.Length = p[1]; inp.Mass = p[2]; inp.Friction = p[3];
        p.Slice(4, _p).CopyTo(inp.Stiffness);
        p.Slice(4 + _p, 3).CopyTo(inp.InitialVelocity);
        p.Slice(7 + _p, Setup.Knots).CopyTo(inp.Knots);
        a[..3].CopyTo(inp.DriveVelocity);
        a.Slice(3, 3).CopyTo(inp.PanEnd);
    }

    public override void MapInputsBackward(int t, ReadOnlySpan<double> a, ReadOnlySpan<double> p, ClothInputs bar, Span<double> aBar, Span<double> pBar)
    {
        pBar[0] = bar.Width; pBar[1] = bar.Length; pBar[2] = bar.Mass; pBar[3] = bar.Friction;
        bar.Stiffness.CopyTo(pBar.Slice(4, _p));
        bar.InitialVelocity.CopyTo(pBar.Slice(4 + _p, 3));
        bar.Knots.CopyTo(pBar.Slice(7 + _p, Setup.Knots));
        bar.DriveVelocity.CopyTo(aBar);
        bar.PanEnd.CopyTo(aBar[3..]);
    }

    /// <summary>A smooth functional of the final state: Σ w_i·state_i with fixed seeded weights.</summary>
    public override double TerminalCost(ReadOnlySpan<double> s)
    {
        double c = 0;
        for (int i = 0; i < s.Length; i++) c += Weight(i) * s[i];
        return c;
    }

    public override void TerminalCostBackward(ReadOnlySpan<double> s, double costAdjoint, Span<double> adj)
    {
        for (int i = 0; i < s.Length; i++) adj[i] = costAdjoint * Weight(i);
    }

    public override double RunningCost(int t, ReadOnlySpan<double> next)
    {
        double c = 0;
        for (int i = 0; i < 6 * N; i += 5) c += 0.3 * next[i] * next[i];
        return c;
    }

    public override void RunningCostBackward(int t, ReadOnlySpan<double> next, double costAdjoint, Span<double> adj)
    {
        for (int i = 0; i < 6 * N; i += 5) adj[i] += costAdjoint * 0.6 * next[i];
    }

    static double Weight(int i) => Math.Sin(1.3 * i + 0.4);
}
