using System.Text.Json;
using ContactOpt.Cli;
using ContactOpt.Envs;
using ContactOpt.Tasks;

namespace ContactOpt.Experiments.Tests;

/// <summary>gradquality: it flags a wrong-sign gradient, passes a good one, and is exact on a quadratic.</summary>
[NonParallelizable]
public class GradientQualityTests
{
    static readonly TaskRegistry Tasks = BuiltinTasks.CreateRegistry();

    static GradientQualityReport Of(string task, GradientQualityOptions? o = null, int threads = 2) =>
        GradientQuality.Run(() => Tasks.Create(task).CreateObjective(), o ?? new GradientQualityOptions(), threads);

    [Test]
    public void TheImpulseBounceIsFlaggedForWrongSigns()
    {
        var r = Of("bounce:contact=impulse");
        var flags = r.Flags();
        Assert.That(flags, Has.Some.StartsWith("wrong sign"), string.Join("\n", flags));
        // Yet its exact gradient agrees with small finite differences: the one-step gradcheck cannot see it.
        Assert.That(r.MedianFdError[^1], Is.LessThan(1e-6));
    }

    [Test]
    public void TheImpulseBounceWithTimeOfImpactPasses()
    {
        var r = Of("bounce:contact=impulse-toi");
        Assert.That(r.Flags(), Is.Empty, string.Join("\n", r.Flags()));
        Assert.That(r.MedianSmoothedCosine[0], Is.GreaterThan(0.9));
    }

    [Test]
    public void PinballPlateausAreFlagged()
    {
        var r = Of("pinball");
        Assert.That(r.FlatPoints, Is.GreaterThan(0));
        Assert.That(r.Flags(), Has.Some.StartsWith("plateaus"));
    }

    [Test]
    public void OnAQuadraticEveryTestAgreesWithTheHandComputation()
    {
        // f = Σ xᵢ² (sphere): central differences are exact up to rounding at every step; for an antithetic pair,
        // (f(x + w) − f(x − w))/2 = 2x·w exactly, so each pair contributes (2x·(σs⊙ε))·εᵢ/(σsᵢ), whose mean is 2xᵢ; a secant
        // along a ray has the derivative's sign unless the ray is nearly orthogonal to the gradient; sgd's scaled estimator
        // has mean ∇f + σ²·(a term of zero mean), i.e. it points along ∇f on average.
        var o = new GradientQualityOptions { Points = 10, Rays = 8, Scales = [1e-4, 1e-3] };
        var r = Of("sphere:dim=3", o);
        Assert.That(r.Flags(), Is.Empty);
        Assert.That(r.MedianFdError.Max(), Is.LessThan(1e-8));
        Assert.That(r.MedianSmoothedCosine.Min(), Is.GreaterThan(0.95));
        Assert.That(r.OppositeShare, Is.All.EqualTo(0.0));
        Assert.That(r.FlatPoints, Is.EqualTo(0));
        Assert.That(r.MedianSgdCosine, Is.GreaterThan(0.8));
    }

    [Test]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        var o = new GradientQualityOptions { Points = 6, Rays = 4, SmoothingSamples = 8, SgdSamples = 8 };
        var one = Of("flip", o, threads: 1);
        var three = Of("flip", o, threads: 3);
        Assert.That(JsonSerializer.Serialize(three.Points), Is.EqualTo(JsonSerializer.Serialize(one.Points)));
    }

    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        var (so, se) = (Console.Out, Console.Error);
        Console.SetOut(o); Console.SetError(e);
        try { return (CliApp.Run(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(so); Console.SetError(se); }
    }

    [Test]
    public void TheCommandPrintsAVerdictWritesPlotsAndRejectsBadInput()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"contactopt-gq-{Guid.NewGuid():N}");
        try
        {
            var (code, output, err) = Run("gradquality", "bounce:contact=impulse", "--out", dir);
            Assert.That(code, Is.EqualTo(0), err);
            Assert.That(output, Does.Contain("verdict: flagged").And.Contain("FLAG wrong sign"));
            foreach (var png in new[] { "fd", "smoothed", "secants", "sgd" })
                Assert.That(new FileInfo(Path.Combine(dir, $"gradquality-{png}.png")).Length, Is.GreaterThan(5000), png);
            var json = Run("gradquality", "bounce:contact=impulse-toi", "--points", "20", "--json");
            using var doc = JsonDocument.Parse(json.Out);
            Assert.That(doc.RootElement.GetProperty("summary").GetProperty("verdict").GetString(), Is.EqualTo("pass"));
            Assert.That(doc.RootElement.GetProperty("points").GetArrayLength(), Is.EqualTo(20));
            foreach (var bad in new[] { new[] { "--steps", "0.1,abc" }, ["--widths", "2"], ["--rays", "0"], ["--sgd-sigma", "-1"] })
            {
                var b = Run(["gradquality", "flip", .. bad]);
                Assert.That(b.Code, Is.EqualTo(2), string.Join(" ", bad));
                Assert.That(b.Err.Trim().Split('\n'), Has.Length.EqualTo(1));
            }
            Assert.That(Run("gradquality", "flip", "--widths", "2").Err, Does.Contain("2"));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Test]
    public void LandscapeExportsTheGridAndGradientsAndNamesTheAxes()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"contactopt-ls-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var csv = Path.Combine(dir, "g.csv");
            var (code, _, err) = Run("landscape", "flip", "--around", "0.354,0.839", "--range", "0.05", "--res", "5", "--grad", "--log",
                "--csv", csv, "--out", Path.Combine(dir, "g.png"), "--jobs", "1");
            Assert.That(code, Is.EqualTo(0), err);
            var lines = File.ReadAllLines(csv);
            Assert.That(lines[0], Is.EqualTo("x_des,z_des,loss,dloss_du,dloss_dv"), "the preset's axis names survive --around");
            Assert.That(lines, Has.Length.EqualTo(1 + 25));
            var f = Tasks.Create("flip").CreateObjective();
            var cells = lines[1].Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var g = new double[2];
            double loss = f.LossAndGradient([cells[0], cells[1]], g);
            Assert.That(cells[0], Is.EqualTo(0.354 - 0.05).Within(1e-12));
            Assert.That(cells[2], Is.EqualTo(loss));
            Assert.That((cells[3], cells[4]), Is.EqualTo((g[0], g[1])));
            var sym = Run("landscape", "grasp", "--symmetric", "--around", "0,0.25,0,0.25");
            Assert.That((sym.Code, sym.Err.Contains("--around")), Is.EqualTo((2, true)));
            Assert.That(Run("landscape", "flip", "--csv", "x.txt").Code, Is.EqualTo(2));
        }
        finally { Directory.Delete(dir, true); }
    }
}
