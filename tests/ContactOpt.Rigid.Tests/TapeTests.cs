using ContactOpt.Autodiff;

namespace ContactOpt.Rigid.Tests;

/// <summary>Guards the reverse sweep changed on this branch: kernel ordering, growth, misuse.</summary>
public class TapeTests
{
    /// <summary>y = s·x as a hand-written kernel.</summary>
    sealed class Scale(Rev x, Rev y, double s) : IAdjointKernel
    {
        public int Calls;
        public void Backward(Tape tape) { Calls++; tape.AddAdjoint(x, s * tape.Adjoint(y)); }
    }

    [Test]
    public void KernelsRunAfterTheirConsumersAndInOrder()
    {
        var tape = new Tape();
        var x = tape.Variable(1.5);
        var u = x * x;                              // nodes before the first kernel
        var y = tape.Variable(2 * u.Value);         // kernel 1: y = 2u
        var k1 = new Scale(u, y, 2); tape.Record(k1);
        var w = tape.Variable(3 * y.Value);         // kernel 2 right after kernel 1: w = 3y
        var k2 = new Scale(y, w, 3); tape.Record(k2);
        var z = w * w + x;                          // consumers of w
        var g = new double[1];
        tape.Gradient(z, [x], g);
        // z = (6x²)² + x = 36x⁴ + x → 144x³ + 1.
        Assert.That(g[0], Is.EqualTo(144 * Math.Pow(1.5, 3) + 1).Within(1e-9));
        Assert.That((k1.Calls, k2.Calls), Is.EqualTo((1, 1)));
        // A kernel recorded last (nothing consumes its output) still runs once.
        var k3 = new Scale(x, tape.Variable(0), 1); tape.Record(k3);
        tape.Gradient(z, [x], g);
        Assert.That(k3.Calls, Is.EqualTo(1));
    }

    [Test]
    public void GrowsBeyondItsInitialCapacityAndRejectsPropagateWithoutZeroing()
    {
        var tape = new Tape();
        var x = tape.Variable(1.0);
        var s = x;
        for (int i = 0; i < 5000; i++) s = s * 1.0001 + 0.0;
        var g = new double[1];
        tape.Gradient(s, [x], g);
        Assert.That(g[0], Is.EqualTo(Math.Pow(1.0001, 5000)).Within(1e-9));
        var fresh = new Tape();
        fresh.Variable(1);
        Assert.Throws<InvalidOperationException>(fresh.Propagate);
    }
}
