using System.Globalization;
using ContactOpt.Envs.Mpm;

namespace ContactOpt.Mpm.Tests;

/// <summary>
/// A box of syrup (the fluid task's syrup, no ladle) filling the engine's tank to <c>depth</c> cells, with a rigid cube
/// of <c>cells</c> grid cells across fully submerged on the tank axis, released at rest with the hydrostatic J.
/// Two samplings of the cube: <c>perParticleMass</c> false — the task's rule (all particles of the syrup's mass, the
/// cube's lattice spacing scaled by ∛(1/density)); true — the cube's lattice has <c>cubePerCell</c> particles per
/// cell per axis whatever its density, each particle of mass density·(its volume).
/// </summary>
internal static class BuoyancyScene
{
    public sealed record Setup(int Grid, int LiquidPerCell, int Cells, int CubePerCell, double Density, bool PerParticleMass,
        int Depth, double Viscosity = FluidScene.Viscosity, int BottomCells = 3, bool Compressed = true);

    /// <summary>
    /// Height above the floor of a syrup particle at reference (uncompressed) height η in a column of reference height
    /// h, in hydrostatic equilibrium: J(ζ) = 1 − g·ζ/c² at reference depth ζ = h − η (Cauchy pressure c²(1 − J) = the
    /// weight above), so the actual height is ∫₀^η J = η − (g/c²)(h·η − η²/2).
    /// </summary>
    public static double CompressedHeight(double eta, double h, double g, double c2) => eta - g / c2 * (h * eta - 0.5 * eta * eta);

    public static (Scene Scene, RigidCluster Cube, double[] Frame) Build(Setup o)
    {
        int n = o.Grid;
        double g = FluidScene.Gravity * FluidScene.Scale(n), c2 = FluidScene.SoundSpeed * FluidScene.Scale(n) * FluidScene.SoundSpeed * FluidScene.Scale(n);
        double dx = 1.0 / n, s = FluidScene.Scale(n), floor = 3 * dx, lo = 3 * dx, hi = 1 - 3 * dx;
        double ls = dx / o.LiquidPerCell;
        double surface = floor + o.Depth * dx;
        double half = 0.5 * o.Cells * dx;
        var c = new V3(0.5, floor + o.BottomCells * dx + half, 0.5);
        var rng = new Random(0);
        var x = new List<double>();
        int nx = (int)Math.Round((hi - lo) / ls), ny = o.Depth * o.LiquidPerCell;
        for (int k = 0; k < nx; k++)
            for (int j = 0; j < ny; j++)
                for (int i = 0; i < nx; i++)
                {
                    double eta = Math.Max(0, (j + 0.3 * (rng.NextDouble() - 0.5)) * ls);
                    var p = new V3(lo + (i + 0.5 + 0.3 * (rng.NextDouble() - 0.5)) * ls, floor + (o.Compressed ? CompressedHeight(eta, o.Depth * dx, g, c2) : eta),
                        lo + (k + 0.5 + 0.3 * (rng.NextDouble() - 0.5)) * ls);
                    if (Math.Abs(p.X - c.X) < half && Math.Abs(p.Y - c.Y) < half && Math.Abs(p.Z - c.Z) < half) continue;
                    x.Add(p.X); x.Add(p.Y); x.Add(p.Z);
                }
        int liquid = x.Count / 3;
        double vp = ls * ls * ls;
        int m; double cs, massScale;
        if (o.PerParticleMass) { m = o.Cells * o.CubePerCell; cs = dx / o.CubePerCell; massScale = o.Density * cs * cs * cs / vp; }
        else { cs = Math.Cbrt(vp / o.Density); m = Math.Max(2, (int)Math.Round(o.Cells * dx / cs)); massScale = 1; }
        double ch = 0.5 * m * cs;
        for (int k = 0; k < m; k++)
            for (int j = 0; j < m; j++)
                for (int i = 0; i < m; i++) { x.Add(c.X - ch + (i + 0.5) * cs); x.Add(c.Y - ch + (j + 0.5) * cs); x.Add(c.Z - ch + (k + 0.5) * cs); }
        int total = x.Count / 3;
        var kinds = new ParticleKind[total];
        for (int p = 0; p < total; p++) kinds[p] = p < liquid ? ParticleKind.Liquid : ParticleKind.Rigid;
        double cc = FluidScene.SoundSpeed * s;
        var cube = new RigidCluster(liquid, total - liquid, o.Density, massScale);
        double dt = 0.33 * dx / cc;   // acoustic CFL 0.33 (the task's default before this session)
        var scene = new Scene(n, dt, 1, new Material(5000, 0.2, 50), FluidScene.FloorFriction, 0, [], x.ToArray(), vp, gravityScale: FluidScene.Gravity * s)
        {
            Materials = new ParticleMaterials(kinds, new LiquidMaterial(cc * cc, o.Viscosity * s * s), [cube]),
        };
        var frame = new double[scene.FrameSize];
        scene.InitialFrame(frame);
        // J at the reference depth ζ: invert the compressed height for the syrup (Newton on η), the cube's particles at the
        // syrup's J of their height (their actual depth below the compressed surface, which is close enough for a rigid body).
        for (int p = 0; p < total; p++)
        {
            double y = frame[3 * p + 1] - floor, eta = y;
            if (o.Compressed)
                for (int it = 0; it < 30; it++) eta -= (CompressedHeight(eta, o.Depth * dx, g, c2) - y) / (1 - g / c2 * (o.Depth * dx - eta));
            double zeta = o.Compressed ? Math.Max(0, o.Depth * dx - eta) : Math.Max(0, surface - frame[3 * p + 1]);
            frame[scene.FOffset + 9 * p] = 1 - scene.GravityScale * zeta / (cc * cc);
        }
        return (scene, cube, frame);
    }

