using System.Globalization;
using System.Text;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.Cloth;

/// <summary>The two materials of the cloth identification study.</summary>
public enum ClothMaterial { Paper, Cloth }

/// <summary>
/// Real-to-sim identification (BO-Leap §3.8 as a simulation study): a sheet lying flat on a table is lifted by one
/// corner along a fixed trajectory (the controls, 10 segments of 0.1 s, the corner's velocity per segment). The
/// declared physical parameters are width, length, mass, friction and the stiffness of 8×8 patches (68-D, bounded);
/// the "real" observation is the 4 corners at the end of every segment, simulated from a hidden ground-truth
/// parameter set plus seeded Gaussian tracking noise (σ = 2 mm). Running cost of segment t = (1/H)·mean corner
/// distance to the observation, so the loss is the mean corner tracking error over time.
/// </summary>
public sealed class ClothIdDynamics : ClothDynamics
{
    public const int Segments = 10;
    public const double NoiseSigma = 0.002;
    static readonly Box Bounds = new(-1.0, 1.0, 3);
    static readonly Box Sampling = new([-0.3, -0.3, 0.0], [0.3, 0.3, 0.6]);
    readonly ClothMaterial _material;
    readonly string[] _names;
    readonly Box _parameterBounds;
    readonly double[]? _observed;   // Segments × 4 × 3 (null only while generating it)
    readonly int[] _corners;

    public const int TinyResolution = 5, TinyPatches = 4;

    /// <param name="tiny">The CI preset: dt 1 ms and 100 substeps per segment instead of 0.5 ms × 200 (same 0.1 s segments).</param>
    public ClothIdDynamics(ClothMaterial material, int resolution, int patches, ClothContact contact, double smoothing = 0.05, double[]? observed = null,
        bool tiny = false)
        : base(Scene(resolution, patches, contact, smoothing, tiny))
    {
        _material = material;
        _corners = Mesh.Corners;
        int p = Mesh.Patches;
        _names = ["width", "length", "mass", "friction", .. Enumerable.Range(0, p).Select(k => $"stiffness[{k / patches},{k % patches}]")];
        _parameterBounds = new Box([0.15, 0.15, 0.03, 0.1, .. Enumerable.Repeat(0.05, p)], [0.25, 0.25, 0.1, 1.0, .. Enumerable.Repeat(2.0, p)]);
        var obs = observed ?? (!tiny && IsDefaultConfiguration(resolution, patches, contact, smoothing) ? ClothIdData.Load(material) : ClothIdData.Generate(this));
        if (obs is null || obs.Length != Segments * 12) throw new ArgumentException($"cloth-id observation has {obs?.Length ?? 0} values, expected {Segments * 12}.");
        _observed = obs;
    }

    internal static bool IsDefaultConfiguration(int resolution, int patches, ClothContact contact, double smoothing) =>
        resolution == 9 && patches == 8 && contact == ClothContact.Projection && smoothing == 0.05;

    static ClothSetup Scene(int res, int patches, ClothContact contact, double smoothing, bool tiny)
    {
        var mesh = new ClothMesh(res, res, patches, patches);
        int n = mesh.Vertices;
        var x = new double[3 * n];
        for (int i = 0; i < n; i++) { x[i] = 0.2 * mesh.U(i); x[n + i] = 0.2 * mesh.V(i); x[2 * n + i] = 0; }
        return new ClothSetup
        {
            Mesh = mesh, InitialPositions = x, AxisU = 0, AxisV = 1, Dt = tiny ? 1e-3 : 5e-4, Substeps = tiny ? 100 : 200, Segments = Segments,
            Contact = contact, ContactSmoothing = smoothing, Driven = [0], Drag = 0.5, ReferenceMass = 0.06,
        };
    }

    public ClothMaterial Material => _material;
    public override int ActionSize => 3;
    public override Box ActionBounds => Bounds;
    public override Box ActionSamplingBox => Sampling;
    public override IReadOnlyList<string> ParameterNames => _names;
    public override Box? ParameterBounds => _parameterBounds;
    public override double[] DefaultParameters() => [0.2, 0.2, 0.06, 0.5, .. Enumerable.Repeat(0.5, Mesh.Patches)];
    public ReadOnlySpan<double> Observed => _observed;
    /// <summary>A copy of this task with another observation (e.g. to regenerate the shipped data).</summary>
    public ClothIdDynamics WithObservation(double[] observed) =>
        new(_material, Mesh.Nu, Mesh.PatchesU, Setup.Contact, Setup.ContactSmoothing, observed, tiny: Setup.Substeps != 200);

