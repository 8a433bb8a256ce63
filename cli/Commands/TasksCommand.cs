using System.Globalization;

namespace ContactOpt.Cli.Commands;

/// <summary><c>contactopt tasks [--verbose]</c></summary>
public static class TasksCommand
{
    public static int Run(Args args)
    {
        bool verbose = args.Flag("verbose");
        args.EnsureAllUsed(0);
        var registry = Catalog.Tasks();
        Console.WriteLine($"{"task",-16} {"dim",5}  {"bounds",-28} description");
        foreach (var spec in registry.All)
        {
            var task = registry.Create(spec.Name);
            var f = task.CreateObjective();
            Console.WriteLine($"{spec.Name,-16} {task.Dimension,5}  {Bounds(f),-28} {spec.Summary}");
            if (!verbose) continue;
            Console.WriteLine($"    {task.Description}");
            if (task.Dynamics.ParameterNames.Count > 0)
                Console.WriteLine($"    physical parameters: {string.Join(", ", task.Dynamics.ParameterNames.Zip(task.Dynamics.DefaultParameters(), (n, v) => $"{n}={v.ToString(CultureInfo.InvariantCulture)}"))}");
            foreach (var o in spec.Options)
                Console.WriteLine($"    option {o.Name} (default {o.Default}{(o.Choices is null ? "" : "; " + string.Join("|", o.Choices))}): {o.Description}");
            if (task.Landscape is { } l) Console.WriteLine($"    landscape preset: {l.Description}");
            // Descriptions state the threshold with its reason; print it here only for a task whose description does not.
            if (task.SuccessThreshold is double s && !task.Description.Contains("success:", StringComparison.Ordinal))
                Console.WriteLine($"    success: loss < {s.ToString(CultureInfo.InvariantCulture)}");
        }
        return 0;
    }

    static string Bounds(Tasks.IObjective f)
    {
        bool unbounded = f.Lower.All(double.IsNegativeInfinity) && f.Upper.All(double.IsPositiveInfinity);
        if (unbounded) return "unbounded";
        var lo = f.Lower.Distinct().ToList(); var hi = f.Upper.Distinct().ToList();
        return lo.Count == 1 && hi.Count == 1 ? $"[{lo[0].ToString(CultureInfo.InvariantCulture)}, {hi[0].ToString(CultureInfo.InvariantCulture)}]^{f.Dimension}" : "per-coordinate box";
    }
}
