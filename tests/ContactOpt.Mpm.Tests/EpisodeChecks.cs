using ContactOpt.Tasks;

namespace ContactOpt.Mpm.Tests;

/// <summary>Checks of whole episodes shared by the MPM, rotation and fluid tests.</summary>
static class EpisodeChecks
{
    /// <summary>
    /// The exact gradient of the episode loss at <paramref name="x"/> against central differences (h = 1e-6), relative
    /// error below <paramref name="tolerance"/>; returns the exact gradient for the caller's own asserts.
    /// </summary>
    public static double[] GradientMatchesCentralDifferences(Dynamics dynamics, double[] x, double tolerance = 1e-5)
    {
        using var f = new EpisodeObjective(dynamics);
        var g = new double[x.Length];
        double loss = f.LossAndGradient(x, g);
        Assert.That(double.IsFinite(loss), $"loss {loss}");
        var fd = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            const double h = 1e-6;
            var up = (double[])x.Clone(); up[i] += h; var dn = (double[])x.Clone(); dn[i] -= h;
            fd[i] = (f.Loss(up) - f.Loss(dn)) / (2 * h);
        }
        TestContext.Out.WriteLine($"loss {loss}\n exact [{string.Join(", ", g)}]\n fd    [{string.Join(", ", fd)}]");
        Assert.That(GradientCheck.RelativeError(g, fd), Is.LessThan(tolerance));
        return g;
    }

    /// <summary>
    /// Loss and gradient at <paramref name="x"/> of <paramref name="a"/> on <paramref name="threadsA"/> threads and of
    /// <paramref name="b"/> on <paramref name="threadsB"/> are the same bits; returns a's gradient.
    /// </summary>
    public static double[] BitIdentical(Dynamics a, int threadsA, Dynamics b, int threadsB, double[] x)
    {
        using var fa = new EpisodeObjective(a, workspace: new WorkspaceOptions(threadsA));
        using var fb = new EpisodeObjective(b, workspace: new WorkspaceOptions(threadsB));
        var ga = new double[x.Length]; var gb = new double[x.Length];
        double la = fa.LossAndGradient(x, ga), lb = fb.LossAndGradient(x, gb);
        Assert.That(BitConverter.DoubleToInt64Bits(lb), Is.EqualTo(BitConverter.DoubleToInt64Bits(la)), "loss");
        for (int i = 0; i < x.Length; i++)
            Assert.That(BitConverter.DoubleToInt64Bits(gb[i]), Is.EqualTo(BitConverter.DoubleToInt64Bits(ga[i])), $"gradient {i}");
        return ga;
    }
}
