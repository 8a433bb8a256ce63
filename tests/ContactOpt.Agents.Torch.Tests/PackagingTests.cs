using System.Xml.Linq;

namespace ContactOpt.Agents.Torch.Tests;

/// <summary>
/// Fast checks that the TorchSharp native fix travels with the Torch agents: one targets file, packed as the
/// package's buildTransitive/ and build/, and imported by this repository's build. The slow end-to-end proof (pack,
/// a fresh consumer project under /tmp, PPO training) is scripts/consumer-check.sh.
/// </summary>
public class PackagingTests
{
    static string Root()
    {
        var d = AppContext.BaseDirectory;
        while (d is not null && !File.Exists(Path.Combine(d, "ContactOpt.sln"))) d = Path.GetDirectoryName(d);
        return d ?? throw new InvalidOperationException("repository root not found");
    }

    const string Targets = "buildTransitive/ContactOpt.Agents.Torch.targets";

    [Test]
    public void TheTorchPackageShipsTheFixAsBuildTransitiveAndBuildTargets()
    {
        var dir = Path.Combine(Root(), "agents", "ContactOpt.Agents.Torch");
        var project = XDocument.Load(Path.Combine(dir, "ContactOpt.Agents.Torch.csproj"));
        Assert.That(project.Descendants("IsPackable").Single().Value, Is.EqualTo("true"));
        var packed = project.Descendants("None").Where(n => (string?)n.Attribute("Pack") == "true")
            .ToDictionary(n => (string)n.Attribute("Include")!, n => (string)n.Attribute("PackagePath")!);
        Assert.That(packed[Targets], Is.EqualTo("buildTransitive/"));
        Assert.That(packed["build/ContactOpt.Agents.Torch.targets"], Is.EqualTo("build/"));
        // NuGet imports build/<PackageId>.targets and buildTransitive/<PackageId>.targets: the names must match the id.
        Assert.That(File.Exists(Path.Combine(dir, Targets)), Is.True);
        var build = XDocument.Load(Path.Combine(dir, "build", "ContactOpt.Agents.Torch.targets"));
        Assert.That(build.Descendants("Import").Single().Attribute("Project")!.Value, Does.EndWith("../" + Targets));

        var targets = XDocument.Load(Path.Combine(dir, Targets));
        var after = targets.Descendants("Target").Select(t => (string?)t.Attribute("AfterTargets")).ToList();
        Assert.That(after, Is.EquivalentTo(new[] { "Build", "Publish" }), "patches build and publish output");
        Assert.That(targets.Descendants("UsingTask").Single().Attribute("TaskFactory")!.Value, Is.EqualTo("RoslynCodeTaskFactory"),
            "an inline task: the package needs no task assembly of its own");
    }

    [Test]
    public void ThisRepositoryImportsTheSameTargetsFile()
    {
        var root = XDocument.Load(Path.Combine(Root(), "Directory.Build.targets"));
        var import = root.Descendants("Import").Single().Attribute("Project")!.Value;
        Assert.That(import, Does.EndWith("agents/ContactOpt.Agents.Torch/" + Targets));
        Assert.That(root.Descendants("Target"), Is.Empty, "no second copy of the fix");
    }
}
