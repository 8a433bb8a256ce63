namespace ContactOpt.Experiments;

/// <summary>
/// Summary of one (task, agent) group over its seeds. <see cref="CiLow"/>/<see cref="CiHigh"/>: the bootstrap
/// percentile interval of the mean (<see cref="Stats.BootstrapMeanCi"/>). Episodes to the success threshold are
/// summarised over the seeds that reach it only: <see cref="SeedsReachingThreshold"/> of <see cref="Runs"/>, their
/// median in <see cref="MedianEpisodesToThreshold"/> (null when no seed reaches it).
/// </summary>
public sealed record GroupSummary(
    string Task, string Agent, int Runs, double Mean, double CiLow, double CiHigh, double Median, double Std,
    double? SuccessRate, double? MedianEpisodesToThreshold, int SeedsReachingThreshold, double MeanWallSeconds, int Budget, int NonFinite);

/// <summary>Medians, means and confidence intervals of per-seed results.</summary>
public static class Stats
{
    /// <summary>Resamples of the seeds for the tables' intervals.</summary>
    public const int BootstrapResamples = 10_000;
    /// <summary>The bootstrap's generator seed: every report draws the same resamples.</summary>
    public const int BootstrapSeed = 0;

    /// <summary>How the intervals are computed, as the report states it.</summary>
    public static string IntervalMethod(double level = 0.90) =>
        $"{level * 100:0}% bootstrap percentile interval of the mean over seeds ({BootstrapResamples:N0} resamples of the seeds with replacement, " +
        $"generator seed {BootstrapSeed}); it always lies within the range of the per-seed values, so it never leaves the metric's range";

    public static double Median(IEnumerable<double> values)
    {
        var a = values.Order().ToArray();
        if (a.Length == 0) return double.NaN;
        return a.Length % 2 == 1 ? a[a.Length / 2] : 0.5 * (a[a.Length / 2 - 1] + a[a.Length / 2]);
    }

    /// <summary>Sample standard deviation (n − 1); 0 for one value, NaN for none.</summary>
    public static double Std(IReadOnlyList<double> v)
    {
        if (v.Count == 0) return double.NaN;
        if (v.Count == 1) return 0;
        double mean = v.Average();
        if (!double.IsFinite(mean)) return double.NaN;
        return Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1));
    }

    /// <summary>
    /// Mean and its bootstrap percentile interval: the mean of <paramref name="resamples"/> resamples (n draws with
    /// replacement) of the values, and the (1 − level)/2 and (1 + level)/2 quantiles of those means (the smallest
    /// resampled mean whose empirical CDF reaches the level). Deterministic given <paramref name="seed"/>. The bounds
    /// are clamped to [min, max] of the values (they can only leave it by rounding), so an interval of a
    /// non-negative metric is non-negative. One value: a zero-width interval. An infinite value (a diverged run)
    /// makes the mean infinite; the bounds are then the quantiles of resampled means that may be infinite too.
    /// </summary>
    public static (double Mean, double Low, double High) BootstrapMeanCi(IReadOnlyList<double> v, double level = 0.90,
        int resamples = BootstrapResamples, int seed = BootstrapSeed)
    {
        if (!(level > 0 && level < 1)) throw new ArgumentOutOfRangeException(nameof(level), level, "the level must be in (0, 1).");
        if (resamples < 1) throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "need at least one resample.");
        if (v.Count == 0) return (double.NaN, double.NaN, double.NaN);
        if (v.Any(double.IsNaN)) return (double.NaN, double.NaN, double.NaN);
        double mean = v.Average();
        if (v.Count == 1) return (mean, mean, mean);
        double min = v.Min(), max = v.Max();
        if (min == max) return (min, min, min);
        var rng = Rng.Create(seed);
        var means = new double[resamples];
        int n = v.Count;
        for (int b = 0; b < resamples; b++)
        {
            double s = 0;
            for (int k = 0; k < n; k++) s += v[rng.Next(n)];
            means[b] = s / n;
        }
        Array.Sort(means);
        double lo = Quantile(means, (1 - level) / 2), hi = Quantile(means, (1 + level) / 2);
        return (mean, Math.Clamp(lo, min, max), Math.Clamp(hi, min, max));
    }

    /// <summary>The smallest element whose empirical CDF (rank / count) reaches q, of a sorted array.</summary>
    public static double Quantile(double[] sorted, double q)
    {
        if (sorted.Length == 0) return double.NaN;
        int k = (int)Math.Ceiling(q * sorted.Length) - 1;
        return sorted[Math.Clamp(k, 0, sorted.Length - 1)];
    }

    /// <summary>
    /// Episodes to reach a threshold, per seed: the 1-based index of the first episode whose best-so-far loss is
    /// below <paramref name="threshold"/>, or null for a seed that never gets there.
    /// </summary>
    public static int? EpisodesToThreshold(IEnumerable<double> bestSoFar, double threshold)
    {
        int i = 0;
        foreach (var b in bestSoFar)
        {
            i++;
            if (b < threshold) return i;
        }
        return null;
    }
}
