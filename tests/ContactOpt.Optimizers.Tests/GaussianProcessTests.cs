using MathNet.Numerics.Distributions;

namespace ContactOpt.Optimizers.Tests;

public class GaussianProcessTests
{
    [Test]
    public void ReproducesTheAnalyticPosteriorOnTwoPoints()
    {
        // RBF, ℓ = 0.5, s² = 2, noise 1e-4, no standardisation; data (0, 1) and (1, −1); query 0.25.
        double ls = 0.5, s2 = 2, noise = 1e-4;
        var h = new GpHyperparameters([Math.Log(ls)], Math.Log(s2), Math.Log(noise));
        var gp = GaussianProcess.Condition([[0.0], [1.0]], [1.0, -1.0], h, KernelKind.Rbf, standardize: false);
        double K(double a, double b) => s2 * Math.Exp(-0.5 * (a - b) * (a - b) / (ls * ls));
        // Hand computation: K = [[a, b], [b, a]], K⁻¹ = [[a, −b], [−b, a]]/(a² − b²).
        double a = K(0, 0) + noise, b = K(0, 1), det = a * a - b * b;
        double k1 = K(0.25, 0), k2 = K(0.25, 1);
        double mean = (k1 * (a * 1 - b * -1) + k2 * (-b * 1 + a * -1)) / det;
        double quad = (k1 * (a * k1 - b * k2) + k2 * (-b * k1 + a * k2)) / det;
        var (m, sd) = gp.Predict([0.25]);
        Assert.That(m, Is.EqualTo(mean).Within(1e-12));
        Assert.That(sd * sd, Is.EqualTo(s2 - quad).Within(1e-12));
        // At a data point the posterior mean is the datum (up to noise) and the variance is about the noise.
        var (m0, sd0) = gp.Predict([0.0]);
        Assert.That(m0, Is.EqualTo(1.0).Within(1e-3));
        Assert.That(sd0 * sd0, Is.LessThan(2e-4));
        // Log marginal likelihood: −½ yᵀK⁻¹y − ½ log|K| − log 2π.
        double yKy = (1 * (a * 1 - b * -1) + -1 * (-b * 1 + a * -1)) / det;
        Assert.That(gp.LogMarginalLikelihood, Is.EqualTo(-0.5 * yKy - 0.5 * Math.Log(det) - Math.Log(2 * Math.PI)).Within(1e-10));
    }

    [Test]
    public void Matern52PosteriorMatchesTheClosedForm()
    {
        double ls = 0.3, s2 = 1.5, noise = 1e-6;
        double Km(double r) { r /= ls; double q = Math.Sqrt(5) * r; return s2 * (1 + q + 5 * r * r / 3) * Math.Exp(-q); }
        var gp = GaussianProcess.Condition([[0.2], [0.6]], [0.5, 2.0], new GpHyperparameters([Math.Log(ls)], Math.Log(s2), Math.Log(noise)), KernelKind.Matern52, standardize: false);
        double a = Km(0) + noise, b = Km(0.4), det = a * a - b * b;
        double k1 = Km(0.3), k2 = Km(0.1);
        double mean = (k1 * (a * 0.5 - b * 2.0) + k2 * (-b * 0.5 + a * 2.0)) / det;
        Assert.That(gp.Predict([0.5]).Mean, Is.EqualTo(mean).Within(1e-10));
    }

    [Test]
    public void StandardisationIsUndoneInPredictions()
    {
        var h = new GpHyperparameters([Math.Log(0.4), Math.Log(0.4)], 0, Math.Log(1e-6));
        var x = new[] { new[] { 0.1, 0.2 }, new[] { 0.8, 0.3 }, new[] { 0.5, 0.9 } };
        var y = new[] { 100.0, 103.0, 97.0 };
        var gp = GaussianProcess.Condition(x, y, h);
        for (int i = 0; i < 3; i++) Assert.That(gp.Predict(x[i]).Mean, Is.EqualTo(y[i]).Within(1e-3));
        Assert.That(gp.YMean, Is.EqualTo(100.0).Within(1e-12));
        Assert.That(gp.YScale, Is.EqualTo(3.0).Within(1e-12));
    }

    [TestCase(KernelKind.Rbf)]
    [TestCase(KernelKind.Matern52)]
    public void HyperparameterGradientMatchesFiniteDifferences(KernelKind kernel)
    {
        var rng = Rng.Create(3);
        var x = Enumerable.Range(0, 12).Select(_ => new[] { rng.NextDouble(), rng.NextDouble(), rng.NextDouble() }).ToArray();
        var y = x.Select(p => Math.Sin(5 * p[0]) + p[1] * p[1] - p[2]).ToArray();
        double[] p0 = [Math.Log(0.3), Math.Log(0.7), Math.Log(1.5), Math.Log(1.2), Math.Log(1e-3)];
        GaussianProcess.NegativeLogPosterior(x, y, kernel, p0, out var grad);
        for (int j = 0; j < p0.Length; j++)
        {
            double h = 1e-5;
            var up = (double[])p0.Clone(); up[j] += h;
            var dn = (double[])p0.Clone(); dn[j] -= h;
            double fd = (GaussianProcess.NegativeLogPosterior(x, y, kernel, up, out _) - GaussianProcess.NegativeLogPosterior(x, y, kernel, dn, out _)) / (2 * h);
            Assert.That(grad[j], Is.EqualTo(fd).Within(1e-5 * Math.Max(1, Math.Abs(fd))), $"parameter {j}");
        }
    }

