using System.Runtime.CompilerServices;

namespace ContactOpt.Autodiff;

/// <summary>
/// Reverse-mode tape (Wengert list). Each node stores up to two parents and the local partial derivatives,
/// so the backward pass is a single reverse sweep of multiply-adds. Node 0 is a sink that absorbs the
/// adjoints of constants, which keeps the sweep branch-free. One tape belongs to one thread. The scalar route
/// records one segment per node range (see <c>ScalarWorkspace</c>) and sweeps each range on its own.
/// </summary>
public sealed class Tape
{
    struct Node { public int A, B; public double DA, DB; }

    Node[] _nodes = new Node[1024];
    double[] _adjoint = [];
    int _count = 1;

    /// <summary>Number of nodes recorded (including the constant sink).</summary>
    public int Count => _count;

    /// <summary>Forgets everything recorded; the arrays are kept for reuse.</summary>
    public void Clear() => _count = 1;

    /// <summary>A new independent variable (a leaf).</summary>
    public Rev Variable(double value) => new(value, Push(0, 0, 0, 0), this);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int Push(int a, double da, int b, double db)
    {
        // Fast path inlined into every operator; the (rare) growth stays out of line.
        var nodes = _nodes;
        int c = _count;
        if ((uint)c < (uint)nodes.Length)
        {
            ref Node n = ref nodes[c];
            n.A = a; n.DA = da; n.B = b; n.DB = db;
            _count = c + 1;
            return c;
        }
        return PushGrow(a, da, b, db);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    int PushGrow(int a, double da, int b, double db)
    {
        Array.Resize(ref _nodes, _nodes.Length * 2);
        return Push(a, da, b, db);
    }

    /// <summary>Sets every adjoint to zero; then seed outputs with <see cref="AddAdjoint"/> and call <see cref="Propagate"/>.</summary>
    public void ZeroAdjoints()
    {
        if (_adjoint.Length < _count) _adjoint = new double[Math.Max(_count, _adjoint.Length * 2)];
        else Array.Clear(_adjoint, 0, _count);
    }

    /// <summary>Sets the adjoints of nodes [from, to) to zero (growing the adjoint array to the tape).</summary>
    public void ZeroAdjoints(int from, int to)
    {
        CheckRange(from, to);
        if (_adjoint.Length < _count) Array.Resize(ref _adjoint, Math.Max(_count, _adjoint.Length * 2));
        Array.Clear(_adjoint, from, to - from);
    }

    public void AddAdjoint(Rev x, double value)
    {
        CheckOwned(x);
        _adjoint[x.I] += value;
    }

    public double Adjoint(Rev x)
    {
        CheckOwned(x);
        return x.I == 0 ? 0.0 : _adjoint[x.I];
    }

    /// <summary>Adjoint of the node with index <paramref name="index"/> (a leaf index kept by the recorder).</summary>
    public double AdjointOf(int index)
    {
        if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index), index, $"node index must be in 0..{_count - 1}.");
        return index == 0 ? 0.0 : _adjoint[index];
    }

    /// <summary>Sweeps the tape backwards, accumulating adjoints into every node's parents.</summary>
    public void Propagate()
    {
        if (_adjoint.Length < _count) throw new InvalidOperationException("Call ZeroAdjoints after recording and before Propagate.");
        Sweep(_count - 1, 1);
        _adjoint[0] = 0.0;
    }

    /// <summary>
    /// Sweeps nodes [from, to) backwards. Valid when every node in the range has its parents in the range or at
    /// the constant sink, as a segment recorded with fresh input leaves does.
    /// </summary>
    public void Propagate(int from, int to)
    {
        CheckRange(from, to);
        if (_adjoint.Length < _count) throw new InvalidOperationException("Call ZeroAdjoints after recording and before Propagate.");
        Sweep(to - 1, Math.Max(from, 1));
        _adjoint[0] = 0.0;
    }

    void CheckRange(int from, int to)
    {
        if (from < 0 || to < from || to > _count)
            throw new ArgumentOutOfRangeException(nameof(from), $"node range [{from}, {to}) is not within the tape's {_count} nodes.");
    }

    /// <summary>Reverse sweep over the nodes hi, hi − 1, …, lo.</summary>
    void Sweep(int hi, int lo)
    {
        var nodes = _nodes;
        var adj = _adjoint;
        for (int i = hi; i >= lo; i--)
        {
            double g = adj[i];
            if (g == 0.0) continue;
            ref Node n = ref nodes[i];
            adj[n.A] += n.DA * g;
            adj[n.B] += n.DB * g;
        }
    }

    /// <summary>Convenience: gradient of one output with respect to the given inputs.</summary>
    public void Gradient(Rev output, ReadOnlySpan<Rev> inputs, Span<double> gradient)
    {
        if (gradient.Length != inputs.Length)
            throw new ArgumentException($"gradient has length {gradient.Length}, expected {inputs.Length}.", nameof(gradient));
        ZeroAdjoints();
        if (output.T == this) AddAdjoint(output, 1.0);
        Propagate();
        for (int i = 0; i < inputs.Length; i++) gradient[i] = inputs[i].T == this ? _adjoint[inputs[i].I] : 0.0;
    }

    void CheckOwned(Rev x)
    {
        if (x.T != null && x.T != this) throw new InvalidOperationException("The variable belongs to another tape.");
        if (x.I >= _count) throw new InvalidOperationException("The variable was recorded before the tape was cleared.");
    }
}