    /// <summary>The fixed lift: up at 0.6 m/s for 0.4 s, then forward and sideways, then held.</summary>
    public override void InitialGuess(int t, Span<double> action)
    {
        (double x, double y, double z) v = t < 4 ? (0, 0, 0.6) : t < 8 ? (0.3, 0.15, 0.1) : (0, 0, 0);
        action[0] = v.x; action[1] = v.y; action[2] = v.z;
    }

    /// <summary>The hidden ground truth of a material (seeded per-patch variation around a base stiffness).</summary>
    public double[] GroundTruth(ClothMaterial material)
    {
        var rng = Rng.Create(material == ClothMaterial.Paper ? 1 : 2);
        double k = material == ClothMaterial.Paper ? 1.5 : 0.12, spread = material == ClothMaterial.Paper ? 0.1 : 0.3;
        double[] head = material == ClothMaterial.Paper ? [0.21, 0.18, 0.045, 0.3] : [0.19, 0.23, 0.075, 0.75];
        return [.. head, .. Enumerable.Range(0, Mesh.Patches).Select(_ => k * (1 + spread * (2 * rng.NextDouble() - 1)))];
    }

    public double[] GroundTruth() => GroundTruth(_material);

    public override void MapInputs(int t, ReadOnlySpan<double> action, ReadOnlySpan<double> p, ClothInputs inp)
    {
        inp.Width = p[0]; inp.Length = p[1]; inp.Mass = p[2]; inp.Friction = p[3];
        p[4..].CopyTo(inp.Stiffness);
        action.CopyTo(inp.DriveVelocity);
    }

    public override void MapInputsBackward(int t, ReadOnlySpan<double> action, ReadOnlySpan<double> p, ClothInputs bar,
        Span<double> actionAdjoint, Span<double> parameterAdjoint)
    {
        parameterAdjoint[0] = bar.Width; parameterAdjoint[1] = bar.Length; parameterAdjoint[2] = bar.Mass; parameterAdjoint[3] = bar.Friction;
        bar.Stiffness.CopyTo(parameterAdjoint[4..]);
        bar.DriveVelocity.CopyTo(actionAdjoint);
    }

    public override double RunningCost(int t, ReadOnlySpan<double> next) => _observed is null ? 0 :
        ClothLoss.MeanDistance(next, N, _corners, _observed.AsSpan(12 * t, 12)) / Segments;

    public override void RunningCostBackward(int t, ReadOnlySpan<double> next, double costAdjoint, Span<double> nextAdjoint)
    {
        if (_observed is not null) ClothLoss.MeanDistanceBackward(next, N, _corners, _observed.AsSpan(12 * t, 12), costAdjoint / Segments, nextAdjoint);
    }

    /// <summary>Expected loss at the ground truth from the noise alone: E|n| = 2σ√(2/π) for 3-D Gaussian noise.</summary>
    public static double NoiseFloor => 2 * NoiseSigma * Math.Sqrt(2 / Math.PI);

    /// <summary>
    /// Closeness of physical parameters p to the hidden ground truth, as relative errors |p − p*|/p*: width, length,
    /// mass, friction, the median over the patches of the stiffness error, and the median over the patches of the error of
    /// the stiffness-to-mass ratio k/M — the combination the corner tracks determine (scaling the mass and every
    /// stiffness by the same factor leaves every trajectory unchanged), so it is the figure to judge identification by.
    /// </summary>
    public override IReadOnlyList<KeyValuePair<string, double>> ParameterMetrics(ReadOnlySpan<double> p)
    {
        if (p.Length != _names.Length) throw new ArgumentException($"cloth-id has {_names.Length} physical parameters, got {p.Length}.");
        var gt = GroundTruth();
        double R(double v, double truth) => Math.Abs(v - truth) / truth;
        int patches = gt.Length - 4;
        var k = new double[patches]; var ratio = new double[patches];
        for (int i = 0; i < patches; i++)
        {
            k[i] = R(p[4 + i], gt[4 + i]);
            ratio[i] = R(p[4 + i] / p[2], gt[4 + i] / gt[2]);
        }
        return
        [
            new("width_err", R(p[0], gt[0])), new("length_err", R(p[1], gt[1])), new("mass_err", R(p[2], gt[2])),
            new("friction_err", R(p[3], gt[3])), new("stiffness_err", Median(k)), new("k/M_err", Median(ratio)),
        ];
    }

