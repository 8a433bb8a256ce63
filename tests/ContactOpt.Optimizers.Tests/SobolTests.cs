namespace ContactOpt.Optimizers.Tests;

public class SobolTests
{
    [Test]
    public void DirectionNumberTableIsValid()
    {
        int dim = 2;
        foreach (var (s, a, m) in Sobol.Table())
        {
            Assert.That(m, Has.Length.EqualTo(s), $"dimension {dim}");
            for (int k = 0; k < s; k++)
            {
                Assert.That(m[k] % 2, Is.EqualTo(1), $"dimension {dim}: m_{k + 1} must be odd");
                Assert.That(m[k], Is.LessThan(1 << (k + 1)), $"dimension {dim}: m_{k + 1} < 2^{k + 1}");
            }
            Assert.That(a, Is.LessThan(1 << Math.Max(0, s - 1)), $"dimension {dim}");
            dim++;
        }
        Assert.That(Sobol.MaxDimension, Is.GreaterThanOrEqualTo(100));
    }

    [Test]
    public void FirstPointsAreTheKnownOnes()
    {
        var s = new Sobol(3);
        var u = new double[3];
        var pts = new List<double[]>();
        for (int i = 0; i < 5; i++) { s.Next(u); pts.Add((double[])u.Clone()); }
        Assert.That(pts[0], Is.EqualTo(new[] { 0.0, 0.0, 0.0 }));
        Assert.That(pts[1], Is.EqualTo(new[] { 0.5, 0.5, 0.5 }));
        Assert.That(pts[2], Is.EqualTo(new[] { 0.75, 0.25, 0.25 }));
        Assert.That(pts[3], Is.EqualTo(new[] { 0.25, 0.75, 0.75 }));
        Assert.That(pts[4], Is.EqualTo(new[] { 0.375, 0.375, 0.625 }));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void EveryCoordinateIsStratifiedAndPairsAreNets(bool scrambled)
    {
        // The first 2^m points put exactly one point in each of the 2^m equal intervals of every coordinate.
        int d = Math.Min(40, Sobol.MaxDimension), m = 8, n = 1 << m;
        var s = new Sobol(d, scrambled ? Rng.Create(9) : null);
        var pts = new double[n][];
        for (int i = 0; i < n; i++) { pts[i] = new double[d]; s.Next(pts[i]); }
        for (int j = 0; j < d; j++)
        {
            var bins = pts.Select(p => (int)(p[j] * n)).Distinct().Count();
            Assert.That(bins, Is.EqualTo(n), $"coordinate {j}");
        }
        // Dimensions 1 and 2 form a (0, m, 2)-net: every 2^a × 2^(m−a) elementary box holds one point.
        for (int a = 0; a <= m; a++)
        {
            int cells = pts.Select(p => ((int)(p[0] * (1 << a)), (int)(p[1] * (1 << (m - a))))).Distinct().Count();
            Assert.That(cells, Is.EqualTo(n), $"elementary boxes 2^{a} × 2^{m - a}");
        }
    }
}