    [TestCase(AcquisitionKind.Lcb)]
    [TestCase(AcquisitionKind.LogEi)]
    public void AcquisitionGradientMatchesFiniteDifferences(AcquisitionKind kind)
    {
        var rng = Rng.Create(5);
        var x = Enumerable.Range(0, 15).Select(_ => new[] { rng.NextDouble(), rng.NextDouble() }).ToArray();
        var y = x.Select(p => (p[0] - 0.3) * (p[0] - 0.3) + Math.Cos(4 * p[1])).ToArray();
        var gp = GaussianProcess.Fit(x, y, KernelKind.Matern52, new GpFitSettings(), Rng.Create(1));
        double best = (y.Min() - gp.YMean) / gp.YScale;
        var g = new double[2]; var s1 = new double[2]; var s2 = new double[2];
        foreach (var u in new[] { new[] { 0.37, 0.61 }, new[] { 0.9, 0.05 }, new[] { 0.12, 0.44 } })
        {
            Acquisition.Value(gp, kind, 1.0, best, u, g, s1, s2);
            for (int j = 0; j < 2; j++)
            {
                double h = 1e-6;
                var up = (double[])u.Clone(); up[j] += h;
                var dn = (double[])u.Clone(); dn[j] -= h;
                double fd = (Acquisition.Value(gp, kind, 1.0, best, up, default, s1, s2) - Acquisition.Value(gp, kind, 1.0, best, dn, default, s1, s2)) / (2 * h);
                Assert.That(g[j], Is.EqualTo(fd).Within(1e-4 * Math.Max(1, Math.Abs(fd))), $"{kind} at ({u[0]}, {u[1]}), coordinate {j}");
            }
        }
    }

    [Test]
    public void LogExpectedImprovementIsStableAndAccurate()
    {
        foreach (var z in new[] { 3.0, 0.5, -0.5, -1.5, -5.0, -20.0, -39.0, -41.0, -1e3 })
        {
            double logH = Acquisition.LogH(z, out double dz);
            Assert.That(double.IsFinite(logH) && double.IsFinite(dz), $"z = {z}");
            if (z > -8)
            {
                double h = Normal.PDF(0, 1, z) + z * Normal.CDF(0, 1, z);
                Assert.That(logH, Is.EqualTo(Math.Log(h)).Within(1e-9 * Math.Max(1, Math.Abs(Math.Log(h)))), $"z = {z}");
            }
            double e = 1e-6 * Math.Max(1, Math.Abs(z));
            double fd = (Acquisition.LogH(z + e, out _) - Acquisition.LogH(z - e, out _)) / (2 * e);
            Assert.That(dz, Is.EqualTo(fd).Within(1e-4 * Math.Max(1, Math.Abs(fd))), $"derivative at z = {z}");
        }
        // Continuity across the branch switches.
        Assert.That(Acquisition.LogH(-40.0000001, out _), Is.EqualTo(Acquisition.LogH(-39.9999999, out _)).Within(1e-4)); // slope ≈ 40
        Assert.That(Acquisition.LogH(-1.0000001, out _), Is.EqualTo(Acquisition.LogH(-0.9999999, out _)).Within(1e-6));
    }

    [Test]
    public void DuplicatePointsAreHandledWithJitterAndFitIsSane()
    {
        var x = new[] { new[] { 0.5, 0.5 }, new[] { 0.5, 0.5 }, new[] { 0.5, 0.5 }, new[] { 0.2, 0.7 } };
        var y = new[] { 1.0, 1.0, 1.0, 0.0 };
        var gp = GaussianProcess.Fit(x, y, KernelKind.Rbf, new GpFitSettings { NoiseFloor = 1e-12 }, Rng.Create(0));
        Assert.That(double.IsFinite(gp.Predict([0.3, 0.3]).Mean));
        var h = new GpHyperparameters([0.0, 0.0], 0, Math.Log(1e-300));
        var g2 = GaussianProcess.Condition(x, y, h, KernelKind.Rbf);
        Assert.That(g2.Jitter, Is.GreaterThan(0), "exactly duplicated points need jitter");
    }

    [Test]
    public void FitLearnsShortLengthscaleForWigglyAndLongForFlatDirections()
    {
        var rng = Rng.Create(11);
        var x = Enumerable.Range(0, 60).Select(_ => new[] { rng.NextDouble(), rng.NextDouble() }).ToArray();
        var y = x.Select(p => Math.Sin(12 * p[0]) + 0.05 * p[1]).ToArray();
        var gp = GaussianProcess.Fit(x, y, KernelKind.Matern52, new GpFitSettings(), Rng.Create(2));
        var ls = gp.Hyperparameters.Lengthscales;
        Assert.That(ls[0], Is.LessThan(ls[1]), $"lengthscales {ls[0]}, {ls[1]}");
        var (m, _) = gp.Predict([0.33, 0.5]);
        Assert.That(m, Is.EqualTo(Math.Sin(12 * 0.33) + 0.025).Within(0.1));
    }
}
