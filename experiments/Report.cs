using System.Globalization;
using System.Text;
using ContactOpt.Tasks;
using ScottPlot;

namespace ContactOpt.Experiments;

/// <summary>
/// Builds a study's report from its store: <c>report.md</c> with a table per task (best loss at the budget:
/// mean, 90% CI, median, success rate, episodes to the success threshold, wall time), and per task PNGs:
/// best-so-far loss vs episodes (mean and 90% CI band per agent), a bar chart with 90% CIs, and a filmstrip
/// of each agent's best final behaviour.
/// </summary>
public sealed class ReportBuilder(ResultStore store, TaskRegistry tasks)
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public IReadOnlyList<GroupSummary> Summaries()
    {
        var runs = store.Runs();
        var list = new List<GroupSummary>();
        foreach (var g in runs.GroupBy(r => (r.Task, r.Agent)))
        {
            var finals = g.Select(r => r.BestLoss).ToList();
            var (mean, lo, hi, sd) = Stats.MeanCi(finals);
            double? threshold = TryTask(g.Key.Task)?.SuccessThreshold;
            double? success = null, toThreshold = null;
            if (threshold is double th)
            {
                success = finals.Count(v => v < th) / (double)finals.Count;
                var hits = g.Select(r => store.Episodes(r.Id).FirstOrDefault(e => e.Best < th)).Where(e => e.Best < th).Select(e => (double)e.Episode + 1).ToList();
                if (hits.Count > 0) toThreshold = Stats.Median(hits);
            }
            list.Add(new GroupSummary(g.Key.Task, g.Key.Agent, finals.Count, mean, lo, hi, Stats.Median(finals), sd, success, toThreshold,
                g.Average(r => r.WallSeconds), g.Max(r => r.Budget), g.Sum(r => r.NonFinite)));
        }
        return list;
    }

    TaskInstance? TryTask(string name) { try { return tasks.Create(name); } catch (ArgumentException) { return null; } }

    /// <summary>Writes report.md and the figures into <paramref name="directory"/>; returns the report path.</summary>
    public string Write(string directory, bool filmstrips = true)
    {
        Directory.CreateDirectory(directory);
        var study = store.Study();
        var summaries = Summaries();
        var runs = store.Runs();
        var sb = new StringBuilder();
        sb.AppendLine($"# {Md(study.Name ?? "ContactOpt comparison")}");
        sb.AppendLine();
        sb.AppendLine($"Tasks: {string.Join(", ", study.Tasks)}. Agents: {string.Join(", ", study.Agents)}. Seeds: {study.Seeds}. " +
                      $"Budget: {study.Budget} episodes (an episode is one simulation, with or without its gradient){(study.Overrides.Count > 0 ? ", with the per-agent overrides listed below" : "")}.");
        sb.AppendLine();
        sb.AppendLine($"Finished runs: {runs.Count} of {study.Runs().Count}. Code version: {string.Join(", ", runs.Select(r => r.CodeVersion).Distinct())}. " +
                      $"Machine: {string.Join("; ", runs.Select(r => r.Machine).Distinct())}.");
        sb.AppendLine();
        if (study.Overrides.Count > 0)
        {
            sb.AppendLine("Overrides:");
            foreach (var o in study.Overrides)
                sb.AppendLine($"- {Md(o.Task)} / {Md(o.Agent)}: budget {(o.Budget?.ToString(Ci) ?? "default")}{(o.Settings.Count > 0 ? "; " + string.Join(", ", o.Settings.Select(kv => $"{Md(kv.Key)}={Md(kv.Value)}")) : "")}");
            sb.AppendLine();
        }
        sb.AppendLine("Metric: best loss found within the budget (lower is better), per seed; mean with a 90% Student-t confidence interval over seeds.");
        sb.AppendLine();
        foreach (var task in study.Tasks)
        {
            var rows = summaries.Where(s => s.Task == task).OrderBy(s => study.Agents.IndexOf(s.Agent)).ToList();
            if (rows.Count == 0) continue;
            var ti = TryTask(task);
            string slug = Slug(task);
            sb.AppendLine($"## {task}");
            sb.AppendLine();
            if (ti is not null) { sb.AppendLine(ti.Description); sb.AppendLine(); }
            string th = ti?.SuccessThreshold is double s ? $" (loss < {s.ToString(Ci)})" : "";
            sb.AppendLine($"| agent | runs | budget | best loss: mean | 90% CI | median | success{th} | episodes to success (median) | wall s (mean) |");
            sb.AppendLine("|---|---:|---:|---:|---|---:|---:|---:|---:|");
            foreach (var r in rows)
                sb.AppendLine($"| {r.Agent} | {r.Runs} | {r.Budget} | {F(r.Mean)} | [{F(r.CiLow)}, {F(r.CiHigh)}] | {F(r.Median)} | " +
                              $"{(r.SuccessRate is double sr ? $"{sr:P0}" : "—")} | {(r.MedianEpisodesToThreshold is double e ? e.ToString("0", Ci) : "—")} | {r.MeanWallSeconds.ToString("0.###", Ci)} |");
            sb.AppendLine();
            var nonFinite = rows.Where(r => r.NonFinite > 0).ToList();
            if (nonFinite.Count > 0)
                sb.AppendLine($"Diverged (non-finite) episodes, counted as +∞: {string.Join(", ", nonFinite.Select(r => $"{r.Agent} {r.NonFinite}"))}.\n");
            PlotCurves(task, runs.Where(r => r.Task == task).ToList(), study.Agents, Path.Combine(directory, $"{slug}-curves.png"));
            PlotBars(task, rows, Path.Combine(directory, $"{slug}-bars.png"));
            sb.AppendLine($"![best-so-far loss]({slug}-curves.png)");
            sb.AppendLine();
            sb.AppendLine($"![final best loss, 90% CI]({slug}-bars.png)");
            sb.AppendLine();
            if (filmstrips && ti is not null)
            {
                sb.AppendLine("Best final behaviour per agent (the best parameters over all seeds):");
                sb.AppendLine();
                foreach (var agent in study.Agents)
                {
                    var best = runs.Where(r => r.Task == task && r.Agent == agent && r.BestParameters.Length == ti.Dimension)
                                   .OrderBy(r => r.BestLoss).FirstOrDefault();
                    if (best is null || !double.IsFinite(best.BestLoss)) continue;
                    var file = $"{slug}-{Slug(agent)}-film.png";
                    ti.RenderEpisode(best.BestParameters, frames: 6).SavePng(Path.Combine(directory, file));
                    sb.AppendLine($"**{agent}** (seed {best.Seed}, loss {F(best.BestLoss)}, x = [{string.Join(", ", best.BestParameters.Take(8).Select(v => v.ToString("G4", Ci)))}{(best.BestParameters.Length > 8 ? ", …" : "")}])");
                    sb.AppendLine();
                    sb.AppendLine($"![{agent}]({file})");
                    sb.AppendLine();
                }
            }
            foreach (var line in PaperNotes.For(task, rows, runs.Where(r => r.Task == task).ToList(), store)) sb.AppendLine(line);
        }
        var path = Path.Combine(directory, "report.md");
        AtomicFile.Write(path, sb.ToString());
        return path;
    }

    /// <summary>A plain-text summary table (printed at the end of compare).</summary>
    public string SummaryTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{"task",-16} {"agent",-13} {"runs",4} {"mean best",11} {"90% CI",25} {"median",11} {"success",8}");
        foreach (var r in Summaries().OrderBy(s => s.Task).ThenBy(s => s.Mean))
            sb.AppendLine($"{r.Task,-16} {r.Agent,-13} {r.Runs,4} {F(r.Mean),11} {"[" + F(r.CiLow) + ", " + F(r.CiHigh) + "]",25} {F(r.Median),11} {(r.SuccessRate is double s ? s.ToString("P0", Ci) : "—"),8}");
        return sb.ToString();
    }

    public static string F(double v) => double.IsNaN(v) ? "—" : double.IsPositiveInfinity(v) ? "∞" : v.ToString(Math.Abs(v) < 1e-3 && v != 0 ? "0.00e+0" : "0.0000", Ci);
    /// <summary>Interpolated text as one Markdown line: control characters (a newline would start a heading) become spaces.</summary>
    static string Md(string s) => new(s.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
    static string Slug(string s) => new(s.Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray());

    void PlotCurves(string task, List<StoredRun> runs, List<string> agentOrder, string path)
    {
        var plt = new Plot();
        var byAgent = runs.GroupBy(r => r.Agent).OrderBy(g => agentOrder.IndexOf(g.Key)).ToList();
        var all = new List<(string Agent, double[] X, double[] Mean, double[] Lo, double[] Hi)>();
        foreach (var g in byAgent)
        {
            var traces = g.Select(r => store.Episodes(r.Id).Select(e => e.Best).ToArray()).Where(t => t.Length > 0).ToList();
            if (traces.Count == 0) continue;
            int n = traces.Max(t => t.Length);
            var x = new double[n]; var mean = new double[n]; var lo = new double[n]; var hi = new double[n];
            for (int e = 0; e < n; e++)
            {
                var vals = traces.Select(t => t[Math.Min(e, t.Length - 1)]).Where(double.IsFinite).ToList();
                var (m, l, h, _) = Stats.MeanCi(vals);
                x[e] = e + 1; mean[e] = m; lo[e] = l; hi[e] = h;
            }
            all.Add((g.Key, x, mean, lo, hi));
        }
        var positive = all.SelectMany(a => a.Mean.Concat(a.Lo)).Where(v => double.IsFinite(v)).ToList();
        bool log = positive.Count > 0 && positive.All(v => v > 0) && positive.Max() / positive.Min() > 30;
        double T(double v) => log ? Math.Log10(Math.Max(v, 1e-300)) : v;
        // Budgets that differ a lot (e.g. 6 GD updates vs 2,001 SGD evaluations) read better on a log episode axis.
        var lengths = all.Select(a => a.X.Length).ToList();
        bool logX = lengths.Count > 0 && lengths.Max() > 5 * Math.Max(1, lengths.Min());
        double TX(double e) => logX ? Math.Log10(e) : e;
        foreach (var (agent, x, mean, lo, hi) in all)
        {
            var color = plt.Add.GetNextColor();
            var ok = Enumerable.Range(0, x.Length).Where(i => double.IsFinite(mean[i]) && double.IsFinite(lo[i]) && double.IsFinite(hi[i])).ToArray();
            if (ok.Length == 0) continue;
            var xs = ok.Select(i => TX(x[i])).ToArray();
            if (ok.Length > 1)
            {
                var band = plt.Add.FillY(xs, ok.Select(i => T(Math.Max(lo[i], log ? 1e-300 : double.NegativeInfinity))).ToArray(), ok.Select(i => T(hi[i])).ToArray());
                band.FillStyle.Color = color.WithAlpha(0.2);
                band.LineStyle.Width = 0;
            }
            var line = plt.Add.ScatterLine(xs, ok.Select(i => T(mean[i])).ToArray());
            line.Color = color; line.LineWidth = 2; line.LegendText = agent;
            if (ok.Length == 1) line.MarkerSize = 8;
        }
        plt.Title($"{task}: best loss so far (mean, 90% CI over seeds)");
        plt.XLabel(logX ? "episodes (log scale)" : "episodes");
        if (logX)
            plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                LabelFormatter = e => Math.Pow(10, e).ToString("0.###", Ci),
                IntegerTicksOnly = true,
            };
        plt.YLabel(log ? "best loss (log scale)" : "best loss");
        if (log)
        {
            var ticks = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                LabelFormatter = y => Math.Pow(10, y).ToString("G3", Ci),
                IntegerTicksOnly = true,
            };
            plt.Axes.Left.TickGenerator = ticks;
        }
        plt.ShowLegend(Alignment.UpperRight);
        plt.SavePng(path, 800, 500);
    }

    static void PlotBars(string task, List<GroupSummary> rows, string path)
    {
        var plt = new Plot();
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            double v = double.IsFinite(r.Mean) ? r.Mean : 0;
            double err = double.IsFinite(r.CiHigh - r.Mean) ? r.CiHigh - r.Mean : 0;
            bars.Add(new Bar { Position = i, Value = v, Error = err, FillColor = plt.Add.Palette.GetColor(i) });
            ticks.Add(new Tick(i, r.Agent));
        }
        plt.Add.Bars(bars);
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plt.Axes.Bottom.MajorTickStyle.Length = 0;
        plt.Axes.Margins(bottom: 0);
        plt.Title($"{task}: best loss at the budget (mean, 90% CI)");
        plt.YLabel("best loss");
        plt.SavePng(path, 800, 450);
    }
}
