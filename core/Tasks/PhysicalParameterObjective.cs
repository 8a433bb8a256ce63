namespace ContactOpt.Tasks;

/// <summary>
/// The physical-parameter view (system identification): x = the task's declared physical parameters
/// (<see cref="Dynamics.ParameterNames"/>, within <see cref="Dynamics.ParameterBounds"/>), the controls held fixed
/// (the task's initial guess unless given). Loss and exact gradient ∂L/∂parameters come from the same segment
/// tape as every other view. Selected with the task option <c>view=physical</c>.
/// </summary>
public sealed class PhysicalParameterObjective : TaskObjective
{
    readonly Dynamics _dyn;
    readonly SegmentTape _tape;
    readonly double[] _initialState, _controls, _lower, _upper, _guess;
    readonly double[] _actionsAdjoint, _stateAdjoint;

    public PhysicalParameterObjective(Dynamics dynamics, double[]? controls = null, int initialStateSeed = 0, WorkspaceOptions? workspace = null)
    {
        _dyn = dynamics ?? throw new ArgumentNullException(nameof(dynamics));
        int p = dynamics.ParameterNames.Count;
        if (p == 0) throw new ArgumentException("the task declares no physical parameters, so it has no physical-parameter view.");
        var bounds = dynamics.ParameterBounds
            ?? throw new ArgumentException("the task declares physical parameters but no bounds for them (Dynamics.ParameterBounds).");
        if (bounds.Size != p) throw new ArgumentException($"the task's parameter bounds have {bounds.Size} entries, expected {p}.");
        Dimension = p;
        _lower = bounds.Low.ToArray(); _upper = bounds.High.ToArray();
        for (int i = 0; i < p; i++)
            if (!double.IsFinite(_lower[i]) || !double.IsFinite(_upper[i]) || _lower[i] >= _upper[i])
                throw new ArgumentException($"bounds of physical parameter '{dynamics.ParameterNames[i]}' must be finite with lower < upper.");
        _guess = dynamics.DefaultParameters();
        Tasks.Episode.Validate(_guess, p, "default parameters");
        int h = dynamics.Horizon, a = dynamics.ActionSize;
        _controls = new double[h * a];
        if (controls is null) for (int t = 0; t < h; t++) dynamics.InitialGuess(t, _controls.AsSpan(t * a, a));
        else { Tasks.Episode.Validate(controls, h * a, "controls"); controls.CopyTo(_controls, 0); }
        _initialState = new double[dynamics.StateSize];
        dynamics.InitialState(_initialState, Rng.Create(initialStateSeed));
        _tape = new SegmentTape(dynamics, workspace);
        _actionsAdjoint = new double[h * a];
        _stateAdjoint = new double[dynamics.StateSize];
    }

    public override Dynamics Dynamics => _dyn;
    public override int Dimension { get; }
    public override GradientMode Mode => GradientMode.Reverse;
    public override IReadOnlyList<double> Lower => _lower;
    public override IReadOnlyList<double> Upper => _upper;
    public override IReadOnlyList<double> SamplingLower => _lower;
    public override IReadOnlyList<double> SamplingUpper => _upper;
    public override IReadOnlyList<double> InitialGuess => _guess;
    public override ReadOnlySpan<double> InitialState => _initialState;
    /// <summary>The fixed controls of every episode.</summary>
    public ReadOnlySpan<double> Controls => _controls;

    public override (double[] Controls, double[] Parameters) Episode(ReadOnlySpan<double> x)
    {
        Tasks.Episode.Validate(x, Dimension, "x");
        return ((double[])_controls.Clone(), x.ToArray());
    }

    public override double Loss(ReadOnlySpan<double> x)
    {
        Tasks.Episode.Validate(x, Dimension, "x");
        return Tasks.Episode.Rollout(_tape, _initialState, _controls, x);
    }

    public override double Loss(ReadOnlySpan<double> x, StepTrace trace)
    {
        Tasks.Episode.Validate(x, Dimension, "x");
        return Tasks.Episode.Rollout(_tape, _initialState, _controls, x, trace: trace);
    }

    public override double LossAndGradient(ReadOnlySpan<double> x, Span<double> gradient)
    {
        Tasks.Episode.Validate(x, Dimension, "x");
        if (gradient.Length != Dimension) throw new ArgumentException($"gradient has length {gradient.Length}, expected {Dimension}.", nameof(gradient));
        double loss = Tasks.Episode.Rollout(_tape, _initialState, _controls, x, record: true);
        if (!double.IsFinite(loss)) { gradient.Fill(double.NaN); return loss; }
        _tape.Backward(_actionsAdjoint, gradient, _stateAdjoint);
        return loss;
    }

    public override void Dispose() => _tape.Dispose();
}
