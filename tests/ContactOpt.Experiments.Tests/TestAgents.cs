using ContactOpt.Agents;

namespace ContactOpt.Experiments.Tests;

/// <summary>Small deterministic agents for runner tests (the real optimisers are tested in their own project).</summary>
sealed record ProbeOptions : IValidatable
{
    [Option("scale", "sampling radius around the initial guess")] public double Scale { get; init; } = 0.2;
    [Option("fail_at", "throw at this episode (−1: never)")] public int FailAt { get; init; } = -1;
    public void Validate() { if (!(Scale > 0)) throw new ArgumentException($"scale = {Scale}; it must be positive."); }
}

/// <summary>Gaussian random search around the initial guess, charging every episode; can fail on purpose.</summary>
sealed class ProbeAgent(ProbeOptions o) : IAgent
{
    public string Name => "probe";
    public void Run(AgentContext ctx)
    {
        var f = ctx.Objective();
        var rng = Rng.Create(ctx.Seed);
        var x0 = f.InitialGuess.ToArray();
        var x = new double[x0.Length];
        var g = new double[x0.Length];
        for (int e = 0; !f.Budget.Exhausted; e++)
        {
            if (e == o.FailAt) throw new InvalidOperationException("probe failure on purpose");
            for (int i = 0; i < x.Length; i++) x[i] = x0[i] + o.Scale * (2 * rng.NextDouble() - 1);
            if (e % 2 == 0) f.Loss(x); else f.LossAndGradient(x, g);
        }
    }

    public static AgentSpec Spec(string name = "probe") => new(name, "test agent", OptionsBinder.Describe(new ProbeOptions()),
        s => new ProbeAgent(OptionsBinder.Bind(new ProbeOptions(), s)));
}
