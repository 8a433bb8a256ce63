using ContactOpt.Rendering;
using System.Globalization;
using System.Text;
using ContactOpt.Envs;
using ContactOpt.Tasks;

namespace ContactOpt.Cloth.Tests;

/// <summary>
/// Regenerates the evidence of docs/cloth-findings.md (explicit: minutes of CPU):
/// <c>dotnet test tests/ContactOpt.Cloth.Tests -c Release --filter FullyQualifiedName~FindingsData</c>; writes docs/cloth/*.csv.
/// </summary>
[Explicit("regenerates docs/cloth evidence")]
public class FindingsData
{
    static string Out([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "docs", "cloth"));

    static double Cos(double[] a, double[] b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
        return ab / Math.Sqrt(Math.Max(aa * bb, 1e-300));
    }

    /// <summary>
    /// At random points: exact gradient vs central differences at a small step (gradcheck), at a large step (5 % of
    /// the box), and a Gaussian-smoothed estimate (σ = 5 % of the box, 16 antithetic pairs): cosines.
    /// </summary>
    [TestCase("swing", 6)]
    [TestCase("swing:contact=naive", 6)]
    [TestCase("swing:contact=penalty", 6)]
    [TestCase("pancake", 6)]
    [TestCase("pancake:contact=naive", 6)]
    [TestCase("pancake:smoothing=0", 6)]
    [TestCase("pancake", 6, true)]
    [TestCase("pancake:contact=naive", 6, true)]
    public void GradientDirections(string name, int points, bool wide = false)
    {
        var task = BuiltinTasks.CreateRegistry().Create(name);
        using var inner = task.CreateObjective();
        // wide: points from the old, tossing box x ∈ [−0.1, 0.1], z ∈ [0.2, 0.5], tilt ∈ [−1, 1] per segment.
        IObjective f = wide ? new Boxed(inner, [-0.1, 0.2, -1.0], [0.1, 0.5, 1.0]) : inner;
        int d = f.Dimension;
        var rng = Rng.Create(77);
        var sb = new StringBuilder("point,loss,smallstep_relerr,smooth,cos_exact_largestep,cos_exact_smoothed,cos_largestep_smoothed\n");
        for (int k = 0; k < points; k++)
        {
            var x = Enumerable.Range(0, d).Select(i => f.SamplingLower[i] + (f.SamplingUpper[i] - f.SamplingLower[i]) * rng.NextDouble()).ToArray();
            var small = GradientCheck.At(f, x, 1e-6, Enumerable.Range(0, Math.Min(d, 6)).ToArray());
            var g = new double[d];
            double l = f.LossAndGradient(x, g);
            var large = new double[d];
            for (int i = 0; i < d; i++)
            {
                double h = 0.05 * (f.SamplingUpper[i] - f.SamplingLower[i]);
                var y = (double[])x.Clone(); y[i] += h; double up = f.Loss(y); y[i] -= 2 * h; double dn = f.Loss(y);
                large[i] = (up - dn) / (2 * h);
            }
            var smooth = new double[d];
            var e = new double[d];
            for (int s = 0; s < 16; s++)
            {
                for (int i = 0; i < d; i++) e[i] = Normal(rng);
                var yp = new double[d]; var ym = new double[d];
                for (int i = 0; i < d; i++) { double sg = 0.05 * (f.SamplingUpper[i] - f.SamplingLower[i]); yp[i] = x[i] + sg * e[i]; ym[i] = x[i] - sg * e[i]; }
                double diff = f.Loss(yp) - f.Loss(ym);
                for (int i = 0; i < d; i++) smooth[i] += diff * e[i] / (2 * 0.05 * (f.SamplingUpper[i] - f.SamplingLower[i])) / 16;
            }
            sb.Append(CultureInfo.InvariantCulture, $"{k},{l:G6},{small.RelativeError:E2},{small.Smooth},{Cos(g, large):F3},{Cos(g, smooth):F3},{Cos(large, smooth):F3}\n");
        }
        Directory.CreateDirectory(Out());
        File.WriteAllText(Path.Combine(Out(), $"directions-{(wide ? "wide-" : "")}{name.Replace(':', '_').Replace('=', '-').Replace(',', '_')}.csv"), sb.ToString());
        TestContext.Out.WriteLine(sb.ToString());
    }

    /// <summary>The same objective with another sampling box (repeated per segment).</summary>
    sealed class Boxed(TaskObjective f, double[] lo, double[] hi) : IObjective
    {
        public int Dimension => f.Dimension;
        public IReadOnlyList<double> Lower => f.Lower;
        public IReadOnlyList<double> Upper => f.Upper;
        public IReadOnlyList<double> SamplingLower => Enumerable.Range(0, Dimension).Select(i => lo[i % lo.Length]).ToArray();
        public IReadOnlyList<double> SamplingUpper => Enumerable.Range(0, Dimension).Select(i => hi[i % hi.Length]).ToArray();
        public IReadOnlyList<double> InitialGuess => f.InitialGuess;
        public double Loss(ReadOnlySpan<double> x) => f.Loss(x);
        public double LossAndGradient(ReadOnlySpan<double> x, Span<double> g) => f.LossAndGradient(x, g);
    }

    static double Normal(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    /// <summary>The landscape preset on a coarse grid: loss and exact ∂L/∂axis₁, ∂L/∂axis₂ (chain rule through the preset's map).</summary>
    [TestCase("swing", 13)]
    [TestCase("pancake", 13)]
    public void LandscapeSlice(string name, int res)
    {
        var task = BuiltinTasks.CreateRegistry().Create(name);
        var ls = task.Landscape!;
        using var f = task.CreateObjective();
        var sb = new StringBuilder("a,b,loss,dloss_da,dloss_db\n");
        var g = new double[f.Dimension];
        for (int j = 0; j < res; j++)
            for (int i = 0; i < res; i++)
            {
                double a = ls.XMin + (ls.XMax - ls.XMin) * i / (res - 1), b = ls.YMin + (ls.YMax - ls.YMin) * j / (res - 1);
                var x = ls.ToParameters(a, b);
                double l = f.LossAndGradient(x, g);
                // Directional derivatives along the slice axes: the preset maps linearly, so difference the map.
                var xa = ls.ToParameters(a + 1, b); var xb = ls.ToParameters(a, b + 1);
                double da = 0, db = 0;
                for (int k = 0; k < x.Length; k++) { da += g[k] * (xa[k] - x[k]); db += g[k] * (xb[k] - x[k]); }
                sb.Append(CultureInfo.InvariantCulture, $"{a:G6},{b:G6},{l:G8},{da:G6},{db:G6}\n");
            }
        Directory.CreateDirectory(Out());
        File.WriteAllText(Path.Combine(Out(), $"landscape-{name}.csv"), sb.ToString());
    }

    /// <summary>Filmstrips of the initial guesses (docs/img/cloth-*.png).</summary>
    [TestCase("swing")]
    [TestCase("pancake")]
    [TestCase("cloth-id")]
    public void Filmstrip(string name)
    {
        var task = BuiltinTasks.CreateRegistry().Create(name);
        var x = name == "swing" ? ((ContactOpt.Envs.Cloth.SwingDynamics)task.Dynamics).ReferenceAction() : task.CreateObjective().InitialGuess.ToArray();
        var dir = Path.GetFullPath(Path.Combine(Out(), "..", "img"));
        task.RenderEpisode(x, frames: 6).SavePng(Path.Combine(dir, $"cloth-{name}.png"));
    }
}
