using ContactOpt.Budget;
using ContactOpt.Tasks;

namespace ContactOpt.Optimizers;

/// <summary>The outcome of one optimisation run: the best point seen and how the budget was spent.</summary>
public sealed record OptimizationResult(double BestLoss, double[] BestParameters, int Evaluations, int NonFiniteEvaluations);

/// <summary>
/// A numerical optimiser on ℝᵈ (with optional bounds). It knows nothing of physics: it sees an
/// <see cref="IObjective"/> through a <see cref="BudgetedObjective"/>, whose every Loss or LossAndGradient call
/// is one episode charged to the budget. Contract: never call past <see cref="EpisodeBudget.Remaining"/>
/// (so no <see cref="BudgetExhaustedException"/> escapes), draw randomness only from the given seed, and return
/// the best point seen. Same seed ⇒ the same sequence of evaluated points, bit for bit. An instance runs one
/// optimisation at a time (create one per thread); it may keep diagnostics of its last run.
/// </summary>
public interface IOptimizer
{
    string Name { get; }
    OptimizationResult Minimize(BudgetedObjective objective, int seed, CancellationToken cancellation = default);
}

/// <summary>
/// The budget-aware view every optimiser evaluates through: counts non-finite results, keeps the best point,
/// and turns non-finite losses into +∞ (the worst value) and non-finite gradients into a flag.
/// </summary>
public sealed class Evaluator
{
    readonly BudgetedObjective _f;
    readonly CancellationToken _ct;
    double[] _best;

    public Evaluator(BudgetedObjective objective, CancellationToken cancellation = default)
    {
        _f = objective ?? throw new ArgumentNullException(nameof(objective));
        _ct = cancellation;
        Dimension = objective.Dimension;
        Box = SearchBox.Of(objective);
        _best = objective.InitialGuess.ToArray();
    }

    public int Dimension { get; }
    public SearchBox Box { get; }
    public IObjective Objective => _f;
    public int Remaining => _f.Budget.Remaining;
    public bool Exhausted => _f.Budget.Remaining <= 0;
    public int Evaluations { get; private set; }
    /// <summary>Evaluations whose loss or gradient was not finite.</summary>
    public int NonFinite { get; private set; }
    public double BestLoss { get; private set; } = double.PositiveInfinity;
    public ReadOnlySpan<double> BestParameters => _best;
    public IReadOnlyList<double> InitialGuess => _f.InitialGuess;

    /// <summary>One loss-only episode; +∞ when the episode diverged.</summary>
    public double Loss(ReadOnlySpan<double> x)
    {
        _ct.ThrowIfCancellationRequested();
        double l = _f.Loss(x);
        Note(x, l, finiteGradient: true);
        return double.IsFinite(l) ? l : double.PositiveInfinity;
    }

    /// <summary>One loss-and-gradient episode; <paramref name="gradientFinite"/> is false when any component is not finite.</summary>
    public double LossAndGradient(ReadOnlySpan<double> x, Span<double> gradient, out bool gradientFinite)
    {
        _ct.ThrowIfCancellationRequested();
        double l = _f.LossAndGradient(x, gradient);
        gradientFinite = true;
        foreach (var g in gradient) if (!double.IsFinite(g)) { gradientFinite = false; break; }
        Note(x, l, gradientFinite);
        return double.IsFinite(l) ? l : double.PositiveInfinity;
    }

    void Note(ReadOnlySpan<double> x, double l, bool finiteGradient)
    {
        Evaluations++;
        if (!double.IsFinite(l) || !finiteGradient) NonFinite++;
        if (double.IsFinite(l) && l < BestLoss) { BestLoss = l; _best = x.ToArray(); }
    }

    public OptimizationResult Result() => new(BestLoss, _best.ToArray(), Evaluations, NonFinite);
}

/// <summary>
/// The box an optimiser works in: the hard bounds (possibly infinite) and a finite box for sampling and
/// scaling (the bounds where finite, the task's sampling box elsewhere).
/// </summary>
public sealed class SearchBox
{
    public SearchBox(double[] lower, double[] upper, double[] sampleLower, double[] sampleUpper)
    {
        int d = lower.Length;
        if (upper.Length != d || sampleLower.Length != d || sampleUpper.Length != d)
            throw new ArgumentException("bounds and sampling box must have the same length.");
        Lower = lower; Upper = upper; SampleLower = new double[d]; SampleUpper = new double[d];
        for (int i = 0; i < d; i++)
        {
            if (double.IsNaN(lower[i]) || double.IsNaN(upper[i]) || lower[i] > upper[i])
                throw new ArgumentException($"bound {i} is [{lower[i]}, {upper[i]}].");
            SampleLower[i] = double.IsFinite(lower[i]) ? lower[i] : sampleLower[i];
            SampleUpper[i] = double.IsFinite(upper[i]) ? upper[i] : sampleUpper[i];
            if (!double.IsFinite(SampleLower[i]) || !double.IsFinite(SampleUpper[i]) || SampleLower[i] >= SampleUpper[i])
                throw new ArgumentException($"coordinate {i} has no finite sampling interval (got [{SampleLower[i]}, {SampleUpper[i]}]).");
        }
    }

