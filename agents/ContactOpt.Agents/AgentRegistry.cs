using System.ComponentModel;
using System.Globalization;
using System.Reflection;

namespace ContactOpt.Agents;

/// <summary>
/// One hyperparameter of an agent, as listed by <c>contactopt agents</c> and set by <c>--set name=value</c>: its
/// kind (integer, number, boolean, choice or text), the declared bounds of a numeric option (NaN: none), and the
/// names a choice accepts.
/// </summary>
public sealed record AgentOption(string Name, string Default, string Description, string Kind = "text",
    double Min = double.NaN, double Max = double.NaN, IReadOnlyList<string>? Choices = null)
{
    /// <summary>The accepted values in words, e.g. "[2, 10000]" or "one of: guess, random, center".</summary>
    public string Range => Choices is { } c ? "one of: " + string.Join(", ", c)
        : double.IsNaN(Min) && double.IsNaN(Max) ? ""
        : $"[{(double.IsNaN(Min) ? "−∞" : Min.ToString("R", CultureInfo.InvariantCulture))}, {(double.IsNaN(Max) ? "∞" : Max.ToString("R", CultureInfo.InvariantCulture))}]";
}

/// <summary>
/// A registered agent: name, summary, options with defaults, a factory from validated settings, and the largest
/// episode budget it accepts (agents whose memory grows with the number of episodes, such as a GP over every
/// visited point, declare one).
/// </summary>
public sealed record AgentSpec(string Name, string Summary, IReadOnlyList<AgentOption> Options, Func<IReadOnlyDictionary<string, string>, IAgent> Create,
    int MaxBudget = int.MaxValue);

/// <summary>Agents by name. An instance, not a global: start from the built-in agents and add your own.</summary>
public sealed class AgentRegistry
{
    readonly Dictionary<string, AgentSpec> _specs = new(StringComparer.Ordinal);

    public AgentRegistry(IEnumerable<AgentSpec>? specs = null) { foreach (var s in specs ?? []) Add(s); }

    public void Add(AgentSpec spec)
    {
        if (!_specs.TryAdd(spec.Name, spec)) throw new ArgumentException($"an agent named '{spec.Name}' is already registered.");
    }

    /// <summary>Adds several specs (e.g. <c>new MyAgents().Specs()</c> or <see cref="AgentPlugins.Load"/>'s result).</summary>
    public void AddRange(IEnumerable<AgentSpec> specs) { foreach (var s in specs) Add(s); }

    public IReadOnlyList<AgentSpec> All => _specs.Values.ToList();
    public bool Contains(string name) => _specs.ContainsKey(name);

    public AgentSpec Spec(string name) => _specs.TryGetValue(name, out var s) ? s
        : throw new ArgumentException($"unknown agent '{name}'; known agents: {string.Join(", ", _specs.Keys)}.");

    /// <summary>Creates an agent; unknown option names are rejected with a message naming them.</summary>
    public IAgent Create(string name, IReadOnlyDictionary<string, string>? settings = null)
    {
        var spec = Spec(name);
        settings ??= new Dictionary<string, string>();
        foreach (var key in settings.Keys)
            if (!spec.Options.Any(o => o.Name == key))
                throw new ArgumentException($"agent '{name}' has no option '{key}'; options: {string.Join(", ", spec.Options.Select(o => o.Name))}.");
        return spec.Create(settings);
    }
}

// OptionAttribute and IValidatable live in core (namespace ContactOpt) so that optimizers can use them too.

/// <summary>
/// Turns an options record (properties marked with <see cref="OptionAttribute"/>) into <see cref="AgentOption"/>s
/// and binds <c>name=value</c> settings onto a copy of its defaults. Supports double, int, long, bool, string and enums.
/// </summary>
public static class OptionsBinder
{
    static IEnumerable<(PropertyInfo Prop, OptionAttribute Attr)> Props(Type t) =>
        t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
         .Select(p => (p, p.GetCustomAttribute<OptionAttribute>()))
         .Where(x => x.Item2 is not null).Select(x => (x.p, x.Item2!));

    public static IReadOnlyList<AgentOption> Describe<T>(T defaults) where T : class =>
        Props(typeof(T)).Select(x => new AgentOption(x.Attr.Name, Format(x.Prop.GetValue(defaults)), x.Attr.Description, Kind(x.Prop.PropertyType),
            x.Attr.Min, x.Attr.Max, Underlying(x.Prop.PropertyType).IsEnum ? Enum.GetNames(Underlying(x.Prop.PropertyType)).Select(n => n.ToLowerInvariant()).ToList() : null)).ToList();

