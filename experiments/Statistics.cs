using MathNet.Numerics.Distributions;

namespace ContactOpt.Experiments;

/// <summary>Summary of one (task, agent) group over its seeds.</summary>
public sealed record GroupSummary(
    string Task, string Agent, int Runs, double Mean, double CiLow, double CiHigh, double Median, double Std,
    double? SuccessRate, double? MedianEpisodesToThreshold, double MeanWallSeconds, int Budget, int NonFinite);

/// <summary>Means and Student-t confidence intervals, as reported in the BO-Leap paper's figures (90%).</summary>
public static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var a = values.Order().ToArray();
        if (a.Length == 0) return double.NaN;
        return a.Length % 2 == 1 ? a[a.Length / 2] : 0.5 * (a[a.Length / 2 - 1] + a[a.Length / 2]);
    }

    /// <summary>Mean and two-sided confidence interval (t distribution); a single value has a zero-width interval.</summary>
    public static (double Mean, double Low, double High, double Std) MeanCi(IReadOnlyList<double> v, double level = 0.90)
    {
        if (v.Count == 0) return (double.NaN, double.NaN, double.NaN, double.NaN);
        double mean = v.Average();
        if (v.Count == 1 || !double.IsFinite(mean)) return (mean, mean, mean, 0);
        double sd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1));
        double t = StudentT.InvCDF(0, 1, v.Count - 1, 0.5 + level / 2);
        double h = t * sd / Math.Sqrt(v.Count);
        return (mean, mean - h, mean + h, sd);
    }
}
