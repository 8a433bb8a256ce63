using System.Reflection;

namespace ContactOpt.Experiments;

/// <summary>
/// The named studies that ship with ContactOpt: the YAML files of the repository's <c>studies/</c> folder, embedded in
/// this assembly (one file per preset, the file name is the preset's name). <c>contactopt compare --preset NAME</c>.
/// </summary>
public static class StudyPresets
{
    const string Prefix = "ContactOpt.Studies.";

    /// <summary>Preset names, sorted.</summary>
    public static IReadOnlyList<string> Names() =>
        typeof(StudyPresets).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal))
            .Select(n => n[Prefix.Length..^".yaml".Length]).Order(StringComparer.Ordinal).ToList();

    /// <summary>The preset's YAML text, exactly as in <c>studies/NAME.yaml</c>.</summary>
    public static string Text(string name)
    {
        using var stream = typeof(StudyPresets).Assembly.GetManifestResourceStream(Prefix + name + ".yaml")
            ?? throw new ArgumentException($"unknown study preset '{name}'; presets: {string.Join(", ", Names())}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The preset as a study; throws <see cref="ArgumentException"/> naming an unknown preset.</summary>
    public static StudySpec Load(string name) => StudySpec.Parse(Text(name), yaml: true, $"study preset '{name}'");
}
