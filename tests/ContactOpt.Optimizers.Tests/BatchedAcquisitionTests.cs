namespace ContactOpt.Optimizers.Tests;

/// <summary>
/// The batched paths of a BO trial (lockstep L-BFGS restarts, many-point GP prediction with gradients) and the
/// hand-written Cholesky: the batched results must be bit-identical to the one-at-a-time ones they replace.
/// </summary>
public class BatchedAcquisitionTests
{
    static GaussianProcess SomeGp(int n, int d, int seed, KernelKind kernel = KernelKind.Matern52)
    {
        var rng = Rng.Create(seed);
        var x = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        var y = x.Select(p => p.Select((v, j) => Math.Sin(3 * v + j)).Sum()).ToArray();
        var h = new GpHyperparameters(Enumerable.Range(0, d).Select(j => Math.Log(0.3 + 0.1 * (j % 5))).ToArray(), 0.2, Math.Log(1e-4));
        return GaussianProcess.Condition(x, y, h, kernel);
    }

    [Test]
    public void LockstepRestartsTakeExactlyTheStepsOfSequentialOnes()
    {
        // A non-convex bounded objective; each start alone vs all in lockstep.
        const int d = 7;
        double F(double[] x, double[] g)
        {
            double f = 0;
            for (int j = 0; j < d; j++) { f += Math.Sin(5 * x[j] + j) + (x[j] - 0.3) * (x[j] - 0.3); g[j] = 5 * Math.Cos(5 * x[j] + j) + 2 * (x[j] - 0.3); }
            return f;
        }
        var rng = Rng.Create(3);
        var starts = Enumerable.Range(0, 5).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble()).ToArray()).ToList();
        var lo = new double[d]; var hi = Enumerable.Repeat(1.0, d).ToArray();
        var alone = starts.Select(s => BoundedLbfgs.Minimize(F, s, lo, hi, 40)).ToArray();
        int calls = 0;
        var together = BoundedLbfgs.MinimizeMany((pts, grads, values) =>
        {
            calls++;
            for (int r = 0; r < pts.Count; r++) values[r] = F(pts[r], grads[r]);
        }, starts, lo, hi, 40);
        for (int r = 0; r < starts.Count; r++)
        {
            Assert.That(together[r].Value, Is.EqualTo(alone[r].Value), $"start {r}: value");
            Assert.That(together[r].X, Is.EqualTo(alone[r].X), $"start {r}: point");
            Assert.That(together[r].Evaluations, Is.EqualTo(alone[r].Evaluations), $"start {r}: evaluations");
        }
        Assert.That(calls, Is.EqualTo(alone.Max(a => a.Evaluations)), "one batch call per round");
    }

    [TestCase(KernelKind.Matern52)]
    [TestCase(KernelKind.Rbf)]
    public void ManyPointPredictionWithGradientsIsBitIdenticalToSinglePoints(KernelKind kernel)
    {
        const int d = 9;
        var gp = SomeGp(60, d, 5, kernel);
        var rng = Rng.Create(8);
        var pts = Enumerable.Range(0, 6).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble()).ToArray()).ToList();
        pts.Add((double[])pts[0].Clone());   // a repeated point
        int m = pts.Count;
        var means = new double[m]; var vars = new double[m];
        var dm = Enumerable.Range(0, m).Select(_ => new double[d]).ToArray();
        var dv = Enumerable.Range(0, m).Select(_ => new double[d]).ToArray();
        gp.PredictStandardizedMany(pts, means, vars, dm, dv);
        var sdm = new double[d]; var sdv = new double[d];
        for (int r = 0; r < m; r++)
        {
            gp.PredictStandardized(pts[r], out double mu, out double v, sdm, sdv);
            Assert.That(means[r], Is.EqualTo(mu), $"point {r}: mean");
            Assert.That(vars[r], Is.EqualTo(v), $"point {r}: variance");
            Assert.That(dm[r], Is.EqualTo(sdm), $"point {r}: mean gradient");
            Assert.That(dv[r], Is.EqualTo(sdv), $"point {r}: variance gradient");
        }
        // And the acquisition on top of it, both kinds.
        foreach (var kind in new[] { AcquisitionKind.Lcb, AcquisitionKind.LogEi })
        {
            var values = new double[m];
            var grads = Enumerable.Range(0, m).Select(_ => new double[d]).ToArray();
            Acquisition.ValueMany(gp, kind, 1.0, -0.5, pts, grads, values, dm, dv);
            var g = new double[d];
            for (int r = 0; r < m; r++)
            {
                double single = Acquisition.Value(gp, kind, 1.0, -0.5, pts[r], g, sdm, sdv);
                Assert.That(values[r], Is.EqualTo(single), $"{kind}, point {r}: value");
                Assert.That(grads[r], Is.EqualTo(g), $"{kind}, point {r}: gradient");
            }
        }
    }

    [Test]
    public void CholeskyReproducesTheMatrixAndMathNetAndRefusesAnIndefiniteOne()
    {
        const int n = 70;
        var rng = Rng.Create(2);
        var b = new double[n * n];
        for (int i = 0; i < b.Length; i++) b[i] = rng.NextDouble() - 0.5;
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = i == j ? 0.5 : 0;
                for (int k = 0; k < n; k++) s += b[i * n + k] * b[j * n + k];
                a[i * n + j] = s;
            }
        var l = new double[n * n];
        Assert.That(DenseKernels.TryCholesky(a, n, 0, l), Is.True);
        var mathnet = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(n, n, a).Cholesky().Factor;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (j > i) { Assert.That(l[i * n + j], Is.EqualTo(0.0), "upper triangle is zero"); continue; }
                double s = 0;
                for (int k = 0; k <= j; k++) s += l[i * n + k] * l[j * n + k];
                Assert.That(s, Is.EqualTo(a[i * n + j]).Within(1e-12), $"(L Lᵀ)[{i},{j}]");
                Assert.That(l[i * n + j], Is.EqualTo(mathnet[i, j]).Within(1e-11), $"L[{i},{j}] vs MathNet");
            }
        // Jitter is added to the diagonal: a singular matrix factors with jitter, an indefinite one does not.
        var singular = new double[] { 1, 1, 1, 1 };
        Assert.That(DenseKernels.TryCholesky(singular, 2, 0, new double[4]), Is.False);
        Assert.That(DenseKernels.TryCholesky(singular, 2, 1e-6, new double[4]), Is.True);
        Assert.That(DenseKernels.TryCholesky(new double[] { 1, 2, 2, 1 }, 2, 1e-6, new double[4]), Is.False);
        Assert.That(DenseKernels.TryCholesky(new double[] { double.NaN, 0, 0, 1 }, 2, 0, new double[4]), Is.False);
    }
}
