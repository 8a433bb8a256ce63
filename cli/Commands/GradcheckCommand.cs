using System.Globalization;
using System.Text.Json;
using ContactOpt.Tasks;

namespace ContactOpt.Cli.Commands;

/// <summary><c>contactopt gradcheck &lt;task&gt; [--points N] [--seed S] [--step H] [--coords K] [--json]</c> (K: random coordinates per point).</summary>
public static class GradcheckCommand
{
    public static int Run(Args args)
    {
        int points = args.Int("points", 20, 1, 100000);
        int seed = args.Int("seed", 0);
        double step = args.Double("step", 1e-6);
        if (!(step > 0 && step < 1)) throw new UsageException($"--step {step} must be in (0, 1).");
        int? coords = args.Option("coords") is string c ? (int.TryParse(c, out var k) && k >= 1 ? k : throw new UsageException($"--coords '{c}' must be a positive integer.")) : null;
        bool json = args.Flag("json");
        var task = Catalog.Task(args.Positional(0, "task name (see 'contactopt tasks')"));
        args.EnsureAllUsed(1);
        var report = GradientCheck.Run(task.CreateObjective(), points, seed, step, coords);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                task = task.Name, seed, step, points = report.Points.Select(p => new
                {
                    x = p.X, coordinates = p.Coordinates, loss = p.Loss, automatic = p.Automatic, finite_difference = p.FiniteDifference,
                    relative_error = p.RelativeError, smooth = p.Smooth,
                }),
                summary = new { median_relative_error = report.MedianError, smooth_points = report.SmoothCount, max_smooth_error = report.MaxSmoothError, agreeing_1e_4 = report.Agreeing(1e-4) },
            }, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
            return 0;
        }
        Console.WriteLine($"gradcheck {task.Name}: {points} points drawn uniformly from the sampling box (seed {seed}), central differences with h = {step:G3}·max(1,|x|){(coords is int m && m < task.Dimension ? $", {m} random coordinates per point" : "")}");
        Console.WriteLine($"{"#",4}  {"loss",12}  {"|grad|",10}  {"rel. error",10}  region");
        for (int i = 0; i < report.Points.Count; i++)
        {
            var p = report.Points[i];
            double norm = Math.Sqrt(p.Automatic.Sum(v => v * v));
            string region = p.Smooth ? "smooth" : "contact event/branch within ±h (finite differences unreliable)";
            Console.WriteLine($"{i,4}  {p.Loss,12:G6}  {norm,10:G4}  {p.RelativeError,10:E2}  {region}");
        }
        Console.WriteLine($"summary: median relative error {report.MedianError:E2}; {report.Agreeing(1e-4)}/{points} points agree to 1e-4; " +
            $"{report.SmoothCount}/{points} smooth, worst smooth error {report.MaxSmoothError.ToString("E2", CultureInfo.InvariantCulture)}");
        return 0;
    }
}
