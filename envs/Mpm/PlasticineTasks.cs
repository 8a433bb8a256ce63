using System.Collections.Concurrent;
using System.Globalization;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.Mpm;

/// <summary>A body of plasticine: a box (half-extents) or a sphere (radius in Size.X), with its particle count at full scale.</summary>
public sealed record Body(bool IsSphere, V3 Center, V3 Size, int FullParticles);

/// <summary>One PlasticineLab task (geometry and materials from its yml files, §1.3 of the research notes).</summary>
public sealed record PlasticineTask(string Name, string Summary, string Goal, Body[] Bodies, Primitive[] Primitives,
    double YieldStress, double Poisson, double FloorFriction, double[] Reference);

/// <summary>A resolution preset: grid, time step, substeps per env step, env steps per episode and particle scaling.</summary>
public sealed record Preset(string Name, int Grid, double Dt, int Substeps, int EnvSteps, int ParticleDivisor, string Note)
{
    /// <summary>Action scales are multiplied by this so a tool travels as far per episode as in 50 env steps.</summary>
    public double ActionScaleFactor => 50.0 / EnvSteps;
}

/// <summary>
/// The eight PlasticineLab tasks of the BO-Leap paper on the MLS-MPM engine, each with options
/// preset (tiny | default | full), segments, softness and the three loss weights. Targets are regenerated in this
/// simulator by a scripted reference motion per task (stored under envs/Mpm/Targets, rebuilt by
/// <see cref="TargetData"/>).
/// </summary>
public static class PlasticineTasks
{
    public static readonly Preset Tiny = new("tiny", 16, 4e-4, 5, 5, 128,
        "16³ grid, dt = 4e-4 (same CFL number as full), 5 substeps per env step, 5 env steps (one per segment) with action scales ×10 (same tool travel per episode), particles ÷ 128: for CI contract tests only");
    public static readonly Preset Default = new("default", 32, 2e-4, 10, 50, 8,
        "32³ grid, dt = 2e-4 (dt raised with dx: same CFL number as full), 10 substeps per env step (2 ms), 50 env steps, particles ÷ 8 (same particles per cell)");
    public static readonly Preset Full = new("full", 64, 1e-4, 19, 50, 1,
        "PlasticineLab scale: 64³ grid, dt = 1e-4, 19 substeps per env step, 50 env steps (950 substeps), PlasticineLab's particle counts");
    public static Preset[] Presets { get; } = [Tiny, Default, Full];

    /// <summary>Normalised incremental IoU at or above this value counts as a success (reported; see docs/plasticine-findings.md).</summary>
    public const double IouSuccess = 0.7;

    static Primitive Sphere(double x, double y, double z, double r, double scale, V3? lo = null, V3? hi = null) =>
        new(ShapeKind.Sphere, r, 0, new V3(x, y, z), 0.9, new V3(scale, scale, scale), lo ?? new V3(0, 0, 0), hi ?? new V3(1, 1, 1));

    static Body Box(double x, double y, double z, double wx, double wy, double wz, int n) => new(false, new V3(x, y, z), new V3(wx / 2, wy / 2, wz / 2), n);

    /// <summary>5 segments × action: builds the reference (scripted) motion from per-segment rows.</summary>
    static double[] Rows(params double[][] rows) => rows.SelectMany(r => r).ToArray();

