namespace ContactOpt;

/// <summary>
/// Gymnasium's <c>flatdim</c>, <c>flatten_space</c>, <c>flatten</c> and <c>unflatten</c> for the suite's spaces:
/// a <see cref="Box"/> is already flat; a <see cref="Discrete"/> becomes a one-hot vector in Box(0, 1, n); a
/// <see cref="BatchedBox"/> becomes its rows one after another (row-major), in the Box of the stacked bounds.
/// </summary>
public static class Spaces
{
    /// <summary>Length of a flattened element of <paramref name="space"/>.</summary>
    public static int FlatDim<T>(Space<T> space) => space switch
    {
        null => throw new ArgumentNullException(nameof(space)),
        Box b => b.Size,
        Discrete d => d.N,
        BatchedBox bb => bb.N * bb.Single.Size,
        _ => throw Unsupported(space),
    };

    /// <summary>The Box that flattened elements of <paramref name="space"/> lie in.</summary>
    public static Box FlattenSpace<T>(Space<T> space) => space switch
    {
        null => throw new ArgumentNullException(nameof(space)),
        Box b => new Box(b.Low, b.High),
        Discrete d => new Box(0.0, 1.0, d.N),
        BatchedBox bb => new Box(Repeat(bb.Single.Low, bb.N), Repeat(bb.Single.High, bb.N)),
        _ => throw Unsupported(space),
    };

    /// <summary>The flattened <paramref name="value"/> (a fresh array); throws naming the problem when it does not fit the space's shape.</summary>
    public static double[] Flatten<T>(Space<T> space, T value)
    {
        ArgumentNullException.ThrowIfNull(space);
        switch (space)
        {
            case Box b:
                {
                    var x = (double[])(object)value!;
                    if (x is null || x.Length != b.Size) throw new ArgumentException($"cannot flatten a value of length {x?.Length.ToString() ?? "null"} in {b}.");
                    return (double[])x.Clone();
                }
            case Discrete d:
                {
                    int v = (int)(object)value!;
                    if (!d.Contains(v)) throw new ArgumentException($"cannot flatten {v}: it is not in {d}.");
                    var x = new double[d.N];
                    x[v - d.Start] = 1;
                    return x;
                }
            case BatchedBox bb:
                {
                    var rows = (double[][])(object)value!;
                    int m = bb.Single.Size;
                    if (rows is null || rows.Length != bb.N) throw new ArgumentException($"cannot flatten a batch of {rows?.Length.ToString() ?? "null"} rows in {bb}.");
                    var x = new double[bb.N * m];
                    for (int i = 0; i < rows.Length; i++)
                    {
                        if (rows[i] is null || rows[i].Length != m) throw new ArgumentException($"cannot flatten row {i} of length {rows[i]?.Length.ToString() ?? "null"} in {bb}.");
                        Array.Copy(rows[i], 0, x, i * m, m);
                    }
                    return x;
                }
            default: throw Unsupported(space);
        }
    }

    /// <summary>The element of <paramref name="space"/> that <paramref name="flat"/> flattens (the inverse of <see cref="Flatten{T}"/>).</summary>
    public static T Unflatten<T>(Space<T> space, double[] flat)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(flat);
        int dim = FlatDim(space);
        if (flat.Length != dim) throw new ArgumentException($"a flattened element of {space} has length {dim}; got {flat.Length}.");
        switch (space)
        {
            case Box: return (T)(object)flat.Clone();
            case Discrete d:
                {
                    int hot = -1;
                    for (int i = 0; i < flat.Length; i++)
                    {
                        if (flat[i] == 1 && hot < 0) hot = i;
                        else if (flat[i] != 0) { hot = -2; break; }
                    }
                    if (hot < 0) throw new ArgumentException($"[{string.Join(", ", flat)}] is not a one-hot vector of {d}.");
                    return (T)(object)(d.Start + hot);
                }
            case BatchedBox bb:
                {
                    int m = bb.Single.Size;
                    var rows = new double[bb.N][];
                    for (int i = 0; i < rows.Length; i++) rows[i] = flat.AsSpan(i * m, m).ToArray();
                    return (T)(object)rows;
                }
            default: throw Unsupported(space);
        }
    }

    static double[] Repeat(double[] row, int n)
    {
        var x = new double[row.Length * n];
        for (int i = 0; i < n; i++) Array.Copy(row, 0, x, i * row.Length, row.Length);
        return x;
    }

    static NotSupportedException Unsupported(object space) =>
        new($"flattening a {space.GetType().Name} space is not supported; Box, Discrete and BatchedBox are.");
}
