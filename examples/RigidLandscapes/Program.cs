// Loss landscapes of the rigid tasks over their 2-D landscape presets, with the exact gradient along the slice,
// for docs/rigid-findings.md. Writes <task>.csv (u, w, loss, ∂L/∂u, ∂L/∂w), <task>.png (heatmap) and prints a
// summary: loss range, flat cells (zero gradient), and grid neighbours whose loss change disagrees with the
// trapezoid rule of the exact gradients (jumps, or kinks finer than the grid).
//
//   dotnet run -c Release --project examples/RigidLandscapes -- [--res N] [--out DIR] task [task ...]
using System.Globalization;
using ContactOpt;
using ContactOpt.Envs;
using ContactOpt.Tasks;
using SkiaSharp;

var inv = CultureInfo.InvariantCulture;
int res = 101;
string outDir = "out/rigid-landscapes";
var names = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--res") res = int.Parse(args[++i], inv);
    else if (args[i] == "--out") outDir = args[++i];
    else names.Add(args[i]);
}
if (names.Count == 0 || res < 3)
{
    Console.Error.WriteLine("usage: RigidLandscapes [--res N ≥ 3] [--out DIR] task [task ...]");
    return 2;
}
Directory.CreateDirectory(outDir);
var registry = BuiltinTasks.CreateRegistry();
Console.WriteLine($"{"task",-28} {"cells",7} {"loss min",9} {"loss max",9} {"flat",7} {"jumps",7} {"mismatch",9} {"wrong sign",10} {"s",6}");
foreach (var name in names)
{
    var task = registry.Create(name);
    var p = task.Landscape ?? throw new ArgumentException($"task '{name}' has no landscape preset.");
    double Coord(double lo, double hi, int k) => lo + (hi - lo) * k / (res - 1);
    var loss = new double[res, res];
    var du = new double[res, res];
    var dw = new double[res, res];
    // The presets are affine in (u, w): their directions are differences of two parameter vectors.
    var origin = p.ToParameters(p.XMin, p.YMin);
    var eu = p.ToParameters(p.XMin + 1, p.YMin).Zip(origin, (a, b) => a - b).ToArray();
    var ew = p.ToParameters(p.XMin, p.YMin + 1).Zip(origin, (a, b) => a - b).ToArray();
    var watch = System.Diagnostics.Stopwatch.StartNew();
    Parallel.For(0, res, () => task.CreateObjective(), (j, _, f) =>
    {
        var g = new double[f.Dimension];
        for (int i = 0; i < res; i++)
        {
            var x = p.ToParameters(Coord(p.XMin, p.XMax, i), Coord(p.YMin, p.YMax, j));
            loss[i, j] = f.LossAndGradient(x, g);
            double a = 0, b = 0;
            for (int k = 0; k < g.Length; k++) { a += g[k] * eu[k]; b += g[k] * ew[k]; }
            du[i, j] = a; dw[i, j] = b;
        }
        return f;
    }, _ => { });
    double seconds = watch.Elapsed.TotalSeconds;

    double min = double.PositiveInfinity, max = double.NegativeInfinity;
    int flat = 0;
    foreach (var v in loss) { min = Math.Min(min, v); max = Math.Max(max, v); }
    for (int i = 0; i < res; i++) for (int j = 0; j < res; j++) if (du[i, j] == 0 && dw[i, j] == 0) flat++;
    // Neighbour pairs: actual change vs the trapezoid prediction from the exact gradients.
    int pairs = 0, jumps = 0, mismatch = 0, wrongSign = 0;
    double hu = (p.XMax - p.XMin) / (res - 1), hw = (p.YMax - p.YMin) / (res - 1), span = Math.Max(max - min, 1e-12);
    void Pair(double l1, double l2, double g1, double g2, double h)
    {
        pairs++;
        double actual = l2 - l1, predicted = 0.5 * (g1 + g2) * h, err = Math.Abs(actual - predicted);
        if (err > 0.05 * span) jumps++;
        if (err > 0.01 * span) mismatch++;
        if (Math.Abs(actual) > 0.01 * span && Math.Abs(predicted) > 0.01 * span && Math.Sign(actual) != Math.Sign(predicted)) wrongSign++;
    }
    for (int i = 0; i + 1 < res; i++) for (int j = 0; j < res; j++) Pair(loss[i, j], loss[i + 1, j], du[i, j], du[i + 1, j], hu);
    for (int i = 0; i < res; i++) for (int j = 0; j + 1 < res; j++) Pair(loss[i, j], loss[i, j + 1], dw[i, j], dw[i, j + 1], hw);
    string Pct(int n, int of) => (100.0 * n / of).ToString("F1", inv) + "%";
    Console.WriteLine($"{task.Name,-28} {res * res,7} {min,9:G4} {max,9:G4} {Pct(flat, res * res),7} {Pct(jumps, pairs),7} {Pct(mismatch, pairs),9} {Pct(wrongSign, pairs),10} {seconds,6:F1}");

    string file = task.Name.Replace(':', '_').Replace('=', '-');
    using (var w = new StreamWriter(Path.Combine(outDir, file + ".csv")))
    {
        w.WriteLine($"# {task.Name}: {p.Description}; u = {p.XLabel}, w = {p.YLabel}");
        w.WriteLine("u,w,loss,dloss_du,dloss_dw");
        for (int j = 0; j < res; j++)
            for (int i = 0; i < res; i++)
                w.WriteLine(string.Join(",", new[] { Coord(p.XMin, p.XMax, i), Coord(p.YMin, p.YMax, j), loss[i, j], du[i, j], dw[i, j] }.Select(v => v.ToString("R", inv))));
    }
    Heatmap(Path.Combine(outDir, file + ".png"), task.Name, p, loss, min, max);
}
return 0;