    static double Median(double[] v)
    {
        var s = v.Order().ToArray();
        int m = s.Length / 2;
        return s.Length % 2 == 1 ? s[m] : 0.5 * (s[m - 1] + s[m]);
    }

    public string Describe() =>
        $"Cloth identification (BO-Leap §3.8 real-to-sim as a simulation study, material '{_material.ToString().ToLowerInvariant()}'): a {Mesh.Nu}×{Mesh.Nv}-vertex sheet " +
        $"flat on the table is lifted by one corner along a fixed trajectory (10 segments of 0.1 s, dt {(Setup.Dt * 1000).ToString(CultureInfo.InvariantCulture)} ms). Physical parameters (view=physical, {_names.Length}-D here, 68-D at 8×8 patches): " +
        $"width, length ∈ [0.15, 0.25] m, mass ∈ [0.03, 0.1] kg, friction ∈ [0.1, 1], stiffness of {Mesh.PatchesU}×{Mesh.PatchesV} patches ∈ [0.05, 2] N per unit strain. " +
        $"Observation: the 4 corners at the end of each segment from a hidden ground truth plus Gaussian noise σ = {NoiseSigma * 1000} mm (data under envs/Cloth/Data). " +
        $"Loss = mean corner distance over time; noise floor {NoiseFloor.ToString("G3", CultureInfo.InvariantCulture)} m. Controls view: x = the corner velocities (30-D).";
}

/// <summary>The shipped observations of cloth-id and how they are made.</summary>
public static class ClothIdData
{
    /// <summary>Seed of the tracking noise of a material.</summary>
    public static int NoiseSeed(ClothMaterial m) => m == ClothMaterial.Paper ? 101 : 102;

    public static string FileName(ClothMaterial m) => $"cloth-id-{m.ToString().ToLowerInvariant()}.csv";

    /// <summary>Simulates the ground truth with the fixed lift and adds seeded noise (Box–Muller on the project's generator).</summary>
    public static double[] Generate(ClothIdDynamics d)
    {
        var gt = d.GroundTruth();
        using var tape = new SegmentTape(d);
        var s0 = new double[d.StateSize];
        d.InitialState(s0, Rng.Create(0));
        tape.Reset(s0, gt, record: false);
        var a = new double[3];
        var obs = new double[ClothIdDynamics.Segments * 12];
        var rng = Rng.Create(NoiseSeed(d.Material));
        var corners = d.Mesh.Corners; int n = d.N;
        for (int t = 0; t < ClothIdDynamics.Segments; t++)
        {
            d.InitialGuess(t, a);
            tape.Advance(a);
            var s = tape.State;
            for (int k = 0; k < 4; k++)
                for (int c = 0; c < 3; c++)
                {
                    double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
                    double z = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                    obs[12 * t + 3 * k + c] = s[c * n + corners[k]] + ClothIdDynamics.NoiseSigma * z;
                }
        }
        return obs;
    }

    public static string ToCsv(ReadOnlySpan<double> obs)
    {
        var sb = new StringBuilder("segment,corner,x,y,z\n");
        for (int t = 0; t < obs.Length / 12; t++)
            for (int k = 0; k < 4; k++)
                sb.Append(CultureInfo.InvariantCulture, $"{t},{k},{obs[12 * t + 3 * k]:R},{obs[12 * t + 3 * k + 1]:R},{obs[12 * t + 3 * k + 2]:R}\n");
        return sb.ToString();
    }

    public static double[] FromCsv(string text)
    {
        var rows = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).ToArray();
        var obs = new double[rows.Length * 3];
        for (int r = 0; r < rows.Length; r++)
        {
            var f = rows[r].Split(',');
            int t = int.Parse(f[0], CultureInfo.InvariantCulture), k = int.Parse(f[1], CultureInfo.InvariantCulture);
            for (int c = 0; c < 3; c++) obs[12 * t + 3 * k + c] = double.Parse(f[2 + c], CultureInfo.InvariantCulture);
        }
        return obs;
    }

    /// <summary>The shipped observation of a material (embedded from envs/Cloth/Data).</summary>
    public static double[] Load(ClothMaterial m)
    {
        var asm = typeof(ClothIdData).Assembly;
        var name = asm.GetManifestResourceNames().FirstOrDefault(r => r.EndsWith(FileName(m), StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"cloth-id data '{FileName(m)}' is not embedded; regenerate it (docs/cloth-findings.md).");
        using var s = asm.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(s);
        return FromCsv(reader.ReadToEnd());
    }
}