/// <summary>
/// Reverse-mode scalar: a value and its node on a <see cref="Tape"/> (constants have no tape and node 0).
/// </summary>
public readonly struct Rev : IScalar<Rev>
{
    public readonly double V;
    internal readonly int I;
    internal readonly Tape? T;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Rev(double v, int i, Tape? t) { V = v; I = i; T = t; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    Rev(double v) { V = v; I = 0; T = null; }

    public double Value { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => V; }
    /// <summary>Node index on its tape (0 for constants).</summary>
    public int Index => I;
    public Tape? Tape => T;
    public bool IsConstant => T is null;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Tape? Pick(Tape? a, Tape? b)
    {
        if (a is null) return b;
        if (b is not null && !ReferenceEquals(a, b)) ThrowMixed();
        return a;
    }
    static void ThrowMixed() => throw new InvalidOperationException("Operands are recorded on different tapes.");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Rev Binary(double v, Rev a, double da, Rev b, double db)
    {
        var t = Pick(a.T, b.T);
        return t is null ? new Rev(v) : new Rev(v, t.Push(a.I, da, b.I, db), t);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Rev Unary(double v, Rev a, double da) =>
        a.T is null ? new Rev(v) : new Rev(v, a.T.Push(a.I, da, 0, 0.0), a.T);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev Constant(double value) => new(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static implicit operator Rev(double value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev operator +(Rev a, Rev b) => Binary(a.V + b.V, a, 1.0, b, 1.0);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev operator -(Rev a, Rev b) => Binary(a.V - b.V, a, 1.0, b, -1.0);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev operator *(Rev a, Rev b) => Binary(a.V * b.V, a, b.V, b, a.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Rev operator /(Rev a, Rev b) { double inv = 1.0 / b.V, q = a.V * inv; return Binary(q, a, inv, b, -q * inv); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev operator -(Rev a) => Unary(-a.V, a, -1.0);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev operator +(Rev a, double b) => Unary(a.V + b, a, 1.0);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev operator -(Rev a, double b) => Unary(a.V - b, a, 1.0);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev operator -(double a, Rev b) => Unary(a - b.V, b, -1.0);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev operator *(Rev a, double b) => Unary(a.V * b, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev operator *(double a, Rev b) => Unary(a * b.V, b, a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev operator /(Rev a, double b) { double inv = 1.0 / b; return Unary(a.V * inv, a, inv); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev Sqrt(Rev x) { double s = Math.Sqrt(x.V); return Unary(s, x, 0.5 / s); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev Sin(Rev x) => Unary(Math.Sin(x.V), x, Math.Cos(x.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev Cos(Rev x) => Unary(Math.Cos(x.V), x, -Math.Sin(x.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Rev Sin, Rev Cos) SinCos(Rev x) { var (s, c) = Math.SinCos(x.V); return (Unary(s, x, c), Unary(c, x, -s)); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev Exp(Rev x) { double e = Math.Exp(x.V); return Unary(e, x, e); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev Log(Rev x) => Unary(Math.Log(x.V), x, 1.0 / x.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev Tanh(Rev x) { double t = Math.Tanh(x.V); return Unary(t, x, 1 - t * t); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Rev Atan2(Rev y, Rev x) { double r2 = x.V * x.V + y.V * y.V; return Binary(Math.Atan2(y.V, x.V), y, x.V / r2, x, -y.V / r2); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Rev Abs(Rev x) => Unary(Math.Abs(x.V), x, Scalar.Sign(x.V));

    public override string ToString() => $"{V} (node {I})";
}