    public static IReadOnlyList<PlasticineTask> All { get; } =
    [
        new("assembly", "BO-Leap assembly: two spheres pick up a plasticine ball and place it on a box (30-D)",
            "pick up the ball and place it on top of the box",
            [Box(0.6, 0.08, 0.5, 0.16, 0.16, 0.16, 6000), new(true, new V3(0.3, 0.06, 0.5), new V3(0.06, 0.06, 0.06), 4000)],
            [Sphere(0.38, 0.06, 0.5, 0.04, 0.009), Sphere(0.22, 0.06, 0.5, 0.04, 0.009)],
            100, 0.2, 100,
            Rows([-0.3, 0, 0, 0.3, 0, 0], [-0.05, 1, 0, 0.05, 1, 0], [0.6, 1, 0, 0.6, 1, 0], [1, 0, 0, 1, 0, 0], [1, -0.2, 0, 1, -0.2, 0])),
        new("pinch", "BO-Leap pinch: one sphere presses a plasticine cube (15-D)",
            "press a dent into the cube",
            [Box(0.5, 0.1, 0.5, 0.2, 0.2, 0.2, 6000)],
            [Sphere(0.5, 0.35, 0.5, 0.04, 0.02, new V3(0.1, 0.1, 0.1), new V3(0.9, 0.9, 0.9))],
            50, 0.2, 100,
            Rows([0.1, -0.6, 0], [0.1, -0.3, 0], [0, 0.5, 0], [0, 0, 0], [0, 0, 0])),
        new("rollingpin", "BO-Leap rollingpin: a rolling pin flattens a plasticine slab (15-D)",
            "flatten the dough",
            [Box(0.5, 0.05, 0.5, 0.3, 0.1, 0.3, 10000)],
            // Capsule h = 0.3, r = 0.03 lying along z (init_rot (0.707, 0.707, 0, 0): 90° about x); channels roll
            // (0.667 rad), yaw (0.0667 rad), dy (0.001) per env step; roll × 0.03 moves it along x (rolling without slip).
            [new(ShapeKind.Capsule, 0.3, 0.03, new V3(0.5, 0.123, 0.5), 0.9, new V3(0.6666666666666667, 0.06666666666666668, 0.001),
                new V3(0, 0, 0), new V3(1, 1, 1), 0.707, 0.707, 0, 0, Motion.RollingPin)],
            50, 0.2, 1.5,
            // Roll out to −x while pressing down, back over to +x, out to −x again, back to the middle with a small
            // yaw, then lift: the pin sinks 0.035 in all and sweeps x ∈ [0.4, 0.6] three times.
            Rows([0.5, 0, -1], [-1, 0, -1], [1, 0, -1], [-0.5, 0.5, -0.5], [0, 0, 1])),
        new("rope", "BO-Leap rope: two spheres wind a plasticine rope around a fixed pillar (30-D)",
            "wind the rope around the pillar",
            [Box(0.5, 0.03, 0.73, 0.6, 0.06, 0.06, 10000)],
            [Sphere(0.22, 0.015, 0.82, 0.03, 0.01), Sphere(0.78, 0.015, 0.82, 0.03, 0.01),
             new(ShapeKind.Cylinder, 0.1, 0.2, new V3(0.3919300650726247, 0, 0.4990770359432596), 0.9, new V3(), new V3(0, 0, 0), new V3(1, 1, 1))],
            50, 0.2, 0.3,
            Rows([0, 0, -1, 0, 0, -1], [0.3, 0, -1, -0.3, 0, -1], [0.5, 0, -1, -0.5, 0, -1], [1, 0, -0.5, -1, 0, -0.5], [1, 0, 0, -1, 0, 0])),
        new("table", "BO-Leap table: one planar sphere pushes a leg of a plasticine table outwards (15-D)",
            "push one table leg outwards",
            [Box(0.425, 0.1, 0.425, 0.04, 0.1, 0.04, 2000), Box(0.425, 0.1, 0.575, 0.04, 0.1, 0.04, 2000),
             Box(0.575, 0.1, 0.425, 0.04, 0.1, 0.04, 2000), Box(0.575, 0.1, 0.575, 0.04, 0.1, 0.04, 2000), Box(0.5, 0.18, 0.5, 0.2, 0.05, 0.2, 2000)],
            [new(ShapeKind.Sphere, 0.04, 0, new V3(0.5, 0.06, 0.5), 0.9, new V3(0.03, 0, 0.03), new V3(0, 0, 0), new V3(1, 1, 1))],
            50, 0.05, 0.3,
            Rows([-0.25, 0, -0.25], [-0.25, 0, -0.25], [-0.15, 0, -0.15], [0, 0, 0], [0, 0, 0])),
        new("torus", "BO-Leap torus: a torus presses a ring-shaped impression into plasticine (15-D)",
            "press a ring-shaped impression",
            [Box(0.5, 0.05, 0.5, 0.3, 0.1, 0.3, 10000)],
            [new(ShapeKind.Torus, 0.05, 0.03, new V3(0.5, 0.2, 0.5), 0.9, new V3(0.004, 0.004, 0.004), new V3(0, 0.05, 0), new V3(1, 1, 1), 0, 0, 0, 1)],
            50, 0.2, 100,
            Rows([0, -1, 0], [0, -1, 0], [0.3, -1, 0], [0, 0, 0], [0, 1, 0])),
        new("triplemove", "BO-Leap triplemove: six spheres move three plasticine cubes to their goals (90-D)",
            "move each cube to its target",
            [Box(0.3, 0.05, 0.5, 0.1, 0.1, 0.1, 3333), Box(0.5, 0.05, 0.5, 0.1, 0.1, 0.1, 3333), Box(0.7, 0.05, 0.5, 0.1, 0.1, 0.1, 3333)],
            [Sphere(0.23, 0.05, 0.5, 0.03, 0.01), Sphere(0.37, 0.05, 0.5, 0.03, 0.01), Sphere(0.43, 0.05, 0.5, 0.03, 0.01),
             Sphere(0.57, 0.05, 0.5, 0.03, 0.01), Sphere(0.63, 0.05, 0.5, 0.03, 0.01), Sphere(0.77, 0.05, 0.5, 0.03, 0.01)],
            200, 0.2, 1.5,
            Rows([0.3, 0, 0, -0.3, 0, 0, 0.3, 0, 0, -0.3, 0, 0, 0.3, 0, 0, -0.3, 0, 0],
                 [0.05, 0.8, 0, -0.05, 0.8, 0, 0.05, 1, 0, -0.05, 1, 0, 0.05, 0.8, 0, -0.05, 0.8, 0],
                 [0, 0.5, -1, 0, 0.5, -1, 0, 1, 0, 0, 1, 0, 0, 0.5, 1, 0, 0.5, 1],
                 [0, 0, -1, 0, 0, -1, 0, 0.5, 0, 0, 0.5, 0, 0, 0, 1, 0, 0, 1],
                 [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])),
        new("writer", "BO-Leap writer: a capsule writes a stroke into plasticine (15-D)",
            "carve a stroke into the top surface",
            [Box(0.5, 0.05, 0.5, 0.3, 0.1, 0.3, 10000)],
            [new(ShapeKind.Capsule, 0.06, 0.03, new V3(0.5, 0.13, 0.5), 0.0, new V3(0.01, 0.01, 0.01), new V3(0, 0.05, 0), new V3(1, 1, 1), 0, 0, 0, 1)],
            50, 0.2, 100,
            Rows([0, -0.3, 0], [1, 0, 0], [0, 0, 1], [-1, 0, 0], [0, 0.5, 0])),
    ];

