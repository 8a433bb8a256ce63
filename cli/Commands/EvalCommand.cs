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
        // The task's figures: parameter metrics (distance to a hidden ground truth) and final-state metrics (IoU).
        var metrics = new List<ContactOpt.Tasks.StateMetric>();
        if (task.Metrics(x) is { } parameterMetrics)
            metrics.AddRange(parameterMetrics.Select(m => new ContactOpt.Tasks.StateMetric(m.Key, m.Value, "")));
        metrics.AddRange(FinalStateMetrics(task, x, loss));
        if (json)
        {
            var doc = new Dictionary<string, object?>
            {
                // JSON has no NaN or infinity: a diverged loss and non-finite gradient entries are null, flagged below.
                ["task"] = task.Name, ["params"] = x, ["loss"] = double.IsFinite(loss) ? loss : null,
                ["gradient"] = g?.Select(v => double.IsFinite(v) ? v : (double?)null).ToArray(),
                ["diverged"] = !double.IsFinite(loss),
                ["gradient_finite"] = g is null ? null : g.All(double.IsFinite),
            };
            if (metrics.Count > 0)
                doc["metrics"] = metrics.ToDictionary(m => m.Name, m => (object?)new Dictionary<string, object?>
                {
                    ["value"] = double.IsFinite(m.Value) ? m.Value : null, ["success"] = m.Success, ["description"] = m.Description,
                });
            Console.WriteLine(JsonSerializer.Serialize(doc));
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
        foreach (var m in metrics)
            Console.WriteLine($"{m.Name,-9} {F(m.Value)}{(m.Success is bool ok ? (ok ? " (success)" : " (not a success)") : "")}{(m.Description.Length > 0 ? ": " + m.Description : "")}");
        return 0;
    }

    /// <summary>The task's optional final-state metrics at x (one more loss-only rollout; none for the physical view or a diverged episode).</summary>
    static IReadOnlyList<ContactOpt.Tasks.StateMetric> FinalStateMetrics(ContactOpt.Tasks.TaskInstance task, double[] x, double loss)
    {
        var dyn = task.Dynamics;
        if (!dyn.HasFinalStateMetrics || task.View != ContactOpt.Tasks.ParameterView.Controls || !double.IsFinite(loss)) return [];
        using var tape = new ContactOpt.Tasks.SegmentTape(dyn);
        var s0 = new double[dyn.StateSize];
        dyn.InitialState(s0, ContactOpt.Rng.Create(0));   // the objective's initial state (seed 0)
        ContactOpt.Tasks.Episode.Rollout(tape, s0, x, dyn.DefaultParameters());
        return tape.Diverged ? [] : dyn.FinalStateMetrics(tape.State);
    }

    /// <summary>A value as written: finite numbers in G10, non-finite ones as nan, +inf or -inf.</summary>
    static string F(double v) => double.IsFinite(v) ? v.ToString("G10", CultureInfo.InvariantCulture) : double.IsNaN(v) ? "nan" : v > 0 ? "+inf" : "-inf";
    static string Fmt(double[] v) => v.Length <= 12 ? string.Join(", ", v.Select(F)) : string.Join(", ", v.Take(10).Select(F)) + $", … ({v.Length} values)";
}
