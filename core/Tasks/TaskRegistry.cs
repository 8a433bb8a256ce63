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

/// <summary>Option values parsed from a task name, checked against the task's declared options.</summary>
public sealed class TaskOptions
{
    readonly Dictionary<string, string> _values;
    readonly string _task;

    TaskOptions(string task, Dictionary<string, string> values) { _task = task; _values = values; }

    public static TaskOptions Parse(string task, string? text, IReadOnlyList<TaskOption> declared)
    {
        var values = declared.ToDictionary(o => o.Name, o => o.Default);
        if (!string.IsNullOrWhiteSpace(text))
        {
            foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int eq = part.IndexOf('=');
                if (eq <= 0) throw new ArgumentException($"task option '{part}' of '{task}' is not of the form key=value.");
                var key = part[..eq].Trim(); var value = part[(eq + 1)..].Trim();
                var opt = declared.FirstOrDefault(o => o.Name == key)
                    ?? throw new ArgumentException($"task '{task}' has no option '{key}'" +
                        (declared.Count == 0 ? " (it takes none)." : $"; options: {string.Join(", ", declared.Select(o => o.Name))}."));
                if (opt.Choices is { } choices && !choices.Contains(value))
                    throw new ArgumentException($"task option {key}='{value}' of '{task}' must be one of: {string.Join(", ", choices)}.");
                values[key] = value;
            }
        }
        return new TaskOptions(task, values);
    }

    public string GetString(string key) => _values.TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"task '{_task}' declares no option '{key}'.");

    public double GetDouble(string key)
    {
        var s = GetString(key);
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            throw new ArgumentException($"task option {key}='{s}' of '{_task}' is not a finite number.");
        return v;
    }

    public int GetInt(string key, int min = int.MinValue, int max = int.MaxValue)
    {
        var s = GetString(key);
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            throw new ArgumentException($"task option {key}='{s}' of '{_task}' is not an integer.");
        if (v < min || v > max) throw new ArgumentException($"task option {key}={v} of '{_task}' must be in [{min}, {max}].");
        return v;
    }

    /// <summary>The options that differ from their defaults, as they appear in a canonical task name.</summary>
    public string Canonical(IReadOnlyList<TaskOption> declared) =>
        string.Join(",", declared.Where(o => _values[o.Name] != o.Default).Select(o => $"{o.Name}={_values[o.Name]}"));
}

/// <summary>A registered task: its name, summary, options and a factory.</summary>
public sealed record TaskSpec(string Name, string Summary, IReadOnlyList<TaskOption> Options, Func<TaskOptions, TaskInstance> Create);

/// <summary>Which parameter view a task instance optimises: the open-loop controls or the declared physical parameters.</summary>
public enum ParameterView { Controls, Physical }

/// <summary>
/// A task built with its options: the simulator (<see cref="Dynamics"/>), both views, and what reports need
/// (success threshold, landscape preset, filmstrips).
/// </summary>
public sealed class TaskInstance
{
    public TaskInstance(string name, string description, Dynamics dynamics,
        double? successThreshold = null, LandscapePreset? landscape = null, GradientMode gradientMode = GradientMode.Auto)
    {
        Name = name; Description = description; Dynamics = dynamics;
        SuccessThreshold = successThreshold; Landscape = landscape; GradientMode = gradientMode;
    }

    /// <summary>Canonical name including non-default options (e.g. <c>flip:corner_velocity=corrected</c>).</summary>
    public string Name { get; private init; }
    public string Description { get; }
    public Dynamics Dynamics { get; }
    /// <summary>An episode counts as a success when its loss is below this value.</summary>
    public double? SuccessThreshold { get; private init; }
    public LandscapePreset? Landscape { get; private init; }
    public GradientMode GradientMode { get; }
    /// <summary>The parameter view that <see cref="CreateObjective"/> returns.</summary>
    public ParameterView View { get; private init; } = ParameterView.Controls;
    public int Dimension => View == ParameterView.Physical ? Dynamics.ParameterNames.Count : Dynamics.Horizon * Dynamics.ActionSize;

    /// <summary>
    /// The same task with x = its declared physical parameters (controls fixed at the initial guess). The success
    /// threshold and landscape preset belong to the controls view and are dropped.
    /// </summary>
    public TaskInstance WithPhysicalView()
    {
        if (Dynamics.ParameterNames.Count == 0) throw new ArgumentException($"task '{Name}' declares no physical parameters; view=physical is not available.");
        if (Dynamics.ParameterBounds is null) throw new ArgumentException($"task '{Name}' declares no bounds for its physical parameters; view=physical is not available.");
        return new TaskInstance(Name, Description, Dynamics, null, null, GradientMode)
        {
            Name = PhysicalName(Name), View = ParameterView.Physical,
        };
    }

    static string PhysicalName(string name) => name.Contains(':') ? name + ",view=physical" : name + ":view=physical";

    /// <summary>A new parameter view (one per thread).</summary>
    public TaskObjective CreateObjective(WorkspaceOptions? workspace = null) => View == ParameterView.Physical
        ? new PhysicalParameterObjective(Dynamics, workspace: workspace)
        : new EpisodeObjective(Dynamics, mode: GradientMode, workspace: workspace);
    /// <summary>A new step view.</summary>
    public DifferentiableEnv CreateEnv(string? renderMode = null, WorkspaceOptions? workspace = null) => new(Dynamics, renderMode, workspace: workspace);

    /// <summary>Frames of the episode at parameters x (evenly spaced over the recorded substeps).</summary>
    public Frame RenderEpisode(ReadOnlySpan<double> x, int frames = 8)
    {
        if (frames < 1) throw new ArgumentOutOfRangeException(nameof(frames), frames, "need at least one frame.");
        using var objective = CreateObjective();
        Episode.Validate(x, Dimension, "x");
        var (controls, _) = objective.Episode(x);
        var trace = new StepTrace(Dynamics.TraceEvery);
        trace.Record(objective.InitialState, controls.AsSpan(0, Dynamics.ActionSize));
        double loss = objective.Loss(x, trace);
        var list = new List<Frame>();
        int n = trace.States.Count;
        for (int k = 0; k < frames; k++)
        {
            int i = frames == 1 ? n - 1 : (int)Math.Round((double)k * (n - 1) / (frames - 1));
            string label = k == frames - 1 ? $"end  loss {loss:G5}" : $"{100.0 * i / Math.Max(1, n - 1):F0}%";
            list.Add(Dynamics.RenderState(trace.States[i], trace.Actions[i], label));
        }
        return Frame.Filmstrip(list, perRow: Math.Min(frames, 8));
    }
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
