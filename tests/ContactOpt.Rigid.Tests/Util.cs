using ContactOpt.Autodiff;
using ContactOpt.Envs;
using ContactOpt.Tasks;

namespace ContactOpt.Rigid.Tests;

static class Util
{
    public static readonly string[] TaskNames =
        ["cartpole", "cartpole3", "pinball", "pinball16", "bounce", "bounce:contact=impulse", "bounce:contact=impulse-toi"];

    /// <summary>The tasks of dimension ≤ 16 (where forward mode over all directions is affordable).</summary>
    public static readonly string[] SmallTaskNames = TaskNames.Where(n => !n.StartsWith("cartpole", StringComparison.Ordinal)).ToArray();

    public static TaskInstance Task(string name) => BuiltinTasks.CreateRegistry().Create(name);

    /// <summary>A uniform point of the objective's sampling box, shrunk towards its centre by <paramref name="shrink"/>.</summary>
    public static double[] RandomPoint(IObjective f, Random rng, double shrink = 1.0)
    {
        var x = new double[f.Dimension];
        for (int i = 0; i < x.Length; i++)
        {
            double mid = 0.5 * (f.SamplingLower[i] + f.SamplingUpper[i]), half = 0.5 * (f.SamplingUpper[i] - f.SamplingLower[i]);
            x[i] = mid + shrink * half * (2 * rng.NextDouble() - 1);
        }
        return x;
    }

    /// <summary>Runs one segment of a dynamics on doubles.</summary>
    public static void StepReal(ScalarDynamics d, double[] state, double[] action, double[]? parameters = null, int t = 0) =>
        d.Step(Episode.AsReal(state.AsSpan()), Episode.AsReal((ReadOnlySpan<double>)action),
            Episode.AsReal((ReadOnlySpan<double>)(parameters ?? d.DefaultParameters())), t, null);
}
