using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ContactOpt.Agents;
using ContactOpt.Tasks;

namespace ContactOpt.Experiments;

/// <summary>A per-(task, agent) exception to the study's budget and settings (e.g. the paper's iteration counts).</summary>
public sealed record StudyOverride
{
    public string Task { get; init; } = "";
    public string Agent { get; init; } = "";
    public int? Budget { get; init; }
    public Dictionary<string, string> Settings { get; init; } = new();
}

/// <summary>One run of a study: a (task, agent, seed) with its budget and agent settings.</summary>
public sealed record RunSpec(string Task, string Agent, int Seed, int Budget, IReadOnlyDictionary<string, string> Settings)
{
    public string Key => $"{Task}|{Agent}|{Seed}";
    public string SettingsJson => JsonSerializer.Serialize(Settings.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value));
}

/// <summary>
/// A comparison study: tasks × agents × seeds at a budget in episodes, with agent settings and optional
/// per-(task, agent) overrides. Read from JSON or YAML (<see cref="Load"/>) or built from CLI arguments.
/// Runs are enumerated in a stable order, and the study's <see cref="Fingerprint"/> identifies it in a result store.
/// </summary>
public sealed record StudySpec
{
    public List<string> Tasks { get; init; } = new();
    public List<string> Agents { get; init; } = new();
    public int Seeds { get; init; } = 10;
    public int Budget { get; init; } = 1000;
    /// <summary>agent → option → value, for every task.</summary>
    public Dictionary<string, Dictionary<string, string>> Settings { get; init; } = new();
    public List<StudyOverride> Overrides { get; init; } = new();
    /// <summary>Optional human-readable name (report title).</summary>
    public string? Name { get; init; }

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        Converters = { new ScalarAsString() },
    };

    /// <summary>Lets option values be written as numbers or booleans (<c>step: 0.1</c>) as well as strings.</summary>
    sealed class ScalarAsString : JsonConverter<string>
    {
        public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString()!,
            JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
            JsonTokenType.True => "true",
            JsonTokenType.False => "false",
            _ => throw new JsonException($"expected a string, number or boolean, got {reader.TokenType}."),
        };
        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses a study file (.json, .yaml or .yml); errors name the file and the problem.</summary>
    public static StudySpec FromJson(string json) => JsonSerializer.Deserialize<StudySpec>(json, Json) ?? throw new ArgumentException("empty study.");

    public static StudySpec Load(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"config file '{path}' does not exist.");
        bool yaml = path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);
        return Parse(File.ReadAllText(path), yaml, $"config '{path}'");
    }

    /// <summary>Parses study text (YAML or JSON); errors start with <paramref name="origin"/>.</summary>
    public static StudySpec Parse(string text, bool yaml, string origin)
    {
        try
        {
            if (yaml)
            {
                var tree = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<object>(text);
                text = JsonSerializer.Serialize(tree);
            }
            return JsonSerializer.Deserialize<StudySpec>(text, Json) ?? throw new ArgumentException($"{origin} is empty.");
        }
        catch (JsonException e) { throw new ArgumentException($"{origin}: {e.Message}"); }
        catch (YamlDotNet.Core.YamlException e) { throw new ArgumentException($"{origin}: {e.Message}"); }
    }

    /// <summary>Checks names, sizes and every agent option against the registries; throws <see cref="ArgumentException"/>.</summary>
    public void Validate(TaskRegistry tasks, AgentRegistry agents)
    {
        if (Tasks.Count == 0) throw new ArgumentException("the study names no task.");
        if (Agents.Count == 0) throw new ArgumentException("the study names no agent.");
        if (Seeds < 1) throw new ArgumentException($"seeds = {Seeds}; it must be at least 1.");
        if (Budget < 1) throw new ArgumentException($"budget = {Budget}; it must be at least 1 episode.");
        foreach (var d in Tasks.GroupBy(t => t).Where(g => g.Count() > 1)) throw new ArgumentException($"task '{d.Key}' is listed twice.");
        foreach (var d in Agents.GroupBy(t => t).Where(g => g.Count() > 1)) throw new ArgumentException($"agent '{d.Key}' is listed twice.");
        foreach (var t in Tasks) tasks.Create(t);
        foreach (var a in Agents) agents.Spec(a);
        foreach (var a in Settings.Keys)
            if (!Agents.Contains(a)) throw new ArgumentException($"settings given for agent '{a}', which the study does not run.");
        foreach (var o in Overrides)
        {
            if (!Tasks.Contains(o.Task)) throw new ArgumentException($"override for task '{o.Task}', which the study does not run.");
            if (!Agents.Contains(o.Agent)) throw new ArgumentException($"override for agent '{o.Agent}', which the study does not run.");
            if (o.Budget is < 1) throw new ArgumentException($"override budget {o.Budget} for {o.Task}/{o.Agent} must be at least 1.");
        }
        // Creating each agent validates its option names and values.
        foreach (var t in Tasks) foreach (var a in Agents) agents.Create(a, SettingsFor(t, a));
    }

    public IReadOnlyDictionary<string, string> SettingsFor(string task, string agent)
    {
        var s = new Dictionary<string, string>(Settings.TryGetValue(agent, out var d) ? d : new());
        foreach (var o in Overrides.Where(o => o.Task == task && o.Agent == agent))
            foreach (var (k, v) in o.Settings) s[k] = v;
        return s;
    }

    public int BudgetFor(string task, string agent) =>
        Overrides.LastOrDefault(o => o.Task == task && o.Agent == agent && o.Budget is not null)?.Budget ?? Budget;

    /// <summary>All runs, ordered by task, agent, seed.</summary>
    public IReadOnlyList<RunSpec> Runs() =>
        (from t in Tasks from a in Agents from s in Enumerable.Range(0, Seeds)
         select new RunSpec(t, a, s, BudgetFor(t, a), SettingsFor(t, a))).ToList();

    /// <summary>Identifies the study's content (not its name): equal fingerprints ⇒ identical runs.</summary>
    public string Fingerprint()
    {
        var canonical = string.Join("\n", Runs().Select(r => $"{r.Key}|{r.Budget}|{r.SettingsJson}"));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16].ToLowerInvariant();
    }
}
