using ContactOpt.Optimizers;

namespace ContactOpt.Agents;

/// <summary>Makes any <see cref="IOptimizer"/> an agent: it runs on the task's parameter view with the run's seed.</summary>
public sealed class OptimizerAgent(IOptimizer optimizer) : IAgent
{
    public IOptimizer Optimizer { get; } = optimizer;
    public string Name => Optimizer.Name;
    public void Run(AgentContext context) => Optimizer.Minimize(context.Objective(), context.Seed, context.Cancellation);
}

/// <summary>The optimisation agents that ship with ContactOpt (the RL agents register alongside).</summary>
public static class BuiltinAgents
{
    public static IEnumerable<AgentSpec> Specs()
    {
        yield return Spec("gd", "exact gradient descent, fixed step (Dawson 2021); gradient", new GradientDescentOptions(), o => new GradientDescent(o));
        yield return Spec("sgd", "stochastic perturbation gradient descent as in Dawson's code (2 loss-only episodes per step)", new PerturbationGradientDescentOptions(), o => new PerturbationGradientDescent(o));
        yield return Spec("rand", "random search, uniform in the bounds (BO-Leap paper's Rand); gradient-free", new RandomSearchOptions(), o => new RandomSearch(o));
        yield return Spec("cmaes", "CMA-ES (Hansen's tutorial) with IPOP restarts; gradient-free", new CmaEsOptions(), o => new CmaEs(o));
        yield return Spec("randdescents", "bounded gradient descents from uniform random starts (BO-Leap paper's RandDescents); gradient", new RandomDescentsOptions(), o => new RandomDescents(o));
        yield return Spec("bo", "GP + LCB picks descent starts, every visited point feeds the GP (BO-Leap paper's BO baseline); gradient", new BoDescentsOptions(), o => new BoDescents(o), GpMaxBudget);
        yield return Spec("bo-plain", "Bayesian optimisation, one loss-only episode per trial (GP + LogEI); gradient-free", new BayesOptOptions(), o => new BayesOpt(o), GpMaxBudget);
        yield return Spec("bo-leap", "BO-Leap (Antonova et al. 2022): GP/LCB starts, CMA-style population, gradient leaps; gradient", new BoLeapOptions(), o => new BoLeap(o), GpMaxBudget);
    }

    /// <summary>A new registry holding every built-in agent; add your own with <see cref="AgentRegistry.Add"/>.</summary>
    public static AgentRegistry CreateRegistry() => new(Specs());

    /// <summary>
    /// Largest budget of the agents whose GP holds every evaluated point (bo, bo-plain, bo-leap) (memory n², fit time n³): 2,000 episodes
    /// keep the kernel matrix at 32 MB.
    /// </summary>
    public const int GpMaxBudget = 2000;

    static AgentSpec Spec<TOptions>(string name, string summary, TOptions defaults, Func<TOptions, IOptimizer> make, int maxBudget = int.MaxValue) where TOptions : class
        => new(name, summary, OptionsBinder.Describe(defaults), settings => new OptimizerAgent(make(OptionsBinder.Bind(defaults, settings))), maxBudget);
}
