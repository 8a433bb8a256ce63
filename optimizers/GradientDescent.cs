using ContactOpt.Budget;
using MathNet.Numerics.Distributions;

namespace ContactOpt.Optimizers;

/// <summary>Hyperparameters of exact gradient descent (<c>gd</c>).</summary>
public sealed record GradientDescentOptions : IValidatable
{
    [Option("step_size", "fixed step α in θ ← θ − α∇J(θ) (Dawson: 0.1 for flip, 0.5 for grasp)")]
    public double StepSize { get; init; } = 0.1;

    [Option("project", "project every iterate onto the task's bounds (a no-op for unbounded tasks such as flip/grasp)")]
    public bool Project { get; init; } = true;

    [Option("float32", "round the iterate to float32 after every update: the float32 JAX reference run stayed mirror-symmetric on grasp only because of this (docs/flip-grasp.md §6.1)")]
    public bool Float32 { get; init; } = false;

    [Option("start", "start point: guess (task's initial guess, as in Dawson), random or center of the sampling box")]
    public StartPoint Start { get; init; } = StartPoint.Guess;

    public void Validate()
    {
        Check.Positive(StepSize, "step_size");
        Check.Defined(Start, "start");
    }
}

/// <summary>
/// Exact gradient descent with a fixed step (Dawson 2021, §3.1 of flip-grasp.md): each iteration is one
/// loss-and-gradient episode at θᵢ followed by θᵢ₊₁ = θᵢ − α∇J(θᵢ); the run ends when the budget is used,
/// so a budget of n + 1 gives the reference trace of n updates plus the final evaluation.
/// A non-finite loss or gradient cannot be stepped from: the iterate returns to the best point so far and α is
/// halved for the rest of the run (the only deviation from a fixed step, and only after a divergence); so is an
/// update that overflows to a non-finite iterate.
/// </summary>
public sealed class GradientDescent(GradientDescentOptions options) : IOptimizer
{
    public GradientDescentOptions Options { get; } = Validated(options);
    public string Name => "gd";

    static GradientDescentOptions Validated(GradientDescentOptions o) { o.Validate(); return o; }

    public OptimizationResult Minimize(BudgetedObjective objective, int seed, CancellationToken cancellation = default)
    {
        var ev = new Evaluator(objective, cancellation);
        var rng = Rng.Create(seed);
        int d = ev.Dimension;
        var theta = Check.Start(Options.Start, ev, rng);
        if (Options.Float32) Check.RoundToFloat32(theta);
        var g = new double[d];
        double alpha = Options.StepSize;
        while (!ev.Exhausted)
        {
            double loss = ev.LossAndGradient(theta, g, out bool gradientFinite);
            if (!double.IsFinite(loss) || !gradientFinite)
            {
                if (!double.IsFinite(ev.BestLoss)) break; // nothing finite to return to: no point spending the budget
                ev.BestParameters.CopyTo(theta);
                alpha *= 0.5;
                continue;
            }
            for (int i = 0; i < d; i++) theta[i] -= alpha * g[i];
            if (Options.Project) ev.Box.Clip(theta);
            if (Options.Float32) Check.RoundToFloat32(theta);
            if (!Check.AllFinite(theta)) { ev.BestParameters.CopyTo(theta); alpha *= 0.5; } // the step overflowed
        }
        return ev.Result();
    }
}

/// <summary>Which stochastic gradient estimate <c>sgd</c> uses.</summary>
public enum PerturbationEstimator
{
    /// <summary>Dawson's code: (J(θ+w) − J(θ))·w with w = σε, no 1/σ² (its mean is σ²∇J).</summary>
    Reference,
    /// <summary>The unbiased-in-the-limit estimate (J(θ+w) − J(θ))·w/σ² (its mean is ∇J for small σ).</summary>
    Unbiased,
}

/// <summary>Hyperparameters of stochastic perturbation gradient descent (<c>sgd</c>).</summary>
public sealed record PerturbationGradientDescentOptions : IValidatable
{
    [Option("step_size", "step α (Dawson: 0.1 for flip, 0.5 for grasp)")]
    public double StepSize { get; init; } = 0.1;

