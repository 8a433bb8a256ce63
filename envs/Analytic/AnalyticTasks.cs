using System.Globalization;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.Analytic;

/// <summary>The analytic test functions as registered tasks (so agents are tried on them like on simulators).</summary>
public static class AnalyticTasks
{
    public const int MaxDimension = 10_000;

    public static IEnumerable<TaskSpec> Specs()
    {
        // Gradient step sizes (not from any paper) chosen from each function's curvature: 1/L for its largest
        // curvature L where that is finite and moderate.
        yield return Scalable("sphere", "Sphere Σ xᵢ² (convex, separable)", 10, d => new SphereDynamics(d), step: 0.1);
        yield return Scalable("ellipsoid", "Ellipsoid Σ 10^{6(i−1)/(d−1)} xᵢ² (condition 1e6)", 10, d => new EllipsoidDynamics(d), step: 1e-6);
        yield return Scalable("rosenbrock", "Rosenbrock Σ 100(x_{i+1} − xᵢ²)² + (1 − xᵢ)² (curved valley)", 10, d => new RosenbrockDynamics(d), step: 1e-4, minDim: 2);
        yield return Scalable("rastrigin", "Rastrigin 10d + Σ (xᵢ² − 10 cos 2πxᵢ) (regular multimodal)", 10, d => new RastriginDynamics(d), step: 0.002); // curvature up to 2 + 40π² ≈ 397
        yield return Scalable("ackley", "Ackley (nearly flat outer region, many local minima)", 10, d => new AckleyDynamics(d), step: 0.05);      // ≈ (2π)²e/d ≈ 11 near the optimum in 10-D
        yield return Scalable("styblinski-tang", "Styblinski–Tang ½ Σ (xᵢ⁴ − 16xᵢ² + 5xᵢ) (2ᵈ local minima)", 10, d => new StyblinskiTangDynamics(d), step: 0.01);
        yield return Fixed("branin", "Branin–Hoo, 2-D, three global minima 0.397887", () => new BraninDynamics(), step: 0.01);
        yield return Fixed("hartmann6", "Hartmann-6, 6-D on [0,1]⁶, global minimum −3.32237", () => new Hartmann6Dynamics(), step: 0.01);
    }

    static TaskSpec Scalable(string name, string summary, int defaultDim, Func<int, AnalyticDynamics> make, double step, int minDim = 1)
    {
        TaskSpec? spec = null;
        spec = new TaskSpec(name, summary + $"; option dim (default {defaultDim}).",
            [new TaskOption("dim", defaultDim.ToString(CultureInfo.InvariantCulture), $"dimension d ({minDim}..{MaxDimension})")],
            o => Instance(TaskRegistry.CanonicalName(name, o, spec!.Options), make(o.GetInt("dim", minDim, MaxDimension)), step));
        return spec;
    }

    static TaskSpec Fixed(string name, string summary, Func<AnalyticDynamics> make, double step) =>
        new(name, summary + ".", [], o => Instance(name, make(), step));

    static TaskInstance Instance(string name, AnalyticDynamics f, double step)
    {
        var box = f.ActionBounds;
        var xs = f.Minimizer;
        string Fmt(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
        var description = $"analytic test function, d = {f.Dimension}, bounds " +
            (Enumerable.Range(0, f.Dimension).All(i => box.LowAt(i) == box.LowAt(0) && box.HighAt(i) == box.HighAt(0))
                ? $"[{Fmt(box.LowAt(0))}, {Fmt(box.HighAt(0))}]^{f.Dimension}"
                : string.Join(" × ", Enumerable.Range(0, f.Dimension).Select(i => $"[{Fmt(box.LowAt(i))}, {Fmt(box.HighAt(i))}]"))) +
            $"; global minimum {Fmt(f.MinimumValue)}; success: loss < f* + 1e-3; exact gradients by automatic differentiation.";
        LandscapePreset? landscape = f.Dimension >= 2
            ? new LandscapePreset("x0", "x1", box.LowAt(0), box.HighAt(0), box.LowAt(1), box.HighAt(1), 200,
                (a, b) => { var p = (double[])xs.Clone(); p[0] = a; p[1] = b; return p; },
                "slice through x0, x1 with the other coordinates at the global minimiser")
            : null;
        return new TaskInstance(name, description, f, successThreshold: f.MinimumValue + 1e-3, landscape: landscape) { GradientStepSize = step };
    }
}
