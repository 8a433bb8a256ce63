using ScottPlot;

namespace ContactOpt.Experiments;

/// <summary>
/// One colour per agent for every figure of a study, keyed by the agent's position in the study's agent list
/// (so an agent keeps its colour in the curves, the bars and every task, whichever agents a figure shows).
/// Twelve colours chosen to stay distinguishable from each other and on white (Tableau 10 with navy for its grey, then black and
/// olive); a study with more agents reuses them in order.
/// </summary>
public sealed class AgentPalette
{
    public static readonly IReadOnlyList<Color> Colors =
    [
        Color.FromHex("#4E79A7"), // blue
        Color.FromHex("#F28E2B"), // orange
        Color.FromHex("#E15759"), // red
        Color.FromHex("#76B7B2"), // teal
        Color.FromHex("#59A14F"), // green
        Color.FromHex("#EDC948"), // yellow
        Color.FromHex("#B07AA1"), // purple
        Color.FromHex("#FF9DA7"), // pink
        Color.FromHex("#9C755F"), // brown
        Color.FromHex("#1F1F7A"), // navy
        Color.FromHex("#000000"), // black
        Color.FromHex("#8C8C00"), // olive
    ];

    readonly Dictionary<string, Color> _byAgent = new(StringComparer.Ordinal);

    public AgentPalette(IEnumerable<string> agents)
    {
        foreach (var a in agents)
            if (!_byAgent.ContainsKey(a)) _byAgent[a] = Colors[_byAgent.Count % Colors.Count];
    }

    /// <summary>The agent's colour; an agent outside the study's list gets the next free one, fixed from then on.</summary>
    public Color this[string agent]
    {
        get
        {
            if (!_byAgent.TryGetValue(agent, out var c)) _byAgent[agent] = c = Colors[_byAgent.Count % Colors.Count];
            return c;
        }
    }
}