    /// <summary>Optional trace of the run every 10 substeps (diagnostics).</summary>
    public static Action<string>? Trace;

    public static double CubeY(Scene s, RigidCluster c, double[] frame)
    {
        double y = 0;
        for (int p = c.Start; p < c.Start + c.Count; p++) y += frame[3 * p + 1];
        return y / c.Count;
    }

    /// <summary>Cube centre height (m above the floor) at the start and after <paramref name="seconds"/>, and its lowest and highest on the way.</summary>
    public static (double Y0, double Y1, double Min, double Max) Run(Setup o, double seconds, int threads = 1)
    {
        var (s, cube, frame) = Build(o);
        var e = new Engine(s, threads);
        var a = frame; var b = new double[frame.Length]; var vel = new double[0];
        double scale = FluidScene.Scale(s.N), floor = 3 * s.Dx;
        double y0 = (CubeY(s, cube, a) - floor) / scale, min = y0, max = y0;
        int steps = (int)Math.Round(seconds / s.Dt);
        for (int k = 0; k < steps; k++)
        {
            e.Substep(a, b, vel);
            (a, b) = (b, a);
            double y = (CubeY(s, cube, a) - floor) / scale;
            if (Trace is not null && k % 10 == 9)
            {
                double ly = 0, j = 0, ymin = 1, ymax = 0; int below = 0;
                for (int p = 0; p < cube.Start; p++)
                {
                    double yp = a[3 * p + 1];
                    ly += yp; j += a[s.FOffset + 9 * p]; ymin = Math.Min(ymin, yp); ymax = Math.Max(ymax, yp); if (yp < floor) below++;
                }
                Trace(FormattableString.Invariant($"    liquid y range [{100 * (ymin - floor) / scale:F2}, {100 * (ymax - floor) / scale:F2}] cm, {below} of {cube.Start} below the floor plane"));
                Trace(FormattableString.Invariant($"  t {(k + 1) * s.Dt:F3} s: cube y {100 * y:F2} cm, v_y {a[s.VOffset + 3 * cube.Start + 1] / scale:F3} m/s; liquid mean y {100 * ((ly / cube.Start) - floor) / scale:F2} cm, mean J {j / cube.Start:F4}"));
            }
            if (!double.IsFinite(y)) return (y0, double.NaN, min, max);
            min = Math.Min(min, y); max = Math.Max(max, y);
        }
        return (y0, (CubeY(s, cube, a) - floor) / scale, min, max);
    }
}

