namespace ContactOpt.Kernels;

/// <summary>
/// The dot-product test of a kernel's adjoint: for random directions v (input) and w (output),
/// ⟨w, J·v⟩ must equal ⟨Jᵀ·w, v⟩. J·v comes from central finite differences of the forward function (or from
/// an exact Jacobian-vector product when one is given); Jᵀ·w from the kernel's backward. Every kernel's test
/// uses it, on a tiny configuration, and a failure names the kernel.
/// </summary>
public static class AdjointCheck
{
    /// <summary>output ← f(input). Must not keep references to the spans.</summary>
    public delegate void Forward(ReadOnlySpan<double> input, Span<double> output);
    /// <summary>inputAdjoint ← Jᵀ · outputAdjoint at <c>input</c> (overwritten, not accumulated).</summary>
    public delegate void Backward(ReadOnlySpan<double> input, ReadOnlySpan<double> outputAdjoint, Span<double> inputAdjoint);
    /// <summary>jv ← J · direction at <c>input</c> (an exact forward-mode product).</summary>
    public delegate void Tangent(ReadOnlySpan<double> input, ReadOnlySpan<double> direction, Span<double> jv);

    /// <summary>One trial of the check.</summary>
    public sealed record Trial(double ForwardProduct, double ReverseProduct, double RelativeError);

    /// <summary>The outcome: the worst trial decides.</summary>
    public sealed record Result(string Kernel, IReadOnlyList<Trial> Trials, double Tolerance)
    {
        public double WorstRelativeError => Trials.Max(t => t.RelativeError);
        public bool Passed => Trials.All(t => t.RelativeError <= Tolerance);

        public override string ToString()
        {
            var worst = Trials.MaxBy(t => t.RelativeError)!;
            return $"kernel '{Kernel}': <w, J v> = {worst.ForwardProduct:R}, <J^T w, v> = {worst.ReverseProduct:R}, " +
                   $"relative error {worst.RelativeError:E2} (tolerance {Tolerance:E1}, {Trials.Count} trials)";
        }
    }

    /// <summary>
    /// Runs <paramref name="trials"/> dot-product tests at <paramref name="input"/> with directions drawn from
    /// <paramref name="seed"/>. J·v by central differences with step <paramref name="step"/> (relative to the
    /// input's scale), unless <paramref name="tangent"/> is given.
    /// </summary>
    public static Result Run(string kernel, ReadOnlySpan<double> input, int outputSize, Forward forward, Backward backward,
        Tangent? tangent = null, int seed = 0, int trials = 3, double step = 1e-6, double tolerance = 1e-6,
        ReadOnlySpan<double> inputScale = default)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(backward);
        if (input.Length == 0 || outputSize <= 0) throw new ArgumentException($"kernel '{kernel}': empty input or output.");
        if (trials < 1) throw new ArgumentOutOfRangeException(nameof(trials), trials, "need at least one trial.");
        if (!inputScale.IsEmpty && inputScale.Length != input.Length)
            throw new ArgumentException($"kernel '{kernel}': inputScale has length {inputScale.Length}, expected {input.Length}.");
        int n = input.Length, m = outputSize;
        var rng = Rng.Create(seed);
        var x = input.ToArray();
        var v = new double[n]; var w = new double[m];
        var plus = new double[n]; var minus = new double[n];
        var yPlus = new double[m]; var yMinus = new double[m]; var jv = new double[m];
        var jtw = new double[n];
        var list = new List<Trial>(trials);
        for (int k = 0; k < trials; k++)
        {
            for (int i = 0; i < n; i++) v[i] = (2 * rng.NextDouble() - 1) * (inputScale.IsEmpty ? 1.0 : inputScale[i]);
            for (int j = 0; j < m; j++) w[j] = 2 * rng.NextDouble() - 1;
            if (tangent is not null) tangent(x, v, jv);
            else
            {
                for (int i = 0; i < n; i++) { plus[i] = x[i] + step * v[i]; minus[i] = x[i] - step * v[i]; }
                forward(plus, yPlus); forward(minus, yMinus);
                for (int j = 0; j < m; j++) jv[j] = (yPlus[j] - yMinus[j]) / (2 * step);
            }
            Array.Clear(jtw);
            backward(x, w, jtw);
            double fwd = 0, rev = 0, fwdAbs = 0, revAbs = 0;
            for (int j = 0; j < m; j++) { fwd += w[j] * jv[j]; fwdAbs += Math.Abs(w[j] * jv[j]); }
            for (int i = 0; i < n; i++) { rev += jtw[i] * v[i]; revAbs += Math.Abs(jtw[i] * v[i]); }
            // Relative to the size of the terms, so a product that cancels to ~0 is judged on its parts.
            double scale = Math.Max(Math.Max(fwdAbs, revAbs), 1e-300);
            double err = double.IsFinite(fwd) && double.IsFinite(rev) ? Math.Abs(fwd - rev) / scale : double.PositiveInfinity;
            list.Add(new Trial(fwd, rev, err));
        }
        return new Result(kernel, list, tolerance);
    }

    /// <summary>As <see cref="Run"/>, throwing <see cref="AdjointCheckException"/> (naming the kernel) when it fails.</summary>
    public static Result Require(string kernel, ReadOnlySpan<double> input, int outputSize, Forward forward, Backward backward,
        Tangent? tangent = null, int seed = 0, int trials = 3, double step = 1e-6, double tolerance = 1e-6,
        ReadOnlySpan<double> inputScale = default)
    {
        var r = Run(kernel, input, outputSize, forward, backward, tangent, seed, trials, step, tolerance, inputScale);
        if (!r.Passed) throw new AdjointCheckException(r);
        return r;
    }
}

/// <summary>A kernel whose backward is not the adjoint of its forward.</summary>
public sealed class AdjointCheckException(AdjointCheck.Result result)
    : Exception("Adjoint check failed for " + result)
{
    public AdjointCheck.Result Result { get; } = result;
}