    public static IEnumerable<TaskSpec> Specs() => All.Select(Spec);

    static readonly IReadOnlyList<TaskOption> Options =
    [
        new("preset", "default", "resolution: tiny (CI contract tests), default (32³, CPU), full (64³, PlasticineLab scale)", ["tiny", "default", "full"]),
        new("segments", "5", "control segments per episode (BO-Leap: 5; PlasticineLab's RL setting: one per env step); must divide the env steps"),
        new("softness", "666", "contact softness (PlasticineLab's gradient solver: 666; 0 = hard contact as its RL envs)"),
        new("w_density", "10", "weight of the density loss Σ|M − T| (PlasticineLab: 10)"),
        new("w_sdf", "10", "weight of the SDF loss Σ sdf_T·M (PlasticineLab: 10)"),
        new("w_contact", "1", "weight of the contact loss Σ (min distance primitive–plasticine)² (PlasticineLab: 1; BO-Leap raised one weight, amount unknown: we keep 1)"),
    ];

    /// <summary>The option value contract tests use for tasks that declare it (a cheap preset for CI).</summary>
    /// <summary>The CI preset, under which task-agnostic tests run the plasticine and fluid tasks (<see cref="TaskSpec.TestOptions"/>).</summary>
    public const string ContractTestOptions = "preset=tiny";

    static TaskSpec Spec(PlasticineTask task)
    {
        TaskSpec? spec = null;
        spec = new TaskSpec(task.Name, task.Summary + "; options preset, segments, softness, w_density, w_sdf, w_contact.", Options,
            o => Create(task, o, TaskRegistry.CanonicalName(task.Name, o, spec!.Options))) { TestOptions = ContractTestOptions };
        return spec;
    }

    static double NonNegative(TaskOptions o, string key)
    {
        double v = o.GetDouble(key);
        if (v < 0) throw new ArgumentException($"task option {key}={v.ToString(CultureInfo.InvariantCulture)} must be ≥ 0.");
        return v;
    }

