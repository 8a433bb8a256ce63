using ContactOpt.Autodiff;

namespace ContactOpt.Tasks;

/// <summary>How <see cref="EpisodeObjective.LossAndGradient"/> differentiates.</summary>
public enum GradientMode
{
    /// <summary>Forward mode when d ≤ 4 (one dual pass), reverse mode otherwise.</summary>
    Auto,
    /// <summary>Forward-mode duals, ⌈d/4⌉ passes of four directions.</summary>
    Forward,
    /// <summary>Reverse mode: one recorded rollout and one backward sweep.</summary>
    Reverse,
}

/// <summary>
/// The parameter view of a task: x = the actions of all segments, concatenated (Horizon × ActionSize).
/// It is a rollout of the same <see cref="Dynamics"/> the step view uses, not a second simulator.
/// </summary>
public sealed class EpisodeObjective : IObjective
{
    readonly Dynamics _dyn;
    readonly double[] _initialState, _parameters;
    readonly double[] _lower, _upper, _sampleLower, _sampleUpper, _guess;
    readonly double[] _stateD;
    Dual4[] _stateF = [], _xF = [], _pF = [];
    Rev[] _stateR = [], _xR = [], _pR = [];
    readonly Tape _tape = new();

    public EpisodeObjective(Dynamics dynamics, double[]? parameters = null, int initialStateSeed = 0, GradientMode mode = GradientMode.Auto)
    {
        _dyn = dynamics;
        _parameters = parameters ?? dynamics.DefaultParameters();
        Episode.Validate(_parameters, dynamics.ParameterNames.Count, "parameters");
        _initialState = new double[dynamics.StateSize];
        dynamics.InitialState(_initialState, Rng.Create(initialStateSeed));
        _stateD = new double[dynamics.StateSize];
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
        Mode = mode == GradientMode.Auto ? (Dimension <= 4 ? GradientMode.Forward : GradientMode.Reverse) : mode;
    }

    public Dynamics Dynamics => _dyn;
    public int Dimension { get; }
    public GradientMode Mode { get; }
    public IReadOnlyList<double> Lower => _lower;
    public IReadOnlyList<double> Upper => _upper;
    public IReadOnlyList<double> SamplingLower => _sampleLower;
    public IReadOnlyList<double> SamplingUpper => _sampleUpper;
    public IReadOnlyList<double> InitialGuess => _guess;
    public ReadOnlySpan<double> InitialState => _initialState;

    public double Loss(ReadOnlySpan<double> x)
    {
        Episode.Validate(x, Dimension, "x");
        _initialState.CopyTo(_stateD.AsSpan());
        return Episode.Rollout<Real>(_dyn, Episode.AsReal(_stateD.AsSpan()), Episode.AsReal(x), Episode.AsReal(_parameters.AsSpan())).Value;
    }

    public double LossAndGradient(ReadOnlySpan<double> x, Span<double> gradient)
    {
        Episode.Validate(x, Dimension, "x");
        if (gradient.Length != Dimension) throw new ArgumentException($"gradient has length {gradient.Length}, expected {Dimension}.", nameof(gradient));
        double loss = Mode == GradientMode.Forward ? ForwardGradient(x, gradient) : ReverseGradient(x, gradient);
        if (!double.IsFinite(loss)) gradient.Fill(double.NaN);
        return loss;
    }

    double ForwardGradient(ReadOnlySpan<double> x, Span<double> gradient)
    {
        int n = _dyn.StateSize;
        if (_stateF.Length != n) { _stateF = new Dual4[n]; _xF = new Dual4[Dimension]; _pF = new Dual4[_parameters.Length]; }
        Episode.Lift<Dual4>(_parameters, _pF);
        double loss = 0;
        for (int start = 0; start < Dimension; start += 4)
        {
            for (int i = 0; i < Dimension; i++)
                _xF[i] = i >= start && i < start + 4 ? Dual4.Variable(x[i], i - start) : Dual4.Constant(x[i]);
            Episode.Lift<Dual4>(_initialState, _stateF);
            var l = Episode.Rollout<Dual4>(_dyn, _stateF, _xF, _pF);
            loss = l.Value;
            for (int k = 0; k < 4 && start + k < Dimension; k++) gradient[start + k] = l.Tangent(k);
        }
        return loss;
    }

    double ReverseGradient(ReadOnlySpan<double> x, Span<double> gradient)
    {
        int n = _dyn.StateSize;
        if (_stateR.Length != n) { _stateR = new Rev[n]; _xR = new Rev[Dimension]; _pR = new Rev[_parameters.Length]; }
        _tape.Clear();
        for (int i = 0; i < Dimension; i++) _xR[i] = _tape.Variable(x[i]);
        Episode.Lift<Rev>(_parameters, _pR);
        Episode.Lift<Rev>(_initialState, _stateR);
        var l = Episode.Rollout<Rev>(_dyn, _stateR, _xR, _pR);
        _tape.Gradient(l, _xR, gradient);
        return l.Value;
    }
}
