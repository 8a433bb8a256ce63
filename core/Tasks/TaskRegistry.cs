using System.Globalization;
using ContactOpt.Autodiff;
using ContactOpt.Rendering;

namespace ContactOpt.Tasks;

/// <summary>One option a task accepts in its name (<c>task:key=value,...</c>).</summary>
public sealed record TaskOption(string Name, string Default, string Description, IReadOnlyList<string>? Choices = null);

/// <summary>A 2-D slice of a task's parameter space (for landscapes), mapping the two axes to full parameters.</summary>
public sealed record LandscapePreset(
    string XLabel, string YLabel, double XMin, double XMax, double YMin, double YMax, int Resolution,
    Func<double, double, double[]> ToParameters, string Description);

/// <summary>A registered task: its name, summary, options and a factory.</summary>
public sealed record TaskSpec(string Name, string Summary, IReadOnlyList<TaskOption> Options, Func<TaskOptions, TaskInstance> Create)
{
    /// <summary>
    /// Options under which task-agnostic tests (the env checker, the gradient and contract suites, the preset tests)
    /// run this task, e.g. <c>preset=tiny</c> for a 3-D MPM task whose default preset costs seconds per episode;
    /// null: its defaults. Third-party tasks set it the same way.
    /// </summary>
    public string? TestOptions { get; init; }

    /// <summary>The task's name with its <see cref="TestOptions"/> (<c>name:options</c>), or the plain name.</summary>
    public string TestName => TestOptions is null ? Name : $"{Name}:{TestOptions}";
}

/// <summary>
/// Looks tasks up by name, with options in the name (<c>task:key=value,...</c>). An instance, not a global:
/// start from the built-in tasks and add your own.
/// </summary>
public sealed class TaskRegistry
{
    readonly Dictionary<string, TaskSpec> _specs = new(StringComparer.Ordinal);

    public TaskRegistry(IEnumerable<TaskSpec>? specs = null) { foreach (var s in specs ?? []) Add(s); }

    public void Add(TaskSpec spec)
    {
        if (!_specs.TryAdd(spec.Name, spec)) throw new ArgumentException($"a task named '{spec.Name}' is already registered.");
    }

    public IReadOnlyList<TaskSpec> All => _specs.Values.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    public bool Contains(string name) => _specs.ContainsKey(SplitName(name).Name);

    public TaskSpec Spec(string name)
    {
        var (n, _) = SplitName(name);
        if (_specs.TryGetValue(n, out var spec)) return spec;
        var near = _specs.Keys.Where(k => k.StartsWith(n[..Math.Min(2, n.Length)], StringComparison.Ordinal)).ToList();
        throw new ArgumentException($"unknown task '{n}'" + (near.Count > 0 ? $" (did you mean {string.Join(", ", near)}?)" : "") +
            $"; known tasks: {string.Join(", ", _specs.Keys.Order(StringComparer.Ordinal))}.");
    }

    /// <summary>Builds <c>name[:key=value,...]</c>; throws <see cref="ArgumentException"/> naming any problem.</summary>
    public TaskInstance Create(string nameWithOptions)
    {
        if (string.IsNullOrWhiteSpace(nameWithOptions)) throw new ArgumentException("task name is empty.");
        var spec = Spec(nameWithOptions);
        var (n, opts) = SplitName(nameWithOptions);
        var (rest, view) = TakeView(n, opts);
        var task = spec.Create(TaskOptions.Parse(n, rest, spec.Options));
        return view == ParameterView.Physical ? task.WithPhysicalView() : task;
    }

    /// <summary>The option every task accepts: <c>view=controls</c> (default) or <c>view=physical</c>.</summary>
    public const string ViewOption = "view";

    static (string? Options, ParameterView View) TakeView(string task, string? options)
    {
        if (string.IsNullOrWhiteSpace(options)) return (options, ParameterView.Controls);
        var view = ParameterView.Controls;
        var rest = new List<string>();
        foreach (var part in options.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            if (eq > 0 && part[..eq].Trim() == ViewOption)
            {
                view = part[(eq + 1)..].Trim() switch
                {
                    "controls" => ParameterView.Controls,
                    "physical" => ParameterView.Physical,
                    var v => throw new ArgumentException($"task option view='{v}' of '{task}' must be one of: controls, physical."),
                };
            }
            else rest.Add(part);
        }
        return (string.Join(",", rest), view);
    }

    static (string Name, string? Options) SplitName(string s)
    {
        int c = s.IndexOf(':');
        return c < 0 ? (s.Trim(), null) : (s[..c].Trim(), s[(c + 1)..]);
    }

    /// <summary>The canonical name of a task built with the given options.</summary>
    public static string CanonicalName(string name, TaskOptions options, IReadOnlyList<TaskOption> declared)
    {
        var o = options.Canonical(declared);
        return o.Length == 0 ? name : $"{name}:{o}";
    }
}
