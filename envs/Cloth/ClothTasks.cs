using System.Globalization;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.Cloth;

/// <summary>Registration of the cloth tasks: swing, pancake, cloth-id.</summary>
public static class ClothTasks
{
    static readonly string[] Contacts = ["projection", "naive", "penalty"];

    static TaskOption ContactOption => new("contact", "projection",
        "projection: velocity projection (normal velocity removed; an approaching vertex stops on the surface, time-of-impact consistent) with Coulomb friction; " +
        "naive: the paper's/DiffTaichi's rule as written (a vertex found penetrating loses its normal velocity where it is: discontinuous in the state); " +
        "penalty: penalty force with regularised Coulomb friction", Contacts);

    static TaskOption SmoothingOption(string value) => new("smoothing", value,
        "width ε (m/s) of the smooth maximum in contact=projection (0: the exact maximum, a kink at every contact switch)");

    static double Smoothing(TaskOptions o)
    {
        double e = o.GetDouble("smoothing");
        if (e < 0 || e > 1) throw new ArgumentException($"task option smoothing={e} must be in [0, 1] m/s.");
        return e;
    }

    public static IEnumerable<TaskSpec> Specs()
    {
        yield return Swing;
        yield return Pancake;
        yield return ClothId;
    }

    public static TaskSpec Swing { get; } = new("swing",
        "BO-Leap Swing: two anchors swing a 20 × 20 cm mass-spring cloth onto the floor; x = patch stiffness (default 4×4 = 16-D), initial velocity, anchor speed or size.",
        [
            new TaskOption("setup", "stiffness", "what x sets: stiffness (n×m patches), velocity (initial 3-D velocity), anchor (speed at 4 knots), size (width, length)",
                ["stiffness", "velocity", "anchor", "size"]),
            new TaskOption("patches", "4x4", "patch grid n×m of the stiffness setup (each side at most resolution − 1)"),
            new TaskOption("loss", "corner", "com: final centre of mass to the goal; corner: mean distance of the 4 corners; mesh: mean vertex distance to the target mesh",
                ["com", "corner", "mesh"]),
            new TaskOption("resolution", "8", "vertices per side of the sheet (3–20)"),
            ContactOption,
            SmoothingOption("0.05"),
        ],
        CreateSwing);

    public static TaskSpec Pancake { get; } = new("pancake",
        "BO-Leap Flip: a pan (x, z, tilt at the end of each of 5 segments, 15-D) flips a soft mass-spring pancake; loss = 4 extreme vertices to their flipped targets.",
        [new TaskOption("resolution", "7", "vertices per side of the pancake (odd, 3–15)"), ContactOption, SmoothingOption("0.2")],
        CreatePancake);

    public static TaskSpec ClothId { get; } = new("cloth-id",
        "BO-Leap real-to-sim as a study: identify width, length, mass, friction and 8×8 patch stiffness (68-D, view=physical) from noisy corner tracks of a lifted sheet.",
        [
            new TaskOption("material", "paper", "the hidden ground truth: paper (stiff sheet) or cloth (flexible)", ["paper", "cloth"]),
            new TaskOption("preset", "default", "default: the study's scene (dt 0.5 ms, 10 × 200 substeps, shipped observation); " +
                "tiny: 5×5 vertices, 4×4 patches, dt 1 ms, 10 × 100 substeps, its observation simulated on creation (CI contract tests)", ["default", "tiny"]),
            new TaskOption("patches", "8", "patches per side (the parameters are 4 + patches²)"),
            new TaskOption("resolution", "9", "vertices per side (patches + 1 … 17)"),
            ContactOption,
            SmoothingOption("0.05"),
        ],
        CreateClothId) { TestOptions = "preset=tiny" };

    static ClothContact Contact(TaskOptions o) => o.GetString("contact") switch
    {
        "penalty" => ClothContact.Penalty, "naive" => ClothContact.Naive, _ => ClothContact.Projection,
    };

