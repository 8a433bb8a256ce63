using System.Runtime.InteropServices;
using ContactOpt.Autodiff;

namespace ContactOpt.Tasks;

/// <summary>Helpers shared by every view of a task.</summary>
public static class Episode
{
    /// <summary>Copies doubles into constants of T.</summary>
    public static void Lift<T>(ReadOnlySpan<double> source, Span<T> target) where T : struct, IScalar<T>
    {
        for (int i = 0; i < source.Length; i++) target[i] = T.Constant(source[i]);
    }

    public static Span<Real> AsReal(Span<double> x) => MemoryMarshal.Cast<double, Real>(x);
    public static ReadOnlySpan<Real> AsReal(ReadOnlySpan<double> x) => MemoryMarshal.Cast<double, Real>(x);

    /// <summary>
    /// The loss of one open-loop episode with <paramref name="controls"/> (Horizon × ActionSize) from
    /// <paramref name="initialState"/>, run through <paramref name="tape"/> without recording; +∞ when it diverges.
    /// <paramref name="finalState"/> (optional) receives the last state reached.
    /// </summary>
    public static double Rollout(SegmentTape tape, ReadOnlySpan<double> initialState, ReadOnlySpan<double> controls,
        ReadOnlySpan<double> parameters, bool record = false, StepTrace? trace = null)
    {
        var dyn = tape.Dynamics;
        int a = dyn.ActionSize;
        tape.Reset(initialState, parameters, record);
        for (int t = 0; t < dyn.Horizon; t++)
            if (tape.Advance(controls.Slice(t * a, a), trace).Diverged) break;
        return tape.Loss;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the problem when x has the wrong length or a non-finite entry.</summary>
    public static void Validate(ReadOnlySpan<double> x, int expected, string what)
    {
        if (x.Length != expected) throw new ArgumentException($"{what} has length {x.Length}, expected {expected}.", what);
        for (int i = 0; i < x.Length; i++)
            if (!double.IsFinite(x[i])) throw new ArgumentException($"{what}[{i}] is {x[i]}; it must be finite.", what);
    }
}
