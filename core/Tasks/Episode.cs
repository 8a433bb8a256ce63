using System.Runtime.InteropServices;
using ContactOpt.Autodiff;

namespace ContactOpt.Tasks;

/// <summary>The rollout of a whole episode over the scalar type T; shared by every view of a task.</summary>
public static class Episode
{
    /// <summary>
    /// Runs <paramref name="dynamics"/> from <paramref name="state"/> (modified in place) through every segment
    /// with the actions in <paramref name="controls"/> (Horizon × ActionSize) and returns the loss; +∞ when the
    /// simulation diverges.
    /// </summary>
    public static T Rollout<T>(Dynamics dynamics, Span<T> state, ReadOnlySpan<T> controls, ReadOnlySpan<T> parameters, StepTrace? trace = null)
        where T : struct, IScalar<T>
    {
        int a = dynamics.ActionSize;
        T loss = T.Constant(0);
        Span<double> values = state.Length <= 256 ? stackalloc double[state.Length] : new double[state.Length];
        for (int t = 0; t < dynamics.Horizon; t++)
        {
            var action = controls.Slice(t * a, a);
            dynamics.Step(state, action, parameters, t, trace);
            for (int i = 0; i < state.Length; i++) values[i] = state[i].Value;
            if (dynamics.IsDiverged(values)) return T.Constant(double.PositiveInfinity);
            loss += dynamics.StepCost<T>(state, action, t);
        }
        return loss + dynamics.TerminalCost<T>(state);
    }

    /// <summary>Copies doubles into constants of T.</summary>
    public static void Lift<T>(ReadOnlySpan<double> source, Span<T> target) where T : struct, IScalar<T>
    {
        for (int i = 0; i < source.Length; i++) target[i] = T.Constant(source[i]);
    }

    public static Span<Real> AsReal(Span<double> x) => MemoryMarshal.Cast<double, Real>(x);
    public static ReadOnlySpan<Real> AsReal(ReadOnlySpan<double> x) => MemoryMarshal.Cast<double, Real>(x);

    /// <summary>Throws an <see cref="ArgumentException"/> naming the problem when x has the wrong length or a non-finite entry.</summary>
    public static void Validate(ReadOnlySpan<double> x, int expected, string what)
    {
        if (x.Length != expected) throw new ArgumentException($"{what} has length {x.Length}, expected {expected}.", what);
        for (int i = 0; i < x.Length; i++)
            if (!double.IsFinite(x[i])) throw new ArgumentException($"{what}[{i}] is {x[i]}; it must be finite.", what);
    }
}
