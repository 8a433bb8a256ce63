namespace ContactOpt.Agents.Torch;

/// <summary>
/// The TorchSharp agents as registry entries: <c>ppo</c> and <c>sac</c> with their SB3-default options.
/// Combine with other agents: <c>new AgentRegistry(BuiltinAgents.Specs().Concat(TorchAgents.Specs()))</c>.
/// </summary>
public static class TorchAgents
{
    public static AgentSpec PpoSpec { get; } = new(
        "ppo",
        "PPO (clipped, GAE, SB3 defaults; TorchSharp): learns a Gaussian policy on the step view within the episode budget",
        OptionsBinder.Describe(new PpoOptions()),
        settings => new Ppo(OptionsBinder.Bind(new PpoOptions(), settings)));

    public static AgentSpec SacSpec { get; } = new(
        "sac",
        "SAC (twin critics, automatic entropy, SB3 defaults; TorchSharp): learns a squashed Gaussian policy on the step view",
        OptionsBinder.Describe(new SacOptions()),
        settings => new Sac(OptionsBinder.Bind(new SacOptions(), settings)));

    public static IEnumerable<AgentSpec> Specs()
    {
        yield return PpoSpec;
        yield return SacSpec;
    }
}
