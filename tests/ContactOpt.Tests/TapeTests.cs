using ContactOpt.Autodiff;

namespace ContactOpt.Tests;

/// <summary>The scalar tape: growth, misuse, and the per-range sweep the scalar route's segments use.</summary>
public class TapeTests
{
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

    [Test]
    public void ARangeWithItsOwnLeavesSweepsAloneAndLeavesOtherRangesUntouched()
    {
        var tape = new Tape();
        // Range 1: y = x², recorded first.
        int start1 = tape.Count;
        var x = tape.Variable(3.0);
        var y = x * x;
        int end1 = tape.Count;
        // Range 2: a fresh leaf u carrying y's value, z = sin(u)·u.
        int start2 = tape.Count;
        var u = tape.Variable(y.Value);
        var z = Rev.Sin(u) * u;
        int end2 = tape.Count;

        tape.ZeroAdjoints(0, tape.Count);
        tape.AddAdjoint(z, 1.0);
        tape.Propagate(start2, end2);
        double dzdu = Math.Cos(9) * 9 + Math.Sin(9);
        Assert.That(tape.AdjointOf(u.Index), Is.EqualTo(dzdu).Within(1e-12));
        Assert.That(tape.Adjoint(x), Is.EqualTo(0.0), "range 1 must not be swept by range 2's propagate");

        tape.ZeroAdjoints(start1, end1);
        tape.AddAdjoint(y, tape.AdjointOf(u.Index));
        tape.Propagate(start1, end1);
        Assert.That(tape.Adjoint(x), Is.EqualTo(dzdu * 6).Within(1e-12));
    }

    [Test]
    public void RangesOutsideTheTapeAreRejected()
    {
        var tape = new Tape();
        tape.Variable(1.0);
        Assert.Throws<ArgumentOutOfRangeException>(() => tape.ZeroAdjoints(0, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => tape.Propagate(2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => tape.AdjointOf(7));
    }
}