    static Type Underlying(Type t) => Nullable.GetUnderlyingType(t) ?? t;

    static string Kind(Type t)
    {
        var u = Underlying(t);
        return u == typeof(int) || u == typeof(long) ? "integer" : u == typeof(double) ? "number" : u == typeof(bool) ? "boolean" : u.IsEnum ? "choice" : "text";
    }

    /// <summary>Checks a parsed numeric value against the option's declared bounds.</summary>
    static void CheckBounds(string key, object value, OptionAttribute attr)
    {
        double v = value switch { int i => i, long l => l, double d => d, _ => double.NaN };
        if (double.IsNaN(v) && value is not double) return;
        var ci = CultureInfo.InvariantCulture;
        if (value is double d2 && !double.IsFinite(d2)) throw new ArgumentException($"option {key}={d2.ToString("R", ci)} must be a finite number.");
        bool low = !double.IsNaN(attr.Min) && v < attr.Min, high = !double.IsNaN(attr.Max) && v > attr.Max;
        if (low || high)
            throw new ArgumentException($"option {key}={Format(value)} must be in [{(double.IsNaN(attr.Min) ? "−∞" : attr.Min.ToString("R", ci))}, {(double.IsNaN(attr.Max) ? "∞" : attr.Max.ToString("R", ci))}] (the declared bounds).");
    }

    public static T Bind<T>(T defaults, IReadOnlyDictionary<string, string> settings) where T : class
    {
        var copy = (T)typeof(T).GetMethod("<Clone>$")!.Invoke(defaults, null)!;
        var props = Props(typeof(T)).ToDictionary(x => x.Attr.Name, x => x);
        var bounded = new List<(string, object, OptionAttribute)>();
        foreach (var (key, text) in settings)
        {
            if (!props.TryGetValue(key, out var p))
                throw new ArgumentException($"unknown option '{key}'; options: {string.Join(", ", props.Keys)}.");
            if (text is null) throw new ArgumentException($"option {key} has no value.");
            var value = Parse(key, text, p.Prop.PropertyType);
            bounded.Add((key, value, p.Attr));
            p.Prop.SetValue(copy, value);
        }
        // The record's own rules first (their messages name the value in the record's style), then the declared bounds.
        if (copy is IValidatable v) v.Validate();
        foreach (var (key, value, attr) in bounded) CheckBounds(key, value, attr);
        return copy;
    }

    static object Parse(string key, string text, Type type)
    {
        var ci = CultureInfo.InvariantCulture;
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        bool ok; object? value = null;
        // No surrounding blanks, no thousands separators, no leading zeros (010 is octal in YAML 1.1 and C): one spelling per value.
        var number = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
        if (underlying == typeof(double)) { ok = double.TryParse(text, number, ci, out var d) && !LeadingZero(text); value = d; }
        else if (underlying == typeof(int)) { ok = int.TryParse(text, NumberStyles.AllowLeadingSign, ci, out var i) && !LeadingZero(text); value = i; }
        else if (underlying == typeof(long)) { ok = long.TryParse(text, NumberStyles.AllowLeadingSign, ci, out var l) && !LeadingZero(text); value = l; }
        else if (underlying == typeof(bool)) { ok = text is "true" or "false" or "True" or "False"; value = text is "true" or "True"; }
        else if (underlying == typeof(string)) { ok = true; value = text; }
        else if (underlying.IsEnum)
        {
            // Names only: Enum.TryParse would also take numbers ("-1", "2") and comma lists.
            var name = Enum.GetNames(underlying).FirstOrDefault(n => string.Equals(n, text.Replace("-", ""), StringComparison.OrdinalIgnoreCase));
            ok = name is not null && text.Length > 0 && char.IsLetter(text[0]);
            if (!ok) throw new ArgumentException($"option {key}='{text}' must be one of: {string.Join(", ", Enum.GetNames(underlying).Select(n => n.ToLowerInvariant()))}.");
            value = Enum.Parse(underlying, name!);
        }
        else throw new NotSupportedException($"option {key} has unsupported type {type.Name}.");
        if (!ok) throw new ArgumentException($"option {key}='{text}' is not a valid {underlying.Name.ToLowerInvariant()}.");
        return value!;
    }

    static bool LeadingZero(string text)
    {
        var t = text.TrimStart('+', '-');
        return t.Length > 1 && t[0] == '0' && char.IsDigit(t[1]);
    }

    static string Format(object? v) => v switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        Enum e => e.ToString().ToLowerInvariant(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}