    static (int U, int V) ParsePatches(TaskOptions o, int resolution)
    {
        var s = o.GetString("patches");
        var parts = s.Split('x');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int u) ||
            !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            throw new ArgumentException($"task option patches='{s}' of 'swing' must be of the form n x m, e.g. 4x4.");
        if (u < 1 || v < 1 || u > resolution - 1 || v > resolution - 1)
            throw new ArgumentException($"task option patches={s} of 'swing' must have 1 ≤ n, m ≤ resolution − 1 = {resolution - 1}.");
        return (u, v);
    }

    static TaskInstance CreateSwing(TaskOptions o)
    {
        int res = o.GetInt("resolution", 3, 20);
        var (pu, pv) = ParsePatches(o, res);
        var setup = o.GetString("setup") switch
        {
            "velocity" => SwingSetup.Velocity, "anchor" => SwingSetup.Anchor, "size" => SwingSetup.Size, _ => SwingSetup.Stiffness,
        };
        var loss = o.GetString("loss") switch { "com" => SwingLoss.Com, "mesh" => SwingLoss.Mesh, _ => SwingLoss.Corner };
        var d = new SwingDynamics(setup, loss, res, pu, pv, Contact(o), Smoothing(o));
        return new TaskInstance(TaskRegistry.CanonicalName("swing", o, Swing.Options), d.Describe(), d,
            successThreshold: SwingDynamics.SuccessThreshold(loss), landscape: SwingLandscape(d));
    }

    static LandscapePreset SwingLandscape(SwingDynamics d)
    {
        var guess = new double[d.ActionSize];
        d.InitialGuess(0, guess);
        switch (d.ParameterSetup)
        {
            case SwingSetup.Stiffness:
                int pu = d.Mesh.PatchesU, p = d.Mesh.Patches;
                return new LandscapePreset("stiffness of the left half of the patches (N)", "stiffness of the right half (N)", 0.1, 1.0, 0.1, 1.0, 41,
                    (a, b) => Enumerable.Range(0, p).Select(k => k % pu < (pu + 1) / 2 ? a : b).ToArray(),
                    "patch stiffness with the patches at u < ½ set to the first value and the others to the second");
            case SwingSetup.Velocity:
                return new LandscapePreset("initial vx (m/s)", "initial vz (m/s)", -1, 1, -1, 1, 41, (a, b) => [a, 0.0, b],
                    "initial forward and vertical velocity of the cloth, vy = 0");
            case SwingSetup.Anchor:
                return new LandscapePreset("speed scale, knots 1–2", "speed scale, knots 3–4", 0.25, 2, 0.25, 2, 41, (a, b) => [a, a, b, b],
                    "anchor speed scale in the first and second half of the swing");
            default:
                return new LandscapePreset("width (m)", "length (m)", 0.12, 0.28, 0.12, 0.28, 41, (a, b) => [a, b], "cloth width and length");
        }
    }

    static TaskInstance CreatePancake(TaskOptions o)
    {
        int res = o.GetInt("resolution", 3, 15);
        var d = new PancakeDynamics(res, Contact(o), Smoothing(o));
        return new TaskInstance(TaskRegistry.CanonicalName("pancake", o, Pancake.Options), d.Describe(), d, successThreshold: PancakeDynamics.Success,
            landscape: new LandscapePreset("pan height at the end of segment 1 (m)", "pan tilt at the end of segment 2 (rad)", 0.2, 0.5, -1.2, 1.2, 41,
                (a, b) => [0, a, 0, 0, PancakeDynamics.PanZ, b, 0, PancakeDynamics.PanZ, 0, 0, PancakeDynamics.PanZ, 0, 0, PancakeDynamics.PanZ, 0],
                "a toss (height after 0.2 s) against a tilt after 0.4 s, the pan otherwise at its start pose"));
    }

    static TaskInstance CreateClothId(TaskOptions o)
    {
        int patches = o.GetInt("patches", 1, 16);
        int res = o.GetInt("resolution", 3, 17);
        bool tiny = o.GetString("preset") == "tiny";
        if (tiny && (patches != 8 || res != 9))
            throw new ArgumentException($"task option preset=tiny of 'cloth-id' fixes resolution 5 and patches 4; drop resolution={res}, patches={patches}.");
        if (tiny) (res, patches) = (ClothIdDynamics.TinyResolution, ClothIdDynamics.TinyPatches);
        if (patches > res - 1) throw new ArgumentException($"task option patches={patches} of 'cloth-id' must be at most resolution − 1 = {res - 1}.");
        var material = o.GetString("material") == "cloth" ? ClothMaterial.Cloth : ClothMaterial.Paper;
        var d = new ClothIdDynamics(material, res, patches, Contact(o), Smoothing(o), tiny: tiny);
        return new TaskInstance(TaskRegistry.CanonicalName("cloth-id", o, ClothId.Options), d.Describe(), d,
            successThreshold: 2 * ClothIdDynamics.NoiseFloor);
    }
}
