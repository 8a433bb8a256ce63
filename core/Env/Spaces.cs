using MathNet.Numerics.Distributions;
using MathNet.Numerics.Random;

namespace ContactOpt;

/// <summary>A Gymnasium-style space with its own seeded generator.</summary>
public abstract class Space<T>
{
    Random _rng = Rng.Create(0);

    /// <summary>Shape of one element (empty for scalar spaces such as <see cref="Discrete"/>).</summary>
    public abstract int[] Shape { get; }
    /// <summary>The generator used by <see cref="Sample"/>; replaced by <see cref="Seed"/>.</summary>
    protected Random Random => _rng;
    /// <summary>Re-creates the space's generator (the default generator is seeded with 0).</summary>
    public void Seed(int seed) => _rng = Rng.Create(seed);
    public abstract T Sample();
    public abstract bool Contains(T value);
}

/// <summary>
/// A box in ℝⁿ (double precision). Sampling follows Gymnasium: uniform on bounded coordinates, shifted
/// exponential on half-bounded ones, standard normal on unbounded ones.
/// </summary>
public sealed class Box : Space<double[]>
{
    readonly double[] _low, _high;

    public Box(double low, double high, int size, int? seed = null)
        : this(Enumerable.Repeat(low, size).ToArray(), Enumerable.Repeat(high, size).ToArray(), seed) { }

    public Box(double[] low, double[] high, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(low);
        ArgumentNullException.ThrowIfNull(high);
        if (low.Length != high.Length)
            throw new ArgumentException($"Box bounds differ in length: low has {low.Length}, high has {high.Length}.");
        if (low.Length == 0) throw new ArgumentException("A Box needs at least one dimension.");
        for (int i = 0; i < low.Length; i++)
        {
            if (double.IsNaN(low[i]) || double.IsNaN(high[i])) throw new ArgumentException($"Box bound {i} is NaN.");
            if (low[i] > high[i]) throw new ArgumentException($"Box bound {i}: low {low[i]} is greater than high {high[i]}.");
        }
        _low = (double[])low.Clone();
        _high = (double[])high.Clone();
        if (seed is int s) Seed(s);
    }

    public int Size => _low.Length;
    public override int[] Shape => [_low.Length];
    public double[] Low => (double[])_low.Clone();
    public double[] High => (double[])_high.Clone();
    public double LowAt(int i) => _low[i];
    public double HighAt(int i) => _high[i];
    public bool IsBounded => _low.All(double.IsFinite) && _high.All(double.IsFinite);

    public override double[] Sample() => Sample(Random);

    /// <summary>A sample drawn from <paramref name="rng"/> instead of the space's own generator (batched spaces use it).</summary>
    public double[] Sample(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var x = new double[Size];
        for (int i = 0; i < x.Length; i++)
        {
            bool lo = double.IsFinite(_low[i]), hi = double.IsFinite(_high[i]);
            x[i] = (lo, hi) switch
            {
                (true, true) => _low[i] + (_high[i] - _low[i]) * rng.NextDouble(),
                (true, false) => _low[i] + Exponential.Sample(rng, 1.0),
                (false, true) => _high[i] - Exponential.Sample(rng, 1.0),
                _ => Normal.Sample(rng, 0.0, 1.0),
            };
        }
        return x;
    }

    public override bool Contains(double[] value)
    {
        if (value is null || value.Length != Size) return false;
        for (int i = 0; i < value.Length; i++)
            if (!(value[i] >= _low[i] && value[i] <= _high[i])) return false; // NaN fails
        return true;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first problem with <paramref name="value"/>.</summary>
    public void Validate(double[]? value, string what)
    {
        if (value is null) throw new ArgumentNullException(what, $"{what} is null.");
        if (value.Length != Size) throw new ArgumentException($"{what} has length {value.Length}, expected {Size}.", what);
        for (int i = 0; i < value.Length; i++)
        {
            if (!double.IsFinite(value[i])) throw new ArgumentException($"{what}[{i}] is {value[i]}; it must be finite.", what);
            if (value[i] < _low[i] || value[i] > _high[i])
                throw new ArgumentException($"{what}[{i}] = {value[i]} is outside [{_low[i]}, {_high[i]}].", what);
        }
    }

    public override string ToString() => $"Box({Size}: [{string.Join(", ", _low)}] .. [{string.Join(", ", _high)}])";
}

/// <summary>The integers {start, …, start + n − 1}.</summary>
public sealed class Discrete : Space<int>
{
    public Discrete(int n, int start = 0, int? seed = null)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "Discrete needs n ≥ 1.");
        N = n; Start = start;
        if (seed is int s) Seed(s);
    }
    public int N { get; }
    public int Start { get; }
    public override int[] Shape => [];
    public override int Sample() => Start + Random.Next(N);
    /// <summary>Samples among the actions whose mask entry is true.</summary>
    public int Sample(bool[] mask)
    {
        if (mask.Length != N) throw new ArgumentException($"mask has length {mask.Length}, expected {N}.");
        var allowed = Enumerable.Range(0, N).Where(i => mask[i]).ToArray();
        if (allowed.Length == 0) throw new ArgumentException("mask allows no action.");
        return Start + allowed[Random.Next(allowed.Length)];
    }
    public override bool Contains(int value) => value >= Start && value < Start + N;
    public override string ToString() => $"Discrete({N}, start={Start})";
}

/// <summary>
/// n copies of a Box (Gymnasium's <c>batch_space</c> of a Box): elements are n rows, shape [n, size]; sampling draws
/// every row from this space's own generator (seed it with <see cref="Space{T}.Seed"/>).
/// </summary>
public sealed class BatchedBox : Space<double[][]>
{
    public BatchedBox(Box single, int n)
    {
        ArgumentNullException.ThrowIfNull(single);
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "a batch needs n ≥ 1.");
        Single = single; N = n;
    }
    public Box Single { get; }
    public int N { get; }
    public override int[] Shape => [N, Single.Size];
    public override double[][] Sample()
    {
        var rows = new double[N][];
        for (int i = 0; i < N; i++) rows[i] = Single.Sample(Random);
        return rows;
    }
    public override bool Contains(double[][] value) => value is not null && value.Length == N && value.All(Single.Contains);
    public override string ToString() => $"BatchedBox({N} × {Single})";
}
