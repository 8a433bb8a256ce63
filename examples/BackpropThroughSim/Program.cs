// Backpropagation through the simulator with TorchSharp autograd.
//  Part 1: an open-loop controller — flip's finger setpoint as a torch Parameter — trained with Adam; each step's
//          gradient comes from the simulator (DifferentiableSimulator.Step, whose backward is StepFunction.Vjp).
//  Part 2: a small TorchSharp policy that maps the observed start state to a setpoint, trained with Adam over
//          random box start positions by differentiating through flip (policy → setpoint → simulator → loss).
// Every number in the tensor code is a kept Scalar (Kept.One, Kept.Half, `using var … = x.ToScalar()`) and the
// optimiser is KeptAdam: TorchSharp 0.107 frees implicitly converted Scalars in the finalizer while libtorch may still
// read them (docs/rl.md, "TorchSharp Scalars").
// Usage: dotnet run --project examples/BackpropThroughSim -c Release
using System.Globalization;
using ContactOpt;
using ContactOpt.Agents;
using ContactOpt.Agents.Torch;
using ContactOpt.Envs;
using TorchSharp;
using static TorchSharp.torch;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
torch.set_num_threads(1);
var task = BuiltinTasks.CreateRegistry().Create("flip");
var sim = new DifferentiableSimulator(task.Dynamics);

// ---- Part 1: open-loop setpoint -------------------------------------------------------------------------
Console.WriteLine("Part 1: flip, open-loop setpoint (x_des, z_des) trained with Adam (lr 0.02) through the simulator");
var s0 = sim.InitialState(Rng.Create(0));
var setpoint = nn.Parameter(torch.tensor(new[] { 0.0, 0.25 }, dtype: ScalarType.Float64));   // the task's initial guess
using var adam = new KeptAdam([setpoint], 0.02);
for (int it = 0; it <= 60; it++)
{
    using var scope = torch.NewDisposeScope();
    adam.ZeroGrad();
    var (_, loss) = sim.Step(s0, setpoint, t: 0);       // one control segment = the whole flip episode
    loss.backward();
    if (it % 10 == 0)
    {
        var g = setpoint.grad!.data<double>().ToArray();
        Console.WriteLine($"  iter {it,3}  loss {loss.item<double>(),10:F6}  setpoint ({setpoint[0].item<double>():F4}, {setpoint[1].item<double>():F4})  grad ({g[0]:F4}, {g[1]:F4})");
    }
    adam.Step();
}
var openLoop = setpoint.detach().clone();

// ---- Part 2: a feedback policy over random starts ------------------------------------------------------
Console.WriteLine("\nPart 2: flip from random box positions x0 ∈ [−1.15, −0.85]; policy MLP(observation) → setpoint, Adam (lr 3e-3), batches of 8");
using var gen = new Generator(7);
var policy = new Mlp("policy", task.Dynamics.ObservationSize + 1, [32], 2, Activation.Tanh);
policy.InitDefault(gen);
var scaling = ActionScaling.For(task);                  // tanh output in [−1, 1] → flip's sampling box
var low = torch.tensor(scaling.Low, dtype: ScalarType.Float64);
var high = torch.tensor(scaling.High, dtype: ScalarType.Float64);
using var policyAdam = new KeptAdam(policy.parameters(), 3e-3);
var rng = Rng.Create(1);
var OneEighth = 0.125.ToScalar();

Tensor Start(double dx)
{
    // Shift the box and the finger together along x.
    var s = sim.InitialState(Rng.Create(0)).clone();
    using var shift = dx.ToScalar();
    s[0].add_(shift, Kept.One); s[6].add_(shift, Kept.One);
    return s;
}
Tensor Act(Tensor observation)
{
    var u = policy.call(observation.to_type(ScalarType.Float32).unsqueeze(0)).squeeze(0).tanh().to_type(ScalarType.Float64);
    return low.Plus(u.Plus(Kept.One) * Kept.Half * (high - low));
}
var test = Enumerable.Range(0, 16).Select(i => -0.15 + 0.3 * i / 15).ToArray();
double Evaluate(Func<Tensor, Tensor> controller)
{
    using var scope = torch.NewDisposeScope();
    using var _ = torch.no_grad();
    return test.Average(dx => { var s = Start(dx); return sim.Step(s, controller(sim.Observation(s, 0)), 0).Cost.item<double>(); });
}
Console.WriteLine($"  held-out starts: open-loop setpoint of part 1 → mean loss {Evaluate(_ => openLoop):F4}");
Console.WriteLine($"  held-out starts: untrained policy → mean loss {Evaluate(Act):F4}");
for (int it = 0; it <= 150; it++)
{
    using var scope = torch.NewDisposeScope();
    policyAdam.ZeroGrad();
    Tensor batch = torch.zeros([], dtype: ScalarType.Float64);
    for (int b = 0; b < 8; b++)
    {
        var s = Start(-0.15 + 0.3 * rng.NextDouble());
        batch = batch.Plus(sim.Step(s, Act(sim.Observation(s, 0)), 0).Cost);   // gradient flows into the policy's weights
    }
    var loss = batch * OneEighth;
    loss.backward();
    policyAdam.Step();
    if (it % 25 == 0) Console.WriteLine($"  iter {it,3}  batch loss {loss.item<double>():F4}   held-out mean loss {Evaluate(Act):F4}");
}
Console.WriteLine($"  trained policy: held-out mean loss {Evaluate(Act):F4} (open-loop setpoint: {Evaluate(_ => openLoop):F4})");
return 0;
