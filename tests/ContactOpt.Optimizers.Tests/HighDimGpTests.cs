using MathNet.Numerics.Distributions;

namespace ContactOpt.Optimizers.Tests;

/// <summary>The dimension-scaled prior (Hvarfner et al. 2024), the one-pass marginal-likelihood gradient in high d, the bounded L-BFGS.</summary>
public class HighDimGpTests
{
    [Test]
    public void DimScaledPriorLogDensityMatchesTheLogNormalAndItsDerivativeFiniteDifferences()
    {
        foreach (int d in new[] { 1, 16, 400 })
            foreach (double ls in new[] { 0.05, 1.0, 7.5 })
            {
                double u = Math.Log(ls);
                double lp = GaussianProcess.LengthscaleLogPrior(LengthscalePrior.DimScaled, d, u, out double du);
                // LogNormal(μ = √2 + ½ ln d, σ = √3) density of ℓ, by hand and by MathNet.
                double mu = Math.Sqrt(2) + 0.5 * Math.Log(d), sigma = Math.Sqrt(3);
                double hand = -Math.Log(ls) - Math.Log(sigma * Math.Sqrt(2 * Math.PI)) - (u - mu) * (u - mu) / (2 * sigma * sigma);
                Assert.That(lp, Is.EqualTo(hand).Within(1e-12), $"d={d}, ℓ={ls}");
                Assert.That(lp, Is.EqualTo(LogNormal.PDFLn(mu, sigma, ls)).Within(1e-10), $"d={d}, ℓ={ls} vs MathNet");
                double h = 1e-6;
                double fd = (GaussianProcess.LengthscaleLogPrior(LengthscalePrior.DimScaled, d, u + h, out _)
                           - GaussianProcess.LengthscaleLogPrior(LengthscalePrior.DimScaled, d, u - h, out _)) / (2 * h);
                Assert.That(du, Is.EqualTo(fd).Within(1e-7 * Math.Max(1, Math.Abs(fd))));
            }
        // A worked value: d = 16, ℓ = 2 ⇒ μ = √2 + ln 4 = 2.800508, log p = −ln 2 − ln(√3·√(2π)) − (ln 2 − μ)²/6 = −2.901553.
        Assert.That(GaussianProcess.LengthscaleLogPrior(LengthscalePrior.DimScaled, 16, Math.Log(2), out double d16), Is.EqualTo(-2.901553).Within(1e-6));
        Assert.That(d16, Is.EqualTo(-1 - (Math.Log(2) - 2.800508) / 3).Within(1e-6));
        // The legacy prior is the Gamma(3, 6) density of ℓ.
        Assert.That(GaussianProcess.LengthscaleLogPrior(LengthscalePrior.Gamma, 16, Math.Log(0.4), out _), Is.EqualTo(Gamma.PDFLn(3, 6, 0.4)).Within(1e-10));
    }

    [TestCase(KernelKind.Matern52, LengthscalePrior.DimScaled)]
    [TestCase(KernelKind.Rbf, LengthscalePrior.Gamma)]
    public void MarginalLikelihoodGradientMatchesFiniteDifferencesIn200D(KernelKind kernel, LengthscalePrior prior)
    {
        const int d = 200, n = 24;
        var rng = Rng.Create(7);
        var x = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        var y = x.Select(p => Math.Sin(3 * p[0]) + p[1] * p[2] + 0.1 * p.Sum()).ToArray();
        var p0 = new double[d + 2];
        for (int j = 0; j < d; j++) p0[j] = Math.Log(2 + 6 * rng.NextDouble()); // ℓ 2…8: √d-scale distances
        p0[d] = Math.Log(1.3); p0[d + 1] = Math.Log(2e-3);
        double f0 = GaussianProcess.NegativeLogPosterior(x, y, kernel, p0, out var grad, prior);
        Assert.That(double.IsFinite(f0));
        foreach (int j in new[] { 0, 1, 2, 57, 199, d, d + 1 })
        {
            double h = 1e-5;
            var up = (double[])p0.Clone(); up[j] += h;
            var dn = (double[])p0.Clone(); dn[j] -= h;
            double fd = (GaussianProcess.NegativeLogPosterior(x, y, kernel, up, out _, prior) - GaussianProcess.NegativeLogPosterior(x, y, kernel, dn, out _, prior)) / (2 * h);
            Assert.That(grad[j], Is.EqualTo(fd).Within(1e-5 * Math.Max(1, Math.Abs(fd))), $"parameter {j}");
        }
    }

