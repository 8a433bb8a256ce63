using ContactOpt.Rendering;

namespace ContactOpt.Tasks;

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
    /// <summary>
    /// A fixed step size suited to the task's curvature, for gradient agents that take one (<c>step_size</c>);
    /// used by <c>contactopt bench-agents</c>. Null: the agent's default.
    /// </summary>
    public double? GradientStepSize { get; init; }
    /// <summary>The parameter view that <see cref="CreateObjective"/> returns.</summary>
    public ParameterView View { get; private init; } = ParameterView.Controls;
    /// <summary>The task's figures of a parameter vector of this view (<see cref="Dynamics.ParameterMetrics"/> on the physical view); null: none.</summary>
    public IReadOnlyList<KeyValuePair<string, double>>? Metrics(ReadOnlySpan<double> x) =>
        View == ParameterView.Physical && x.Length == Dimension ? Dynamics.ParameterMetrics(x) : null;
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
            Name = PhysicalName(Name), View = ParameterView.Physical, GradientStepSize = null,
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
