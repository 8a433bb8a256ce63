using ContactOpt.Autodiff;
using ContactOpt.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace ContactOpt.Agents.Torch;

/// <summary>
/// Exposes a task's exact gradients to TorchSharp autograd, so a TorchSharp policy or open-loop controller can be
/// trained by backpropagation through the simulator:
/// <list type="bullet">
/// <item><see cref="Step"/>: one control segment (state, action, parameters) → (next state, cost) as a custom
/// autograd function whose backward is <see cref="StepFunction.Vjp"/> (reverse mode over the task's one
/// simulation code path);</item>
/// <item><see cref="Observe"/>: the task's observation of a state, differentiable the same way;</item>
/// <item><see cref="Rollout"/>: a whole episode under a policy, returning the loss (Σ costs);</item>
/// <item><see cref="ObjectiveLoss"/>: the parameter view L(x) with its gradient from
/// <see cref="IObjective.LossAndGradient"/> (one call per episode).</item>
/// </list>
/// Tensors are float64 on the CPU (inputs of other types are converted differentiably). Single-threaded:
/// create one simulator per thread.
/// </summary>
public sealed class DifferentiableSimulator
{
    readonly StepFunction _step;
    readonly ObserveKernel _observe;

    public DifferentiableSimulator(Dynamics dynamics, double[]? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(dynamics);
        Dynamics = dynamics;
        _step = new StepFunction(dynamics);
        _observe = new ObserveKernel(_step);
        var p = parameters ?? dynamics.DefaultParameters();
        Episode.Validate(p, dynamics.ParameterNames.Count, "parameters");
        DefaultParameters = p;
    }

    public Dynamics Dynamics { get; }
    /// <summary>The physical parameters used when <see cref="Step"/> gets none.</summary>
    public double[] DefaultParameters { get; }

    /// <summary>The initial state drawn from <paramref name="rng"/> (as the step view's reset draws it), float64 [S].</summary>
    public Tensor InitialState(Random rng)
    {
        var s = new double[Dynamics.StateSize];
        Dynamics.InitialState(s, rng);
        return torch.tensor(s, dtype: ScalarType.Float64);
    }

    /// <summary>A float64 [P] tensor of the default parameters; set <c>requires_grad</c> to get ∂L/∂parameters.</summary>
    public Tensor Parameters(bool requiresGrad = false) =>
        torch.tensor(DefaultParameters, dtype: ScalarType.Float64).requires_grad_(requiresGrad);

    /// <summary>Control segment <paramref name="t"/>: (next state [S], cost []) — the cost includes the terminal cost at t = H − 1.</summary>
    public (Tensor Next, Tensor Cost) Step(Tensor state, Tensor action, int t, Tensor? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(action);
        if ((uint)t >= (uint)Dynamics.Horizon) throw new ArgumentOutOfRangeException(nameof(t), t, $"segment index must be in 0..{Dynamics.Horizon - 1}.");
        CheckShape(state, Dynamics.StateSize, "state");
        CheckShape(action, Dynamics.ActionSize, "action");
        var p = parameters ?? torch.tensor(DefaultParameters, dtype: ScalarType.Float64);
        CheckShape(p, Dynamics.ParameterNames.Count, "parameters");
        var outputs = SimStepFunction.apply(_step, t, AsF64(state), AsF64(action), AsF64(p));
        return (outputs[0], outputs[1]);
    }

    /// <summary>The task's observation of <paramref name="state"/> (without the step view's time fraction), float64 [O].</summary>
    public Tensor Observe(Tensor state)
    {
        CheckShape(state, Dynamics.StateSize, "state");
        return ObserveFunction.apply(_observe, AsF64(state));
    }

    /// <summary>The step view's observation at segment t: the task's observation followed by t/H (as <see cref="DifferentiableEnv"/>).</summary>
    public Tensor Observation(Tensor state, int t) =>
        torch.cat([Observe(state), torch.tensor(new[] { (double)t / Dynamics.Horizon }, dtype: ScalarType.Float64)], 0);

    /// <summary>
    /// One episode from <paramref name="initialState"/> with actions from <paramref name="policy"/>(observation, t)
    /// (env units, [A]); returns the loss Σₜ costₜ (= −return), differentiable with respect to everything the
    /// policy's output depends on, the initial state and <paramref name="parameters"/>.
    /// </summary>
    public Tensor Rollout(Tensor initialState, Func<Tensor, int, Tensor> policy, Tensor? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var state = initialState;
        Tensor loss = torch.zeros([], dtype: ScalarType.Float64);
        for (int t = 0; t < Dynamics.Horizon; t++)
        {
            var (next, cost) = Step(state, policy(Observation(state, t), t), t, parameters);
            loss = loss.Plus(cost);   // a + b's alpha kept (see Kept)
            state = next;
        }
        return loss;
    }