    [Test]
    public void ScaledPriorFitRecoversTheRelevantDimensionsOfAnAnisotropicFunction()
    {
        const int d = 20;
        var rng = Rng.Create(13);
        var x = Enumerable.Range(0, 80).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        var y = x.Select(p => Math.Sin(4 * p[0]) + 2 * Math.Sin(3 * p[3]) + 1.5 * p[7]).ToArray();
        var gp = GaussianProcess.Fit(x, y, KernelKind.Matern52, new GpFitSettings(), Rng.Create(1));
        var ls = gp.Hyperparameters.Lengthscales;
        var others = Enumerable.Range(0, d).Where(j => j is not (0 or 3 or 7)).Select(j => ls[j]).OrderBy(v => v).ToArray();
        double shortestIrrelevant = others[0];
        foreach (int j in new[] { 0, 3, 7 })
            Assert.That(ls[j], Is.LessThan(0.2 * shortestIrrelevant), $"ℓ[{j}] = {ls[j]:G3}; irrelevant ℓ from {shortestIrrelevant:G3}, median {others[others.Length / 2]:G3}");
    }

    [Test]
    public void BoundedLbfgsFindsTheConstrainedMinimumOfAQuadratic()
    {
        // f = Σ c_j (x_j − t_j)² on [0, 1]ᵈ with targets partly outside the box: the minimum clips them.
        const int d = 50;
        var t = Enumerable.Range(0, d).Select(j => -0.5 + 2.0 * j / (d - 1)).ToArray();
        var c = Enumerable.Range(0, d).Select(j => 1.0 + j).ToArray();
        var (xMin, fMin, evals) = BoundedLbfgs.Minimize((x, g) =>
        {
            double f = 0;
            for (int j = 0; j < d; j++) { double e = x[j] - t[j]; f += c[j] * e * e; g[j] = 2 * c[j] * e; }
            return f;
        }, Enumerable.Repeat(0.5, d).ToArray(), new double[d], Enumerable.Repeat(1.0, d).ToArray(), 200);
        for (int j = 0; j < d; j++) Assert.That(xMin[j], Is.EqualTo(Math.Clamp(t[j], 0, 1)).Within(1e-5), $"coordinate {j}");
        double fStar = 0;
        for (int j = 0; j < d; j++) { double e = Math.Clamp(t[j], 0, 1) - t[j]; fStar += c[j] * e * e; }
        Assert.That(fMin, Is.EqualTo(fStar).Within(1e-8));
        Assert.That(evals, Is.LessThan(200));
    }

    [Test]
    public void BoWithTheScaledPriorBeatsRandomSearchOnA100DFunctionWithAFiveDimensionalActiveSubspace()
    {
        // f(x) = Σ_{j<5} (x_j − 0.3)² on [0, 1]¹⁰⁰: 5 active coordinates, 95 inert ones. Budget 40 (10 Sobol points).
        const int d = 100;
        var f = new FuncObjective(d, 0, 1, Enumerable.Repeat(0.5, d).ToArray(),
            x => Enumerable.Range(0, 5).Sum(j => (x[j] - 0.3) * (x[j] - 0.3)), x => new double[d]);
        double bo = 0, rand = 0;
        for (int seed = 0; seed < 3; seed++)
        {
            var opt = new BayesOpt(new BayesOptOptions { InitPoints = 10, RawSamples = 128, AcqRestarts = 3, AcqMaxIter = 30, FitMaxIter = 30, FitRestarts = 1 });
            bo += Harness.Run(opt, f, 40, seed).Result.BestLoss / 3;
            rand += Harness.Run(new RandomSearch(new RandomSearchOptions()), f, 40, seed).Result.BestLoss / 3;
        }
        TestContext.Out.WriteLine($"mean best loss: bo-plain {bo:G4}, rand {rand:G4}");
        Assert.That(bo, Is.LessThan(0.5 * rand));
    }
}