static void Heatmap(string path, string title, LandscapePreset p, double[,] loss, double min, double max)
{
    int res = loss.GetLength(0), cell = Math.Max(1, 400 / res), size = res * cell;
    int left = 60, top = 28, bottom = 44, right = 70;
    using var bmp = new SKBitmap(left + size + right, top + size + bottom);
    using var c = new SKCanvas(bmp);
    c.Clear(SKColors.White);
    using var fill = new SKPaint { Style = SKPaintStyle.Fill };
    for (int i = 0; i < res; i++)
        for (int j = 0; j < res; j++)
        {
            fill.Color = Viridis((loss[i, j] - min) / Math.Max(max - min, 1e-12));
            c.DrawRect(left + i * cell, top + (res - 1 - j) * cell, cell, cell, fill);
        }
    for (int k = 0; k < size; k++)
    {
        fill.Color = Viridis(1 - (double)k / (size - 1));
        c.DrawRect(left + size + 15, top + k, 15, 1, fill);
    }
    using var font = new SKFont(SKTypeface.Default, 12);
    using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
    string F(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
    c.DrawText($"{title}: loss", left, 18, font, ink);
    c.DrawText(F(max), left + size + 34, top + 10, font, ink);
    c.DrawText(F(min), left + size + 34, top + size, font, ink);
    c.DrawText(F(p.XMin), left, top + size + 16, font, ink);
    c.DrawText(F(p.XMax), left + size - 24, top + size + 16, font, ink);
    c.DrawText(p.XLabel, left + 40, top + size + 34, font, ink);
    c.DrawText(F(p.YMin), left - 26, top + size, font, ink);
    c.DrawText(F(p.YMax), left - 26, top + 10, font, ink);
    // The y label runs upwards, centred on the axis.
    float yl = top + size / 2f + font.MeasureText(p.YLabel) / 2f;
    c.Save();
    c.RotateDegrees(-90, 22, yl);
    c.DrawText(p.YLabel, 22, yl, font, ink);
    c.Restore();
    using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
    using var fs = File.Create(path);
    data.SaveTo(fs);
}

static SKColor Viridis(double t)
{
    // A few control points of matplotlib's viridis, linearly interpolated.
    ReadOnlySpan<(double R, double G, double B)> k =
        [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)];
    t = Math.Clamp(double.IsFinite(t) ? t : 1, 0, 1) * (k.Length - 1);
    int i = Math.Min((int)t, k.Length - 2);
    double f = t - i;
    return new SKColor((byte)(k[i].R + f * (k[i + 1].R - k[i].R)), (byte)(k[i].G + f * (k[i + 1].G - k[i].G)), (byte)(k[i].B + f * (k[i + 1].B - k[i].B)));
}