    /// <summary>
    /// L(x) of a parameter view as a differentiable scalar: one episode per call, its gradient from
    /// <see cref="IObjective.LossAndGradient"/> (forward or reverse mode, as the task chose).
    /// </summary>
    public static Tensor ObjectiveLoss(IObjective objective, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(objective);
        CheckShape(x, objective.Dimension, "x");
        return ObjectiveLossFunction.apply(objective, AsF64(x));
    }

    static Tensor AsF64(Tensor t) => t.dtype == ScalarType.Float64 ? t : t.to_type(ScalarType.Float64);

    static void CheckShape(Tensor t, int size, string what)
    {
        if (t.dim() != 1 || t.shape[0] != size)
            throw new ArgumentException($"{what} must be a 1-D tensor of {size} values; got shape [{string.Join(", ", t.shape)}].");
    }

    internal static double[] Values(Tensor t) => t.detach().cpu().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    /// <summary>(state, action, parameters) → (next state, cost); backward = <see cref="StepFunction.Vjp"/>.</summary>
    sealed class SimStepFunction : autograd.MultiTensorFunction<SimStepFunction>
    {
        public override string Name => "ContactOptSimStep";

        public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var f = (StepFunction)vars[0];
            int t = (int)vars[1];
            double[] s = Values((Tensor)vars[2]), a = Values((Tensor)vars[3]), p = Values((Tensor)vars[4]);
            var next = new double[s.Length];
            double cost = f.Forward(s, a, p, t, next);
            ctx.save_data("f", f); ctx.save_data("t", t);
            ctx.save_data("s", s); ctx.save_data("a", a); ctx.save_data("p", p);
            return [torch.tensor(next, dtype: ScalarType.Float64), torch.tensor(cost, dtype: ScalarType.Float64)];
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> grads)
        {
            var f = (StepFunction)ctx.get_data("f");
            int t = (int)ctx.get_data("t");
            var s = (double[])ctx.get_data("s"); var a = (double[])ctx.get_data("a"); var p = (double[])ctx.get_data("p");
            double[] gNext = grads[0] is { } g0 && !g0.IsInvalid ? Values(g0) : new double[s.Length];
            double gCost = grads[1] is { } g1 && !g1.IsInvalid ? Values(g1)[0] : 0.0;
            var gs = new double[s.Length]; var ga = new double[a.Length]; var gp = new double[p.Length];
            f.Vjp(s, a, p, t, gNext, gCost, gs, ga, gp);
            return [null!, null!, torch.tensor(gs, dtype: ScalarType.Float64), torch.tensor(ga, dtype: ScalarType.Float64), torch.tensor(gp, dtype: ScalarType.Float64)];
        }
    }

    /// <summary>The observation and its VJP, through the task's workspace (the same code as the step view's).</summary>
    sealed class ObserveKernel(StepFunction step)
    {
        public double[] Forward(double[] s)
        {
            var o = new double[step.Dynamics.ObservationSize];
            step.Workspace.Observe(s, o);
            return o;
        }

        public double[] Vjp(double[] s, double[] gObs)
        {
            var g = new double[s.Length];
            step.Workspace.ObserveBackward(s, gObs, g);
            return g;
        }
    }

    sealed class ObserveFunction : autograd.SingleTensorFunction<ObserveFunction>
    {
        public override string Name => "ContactOptObserve";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var k = (ObserveKernel)vars[0];
            var s = Values((Tensor)vars[1]);
            ctx.save_data("k", k); ctx.save_data("s", s);
            return torch.tensor(k.Forward(s), dtype: ScalarType.Float64);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
        {
            var k = (ObserveKernel)ctx.get_data("k");
            var s = (double[])ctx.get_data("s");
            return [null!, torch.tensor(k.Vjp(s, Values(grad)), dtype: ScalarType.Float64)];
        }
    }

    /// <summary>x → L(x); the gradient is computed with the loss in the forward pass and scaled in backward.</summary>
    sealed class ObjectiveLossFunction : autograd.SingleTensorFunction<ObjectiveLossFunction>
    {
        public override string Name => "ContactOptObjectiveLoss";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var f = (IObjective)vars[0];
            var x = Values((Tensor)vars[1]);
            var g = new double[x.Length];
            double loss = f.LossAndGradient(x, g);
            ctx.save_data("g", g);
            return torch.tensor(loss, dtype: ScalarType.Float64);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
        {
            var g = (double[])ctx.get_data("g");
            double scale = Values(grad)[0];
            using var scaleS = scale.ToScalar();   // kept alive through the native call (see Kept)
            return [null!, torch.tensor(g, dtype: ScalarType.Float64) * scaleS];
        }
    }
}
