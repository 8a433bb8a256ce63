using System.Globalization;
using ScottPlot;

namespace ContactOpt.Experiments;

/// <summary>Figures of a gradient-quality study: one PNG per test, per point (thin) and median (thick).</summary>
public static class GradientQualityPlots
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    /// <summary>Writes gradquality-{fd,smoothed,secants,sgd}.png into <paramref name="directory"/>; returns the paths.</summary>
    public static IReadOnlyList<string> Write(GradientQualityReport r, string task, string directory)
    {
        Directory.CreateDirectory(directory);
        var o = r.Options;
        var paths = new List<string>();
        string P(string name) { var p = Path.Combine(directory, $"gradquality-{name}.png"); paths.Add(p); return p; }

        // 1. Finite differences: relative error vs step, log-log.
        var fd = new Plot();
        var lx = o.Steps.Select(Math.Log10).ToArray();
        double Ly(double v) => Math.Log10(Math.Max(v, 1e-17));
        foreach (var p in r.Points)
        {
            var line = fd.Add.ScatterLine(lx, p.FdRelativeError.Select(Ly).ToArray());
            line.Color = Colors.Gray.WithAlpha(0.35); line.LineWidth = 1;
        }
        var med = fd.Add.ScatterLine(lx, r.MedianFdError.Select(Ly).ToArray());
        med.Color = AgentPalette.Colors[0]; med.LineWidth = 3; med.MarkerSize = 8; med.LegendText = "median over points";
        LogAxes(fd, x: true, y: true);
        fd.Title($"{task}: exact gradient vs central differences");
        fd.XLabel("relative step h (log scale)"); fd.YLabel("relative error (log scale)");
        fd.ShowLegend(Alignment.UpperRight);
        fd.SavePng(P("fd"), 700, 450);

        // 2. Smoothed gradient: cosine with the exact gradient vs width.
        var sm = new Plot();
        var wx = o.Widths.Select(Math.Log10).ToArray();
        foreach (var p in r.Points)
        {
            var ok = Enumerable.Range(0, wx.Length).Where(k => double.IsFinite(p.SmoothedCosine[k])).ToArray();
            if (ok.Length == 0) continue;
            var line = sm.Add.ScatterLine(ok.Select(k => wx[k]).ToArray(), ok.Select(k => p.SmoothedCosine[k]).ToArray());
            line.Color = Colors.Gray.WithAlpha(0.35); line.LineWidth = 1;
        }
        var okm = Enumerable.Range(0, wx.Length).Where(k => double.IsFinite(r.MedianSmoothedCosine[k])).ToArray();
        if (okm.Length > 0)
        {
            var m = sm.Add.ScatterLine(okm.Select(k => wx[k]).ToArray(), okm.Select(k => r.MedianSmoothedCosine[k]).ToArray());
            m.Color = AgentPalette.Colors[1]; m.LineWidth = 3; m.MarkerSize = 8; m.LegendText = "median over points";
        }
        LogAxes(sm, x: true, y: false);
        sm.Axes.SetLimitsY(-1.05, 1.05);
        sm.Title($"{task}: exact vs Gaussian-smoothed gradient ({o.SmoothingSamples} antithetic pairs)");
        sm.XLabel("smoothing width σ, fraction of the sampling box (log scale)"); sm.YLabel("cosine(exact, smoothed)");
        sm.ShowLegend(Alignment.LowerLeft);
        sm.SavePng(P("smoothed"), 700, 450);

        // 3. Secant signs along random rays: shares per scale.
        var se = new Plot();
        var sx = o.Scales.Select(Math.Log10).ToArray();
        var opp = se.Add.ScatterLine(sx, r.OppositeShare.Select(v => 100 * v).ToArray());
        opp.Color = AgentPalette.Colors[2]; opp.LineWidth = 3; opp.MarkerSize = 8; opp.LegendText = "opposite sign";
        var zero = se.Add.ScatterLine(sx, r.ZeroExactShare.Select(v => 100 * v).ToArray());
        zero.Color = AgentPalette.Colors[9]; zero.LineWidth = 3; zero.MarkerSize = 8; zero.LegendText = "exact derivative 0, loss changes";
        var tol = se.Add.HorizontalLine(100 * o.WrongSignTolerance);
        tol.Color = Colors.Black.WithAlpha(0.5); tol.LinePattern = LinePattern.Dashed; tol.LegendText = "flag above";
        LogAxes(se, x: true, y: false);
        se.Axes.SetLimitsY(0, Math.Max(10, 100 * r.OppositeShare.Concat(r.ZeroExactShare).Max() * 1.1));
        se.Title($"{task}: secants vs exact directional derivative ({r.Points.Count} points × {o.Rays} rays)");
        se.XLabel("secant length t, fraction of the sampling box (log scale)"); se.YLabel("% of rays");
        se.ShowLegend(Alignment.UpperLeft);
        se.SavePng(P("secants"), 700, 450);

        // 4. sgd estimator: variance relative to |∇J|² per point.
        var sg = new Plot();
        var vals = r.Points.Select(p => p.SgdRelativeVariance).ToArray();
        var bars = new List<Bar>();
        for (int i = 0; i < vals.Length; i++)
            if (double.IsFinite(vals[i]) && vals[i] > 0)
                bars.Add(new Bar { Position = i, Value = Math.Log10(vals[i]), ValueBase = 0, FillColor = AgentPalette.Colors[4] });
        if (bars.Count > 0) sg.Add.Bars(bars);
        LogAxes(sg, x: false, y: true);
        sg.Title($"{task}: sgd estimator (J(x+w)−J(x))·w/σ², σ = {o.SgdSigma.ToString("G3", Ci)}");
        sg.XLabel("point"); sg.YLabel("variance / |∇J|² per sample (log scale)");
        sg.SavePng(P("sgd"), 700, 450);
        return paths;
    }

    static void LogAxes(Plot plt, bool x, bool y)
    {
        ScottPlot.TickGenerators.NumericAutomatic Ticks() => new()
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            LabelFormatter = v => Math.Pow(10, v).ToString("G3", Ci),
            IntegerTicksOnly = true,
        };
        if (x) plt.Axes.Bottom.TickGenerator = Ticks();
        if (y) plt.Axes.Left.TickGenerator = Ticks();
    }
}