public class FluidBuoyancyDiagnostics
{
    /// <summary>
    /// The buoyancy table of docs/fluid-findings.md: a cube of 3, 6 and 8 cells across, sampled as the task does (equal
    /// masses) or with per-particle masses at 1 or 2 particles per cell per axis, densities 0.5, 1 and 1.5, released
    /// submerged; cube centre after FLUID_T s (default 0.4) and its height relative to the neutral cube (density 1) of
    /// the same sampling — the whole syrup column settles, the neutral cube moves with it, so the relative height is
    /// the buoyancy signal. FLUID_GRID (32), FLUID_DEPTH (16 cells), FLUID_NU (the task's 0.01 m²/s), FLUID_CELLS (3,6,8).
    /// </summary>
    [Test, Explicit("diagnostic")]
    public void PrintBuoyancyTable()
    {
        var ci = CultureInfo.InvariantCulture;
        double t = double.Parse(Environment.GetEnvironmentVariable("FLUID_T") ?? "0.4", ci);
        int grid = int.Parse(Environment.GetEnvironmentVariable("FLUID_GRID") ?? "32", ci), depth = int.Parse(Environment.GetEnvironmentVariable("FLUID_DEPTH") ?? "16", ci);
        double nu = double.Parse(Environment.GetEnvironmentVariable("FLUID_NU") ?? "0.01", ci);
        bool compressed = Environment.GetEnvironmentVariable("FLUID_UNCOMPRESSED") != "1";
        if (Environment.GetEnvironmentVariable("FLUID_TRACE") == "1") BuoyancyScene.Trace = TestContext.Out.WriteLine;
        var cells = (Environment.GetEnvironmentVariable("FLUID_CELLS") ?? "3,6,8").Split(',').Select(v => int.Parse(v, ci));
        var samplings = (Environment.GetEnvironmentVariable("FLUID_SAMPLINGS") ?? "0,1,2").Split(',').Select(v => int.Parse(v, ci));
        TestContext.Out.WriteLine(FormattableString.Invariant($"grid {grid}, syrup depth {depth} cells (compressed start: {compressed}), ν {nu} m²/s, {t} s"));
        TestContext.Out.WriteLine("| cube cells | sampling | density | cube particles | y₀ cm | y(t) cm | y(t) − y_neutral(t) cm |");
        TestContext.Out.WriteLine("|---:|---|---:|---:|---:|---:|---:|");
        foreach (int w in cells)
            foreach (int q in samplings)
            {
                double neutral = double.NaN;
                foreach (double rho in new[] { 1.0, 0.5, 1.5 })
                {
                    var o = new BuoyancyScene.Setup(grid, 1, w, Math.Max(1, q), rho, q > 0, depth, nu, Compressed: compressed);
                    var (_, cube, _) = BuoyancyScene.Build(o);
                    var r = BuoyancyScene.Run(o, t);
                    if (rho == 1.0) neutral = r.Y1;
                    string sampling = q == 0 ? "equal masses (task)" : $"per-particle mass, {q}/cell/axis";
                    TestContext.Out.WriteLine(FormattableString.Invariant(
                        $"| {w} | {sampling} | {rho} | {cube.Count} | {100 * r.Y0:F2} | {100 * r.Y1:F2} | {100 * (r.Y1 - neutral):+0.00;-0.00} |"));
                }
            }
    }
}

public class FluidBuoyancyTests
{
    /// <summary>
    /// The buoyancy test at the smallest scene where it holds (docs/fluid-findings.md, "Buoyancy"): 24³, the
    /// task's syrup 14 cells deep started in hydrostatic equilibrium, a cube 4 cells (8.3 cm) across released submerged
    /// 3 cells above the floor, sampled at the syrup's spacing with per-particle masses. After 0.4 s a cube of density
    /// 0.5 has risen, one of 1.5 has sunk, and the neutral one lies in between (the syrup column itself settles by a
    /// few cm at this resolution, the neutral cube with it).
    /// </summary>
    [Test]
    public void ALighterCubeRisesAndADenserOneSinks()
    {
        BuoyancyScene.Setup Cube(double density) => new(24, 1, 4, 1, density, true, 14);
        var light = BuoyancyScene.Run(Cube(0.5), 0.4);
        var neutral = BuoyancyScene.Run(Cube(1.0), 0.4);
        var dense = BuoyancyScene.Run(Cube(1.5), 0.4);
        TestContext.Out.WriteLine(FormattableString.Invariant(
            $"cube centre from {100 * light.Y0:F2} cm: light → {100 * light.Y1:F2}, neutral → {100 * neutral.Y1:F2}, dense → {100 * dense.Y1:F2} cm"));
        Assert.That(light.Y1 - light.Y0, Is.GreaterThan(0.005), "a cube half as dense as the syrup rises (≥ 5 mm in 0.4 s)");
        Assert.That(dense.Y0 - dense.Y1, Is.GreaterThan(0.03), "a cube 1.5× as dense sinks (≥ 3 cm in 0.4 s)");
        Assert.That(light.Y1, Is.GreaterThan(neutral.Y1 + 0.02));
        Assert.That(neutral.Y1, Is.GreaterThan(dense.Y1 + 0.01));
    }

    /// <summary>Per-particle cluster masses: 1 and 2 threads bit-identical over a few substeps of the buoyancy scene.</summary>
    [Test]
    public void PerParticleMassSceneIsBitIdenticalForOneAndTwoThreads()
    {
        var o = new BuoyancyScene.Setup(16, 1, 3, 2, 0.5, true, 8);
        double[] Run(int threads)
        {
            var (s, _, f) = BuoyancyScene.Build(o);
            var e = new Engine(s, threads);
            var b = new double[f.Length];
            for (int k = 0; k < 20; k++) { e.Substep(f, b, []); (f, b) = (b, f); }
            return f;
        }
        Assert.That(Run(2), Is.EqualTo(Run(1)));
    }
}
