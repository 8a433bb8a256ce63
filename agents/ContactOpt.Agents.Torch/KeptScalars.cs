using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ContactOpt.Agents.Torch;

/// <summary>
/// Numbers for tensor arithmetic as <see cref="Scalar"/>s that stay alive while libtorch reads them.
/// <para>
/// Why: TorchSharp 0.107 turns every .NET number in a tensor expression (<c>x * 0.5</c>, <c>1 - x</c>, the hidden
/// <c>alpha = 1</c> of <c>a + b</c>, the β's inside its optimisers) into a native Scalar that only the finalizer
/// frees, and hands its handle to native code without keeping the managed object reachable. A garbage collection
/// during that call (any thread's allocation, or the background GC, can start one) lets the finalizer free the Scalar
/// while libtorch is reading it: "Unknown scalar type", "Expected false to be true" (c10/core/Scalar.h), seen in SAC
/// and PPO on the cloth and MPM step views, which allocate heavily (upstream dotnet/TorchSharp #1434 and #1496).
/// </para>
/// So the agents never let a number become a Scalar implicitly: constants are the static Scalars here (rooted for
/// the process), a run's hyperparameters come from a <see cref="ScalarSet"/> the run owns, and a value that changes
/// every update is a <c>using</c> local. Additions go through <see cref="Plus(Tensor, Tensor)"/>, whose alpha is kept
/// too. <c>KeptScalarTests</c> scans this assembly's IL for implicit conversions and for the TorchSharp members that
/// make them internally.
/// </summary>
public static class Kept
{
    /// <summary>The integer 1 (TorchSharp's own alpha of a + b, and the 1 of 1 − x).</summary>
    public static readonly Scalar One = 1.ToScalar();
    /// <summary>The integer exponent 2 of x².</summary>
    public static readonly Scalar Two = 2.ToScalar();
    public static readonly Scalar Half = 0.5.ToScalar();
    public static readonly Scalar MinusHalf = (-0.5).ToScalar();
    /// <summary>½·log 2π, the constant of a Gaussian log-density.</summary>
    public static readonly Scalar HalfLog2Pi = (0.5 * Math.Log(2 * Math.PI)).ToScalar();
    /// <summary>½ + ½·log 2π, the constant of a Gaussian's entropy per dimension.</summary>
    public static readonly Scalar GaussianEntropyConstant = (0.5 + 0.5 * Math.Log(2 * Math.PI)).ToScalar();

    /// <summary>a + b (TorchSharp's <c>a + b</c> converts its alpha = 1 implicitly).</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>a + s for a kept Scalar s.</summary>
    public static Tensor Plus(this Tensor a, Scalar s) => a.add(s, One);

    /// <summary>s − a for a kept Scalar s (TorchSharp's <c>s - a</c> is −a + s with an implicit alpha).</summary>
    public static Tensor Minus(this Scalar s, Tensor a) => a.neg().add(s, One);
}

/// <summary>Scalars made for one training run, by value, kept until the run disposes the set.</summary>
public sealed class ScalarSet : IDisposable
{
    readonly Dictionary<double, Scalar> _made = new();

    /// <summary>The kept double Scalar of <paramref name="value"/> (made once per distinct value).</summary>
    public Scalar this[double value]
    {
        get
        {
            if (!_made.TryGetValue(value, out var s)) _made[value] = s = value.ToScalar();
            return s;
        }
    }

    public void Dispose()
    {
        foreach (var s in _made.Values) s.Dispose();
        _made.Clear();
    }
}

/// <summary>
/// Adam (Kingma and Ba 2015) without weight decay or AMSGrad: the operations of TorchSharp 0.107's
/// <c>torch.optim.Adam</c>, in the same order and on the same Scalar types (so the same bits), with every number kept
/// alive (see <see cref="Kept"/>). Hand-written because TorchSharp's Adam converts β₁, β₂, ε and the step size
/// implicitly on every step, which is the race <see cref="Kept"/> describes.
/// </summary>
public sealed class KeptAdam : IDisposable
{
    readonly Parameter[] _parameters;
    readonly Tensor[] _expAvg, _expAvgSq;
    readonly double _learningRate, _beta1, _beta2;
    readonly Scalar _beta1S, _oneMinusBeta1, _beta2S, _oneMinusBeta2, _eps;
    long _step;

    public KeptAdam(IEnumerable<Parameter> parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(learningRate > 0) || !double.IsFinite(learningRate)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "Adam: the learning rate must be > 0.");
        _parameters = parameters.ToArray();
        _learningRate = learningRate; _beta1 = beta1; _beta2 = beta2;
        _beta1S = beta1.ToScalar(); _oneMinusBeta1 = (1 - beta1).ToScalar();
        _beta2S = beta2.ToScalar(); _oneMinusBeta2 = (1 - beta2).ToScalar();
        _eps = eps.ToScalar();
        _expAvg = new Tensor[_parameters.Length];
        _expAvgSq = new Tensor[_parameters.Length];
        for (int i = 0; i < _parameters.Length; i++)
        {
            _expAvg[i] = torch.zeros_like(_parameters[i]).DetachFromDisposeScope();
            _expAvgSq[i] = torch.zeros_like(_parameters[i]).DetachFromDisposeScope();
        }
    }

    /// <summary>Steps taken so far.</summary>
    public long Steps => _step;

    /// <summary>Zeros every parameter's gradient (as torch.optim's zero_grad without set_to_none).</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters)
        {
            using var grad = p.grad;
            grad?.zero_();
        }
    }

    /// <summary>One Adam step on every parameter that has a gradient.</summary>
    public void Step()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        _step++;
        double biasCorrection1 = 1 - Math.Pow(_beta1, _step);
        double biasCorrection2 = 1 - Math.Pow(_beta2, _step);
        using var sqrtBiasCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
        using var minusStepSize = (-(_learningRate / biasCorrection1)).ToScalar();
        for (int i = 0; i < _parameters.Length; i++)
        {
            var grad = _parameters[i].grad;
            if (grad is null) continue;
            _expAvg[i].mul_(_beta1S).add_(grad, _oneMinusBeta1);
            _expAvgSq[i].mul_(_beta2S).addcmul_(grad, grad.conj(), _oneMinusBeta2);
            var denom = _expAvgSq[i].sqrt().div(sqrtBiasCorrection2).add_(_eps, Kept.One);
            _parameters[i].addcdiv_(_expAvg[i], denom, minusStepSize);
        }
    }

    public void Dispose()
    {
        foreach (var t in _expAvg) t.Dispose();
        foreach (var t in _expAvgSq) t.Dispose();
        _beta1S.Dispose(); _oneMinusBeta1.Dispose(); _beta2S.Dispose(); _oneMinusBeta2.Dispose(); _eps.Dispose();
    }
}
