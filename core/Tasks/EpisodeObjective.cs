using ContactOpt.Autodiff;

namespace ContactOpt.Tasks;

/// <summary>How <see cref="EpisodeObjective.LossAndGradient"/> differentiates.</summary>
public enum GradientMode
{
    /// <summary>Forward mode when d ≤ 4 and the task is on the scalar route (one dual pass), the segment tape otherwise.</summary>
    Auto,
    /// <summary>Forward-mode duals, ⌈d/4⌉ passes of four directions (scalar-route tasks only).</summary>
    Forward,
    /// <summary>Reverse mode: one recorded episode on the segment tape and its backward walk.</summary>
    Reverse,
}

/// <summary>
/// A parameter view of a task: one episode per call, run through the task's <see cref="SegmentTape"/> (a rollout
/// of the same <see cref="Dynamics"/> the step view uses, not a second simulator). A diverging episode returns
/// +∞ and a NaN gradient. Two views exist: <see cref="EpisodeObjective"/> (x = the open-loop controls) and
/// <see cref="PhysicalParameterObjective"/> (x = the declared physical parameters).
/// </summary>
public abstract class TaskObjective : IObjective, IDisposable
{
    public abstract Dynamics Dynamics { get; }
    public abstract int Dimension { get; }
    public abstract GradientMode Mode { get; }
    public abstract IReadOnlyList<double> Lower { get; }
    public abstract IReadOnlyList<double> Upper { get; }
    public abstract IReadOnlyList<double> SamplingLower { get; }
    public abstract IReadOnlyList<double> SamplingUpper { get; }
    public abstract IReadOnlyList<double> InitialGuess { get; }
    /// <summary>The initial state every episode starts from.</summary>
    public abstract ReadOnlySpan<double> InitialState { get; }
    /// <summary>The controls (Horizon × ActionSize) and physical parameters that x stands for.</summary>
    public abstract (double[] Controls, double[] Parameters) Episode(ReadOnlySpan<double> x);
    public abstract double Loss(ReadOnlySpan<double> x);
    /// <summary>Loss of the episode at x with its intermediate states recorded into <paramref name="trace"/>.</summary>
    public abstract double Loss(ReadOnlySpan<double> x, StepTrace trace);
    public abstract double LossAndGradient(ReadOnlySpan<double> x, Span<double> gradient);
    public abstract void Dispose();
}

/// <summary>The controls view: x = the actions of all segments, concatenated (Horizon × ActionSize).</summary>
public sealed class EpisodeObjective : TaskObjective
{
    readonly Dynamics _dyn;
    readonly SegmentTape _tape;
    readonly double[] _initialState, _parameters;
    readonly double[] _lower, _upper, _sampleLower, _sampleUpper, _guess;
    readonly double[] _parameterAdjoint, _stateAdjoint, _stateD;
    Dual4[] _stateF = [], _xF = [], _pF = [];

    public EpisodeObjective(Dynamics dynamics, double[]? parameters = null, int initialStateSeed = 0, GradientMode mode = GradientMode.Auto,
        WorkspaceOptions? workspace = null)
    {
        _dyn = dynamics ?? throw new ArgumentNullException(nameof(dynamics));
        _parameters = parameters ?? dynamics.DefaultParameters();
        Tasks.Episode.Validate(_parameters, dynamics.ParameterNames.Count, "parameters");
        _initialState = new double[dynamics.StateSize];
        dynamics.InitialState(_initialState, Rng.Create(initialStateSeed));
        int h = dynamics.Horizon, a = dynamics.ActionSize;
        Dimension = h * a;
        _lower = new double[Dimension]; _upper = new double[Dimension];
        _sampleLower = new double[Dimension]; _sampleUpper = new double[Dimension]; _guess = new double[Dimension];
        var bounds = dynamics.ActionBounds; var box = dynamics.ActionSamplingBox;
        for (int t = 0; t < h; t++)
        {
            dynamics.InitialGuess(t, _guess.AsSpan(t * a, a));
            for (int i = 0; i < a; i++)
            {
                _lower[t * a + i] = bounds.LowAt(i); _upper[t * a + i] = bounds.HighAt(i);
                _sampleLower[t * a + i] = box.LowAt(i); _sampleUpper[t * a + i] = box.HighAt(i);
            }
        }
        bool scalar = dynamics is ScalarDynamics;
        if (mode == GradientMode.Forward && !scalar)
            throw new ArgumentException("forward mode needs a scalar-route task; kernel-route tasks differentiate on the segment tape.", nameof(mode));
        Mode = mode == GradientMode.Auto ? (scalar && Dimension <= 4 ? GradientMode.Forward : GradientMode.Reverse) : mode;
        _tape = new SegmentTape(dynamics, workspace);
        _parameterAdjoint = new double[_parameters.Length];
        _stateAdjoint = new double[dynamics.StateSize];
        _stateD = new double[dynamics.StateSize];
    }

