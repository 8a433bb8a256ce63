using System.Globalization;
using System.Text.Json;
using ContactOpt.Experiments;

namespace ContactOpt.Cli.Commands;

/// <summary>
/// <c>contactopt gradquality &lt;task&gt; [--points N] [--seed S] [--steps h,...] [--widths σ,...] [--rays R] [--scales t,...]
/// [--samples M] [--sgd-sigma σ] [--coords K] [--jobs J] [--json] [--out DIR]</c>: how far the exact gradient can be
/// trusted (finite differences at several steps, Gaussian-smoothed gradients at several widths, secant signs along
/// random rays, the variance of sgd's estimator), per point and as a summary with flags; <c>--out</c> writes plots.
/// </summary>
public static class GradqualityCommand
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static int Run(Args args)
    {
        var defaults = new GradientQualityOptions();
        var options = defaults with
        {
            Points = args.Int("points", defaults.Points, 1, 100_000),
            Seed = args.Int("seed", 0),
            Steps = List(args.Option("steps"), "--steps") ?? defaults.Steps,
            Widths = List(args.Option("widths"), "--widths") ?? defaults.Widths,
            Scales = List(args.Option("scales"), "--scales") ?? defaults.Scales,
            Rays = args.Int("rays", defaults.Rays, 1, 100_000),
            SmoothingSamples = args.Int("samples", defaults.SmoothingSamples, 1, 1_000_000),
            SgdSamples = args.Int("sgd-samples", defaults.SgdSamples, 2, 1_000_000),
            SgdSigma = args.Double("sgd-sigma", defaults.SgdSigma),
            MaxCoordinates = args.Int("coords", defaults.MaxCoordinates, 1, 1_000_000),
        };
        int jobs = args.Int("jobs", Environment.ProcessorCount, 1, 1024);
        bool json = args.Flag("json");
        var outDir = args.Option("out");
        var task = Catalog.Task(args.Positional(0, "task name (see 'contactopt tasks')"));
        args.EnsureAllUsed(1);
        try { options.Validate(); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        if (outDir is not null)
        {
            try { Directory.CreateDirectory(outDir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new UsageException($"--out '{outDir}': {e.Message}"); }
        }
        var report = GradientQuality.Run(() => task.CreateObjective(), options, jobs);
        var flags = report.Flags();
        IReadOnlyList<string> plots = outDir is null ? [] : GradientQualityPlots.Write(report, task.Name, outDir);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                task = task.Name, options.Seed, steps = options.Steps, widths = options.Widths, scales = options.Scales, rays = options.Rays,
                sgd_sigma = options.SgdSigma,
                points = report.Points.Select(p => new
                {
                    x = p.X, loss = p.Loss, gradient_norm = p.GradientNorm, coordinates = p.Coordinates, fd_relative_error = p.FdRelativeError,
                    smoothed_cosine = p.SmoothedCosine, smoothed_relative_error = p.SmoothedRelativeError,
                    secant_agree = p.SecantAgree, secant_opposite = p.SecantOpposite, secant_zero_exact = p.SecantZeroExact,
                    sgd_mean_cosine = p.SgdMeanCosine, sgd_relative_variance = p.SgdRelativeVariance,
                }),
                summary = new
                {
                    median_fd_error = report.MedianFdError, median_smoothed_cosine = report.MedianSmoothedCosine,
                    secant_opposite_share = report.OppositeShare, secant_zero_exact_share = report.ZeroExactShare, flat_points = report.FlatPoints,
                    median_sgd_relative_variance = report.MedianSgdRelativeVariance, median_sgd_cosine = report.MedianSgdCosine,
                    flags, verdict = flags.Count == 0 ? "pass" : "flagged",
                },
                plots,
            }, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
            return 0;
        }
        Console.WriteLine($"gradquality {task.Name}: {options.Points} points uniform in the sampling box (seed {options.Seed}); " +
                          $"{options.Rays} random rays per point; sgd estimator (J(x+w)−J(x))·w/σ² with σ = {G(options.SgdSigma)}, {options.SgdSamples} samples");
        Console.WriteLine($"{"#",4} {"loss",11} {"|grad|",9}  fd rel. error at h={string.Join(",", options.Steps.Select(G))}  " +
                          $"smoothed cos at σ={string.Join(",", options.Widths.Select(G))}  opposite secants at t={string.Join(",", options.Scales.Select(G))}  sgd cos, var/|g|²");
        for (int i = 0; i < report.Points.Count; i++)
        {
            var p = report.Points[i];
            Console.WriteLine($"{i,4} {G(p.Loss),11} {G(p.GradientNorm),9}  {string.Join(" ", p.FdRelativeError.Select(e => $"{e,9:0.0e+0}"))}  " +
                              $"{string.Join(" ", p.SmoothedCosine.Select(c => $"{c,6:0.000}"))}  {string.Join(" ", p.SecantOpposite.Select(n => $"{n,3}/{options.Rays}"))}  " +
                              $"{p.SgdMeanCosine,6:0.000} {G(p.SgdRelativeVariance)}");
        }
        Console.WriteLine("summary:");
        Console.WriteLine($"  exact vs central differences, median relative error: {string.Join(", ", options.Steps.Select((h, k) => $"h {G(h)}: {report.MedianFdError[k]:0.0e+0}"))}");
        Console.WriteLine($"  exact vs Gaussian-smoothed gradient, median cosine: {string.Join(", ", options.Widths.Select((w, k) => $"σ {G(w)} of the box: {report.MedianSmoothedCosine[k]:0.000}"))}");
        Console.WriteLine($"  secants along random rays with the opposite sign: {string.Join(", ", options.Scales.Select((t, k) => $"t {G(t)} of the box: {report.OppositeShare[k]:P1}"))}");
        Console.WriteLine($"  exact gradient exactly zero: {report.FlatPoints}/{options.Points} points; zero directional derivative where the loss changes: " +
                          string.Join(", ", options.Scales.Select((t, k) => $"t {G(t)}: {report.ZeroExactShare[k]:P1}")));
        Console.WriteLine($"  sgd estimator: median variance / |∇J|² = {G(report.MedianSgdRelativeVariance)} per sample (≈ samples needed for a relative error of 1), " +
                          $"median cosine of its {options.SgdSamples}-sample mean with ∇J = {report.MedianSgdCosine:0.000}");
        foreach (var f in flags) Console.WriteLine($"  FLAG {f}");
        Console.WriteLine($"verdict: {(flags.Count == 0 ? "pass" : "flagged")}");
        foreach (var p in plots) Console.WriteLine($"wrote {p}");
        return 0;
    }

    static string G(double v) => double.IsPositiveInfinity(v) ? "inf" : v.ToString("G3", Ci);

    static double[]? List(string? text, string what) => text is null ? null : Args.ParseVector(text, what);
}
