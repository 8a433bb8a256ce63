using ContactOpt.Autodiff;

namespace ContactOpt.Tests;

public class AutodiffTests
{
    // f(x, y) = sin(x)·y² / (1 + exp(x·y)) + atan2(y, x) + sqrt(x² + y²) + tanh(x − y) + log(2 + x) + |x − 2y|
    static T F<T>(T x, T y) where T : struct, IScalar<T> =>
        T.Sin(x) * y * y / (1.0 - (-T.Exp(x * y))) + T.Atan2(y, x) + T.Sqrt(x * x + y * y) + T.Tanh(x - y)
        + T.Log(2.0 - (-x)) + T.Abs(x - 2.0 * y) + Scalar.Max(x, y) * 0.5 - Scalar.Min(x, y) / 3.0;

    static (double, double) FiniteDifference(double x, double y)
    {
        const double h = 1e-6;
        double fx = (F<Real>(x + h, y).Value - F<Real>(x - h, y).Value) / (2 * h);
        double fy = (F<Real>(x, y + h).Value - F<Real>(x, y - h).Value) / (2 * h);
        return (fx, fy);
    }

    [TestCase(0.3, 0.7)]
    [TestCase(-0.4, 1.3)]
    [TestCase(1.1, -0.2)]
    public void DualAndTapeMatchFiniteDifferencesOnAMixedFunction(double x, double y)
    {
        var (fx, fy) = FiniteDifference(x, y);
        var d = F(Dual4.Variable(x, 0), Dual4.Variable(y, 1));
        Assert.That(d.Value, Is.EqualTo(F<Real>(x, y).Value));
        Assert.That(d.Tangent(0), Is.EqualTo(fx).Within(1e-7));
        Assert.That(d.Tangent(1), Is.EqualTo(fy).Within(1e-7));
        Assert.That(d.Tangent(2), Is.EqualTo(0));

        var tape = new Tape();
        var rx = tape.Variable(x); var ry = tape.Variable(y);
        var r = F(rx, ry);
        var g = new double[2];
        tape.Gradient(r, [rx, ry], g);
        Assert.That(r.Value, Is.EqualTo(d.Value));
        Assert.That(g[0], Is.EqualTo(d.Tangent(0)).Within(1e-13));
        Assert.That(g[1], Is.EqualTo(d.Tangent(1)).Within(1e-13));
    }

    [Test]
    public void BranchesFollowTheSelectedArgumentAndSignHasZeroDerivative()
    {
        var a = Dual4.Variable(2.0, 0);
        Assert.That(Scalar.Max(a, 1.0).Tangent(0), Is.EqualTo(1));
        Assert.That(Scalar.Max(a, 3.0).Tangent(0), Is.EqualTo(0));
        Assert.That(Scalar.Min(a, 3.0).Tangent(0), Is.EqualTo(1));
        Assert.That(Dual4.Abs(Dual4.Variable(0.0, 0)).Tangent(0), Is.EqualTo(0), "d|x|/dx at 0 is 0");
        Assert.That(Dual4.Abs(Dual4.Variable(-2.0, 0)).Tangent(0), Is.EqualTo(-1));
        Assert.That(Scalar.Sign(a), Is.EqualTo(1));
    }

    [Test]
    public void MixingTapesIsAnError()
    {
        var t1 = new Tape(); var t2 = new Tape();
        Assert.Throws<InvalidOperationException>(() => { var _ = t1.Variable(1) + t2.Variable(2); });
    }

    [Test]
    public void ConstantsDoNotGrowTheTape()
    {
        var t = new Tape();
        var x = t.Variable(2);
        int before = t.Count;
        var c = Rev.Constant(3) * Rev.Constant(4) + 1.0;
        Assert.That(t.Count, Is.EqualTo(before));
        Assert.That(c.IsConstant, Is.True);
        _ = x * c;
        Assert.That(t.Count, Is.EqualTo(before + 1));
    }
}
