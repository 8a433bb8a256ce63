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
            var (mean, lo, hi) = Stats.BootstrapMeanCi(finals);
            double? threshold = TryTask(g.Key.Task)?.SuccessThreshold;
            double? success = null, toThreshold = null;
            int reaching = 0;
            if (threshold is double th)
            {
                success = finals.Count(v => v < th) / (double)finals.Count;
                var hits = g.Select(r => Stats.EpisodesToThreshold(store.Episodes(r.Id).Select(e => e.Best), th))
                            .OfType<int>().Select(e => (double)e).ToList();
                reaching = hits.Count;
                if (hits.Count > 0) toThreshold = Stats.Median(hits);
            }
            list.Add(new GroupSummary(g.Key.Task, g.Key.Agent, finals.Count, mean, lo, hi, Stats.Median(finals), Stats.Std(finals), success, toThreshold,
                reaching, g.Average(r => r.WallSeconds), g.Max(r => r.Budget), g.Sum(r => r.NonFinite)));
        }
        return list;
    }

    TaskInstance? TryTask(string name) { try { return tasks.Create(name); } catch (ArgumentException) { return null; } }

    /// <summary>The colour each figure gave each agent in the last <see cref="Write"/> (figure file → agent → colour).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, Color>> FigureColors => _figureColors;
    readonly Dictionary<string, IReadOnlyDictionary<string, Color>> _figureColors = new();

    /// <summary>Writes report.md and the figures into <paramref name="directory"/>; returns the report path.</summary>
    public string Write(string directory, bool filmstrips = true)
    {
        Directory.CreateDirectory(directory);
        _figureColors.Clear();
        var study = store.Study();
        var palette = new AgentPalette(study.Agents);
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
        sb.AppendLine($"Metric: best loss found within the budget (lower is better), per seed; mean with its {Stats.IntervalMethod()}. " +
                      "Success: the share of seeds whose best loss is below the task's threshold. Episodes to success: the first episode " +
                      "whose best-so-far loss is below the threshold, as a median over the seeds that reach it (their count in brackets; " +
                      "— when none does). Every loss is the loss of the parameters on the task's parameter view, the objective the filmstrips replay.");
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
            if (ti is not null && Agents.AgentContext.HasRandomStart(ti))
            {
                sb.AppendLine("Scored distribution: this task's episodes start from random states. Every loss here is scored from the parameter " +
                              "view's fixed start (the initial state drawn from seed 0): optimisers evaluate their parameters there, and the episodes " +
                              "of agents that train on the step view (from random starts) are charged the loss of their actions replayed from that start.");
                sb.AppendLine();
            }
            string th = ti?.SuccessThreshold is double s ? $" (loss < {s.ToString(Ci)})" : "";
            sb.AppendLine($"| agent | runs | budget | best loss: mean | 90% CI | median | success{th} | episodes to success: median (seeds) | wall s (mean) |");
            sb.AppendLine("|---|---:|---:|---:|---|---:|---:|---:|---:|");
            foreach (var r in rows)
                sb.AppendLine($"| {r.Agent} | {r.Runs} | {r.Budget} | {F(r.Mean)} | [{F(r.CiLow)}, {F(r.CiHigh)}] | {F(r.Median)} | " +
                              $"{(r.SuccessRate is double sr ? sr.ToString("P0", Ci) : "—")} | {EpisodesCell(r)} | {r.MeanWallSeconds.ToString("0.###", Ci)} |");
            sb.AppendLine();
            if (ti is not null) AppendMetrics(sb, ti, task, study.Agents, runs);
            var nonFinite = rows.Where(r => r.NonFinite > 0).ToList();
            if (nonFinite.Count > 0)
                sb.AppendLine($"Diverged (non-finite) episodes, counted as +∞: {string.Join(", ", nonFinite.Select(r => $"{r.Agent} {r.NonFinite}"))}.\n");
            bool budgetsDiffer = rows.Select(r => r.Budget).Distinct().Count() > 1;
            if (budgetsDiffer)
            {
                sb.AppendLine($"Budgets differ: {string.Join(", ", rows.Select(r => $"{r.Agent} {r.Budget}"))} episodes (shown in the figures' labels).");
                sb.AppendLine();
            }
            var curves = $"{slug}-curves.png";
            var bars = $"{slug}-bars.png";
            _figureColors[curves] = PlotCurves(task, runs.Where(r => r.Task == task).ToList(), study.Agents, palette, budgetsDiffer, Path.Combine(directory, curves));
            _figureColors[bars] = PlotBars(task, rows, palette, budgetsDiffer, Path.Combine(directory, bars));
            sb.AppendLine($"![best-so-far loss]({curves})");
            sb.AppendLine();
            sb.AppendLine($"![final best loss, 90% CI]({bars})");
            sb.AppendLine();
            if (filmstrips && ti is not null)
            {
                sb.AppendLine("Best final behaviour per agent (the best parameters over all seeds, replayed on the parameter view; the loss printed is the filmstrip's):");
                sb.AppendLine();
                var objective = ti.CreateObjective();
                foreach (var agent in study.Agents)
                {
                    var best = runs.Where(r => r.Task == task && r.Agent == agent && r.BestParameters.Length == ti.Dimension)
                                   .OrderBy(r => r.BestLoss).FirstOrDefault();
                    if (best is null || !double.IsFinite(best.BestLoss)) continue;
                    var file = $"{slug}-{Slug(agent)}-film.png";
                    ContactOpt.Rendering.FrameImages.SavePng(ti.RenderEpisode(best.BestParameters, frames: 6), Path.Combine(directory, file));
                    double replay = objective.Loss(best.BestParameters);
                    bool same = Math.Abs(replay - best.BestLoss) <= 1e-9 * Math.Max(1, Math.Abs(replay));
                    sb.AppendLine($"**{agent}** (seed {best.Seed}, loss {F(replay)}{(same ? "" : $"; the run recorded {F(best.BestLoss)} for these parameters, scored on another objective")}, " +
                                  $"x = [{string.Join(", ", best.BestParameters.Take(8).Select(v => v.ToString("G4", Ci)))}{(best.BestParameters.Length > 8 ? ", …" : "")}])");
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

    /// <summary>
    /// Task-specific figures (<see cref="TaskInstance.Metrics"/>, e.g. cloth-id's distance to the hidden parameters) of
    /// each run's best parameters: per agent the mean over its seeds and the range. Nothing when the task has none.
    /// </summary>
    static void AppendMetrics(StringBuilder sb, TaskInstance ti, string task, IReadOnlyList<string> agents, IReadOnlyList<StoredRun> runs)
    {
        var perAgent = new List<(string Agent, List<IReadOnlyList<KeyValuePair<string, double>>> Values)>();
        foreach (var agent in agents)
        {
            var values = runs.Where(r => r.Task == task && r.Agent == agent && r.BestParameters.Length == ti.Dimension)
                             .Select(r => ti.Metrics(r.BestParameters)).OfType<IReadOnlyList<KeyValuePair<string, double>>>().ToList();
            if (values.Count > 0) perAgent.Add((agent, values));
        }
        if (perAgent.Count == 0) return;
        var names = perAgent[0].Values[0].Select(m => m.Key).ToList();
        sb.AppendLine("Task metrics of the best parameters (per run; mean over the runs [min, max]):");
        sb.AppendLine();
        sb.AppendLine($"| agent | runs | {string.Join(" | ", names.Select(Md))} |");
        sb.AppendLine($"|---|---:|{string.Concat(names.Select(_ => "---:|"))}");
        foreach (var (agent, values) in perAgent)
        {
            var cells = names.Select((_, k) =>
            {
                var v = values.Select(m => m[k].Value).ToList();
                return $"{F(v.Average())} [{F(v.Min())}, {F(v.Max())}]";
            });
            sb.AppendLine($"| {agent} | {values.Count} | {string.Join(" | ", cells)} |");
        }
        sb.AppendLine();
    }

    /// <summary>The table cell for episodes to success: "median (k/n)" over the k seeds that reach it, "—" when none.</summary>
    public static string EpisodesCell(GroupSummary r) =>
        r.MedianEpisodesToThreshold is double e ? $"{e.ToString("0.#", Ci)} ({r.SeedsReachingThreshold}/{r.Runs})" : "—";

    /// <summary>A plain-text summary table (printed at the end of compare).</summary>
    public string SummaryTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{"task",-16} {"agent",-13} {"runs",4} {"mean best",11} {"90% CI (bootstrap)",25} {"median",11} {"success",8}");
        foreach (var r in Summaries().OrderBy(s => s.Task).ThenBy(s => s.Mean))
            sb.AppendLine($"{r.Task,-16} {r.Agent,-13} {r.Runs,4} {F(r.Mean),11} {"[" + F(r.CiLow) + ", " + F(r.CiHigh) + "]",25} {F(r.Median),11} {(r.SuccessRate is double s ? s.ToString("P0", Ci) : "—"),8}");
        return sb.ToString();
    }

    public static string F(double v) => double.IsNaN(v) ? "—" : double.IsPositiveInfinity(v) ? "∞" : v.ToString(Math.Abs(v) < 1e-3 && v != 0 ? "0.00e+0" : "0.0000", Ci);
    /// <summary>Interpolated text as one Markdown line: control characters (a newline would start a heading) become spaces.</summary>
    static string Md(string s) => new(s.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
    static string Slug(string s) => new(s.Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray());

    /// <summary>Whether positive values span more than 1.5 decades (then a log axis reads better).</summary>
    public static bool SpansDecades(IEnumerable<double> values)
    {
        var p = values.Where(v => double.IsFinite(v) && v > 0).ToList();
        return p.Count > 1 && p.Max() / p.Min() > 30;
    }

    static ScottPlot.TickGenerators.NumericAutomatic LogTicks(string format) => new()
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        LabelFormatter = y => Math.Pow(10, y).ToString(format, Ci),
        IntegerTicksOnly = true,
    };

    /// <summary>Curves of best-so-far loss (mean and interval band per agent); at most this many points per curve.</summary>
    const int MaxCurvePoints = 300;
    /// <summary>Resamples per curve point (fewer than the tables': the band is drawn, not quoted).</summary>
    const int CurveResamples = 2000;

    IReadOnlyDictionary<string, Color> PlotCurves(string task, List<StoredRun> runs, List<string> agentOrder, AgentPalette palette, bool budgetsDiffer, string path)
    {
        var plt = new Plot();
        var used = new Dictionary<string, Color>();
        var byAgent = runs.GroupBy(r => r.Agent).OrderBy(g => agentOrder.IndexOf(g.Key)).ToList();
        var all = new List<(string Agent, int Budget, double[] X, double[] Mean, double[] Lo, double[] Hi)>();
        foreach (var g in byAgent)
        {
            var traces = g.Select(r => store.Episodes(r.Id).Select(e => e.Best).ToArray()).Where(t => t.Length > 0).ToList();
            if (traces.Count == 0) continue;
            int n = traces.Max(t => t.Length);
            var idx = CurveIndices(n);
            var x = new double[idx.Length]; var mean = new double[idx.Length]; var lo = new double[idx.Length]; var hi = new double[idx.Length];
            for (int k = 0; k < idx.Length; k++)
            {
                int e = idx[k];
                var vals = traces.Select(t => t[Math.Min(e, t.Length - 1)]).Where(double.IsFinite).ToList();
                var (m, l, h) = Stats.BootstrapMeanCi(vals, resamples: CurveResamples);
                x[k] = e + 1; mean[k] = m; lo[k] = l; hi[k] = h;
            }
            all.Add((g.Key, g.Max(r => r.Budget), x, mean, lo, hi));
        }
        bool log = SpansDecades(all.SelectMany(a => a.Mean.Concat(a.Lo).Concat(a.Hi)));
        double floor = log ? all.SelectMany(a => a.Lo.Concat(a.Mean)).Where(v => double.IsFinite(v) && v > 0).DefaultIfEmpty(1e-300).Min() : 0;
        double T(double v) => log ? Math.Log10(Math.Max(v, floor)) : v;
        // Budgets that differ a lot (e.g. 6 GD updates vs 2,001 SGD evaluations) read better on a log episode axis.
        var lengths = all.Select(a => a.X[^1]).ToList();
        bool logX = lengths.Count > 0 && lengths.Max() > 5 * Math.Max(1, lengths.Min());
        double TX(double e) => logX ? Math.Log10(e) : e;
        foreach (var (agent, budget, x, mean, lo, hi) in all)
        {
            var color = palette[agent];
            used[agent] = color;
            var ok = Enumerable.Range(0, x.Length).Where(i => double.IsFinite(mean[i]) && double.IsFinite(lo[i]) && double.IsFinite(hi[i])).ToArray();
            if (ok.Length == 0) continue;
            var xs = ok.Select(i => TX(x[i])).ToArray();
            if (ok.Length > 1)
            {
                var band = plt.Add.FillY(xs, ok.Select(i => T(lo[i])).ToArray(), ok.Select(i => T(hi[i])).ToArray());
                band.FillStyle.Color = color.WithAlpha(0.2);
                band.LineStyle.Width = 0;
            }
            var line = plt.Add.ScatterLine(xs, ok.Select(i => T(mean[i])).ToArray());
            line.Color = color; line.LineWidth = 2; line.LegendText = budgetsDiffer ? $"{agent} (budget {budget})" : agent;
            line.MarkerSize = ok.Length == 1 ? 8 : 0;
        }
        plt.Title($"{task}: best loss so far (mean, 90% bootstrap CI over seeds)");
        plt.XLabel(logX ? "episodes (log scale)" : "episodes");
        if (logX) plt.Axes.Bottom.TickGenerator = LogTicks("0.###");
        plt.YLabel(log ? "best loss (log scale)" : "best loss");
        if (log) plt.Axes.Left.TickGenerator = LogTicks("G3");
        plt.ShowLegend(Alignment.UpperRight);
        plt.SavePng(path, 800, 500);
        return used;
    }

    /// <summary>Episode indices (0-based) drawn for a curve of n episodes: all of them, or about 300 spread evenly (always the last).</summary>
    static int[] CurveIndices(int n)
    {
        if (n <= MaxCurvePoints) return Enumerable.Range(0, n).ToArray();
        return Enumerable.Range(0, MaxCurvePoints).Select(k => (int)Math.Round((double)k * (n - 1) / (MaxCurvePoints - 1))).Distinct().ToArray();
    }

    /// <summary>Final best loss per agent: bars (linear axis) or points (log axis, when the values span decades), with the interval as a whisker.</summary>
    static IReadOnlyDictionary<string, Color> PlotBars(string task, List<GroupSummary> rows, AgentPalette palette, bool budgetsDiffer, string path)
    {
        var plt = new Plot();
        var used = new Dictionary<string, Color>();
        var ticks = new List<Tick>();
        bool log = SpansDecades(rows.SelectMany(r => new[] { r.Mean, r.CiLow, r.CiHigh }));
        double floor = log ? rows.SelectMany(r => new[] { r.Mean, r.CiLow }).Where(v => double.IsFinite(v) && v > 0).Min() : 0;
        double T(double v) => log ? Math.Log10(Math.Max(v, floor)) : v;
        var bars = new List<Bar>();
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            var color = palette[r.Agent];
            used[r.Agent] = color;
            ticks.Add(new Tick(i, budgetsDiffer ? $"{r.Agent}\n{r.Budget} ep." : r.Agent));
            if (!double.IsFinite(r.Mean)) continue;
            if (log)
            {
                var m = plt.Add.Marker(i, T(r.Mean), MarkerShape.FilledCircle, 12);
                m.Color = color;
            }
            else bars.Add(new Bar { Position = i, Value = r.Mean, FillColor = color });
            if (double.IsFinite(r.CiLow) && double.IsFinite(r.CiHigh) && r.CiHigh > r.CiLow)
            {
                var whisker = plt.Add.Line(i, T(r.CiLow), i, T(r.CiHigh));
                whisker.Color = log ? color : Colors.Black;
                whisker.LineWidth = 2;
            }
        }
        if (bars.Count > 0) plt.Add.Bars(bars);
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plt.Axes.Bottom.MajorTickStyle.Length = 0;
        if (log) plt.Axes.Left.TickGenerator = LogTicks("G3");
        else plt.Axes.Margins(bottom: 0);
        plt.Axes.SetLimitsX(-0.6, rows.Count - 0.4);
        plt.Title($"{task}: best loss at the budget (mean, 90% bootstrap CI)");
        plt.YLabel(log ? "best loss (log scale)" : "best loss");
        plt.SavePng(path, 800, 450);
        return used;
    }
}