    public override Dynamics Dynamics => _dyn;
    public override int Dimension { get; }
    public override GradientMode Mode { get; }
    public override IReadOnlyList<double> Lower => _lower;
    public override IReadOnlyList<double> Upper => _upper;
    public override IReadOnlyList<double> SamplingLower => _sampleLower;
    public override IReadOnlyList<double> SamplingUpper => _sampleUpper;
    public override IReadOnlyList<double> InitialGuess => _guess;
    public override ReadOnlySpan<double> InitialState => _initialState;
    /// <summary>The physical parameters the episodes run with.</summary>
    public ReadOnlySpan<double> Parameters => _parameters;

    public override double Loss(ReadOnlySpan<double> x)
    {
        Tasks.Episode.Validate(x, Dimension, "x");
        if (_dyn is ScalarDynamics scalar)
        {
            // Loss only, scalar route: the generic rollout on doubles (same rules as the tape, no per-segment copies).
            _initialState.CopyTo(_stateD, 0);
            return scalar.Rollout(Tasks.Episode.AsReal(_stateD.AsSpan()), Tasks.Episode.AsReal(x), Tasks.Episode.AsReal(_parameters.AsSpan())).Value;
        }
        return Tasks.Episode.Rollout(_tape, _initialState, x, _parameters);
    }

    public override (double[] Controls, double[] Parameters) Episode(ReadOnlySpan<double> x)
    {
        Tasks.Episode.Validate(x, Dimension, "x");
        return (x.ToArray(), (double[])_parameters.Clone());
    }

    public override double Loss(ReadOnlySpan<double> x, StepTrace trace)
    {
        Tasks.Episode.Validate(x, Dimension, "x");
        return Tasks.Episode.Rollout(_tape, _initialState, x, _parameters, trace: trace);
    }

    public override double LossAndGradient(ReadOnlySpan<double> x, Span<double> gradient)
    {
        Tasks.Episode.Validate(x, Dimension, "x");
        if (gradient.Length != Dimension) throw new ArgumentException($"gradient has length {gradient.Length}, expected {Dimension}.", nameof(gradient));
        double loss = Mode == GradientMode.Forward ? ForwardGradient(x, gradient) : ReverseGradient(x, gradient);
        if (!double.IsFinite(loss)) gradient.Fill(double.NaN);
        return loss;
    }

    double ReverseGradient(ReadOnlySpan<double> x, Span<double> gradient)
    {
        double loss = Tasks.Episode.Rollout(_tape, _initialState, x, _parameters, record: true);
        if (!double.IsFinite(loss)) return loss;
        _tape.Backward(gradient, _parameterAdjoint, _stateAdjoint);
        return loss;
    }

    double ForwardGradient(ReadOnlySpan<double> x, Span<double> gradient)
    {
        var dyn = (ScalarDynamics)_dyn;
        int n = _dyn.StateSize;
        if (_stateF.Length != n) { _stateF = new Dual4[n]; _xF = new Dual4[Dimension]; _pF = new Dual4[_parameters.Length]; }
        Tasks.Episode.Lift<Dual4>(_parameters, _pF);
        double loss = 0;
        for (int start = 0; start < Dimension; start += 4)
        {
            for (int i = 0; i < Dimension; i++)
                _xF[i] = i >= start && i < start + 4 ? Dual4.Variable(x[i], i - start) : Dual4.Constant(x[i]);
            Tasks.Episode.Lift<Dual4>(_initialState, _stateF);
            var l = dyn.Rollout<Dual4>(_stateF, _xF, _pF);
            loss = l.Value;
            if (!double.IsFinite(loss)) return loss;
            for (int k = 0; k < 4 && start + k < Dimension; k++) gradient[start + k] = l.Tangent(k);
        }
        return loss;
    }

    public override void Dispose() => _tape.Dispose();
}
