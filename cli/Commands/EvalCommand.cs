using System.Globalization;
using System.Text.Json;

namespace ContactOpt.Cli.Commands;

/// <summary><c>contactopt eval &lt;task&gt; [--params a,b,...] [--grad] [--json]</c></summary>
public static class EvalCommand
{
    public static int Run(Args args)
    {
        bool grad = args.Flag("grad"), json = args.Flag("json");
        var paramText = args.Option("params");
        var task = Catalog.Task(args.Positional(0, "task name (see 'contactopt tasks')"));
        args.EnsureAllUsed(1);
        var x = Catalog.Params(task, paramText);
        var f = task.CreateObjective();
        double[]? g = null;
        double loss;
        if (grad) { g = new double[x.Length]; loss = f.LossAndGradient(x, g); }
        else loss = f.Loss(x);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["task"] = task.Name, ["params"] = x, ["loss"] = double.IsFinite(loss) ? loss : null, ["gradient"] = g,
            }));
            return 0;
        }
        Console.WriteLine($"task      {task.Name}");
        Console.WriteLine($"params    {Fmt(x)}");
        Console.WriteLine($"loss      {F(loss)}");
        if (g is not null) Console.WriteLine($"gradient  {Fmt(g)}");
        return 0;
    }

    static string F(double v) => double.IsFinite(v) ? v.ToString("G10", CultureInfo.InvariantCulture) : "+inf (diverged)";
    static string Fmt(double[] v) => v.Length <= 12 ? string.Join(", ", v.Select(F)) : string.Join(", ", v.Take(10).Select(F)) + $", … ({v.Length} values)";
}
