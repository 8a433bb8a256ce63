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

    /// <summary>Upper bounds of a study's sizes, so that no accepted study can exhaust memory.</summary>
    public const int MaxSeeds = 10_000, MaxBudget = 100_000, MaxRuns = 100_000, MaxNames = 1_000, MaxNesting = 32;

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        MaxDepth = MaxNesting,
        Converters = { new ScalarAsString() },
    };

    /// <summary>Lets option values be written as numbers or booleans (<c>step: 0.1</c>) as well as strings.</summary>
    sealed class ScalarAsString : JsonConverter<string>
    {
        public override bool HandleNull => false;
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

    /// <summary>Parses a study in JSON; every problem (syntax, duplicate keys, nulls, unknown fields) is an <see cref="ArgumentException"/>.</summary>
    public static StudySpec FromJson(string json)
    {
        StudySpec? study;
        try { study = JsonSerializer.Deserialize<StudySpec>(json, Json); }
        catch (JsonException e) { throw new ArgumentException(OneLine(e.Message)); }
        return (study ?? throw new ArgumentException("the study is empty (null).")).CheckShape();
    }

    /// <summary>Reads a study file (.json, .yaml or .yml); errors name the file and the problem.</summary>
    public static StudySpec Load(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"config file '{path}' does not exist.");
        var info = new FileInfo(path);
        if (info.Length > MaxFileBytes) throw new ArgumentException($"config '{path}' has {info.Length} bytes; a study file holds at most {MaxFileBytes}.");
        bool yaml = path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);
        return Parse(File.ReadAllText(path), yaml, $"config '{path}'");
    }

    /// <summary>Parses study text (YAML through the safe reader, or JSON); errors start with <paramref name="origin"/>.</summary>
    public static StudySpec Parse(string text, bool yaml, string origin)
    {
        try { return FromJson(yaml ? SafeYaml.ToJson(text) : text); }
        catch (ArgumentException e) { throw new ArgumentException($"{origin}: {e.Message}"); }
    }

    /// <summary>Largest study file read (1 MiB).</summary>
    public const int MaxFileBytes = 1 << 20;

    static string OneLine(string s) => string.Join(' ', s.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Rejects nulls anywhere (JSON <c>null</c> or an empty YAML value), which the record types cannot hold.</summary>
    StudySpec CheckShape()
    {
        if (Tasks is null || Agents is null || Settings is null || Overrides is null)
            throw new ArgumentException($"'{(Tasks is null ? "tasks" : Agents is null ? "agents" : Settings is null ? "settings" : "overrides")}' is null; give a value or leave it out.");
        if (Tasks.Any(t => t is null)) throw new ArgumentException("'tasks' holds a null entry.");
        if (Agents.Any(a => a is null)) throw new ArgumentException("'agents' holds a null entry.");
        foreach (var (agent, options) in Settings)
        {
            if (options is null) throw new ArgumentException($"settings of agent '{agent}' are null.");
            foreach (var (k, v) in options) if (v is null) throw new ArgumentException($"setting {agent}.{k} is null.");
        }
        foreach (var o in Overrides)
        {
            if (o is null) throw new ArgumentException("'overrides' holds a null entry.");
            if (o.Task is null || o.Agent is null || o.Settings is null) throw new ArgumentException("an override has a null task, agent or settings.");
            foreach (var (k, v) in o.Settings) if (v is null) throw new ArgumentException($"override setting {o.Task}/{o.Agent}.{k} is null.");
        }
        if (Name is not null && Name.Length > 200) throw new ArgumentException($"the study name has {Name.Length} characters; at most 200.");
        return this;
    }

    /// <summary>
    /// The same study with every task written canonically (blanks trimmed, options at their defaults dropped,
    /// numbers written one way: <c> sphere</c>, <c>sphere:dim=02</c> and <c>sphere:dim=2.0</c> are all
    /// <c>sphere:dim=2</c> if 2 is not the default), so that one configuration runs once and has one fingerprint.
    /// </summary>
    public StudySpec Canonical(TaskRegistry tasks)
    {
        CheckShape();
        var map = new Dictionary<string, string>();
        foreach (var t in Tasks.Concat(Overrides.Select(o => o.Task)).Distinct()) map[t] = CanonicalTask(tasks, t);
        return this with
        {
            Tasks = Tasks.Select(t => map[t]).ToList(),
            Agents = Agents.Select(a => a.Trim()).ToList(),
            Overrides = Overrides.Select(o => o with { Task = map[o.Task], Agent = o.Agent.Trim() }).ToList(),
        };
    }

    /// <summary>The canonical name of one task (see <see cref="Canonical"/>); throws <see cref="ArgumentException"/> for unknown tasks or options.</summary>
    public static string CanonicalTask(TaskRegistry tasks, string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a task name is empty.");
        var spec = tasks.Spec(name);
        int colon = name.IndexOf(':');
        if (colon < 0) return tasks.Create(name).Name;
        var parts = new List<string>();
        foreach (var part in name[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) { parts.Add(part); continue; }   // Create names the problem
            var key = part[..eq].Trim(); var value = part[(eq + 1)..].Trim();
            var declared = spec.Options.FirstOrDefault(o => o.Name == key);
            var ci = System.Globalization.CultureInfo.InvariantCulture;
            var number = System.Globalization.NumberStyles.AllowLeadingSign | System.Globalization.NumberStyles.AllowDecimalPoint | System.Globalization.NumberStyles.AllowExponent;
            if (declared is not null && declared.Choices is null && double.TryParse(value, number, ci, out var v) && double.IsFinite(v))
                value = double.TryParse(declared.Default, number, ci, out var dv) && dv == v ? declared.Default : v.ToString("R", ci);
            parts.Add($"{key}={value}");
        }
        return tasks.Create($"{name[..colon].Trim()}:{string.Join(",", parts)}").Name;
    }

    /// <summary>Checks names, sizes and every agent option against the registries; throws <see cref="ArgumentException"/>.</summary>
    public void Validate(TaskRegistry tasks, AgentRegistry agents)
    {
        CheckShape();
        if (Tasks.Count == 0) throw new ArgumentException("the study names no task.");
        if (Agents.Count == 0) throw new ArgumentException("the study names no agent.");
        if (Tasks.Count > MaxNames || Agents.Count > MaxNames || Overrides.Count > MaxNames)
            throw new ArgumentException($"a study lists at most {MaxNames} tasks, agents and overrides.");
        if (Seeds < 1 || Seeds > MaxSeeds) throw new ArgumentException($"seeds = {Seeds}; it must be in [1, {MaxSeeds}].");
        if (Budget < 1 || Budget > MaxBudget) throw new ArgumentException($"budget = {Budget}; it must be in [1, {MaxBudget}] episodes.");
        if ((long)Tasks.Count * Agents.Count * Seeds > MaxRuns)
            throw new ArgumentException($"{Tasks.Count} task(s) × {Agents.Count} agent(s) × {Seeds} seed(s) = {(long)Tasks.Count * Agents.Count * Seeds} runs; a study holds at most {MaxRuns}.");
        foreach (var t in Tasks) tasks.Create(t);
        foreach (var a in Agents) agents.Spec(a);
        var canonical = Canonical(tasks);
        foreach (var d in canonical.Tasks.Select((t, i) => (t, i)).GroupBy(x => x.t).Where(g => g.Count() > 1))
            throw new ArgumentException(d.Select(x => Tasks[x.i]).Distinct().Count() > 1
                ? $"tasks {string.Join(" and ", d.Select(x => $"'{Tasks[x.i]}'"))} are the same task ({d.Key}); list it once."
                : $"task '{d.Key}' is listed twice.");
        foreach (var d in Agents.GroupBy(t => t).Where(g => g.Count() > 1)) throw new ArgumentException($"agent '{d.Key}' is listed twice.");
        foreach (var a in Settings.Keys)
            if (!Agents.Contains(a)) throw new ArgumentException($"settings given for agent '{a}', which the study does not run.");
        foreach (var o in Overrides)
        {
            if (!Tasks.Contains(o.Task)) throw new ArgumentException($"override for task '{o.Task}', which the study does not run.");
            if (!Agents.Contains(o.Agent)) throw new ArgumentException($"override for agent '{o.Agent}', which the study does not run.");
            if (o.Budget is < 1 or > MaxBudget) throw new ArgumentException($"override budget {o.Budget} for {o.Task}/{o.Agent} must be in [1, {MaxBudget}].");
        }
        // Creating each agent validates its option names and values.
        foreach (var t in Tasks)
            foreach (var a in Agents)
            {
                agents.Create(a, SettingsFor(t, a));
                int budget = BudgetFor(t, a), max = agents.Spec(a).MaxBudget;
                if (budget > max) throw new ArgumentException($"agent '{a}' accepts budgets up to {max} episodes (its memory grows with every episode); {t}/{a} has {budget}.");
            }
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
