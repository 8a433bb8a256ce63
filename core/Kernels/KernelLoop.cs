namespace ContactOpt.Kernels;

/// <summary>
/// Deterministic parallel loops for engine kernels. The index range is cut into blocks whose size depends only
/// on <c>grain</c> (never on the thread count), each block is processed by one thread, and reductions add the
/// per-block partial results in block order — so results are bit-identical for any number of threads, as long
/// as a block writes only its own outputs (gather form: each output is computed by exactly one index).
/// One instance per workspace; <see cref="Threads"/> = 1 runs inline with no task scheduling; more threads run the blocks
/// on a process-wide team of spinning workers (<see cref="SpinTeam"/>), or on Parallel.For when the team is busy.
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
    void ParallelFor(int count, int grain, int blocks, Action<int, int> body)
    {
        Action<int> block = b => body(b * grain, Math.Min(count, (b + 1) * grain));
        if (!SpinTeam.Shared.TryRun(blocks, Threads - 1, block)) Fallback(blocks, block);
    }

    /// <summary>Parallel.For when the worker team is busy; a block's exception is rethrown as itself, as the team does.</summary>
    void Fallback(int blocks, Action<int> block)
    {
        try { Parallel.For(0, blocks, _options, block); }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }

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

    void ParallelSum(int count, int grain, int blocks, Func<int, int, double> body, double[] partials)
    {
        Action<int> block = b => partials[b] = body(b * grain, Math.Min(count, (b + 1) * grain));
        if (!SpinTeam.Shared.TryRun(blocks, Threads - 1, block)) Fallback(blocks, block);
    }
}

/// <summary>
/// A process-wide team of worker threads for <see cref="KernelLoop"/>'s parallel regions. Why: an engine substep has
/// five to eight parallel regions of a few hundred microseconds each, and <c>Parallel.For</c> wakes a thread-pool
/// worker for every one of them; the wake-up arrives after much of the region is done, so the second core is idle
/// most of the time. The team's workers spin for a short while after each region and pick up the next one at once.
/// Which thread runs a block does not matter for the results: blocks write disjoint outputs and sums are added in
/// block order (<see cref="KernelLoop"/>), so they stay bit-identical. One region at a time: a second caller (another
/// workspace on another thread, or a nested region) gets false and falls back to <c>Parallel.For</c>.
/// </summary>
sealed class SpinTeam
{
    /// <summary>The team, with one worker fewer than the machine has cores (workers start on first use).</summary>
    public static readonly SpinTeam Shared = new(Math.Max(1, Environment.ProcessorCount - 1));

    /// <summary>How long an idle worker spins for the next region before it blocks.</summary>
    static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000;   // 200 µs

    sealed class Job(int blocks, int helpers, Action<int> body)
    {
        public readonly int Blocks = blocks, Helpers = helpers;
        public readonly Action<int> Body = body;
        public int Next, Done, Joined;
        public Exception? Error;

        public void Work()
        {
            int b;
            while ((b = Interlocked.Increment(ref Next) - 1) < Blocks)
            {
                try { Body(b); }
                catch (Exception e) { Interlocked.CompareExchange(ref Error, e, null); }
                Interlocked.Increment(ref Done);
            }
        }
    }

    readonly int _size;
    readonly SemaphoreSlim _wake = new(0);
    Job? _job;
    int _busy, _sleepers, _started;

    SpinTeam(int size) => _size = size;

    /// <summary>
    /// Runs body(0 … blocks − 1) on the calling thread and up to <paramref name="helpers"/> workers, and returns
    /// true; or returns false at once if the team is running another region.
    /// </summary>
    public bool TryRun(int blocks, int helpers, Action<int> body)
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return false;
        try
        {
            if (Interlocked.Exchange(ref _started, 1) == 0) Start();
            var job = new Job(blocks, Math.Min(helpers, _size), body);
            Volatile.Write(ref _job, job);
            int sleeping = Volatile.Read(ref _sleepers);
            if (sleeping > 0) _wake.Release(Math.Min(sleeping, job.Helpers));
            job.Work();
            var spin = new SpinWait();
            while (Volatile.Read(ref job.Done) < blocks) spin.SpinOnce(sleep1Threshold: -1);
            Volatile.Write(ref _job, null);
            if (job.Error is { } error) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
            return true;
        }
        finally { Volatile.Write(ref _busy, 0); }
    }

    void Start()
    {
        for (int i = 0; i < _size; i++)
            new Thread(WorkerLoop) { IsBackground = true, Name = $"KernelLoop worker {i}" }.Start();
    }

    void WorkerLoop()
    {
        Job? last = null;
        while (true)
        {
            long spinUntil = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
            Job? job;
            while ((job = Volatile.Read(ref _job)) is null || job == last)
            {
                if (System.Diagnostics.Stopwatch.GetTimestamp() < spinUntil) { Thread.SpinWait(20); continue; }
                Interlocked.Increment(ref _sleepers);
                // Re-check after announcing the sleep, so that a region published meanwhile is not missed.
                if ((job = Volatile.Read(ref _job)) is null || job == last) _wake.Wait();
                Interlocked.Decrement(ref _sleepers);
                spinUntil = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
            }
            last = job;
            if (Interlocked.Increment(ref job.Joined) <= job.Helpers) job.Work();
        }
    }
}
