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
}
