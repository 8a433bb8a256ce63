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
        var metrics = task.Metrics(x);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                // JSON has no NaN or infinity: a diverged loss and non-finite gradient entries are null, flagged below.
                ["task"] = task.Name, ["params"] = x, ["loss"] = double.IsFinite(loss) ? loss : null,
                ["gradient"] = g?.Select(v => double.IsFinite(v) ? v : (double?)null).ToArray(),
                ["diverged"] = !double.IsFinite(loss),
                ["gradient_finite"] = g is null ? null : g.All(double.IsFinite),
                ["metrics"] = metrics?.ToDictionary(m => m.Key, m => double.IsFinite(m.Value) ? m.Value : (double?)null),
            }));
            return 0;
        }
        Console.WriteLine($"task      {task.Name}");
        Console.WriteLine($"params    {Fmt(x)}");
        Console.WriteLine($"loss      {(double.IsFinite(loss) ? F(loss) : "+inf (diverged: the episode's state became non-finite)")}");
        if (g is not null)
        {
            Console.WriteLine($"gradient  {Fmt(g)}");
            if (double.IsFinite(loss) && !g.All(double.IsFinite))
                Console.WriteLine("note      the loss is finite but the gradient overflowed (non-finite entries); optimisers treat such a gradient as unusable");
        }
        if (metrics is not null)
            foreach (var m in metrics) Console.WriteLine($"metric    {m.Key} {F(m.Value)}");
        return 0;
    }

    /// <summary>A value as written: finite numbers in G10, non-finite ones as nan, +inf or -inf.</summary>
    static string F(double v) => double.IsFinite(v) ? v.ToString("G10", CultureInfo.InvariantCulture) : double.IsNaN(v) ? "nan" : v > 0 ? "+inf" : "-inf";
    static string Fmt(double[] v) => v.Length <= 12 ? string.Join(", ", v.Select(F)) : string.Join(", ", v.Take(10).Select(F)) + $", … ({v.Length} values)";
}
