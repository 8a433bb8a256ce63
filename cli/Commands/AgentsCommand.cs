using System.Text.Json;

namespace ContactOpt.Cli.Commands;

/// <summary><c>contactopt agents [--json]</c>: every agent with its options and defaults.</summary>
public static class AgentsCommand
{
    public static int Run(Args args)
    {
        Catalog.UsePlugins(args.Options("agents-from"));
        bool json = args.Flag("json");
        args.EnsureAllUsed(0);
        var agents = Catalog.Agents().All;
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(agents.Select(a => new
            {
                name = a.Name, summary = a.Summary,
                max_budget = a.MaxBudget == int.MaxValue ? (int?)null : a.MaxBudget,
                options = a.Options.Select(o => new
                {
                    name = o.Name, @default = o.Default, description = o.Description, kind = o.Kind,
                    min = double.IsNaN(o.Min) ? (double?)null : o.Min, max = double.IsNaN(o.Max) ? (double?)null : o.Max, choices = o.Choices,
                }),
            })));
            return 0;
        }
        foreach (var a in agents)
        {
            Console.WriteLine($"{a.Name,-13} {a.Summary}{(a.MaxBudget == int.MaxValue ? "" : $" (budget at most {a.MaxBudget})")}");
            foreach (var o in a.Options) Console.WriteLine($"    {o.Name + "=" + o.Default,-28} {o.Description}{(o.Range.Length > 0 && o.Choices is null ? $" {o.Range}" : "")}");
            Console.WriteLine();
        }
        Console.WriteLine("Set options with: contactopt run <task> --agent NAME --set key=value [--set key=value ...]");
        return 0;
    }
}
