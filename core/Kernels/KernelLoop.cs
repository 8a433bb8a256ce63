namespace ContactOpt.Kernels;

/// <summary>
/// Deterministic parallel loops for engine kernels. The index range is cut into blocks whose size depends only
/// on <c>grain</c> (never on the thread count), each block is processed by one thread, and reductions add the
/// per-block partial results in block order — so results are bit-identical for any number of threads, as long
/// as a block writes only its own outputs (gather form: each output is computed by exactly one index).
/// One instance per workspace; <see cref="Threads"/> = 1 runs inline with no task scheduling.
/// </summary>
public sealed class KernelLoop
{
    readonly ParallelOptions _options;
    double[] _partials = new double[64];

    public KernelLoop(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be at least 1.");
        Threads = threads;
        _options = new ParallelOptions { MaxDegreeOfParallelism = threads };
    }

    public int Threads { get; }

    /// <summary>Number of blocks of <paramref name="grain"/> indices covering [0, count).</summary>
    public static int Blocks(int count, int grain) => count <= 0 ? 0 : (count + grain - 1) / grain;

    /// <summary>Calls <paramref name="body"/>(start, end) for each block of [0, count); blocks may run in parallel.</summary>
    public void For(int count, int grain, Action<int, int> body)
    {
        if (grain < 1) throw new ArgumentOutOfRangeException(nameof(grain), grain, "grain must be at least 1.");
        int blocks = Blocks(count, grain);
        if (Threads == 1 || blocks <= 1)
        {
            for (int b = 0; b < blocks; b++) body(b * grain, Math.Min(count, (b + 1) * grain));
            return;
        }
        ParallelFor(count, grain, blocks, body);
    }

    // Out of line: the closure the parallel loop needs would otherwise be allocated on every call, serial or not.
    void ParallelFor(int count, int grain, int blocks, Action<int, int> body) =>
        Parallel.For(0, blocks, _options, b => body(b * grain, Math.Min(count, (b + 1) * grain)));

    /// <summary>
    /// Σ over blocks of <paramref name="body"/>(start, end), added in block order (bit-identical for any thread
    /// count). Not re-entrant: do not call <see cref="Sum"/> from inside a body of the same loop.
    /// </summary>
    public double Sum(int count, int grain, Func<int, int, double> body)
    {
        if (grain < 1) throw new ArgumentOutOfRangeException(nameof(grain), grain, "grain must be at least 1.");
        int blocks = Blocks(count, grain);
        if (_partials.Length < blocks) _partials = new double[Math.Max(blocks, 2 * _partials.Length)];
        var partials = _partials;
        if (Threads == 1 || blocks <= 1)
            for (int b = 0; b < blocks; b++) partials[b] = body(b * grain, Math.Min(count, (b + 1) * grain));
        else
            ParallelSum(count, grain, blocks, body, partials);
        double s = 0;
        for (int b = 0; b < blocks; b++) s += partials[b];
        return s;
    }

    void ParallelSum(int count, int grain, int blocks, Func<int, int, double> body, double[] partials) =>
        Parallel.For(0, blocks, _options, b => partials[b] = body(b * grain, Math.Min(count, (b + 1) * grain)));
}