    public static SearchBox Of(IObjective f) =>
        new(f.Lower.ToArray(), f.Upper.ToArray(), f.SamplingLower.ToArray(), f.SamplingUpper.ToArray());

    public int Dimension => Lower.Length;
    /// <summary>Hard bounds (±∞ where unbounded).</summary>
    public double[] Lower { get; }
    public double[] Upper { get; }
    /// <summary>Finite box: bounds where finite, otherwise the task's sampling box.</summary>
    public double[] SampleLower { get; }
    public double[] SampleUpper { get; }
    public double Width(int i) => SampleUpper[i] - SampleLower[i];
    public double MeanWidth { get { double s = 0; for (int i = 0; i < Dimension; i++) s += Width(i); return s / Dimension; } }

    public bool Contains(ReadOnlySpan<double> x)
    {
        for (int i = 0; i < x.Length; i++) if (!(x[i] >= Lower[i] && x[i] <= Upper[i])) return false;
        return true;
    }

    /// <summary>Projects onto the hard bounds (no-op where unbounded).</summary>
    public void Clip(Span<double> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = Math.Clamp(x[i], Lower[i], Upper[i]);
    }

    /// <summary>Uniform draw from the finite box.</summary>
    public void Uniform(Random rng, Span<double> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = SampleLower[i] + Width(i) * rng.NextDouble();
    }

    public double[] Center()
    {
        var c = new double[Dimension];
        for (int i = 0; i < c.Length; i++) c[i] = 0.5 * (SampleLower[i] + SampleUpper[i]);
        return c;
    }

    /// <summary>x → u ∈ [0,1]ᵈ over the finite box (points outside the box map outside [0,1]).</summary>
    public void ToUnit(ReadOnlySpan<double> x, Span<double> u)
    {
        for (int i = 0; i < x.Length; i++) u[i] = (x[i] - SampleLower[i]) / Width(i);
    }

    public void FromUnit(ReadOnlySpan<double> u, Span<double> x)
    {
        for (int i = 0; i < u.Length; i++) x[i] = Math.Clamp(SampleLower[i] + Width(i) * u[i], Lower[i], Upper[i]);
    }
}

/// <summary>Where a run starts.</summary>
public enum StartPoint
{
    /// <summary>The task's initial guess.</summary>
    Guess,
    /// <summary>Uniformly random in the (sampling) box.</summary>
    Random,
    /// <summary>The centre of the (sampling) box.</summary>
    Center,
}

/// <summary>Small helpers shared by the optimisers and their options records.</summary>
public static class Check
{
    public static void Positive(double v, string name)
    {
        if (!(v > 0) || !double.IsFinite(v)) throw new ArgumentException($"option {name}={Fmt(v)} must be a positive finite number.");
    }
    public static void NonNegative(double v, string name)
    {
        if (!(v >= 0) || !double.IsFinite(v)) throw new ArgumentException($"option {name}={Fmt(v)} must be a finite number ≥ 0.");
    }
    public static void Positive(int v, string name)
    {
        if (v < 1) throw new ArgumentException($"option {name}={v} must be a positive integer.");
    }
    public static void NonNegative(int v, string name)
    {
        if (v < 0) throw new ArgumentException($"option {name}={v} must be ≥ 0.");
    }
    public static void InRange(double v, double lo, double hi, string name)
    {
        if (!(v >= lo && v <= hi)) throw new ArgumentException($"option {name}={Fmt(v)} must be in [{Fmt(lo)}, {Fmt(hi)}].");
    }
    public static void Defined<TEnum>(TEnum v, string name) where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(v)) throw new ArgumentException($"option {name}={v} is not one of: {string.Join(", ", Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()))}.");
    }
    static string Fmt(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    public static double[] Start(StartPoint kind, Evaluator ev, Random rng)
    {
        switch (kind)
        {
            case StartPoint.Guess:
            {
                var x = ev.InitialGuess.ToArray(); ev.Box.Clip(x); return x;
            }
            case StartPoint.Center: return ev.Box.Center();
            default:
            {
                var x = new double[ev.Dimension]; ev.Box.Uniform(rng, x); return x;
            }
        }
    }

    /// <summary>True when every entry is finite (an update that overflowed must not be evaluated).</summary>
    public static bool AllFinite(ReadOnlySpan<double> x)
    {
        foreach (var v in x) if (!double.IsFinite(v)) return false;
        return true;
    }

    /// <summary>Rounds every entry to the nearest float32 (how the float32 JAX reference runs stayed symmetric).</summary>
    public static void RoundToFloat32(Span<double> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = (float)x[i];
    }
}