    [Option("sigma", "standard deviation σ of the Gaussian perturbation w = σε (Dawson: 0.5 for flip, 0.1 for grasp)")]
    public double Sigma { get; init; } = 0.5;

    [Option("estimator", "reference: (J(θ+w)−J(θ))·w exactly as Dawson's code (one-sided, one sample, no 1/σ²); unbiased: the same divided by σ²")]
    public PerturbationEstimator Estimator { get; init; } = PerturbationEstimator.Reference;

    [Option("project", "project every iterate onto the task's bounds (a no-op for unbounded tasks)")]
    public bool Project { get; init; } = true;

    [Option("start", "start point: guess (task's initial guess, as in Dawson), random or center of the sampling box")]
    public StartPoint Start { get; init; } = StartPoint.Guess;

    public void Validate()
    {
        Check.Positive(StepSize, "step_size");
        Check.Positive(Sigma, "sigma");
        Check.Defined(Estimator, "estimator");
        Check.Defined(Start, "start");
    }
}

/// <summary>
/// Stochastic (perturbation) gradient descent as coded by Dawson (flip-grasp.md §3.2): per iteration evaluate
/// c = J(θ), draw w = σ·ε with ε ~ N(0, I) from the run's seeded generator, evaluate J(θ + w) and set
/// θ ← θ − α·(J(θ + w) − c)·w (optionally divided by σ²). Two loss-only episodes per iteration; with a budget of
/// 2n + 1 the last episode is the final J(θₙ), as in the reference. A non-finite J(θ + w) skips the update;
/// a non-finite J(θ) sends θ back to the best point seen. With <c>project</c> (default) the probe θ + w is projected onto
/// the bounds as well and w is replaced by the displacement actually taken (no change on unbounded tasks).
/// </summary>
public sealed class PerturbationGradientDescent(PerturbationGradientDescentOptions options) : IOptimizer
{
    public PerturbationGradientDescentOptions Options { get; } = Validated(options);
    public string Name => "sgd";

    static PerturbationGradientDescentOptions Validated(PerturbationGradientDescentOptions o) { o.Validate(); return o; }

    public OptimizationResult Minimize(BudgetedObjective objective, int seed, CancellationToken cancellation = default)
    {
        var ev = new Evaluator(objective, cancellation);
        var rng = Rng.Create(seed);
        int d = ev.Dimension;
        var theta = Check.Start(Options.Start, ev, rng);
        var w = new double[d];
        var probe = new double[d];
        double sigma = Options.Sigma, alpha = Options.StepSize;
        double scale = Options.Estimator == PerturbationEstimator.Unbiased ? 1.0 / (sigma * sigma) : 1.0;
        while (!ev.Exhausted)
        {
            double c = ev.Loss(theta);
            if (!double.IsFinite(c))
            {
                if (!double.IsFinite(ev.BestLoss)) { ev.Box.Uniform(rng, theta); continue; }
                ev.BestParameters.CopyTo(theta);
                continue;
            }
            if (ev.Exhausted) break;
            for (int i = 0; i < d; i++) { w[i] = sigma * Normal.Sample(rng, 0.0, 1.0); probe[i] = theta[i] + w[i]; }
            if (Options.Project)
            {
                // Bounded tasks: the probe is projected too, and the update uses the displacement actually taken.
                ev.Box.Clip(probe);
                for (int i = 0; i < d; i++) w[i] = probe[i] - theta[i];
            }
            double cp = ev.Loss(probe);
            if (!double.IsFinite(cp)) continue;
            double coef = alpha * (cp - c) * scale;
            for (int i = 0; i < d; i++) theta[i] -= coef * w[i];
            if (Options.Project) ev.Box.Clip(theta);
            if (!Check.AllFinite(theta)) ev.BestParameters.CopyTo(theta); // the step overflowed
        }
        return ev.Result();
    }
}
