using ContactOpt.Envs;
using ContactOpt.Envs.Cloth;
using ContactOpt.Tasks;

namespace ContactOpt.Cloth.Tests;

/// <summary>
/// The shipped cloth-id observations (envs/Cloth/Data/cloth-id-*.csv) are exactly what the generator makes.
/// Regenerate them with: <c>CLOTH_ID_REGENERATE=1 dotnet test tests/ContactOpt.Cloth.Tests -c Release --filter ShippedClothIdDataIsReproducible</c>.
/// </summary>
public class ClothIdDataTests
{
    static string DataDir([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "envs", "Cloth", "Data"));

    [TestCase(ClothMaterial.Paper)]
    [TestCase(ClothMaterial.Cloth)]
    public void ShippedClothIdDataIsReproducible(ClothMaterial material)
    {
        var blank = new ClothIdDynamics(material, 9, 8, ClothContact.Projection, 0.05, observed: new double[ClothIdDynamics.Segments * 12]);
        var generated = ClothIdData.Generate(blank);
        var csv = ClothIdData.ToCsv(generated);
        var path = Path.Combine(DataDir(), ClothIdData.FileName(material));
        if (Environment.GetEnvironmentVariable("CLOTH_ID_REGENERATE") == "1")
        {
            Directory.CreateDirectory(DataDir());
            File.WriteAllText(path, csv);
            Assert.Pass($"wrote {path}");
        }
        Assert.That(ClothIdData.Load(material), Is.EqualTo(ClothIdData.FromCsv(csv)), "the embedded data differs from the generator's output");
    }

    [TestCase("cloth-id")]
    [TestCase("cloth-id:material=cloth")]
    [TestCase("cloth-id:preset=tiny")]
    public void GroundTruthGivesALossAtTheNoiseFloor(string name)
    {
        var task = BuiltinTasks.CreateRegistry().Create(name + (name.Contains(':') ? "," : ":") + "view=physical");
        var d = (ClothIdDynamics)task.Dynamics;
        using var f = task.CreateObjective();
        double atTruth = f.Loss(d.GroundTruth());
        double atGuess = f.Loss(d.DefaultParameters());
        TestContext.Out.WriteLine($"{name}: loss at ground truth {atTruth:G4} (noise floor {ClothIdDynamics.NoiseFloor:G4}), at the initial guess {atGuess:G4}");
        // 40 noisy 3-D samples: the mean of |n| has a standard deviation of about 0.67σ/√40 ≈ 0.11σ.
        Assert.That(atTruth, Is.EqualTo(ClothIdDynamics.NoiseFloor).Within(0.35 * ClothIdDynamics.NoiseSigma));
        Assert.That(atGuess, Is.GreaterThan(3 * atTruth));
    }

    [TestCase("cloth-id")]
    [TestCase("cloth-id:material=cloth")]
    public void MetricsAreZeroAtTheGroundTruthAndTheRatioIsBlindToTheFlatDirection(string name)
    {
        var task = BuiltinTasks.CreateRegistry().Create(name + (name.Contains(':') ? "," : ":") + "view=physical");
        var d = (ClothIdDynamics)task.Dynamics;
        var gt = d.GroundTruth();
        var atTruth = task.Metrics(gt)!;
        Assert.That(atTruth.Select(m => m.Key), Is.EqualTo(new[] { "width_err", "length_err", "mass_err", "friction_err", "stiffness_err", "k/M_err" }));
        Assert.That(atTruth.Select(m => m.Value), Is.All.EqualTo(0.0));
        // Mass and every stiffness scaled by λ: the same trajectories (accelerations are k/M), so the same loss; the
        // mass and stiffness errors are λ − 1, the ratio error 0.
        const double lambda = 1.3;
        var scaled = gt.Select((v, i) => i == 2 || i >= 4 ? lambda * v : v).ToArray();
        var m = task.Metrics(scaled)!.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.That(m["mass_err"], Is.EqualTo(lambda - 1).Within(1e-12));
        Assert.That(m["stiffness_err"], Is.EqualTo(lambda - 1).Within(1e-12));
        Assert.That(m["k/M_err"], Is.LessThan(1e-12));
        Assert.That(m["width_err"], Is.EqualTo(0.0));
        using var f = task.CreateObjective();
        double l0 = f.Loss(gt), l1 = f.Loss(scaled);
        TestContext.Out.WriteLine($"{name}: loss at the ground truth {l0:R}, with mass and stiffness × {lambda}: {l1:R}");
        Assert.That(l1, Is.EqualTo(l0).Within(1e-9 * l0), "scaling mass and stiffness together must not change the trajectories");
        // A stiffness change alone is seen: by the ratio error and by the loss.
        var stiffer = gt.Select((v, i) => i >= 4 ? lambda * v : v).ToArray();
        Assert.That(task.Metrics(stiffer)!.Single(kv => kv.Key == "k/M_err").Value, Is.EqualTo(lambda - 1).Within(1e-12));
        Assert.That(f.Loss(stiffer), Is.Not.EqualTo(l0).Within(1e-6));
        Assert.Throws<ArgumentException>(() => d.ParameterMetrics(gt.AsSpan(1)));
    }

    [Test]
    public void ControlsViewHasNoMetrics()
    {
        var task = BuiltinTasks.CreateRegistry().Create("cloth-id");
        Assert.That(task.Metrics(task.CreateObjective().InitialGuess.ToArray()), Is.Null);
    }

    /// <summary>
    /// The registry's contract tests check cloth-id at preset=tiny (cheap); the study's default scene keeps its own
    /// central-difference check here, at fewer points and coordinates (same kernels, same contact model).
    /// </summary>
    [Test]
    public void DefaultScenePhysicalGradientMatchesFiniteDifferences()
    {
        using var f = BuiltinTasks.CreateRegistry().Create("cloth-id:view=physical").CreateObjective();
        var report = GradientCheck.Run(f, points: 4, seed: 2024, maxCoordinates: 8);
        var smooth = report.Points.Where(p => p.Smooth).ToList();
        Assert.That(smooth.Count, Is.GreaterThanOrEqualTo(2), "too few smooth points to check");
        foreach (var p in smooth)
            Assert.That(p.RelativeError, Is.LessThan(1e-5), $"automatic [{string.Join(", ", p.Automatic)}] vs FD [{string.Join(", ", p.FiniteDifference)}]");
    }
}
