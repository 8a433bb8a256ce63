using System.Globalization;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.Mpm;

/// <summary>
/// Task <c>fluid</c> (issue 12): scoop a sugar cube out of syrup with a ladle, 10-D, on the MPM engine with
/// per-particle materials (liquid + rigid cluster) and a ladle collider. Options preset, segments, cube_density,
/// softness. See docs/fluid-findings.md.
/// </summary>
public static class FluidTasks
{
    public static readonly FluidPreset Tiny = new("tiny", 16, 5, 5, 1,
        "16³ grid, a 0.1 s episode of 5 control steps (one per segment) of 5 substeps (dt = 4 ms), 1 liquid particle per cell: for CI contract tests only (the ladle wall is under 2 cells)", 0.1);
    public static readonly FluidPreset Default = new("default", 32, 5, 50, 1,
        "32³ grid (dx = 1.54 cm), 50 control steps of 5 substeps (dt = 3.2 ms, acoustic CFL 0.52), 1 liquid particle per cell");
    public static readonly FluidPreset Fine = new("fine", 48, 12, 50, 1,
        "48³ grid (dx = 0.95 cm), 50 control steps of 12 substeps (dt = 1.33 ms), 1 liquid particle per cell");
    public static FluidPreset[] Presets { get; } = [Tiny, Default, Fine];

    /// <summary>
    /// Success: loss below this (metres). It implies the cube centre is above 0.1 m (the level of the
    /// syrup surface at rest) and within 3.3 cm of the bowl's axis (inner radius 4.5 cm); in practice the height term is 0 (cube above the rim) in such episodes.
    /// </summary>
    public const double SuccessLoss = 0.1;

    static readonly IReadOnlyList<TaskOption> Options =
    [
        new("preset", "default", "resolution: tiny (CI contract tests), default (32³, CPU), fine (48³)", ["tiny", "default", "fine"]),
        new("segments", "5", "control segments per episode (BO-Leap: 5 × (forward–back, up–down)); must divide the control steps"),
        new("cube_density", "1.15", "cube density relative to the syrup (> 1 sinks, < 1 floats)"),
        new("softness", "333", "ladle contact softness per engine unit (PlasticineLab's 666 at 64³ scaled to the same band in cells at 32³)"),
    ];

    public static TaskSpec Spec { get; } = MakeSpec();

    static TaskSpec MakeSpec()
    {
        TaskSpec? spec = null;
        spec = new TaskSpec("fluid", "BO-Leap fluid: a ladle scoops a sinking sugar cube out of syrup in a 0.4 × 0.4 × 0.2 m tank (10-D); options preset, segments, cube_density, softness.",
            Options, o => Create(o, TaskRegistry.CanonicalName("fluid", o, spec!.Options))) { TestOptions = PlasticineTasks.ContractTestOptions };
        return spec;
    }

    public static FluidPreset PresetNamed(string name) => Presets.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"unknown preset '{name}'; presets: {string.Join(", ", Presets.Select(p => p.Name))}.");

    public static FluidDynamics Build(FluidPreset preset, int segments = 5, double cubeDensity = 1.15, double softness = 333, double ladleBehind = FluidScene.LadleBehind, double? cubeBottom = null)
    {
        var scene = FluidScene.Build(preset, cubeDensity, softness, ladleBehind, cubeBottom);
        return new FluidDynamics(scene, preset, segments);
    }

    static TaskInstance Create(TaskOptions o, string name)
    {
        var preset = PresetNamed(o.GetString("preset"));
        int segments = o.GetInt("segments", 1, preset.ControlSteps);
        if (preset.ControlSteps % segments != 0) throw new ArgumentException($"task option segments={segments} must divide the {preset.ControlSteps} control steps of preset {preset.Name}.");
        double density = o.GetDouble("cube_density");
        if (!(density >= 0.2 && density <= 5)) throw new ArgumentException($"task option cube_density={density.ToString(CultureInfo.InvariantCulture)} must be in [0.2, 5].");
        double softness = o.GetDouble("softness");
        if (!(softness >= 0) || !double.IsFinite(softness)) throw new ArgumentException($"task option softness={softness.ToString(CultureInfo.InvariantCulture)} must be finite and ≥ 0.");
        var dyn = Build(preset, segments, density, softness);
        var s = dyn.Scene;
        string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
        var description =
            $"Scoop a sugar cube out of syrup with a ladle (BO-Leap Fluid). Tank 0.4 m (x) × 0.4 m (z) × 0.2 m (y) with {F(FluidScene.LiquidDepth)} m of syrup " +
            $"(weakly compressible MLS-MPM liquid, sound speed {F(FluidScene.SoundSpeed)} m/s, kinematic viscosity {F(FluidScene.Viscosity)} m²/s), a {F(dyn.CubeEdge * 100)} cm cube " +
            $"{F(density)}× as dense (a rigid particle cluster, two-way coupled) dropped onto the syrup on the tank axis (it sinks), a ladle (hemispherical bowl, inner radius " +
            $"{F((FluidScene.BowlRadius - FluidScene.BowlHalfThickness) * 100)} cm, wall {F(2 * FluidScene.BowlHalfThickness * 100)} cm, with a handle) {F(FluidScene.LadleBehind * 100)} cm behind it. " +
            $"Preset {preset.Name}: {preset.Note}; {s.Particles} particles ({dyn.Cube.Count} in the cube); 1 m = {F(FluidScene.Scale(s.N))} engine units. " +
            $"x ∈ [−2, 2]^{2 * segments}: {segments} segments × (forward–back, up–down) ladle velocity in units of {F(FluidScene.VelocityUnit)} m/s over a {F(preset.Duration)} s episode " +
            $"of {preset.ControlSteps} control steps. Loss (m) = max(0, 0.2 − y) + 3·‖cube − ladle‖ₓ𝓏 + ‖cube − tank axis‖ₓ𝓏 of the final cube centre (the paper's first term with its sign fixed). " +
            $"Success: loss < {F(SuccessLoss)} (cube lifted out of the syrup and held in the bowl). Exact gradients by hand-written adjoints. " +
            $"Step view: one step per segment, observation = cube centre, cube velocity, ladle position; reward = −loss at the end.";
        var landscape = new LandscapePreset("forward–back velocity, segments 1–2", "up–down velocity, segments 3–5", -2, 2, -2, 2, 21,
            (a, b) => LandscapePoint(segments, a, b),
            "x₁ = forward–back of segments 1–2, x₂ = up–down of segments 3–5; the other commands 0 (the Fig. 3 analogue)");
        return new TaskInstance(name, description, dyn, successThreshold: SuccessLoss, landscape: landscape);
    }

    /// <summary>The landscape slice: forward–back a in the first 2/5 of the episode, up–down b in the last 3/5.</summary>
    public static double[] LandscapePoint(int segments, double a, double b)
    {
        var x = new double[2 * segments];
        for (int t = 0; t < segments; t++)
        {
            if (5 * t < 2 * segments) x[2 * t] = a;
            else x[2 * t + 1] = b;
        }
        return x;
    }
}
