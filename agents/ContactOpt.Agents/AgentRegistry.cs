using System.ComponentModel;
using System.Globalization;
using System.Reflection;

namespace ContactOpt.Agents;

/// <summary>One hyperparameter of an agent, as listed by <c>contactopt agents</c> and set by <c>--set name=value</c>.</summary>
public sealed record AgentOption(string Name, string Default, string Description);

/// <summary>A registered agent: name, summary, options with defaults, and a factory from validated settings.</summary>
public sealed record AgentSpec(string Name, string Summary, IReadOnlyList<AgentOption> Options, Func<IReadOnlyDictionary<string, string>, IAgent> Create);

/// <summary>Agents by name. An instance, not a global: start from the built-in agents and add your own.</summary>
public sealed class AgentRegistry
{
    readonly Dictionary<string, AgentSpec> _specs = new(StringComparer.Ordinal);

    public AgentRegistry(IEnumerable<AgentSpec>? specs = null) { foreach (var s in specs ?? []) Add(s); }

    public void Add(AgentSpec spec)
    {
        if (!_specs.TryAdd(spec.Name, spec)) throw new ArgumentException($"an agent named '{spec.Name}' is already registered.");
    }

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
        Props(typeof(T)).Select(x => new AgentOption(x.Attr.Name, Format(x.Prop.GetValue(defaults)), x.Attr.Description)).ToList();

    public static T Bind<T>(T defaults, IReadOnlyDictionary<string, string> settings) where T : class
    {
        var copy = (T)typeof(T).GetMethod("<Clone>$")!.Invoke(defaults, null)!;
        var props = Props(typeof(T)).ToDictionary(x => x.Attr.Name, x => x.Prop);
        foreach (var (key, text) in settings)
        {
            if (!props.TryGetValue(key, out var prop))
                throw new ArgumentException($"unknown option '{key}'; options: {string.Join(", ", props.Keys)}.");
            prop.SetValue(copy, Parse(key, text, prop.PropertyType));
        }
        if (copy is IValidatable v) v.Validate();
        return copy;
    }

    static object Parse(string key, string text, Type type)
    {
        var ci = CultureInfo.InvariantCulture;
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        bool ok; object? value = null;
        if (underlying == typeof(double)) { ok = double.TryParse(text, NumberStyles.Float, ci, out var d); value = d; }
        else if (underlying == typeof(int)) { ok = int.TryParse(text, NumberStyles.Integer, ci, out var i); value = i; }
        else if (underlying == typeof(long)) { ok = long.TryParse(text, NumberStyles.Integer, ci, out var l); value = l; }
        else if (underlying == typeof(bool)) { ok = bool.TryParse(text, out var b); value = b; }
        else if (underlying == typeof(string)) { ok = true; value = text; }
        else if (underlying.IsEnum)
        {
            ok = Enum.TryParse(underlying, text.Replace("-", ""), ignoreCase: true, out value) && Enum.IsDefined(underlying, value!);
            if (!ok) throw new ArgumentException($"option {key}='{text}' must be one of: {string.Join(", ", Enum.GetNames(underlying).Select(n => n.ToLowerInvariant()))}.");
        }
        else throw new NotSupportedException($"option {key} has unsupported type {type.Name}.");
        if (!ok) throw new ArgumentException($"option {key}='{text}' is not a valid {underlying.Name.ToLowerInvariant()}.");
        return value!;
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