    public static Preset PresetNamed(string name) => Presets.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"unknown preset '{name}'; presets: {string.Join(", ", Presets.Select(p => p.Name))}.");

    static TaskInstance Create(PlasticineTask task, TaskOptions o, string name)
    {
        var preset = PresetNamed(o.GetString("preset"));
        int segments = o.GetInt("segments", 1, preset.EnvSteps);
        if (preset.EnvSteps % segments != 0) throw new ArgumentException($"task option segments={segments} must divide the {preset.EnvSteps} env steps of preset {preset.Name}.");
        double softness = NonNegative(o, "softness");
        var w = new LossWeights(NonNegative(o, "w_density"), NonNegative(o, "w_sdf"), NonNegative(o, "w_contact"));
        var scene = BuildScene(task, preset, softness);
        var target = TargetData.Get(task, preset);
        var dyn = new MpmDynamics(scene, target, w, segments, preset.EnvSteps) { Task = task, Preset = preset };
        string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
        var description =
            $"{task.Summary}. Goal: {task.Goal}. Preset {preset.Name}: {preset.Note}; {scene.Particles} particles, " +
            $"E = 5000, ν = {F(task.Poisson)}, yield stress {F(task.YieldStress)}, floor {(task.FloorFriction >= 10 ? "sticky" : $"Coulomb μ = {F(task.FloorFriction)}")}, " +
            $"contact softness {F(softness)}. x ∈ [−1, 1]^{segments * scene.ActionSize}: {segments} segments × {scene.ActionSize} velocity commands " +
            $"(action × scale = displacement per env step), initial guess 0. Loss = Σ over env steps of {F(w.Density)}·density + {F(w.Sdf)}·SDF + " +
            $"{F(w.Contact)}·contact (PlasticineLab's). Target: grid mass after the scripted reference motion in this simulator at this preset " +
            $"(success: loss < 1.05 × the reference motion's loss); PlasticineLab's normalised IoU of the final state is printed by eval, success at ≥ {F(IouSuccess)} (degenerate when the initial state's soft IoU is at least the target's own; see docs/plasticine-findings.md). " +
            $"Exact gradients by hand-written adjoints (kernel route). Step view: one step per segment, observation = {dyn.ObservedParticles.Count} " +
            $"particles' positions and velocities + primitive positions{(dyn.RotatingPrimitives > 0 ? " and orientations (quaternions, w first)" : "")}, reward = −segment loss." +
            string.Concat(scene.Primitives.Where(p => p.Motion == Motion.RollingPin).Select(p =>
                $" Rolling pin (PlasticineLab's RollingPin kinematics): per env step the 3 channels are roll about the pin's own axis (scale {F(p.ActionScale.X)} rad; " +
                $"the pin travels {F(Primitive.RollRadius)} × roll along its rolling direction, no slip), yaw about world y (scale {F(p.ActionScale.Y)} rad) " +
                $"and vertical displacement (scale {F(p.ActionScale.Z)}); capsule h = {F(p.A)}, r = {F(p.B)} lying along z. The roll-angle quaternion is " +
                "smooth at 0 (PlasticineLab's w2quat returns the identity below |w| = 1e-7, which zeroes the gradient of the roll at exactly 0)."));
        double threshold = TargetData.ReferenceLoss(task, preset, w, softness);
        var axes = LandscapeAxes(task);
        var landscape = new LandscapePreset(axes.A, axes.B, -1, 1, -1, 1, 11,
            (a, b) =>
            {
                var x = new double[segments * scene.ActionSize];
                x[axes.I] = a; x[axes.J] = b;
                return x;
            }, $"coordinates {axes.I} and {axes.J} (first segment's commands), all else 0 (the initial guess)");
        return new TaskInstance(name, description, dyn, successThreshold: threshold * 1.05, landscape: landscape);
    }

    /// <summary>The two coordinates of the landscape preset (first segment) and what they mean.</summary>
    public static (int I, int J, string A, string B) LandscapeAxes(PlasticineTask t) => t.Name switch
    {
        "assembly" or "triplemove" => (0, 3, "segment-0 x of sphere 1", "segment-0 x of sphere 2 (the squeeze)"),
        "rope" => (2, 5, "segment-0 z of sphere 1", "segment-0 z of sphere 2 (the pull)"),
        "table" => (0, 2, "segment-0 x of the sphere", "segment-0 z of the sphere (the push)"),
        "rollingpin" => (0, 2, "segment-0 roll (travel along x)", "segment-0 dy (press)"),
        _ => (0, 1, "segment-0 x of the tool", "segment-0 y of the tool (the press)"),
    };

    /// <summary>Seeded uniform particles in the task's bodies (PlasticineLab samples uniformly at random).</summary>
    public static Scene BuildScene(PlasticineTask task, Preset preset, double softness)
    {
        var rng = new Random(0);
        var x = new List<double>();
        int fullCount = 0;
        foreach (var b in task.Bodies)
        {
            fullCount += b.FullParticles;
            int count = Math.Max(8, (int)Math.Round((double)b.FullParticles / preset.ParticleDivisor));
            for (int k = 0; k < count; k++)
            {
                V3 p;
                do
                {
                    p = new V3(2 * rng.NextDouble() - 1, 2 * rng.NextDouble() - 1, 2 * rng.NextDouble() - 1);
                } while (b.IsSphere && p.Norm2 > 1);
                x.Add(b.Center.X + p.X * b.Size.X); x.Add(b.Center.Y + p.Y * b.Size.Y); x.Add(b.Center.Z + p.Z * b.Size.Z);
            }
        }
        int n = x.Count / 3;
        double pVol = Math.Pow(1.0 / 128, 2) * fullCount / n;   // PlasticineLab's p_vol at full scale, total mass kept across presets
        return new Scene(preset.Grid, preset.Dt, preset.Substeps, new Material(5000, task.Poisson, task.YieldStress), task.FloorFriction,
            softness, task.Primitives.Select(p => p with { ActionScale = preset.ActionScaleFactor * p.ActionScale, AngularScale = preset.ActionScaleFactor * p.AngularScale }).ToArray(), x.ToArray(), pVol);
    }
}
