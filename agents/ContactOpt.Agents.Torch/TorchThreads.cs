using TorchSharp;

namespace ContactOpt.Agents.Torch;

/// <summary>
/// TorchSharp's intra-op thread count is process-wide (<c>torch.set_num_threads</c>), so no run may change it:
/// the first training in a process sets it once to 1 (comparisons parallelise across runs on worker threads, and
/// one intra-op thread keeps training deterministic). A program that wants another count calls
/// <see cref="Configure"/> once, before it trains anything.
/// </summary>
public static class TorchThreads
{
    static readonly object Gate = new();
    static int? _threads;

    /// <summary>The intra-op thread count in force (null before the first training or <see cref="Configure"/>).</summary>
    public static int? Threads { get { lock (Gate) return _threads; } }

    /// <summary>Sets the process's intra-op thread count; once per process (a second, different value is refused).</summary>
    public static void Configure(int threads)
    {
        if (threads < 1 || threads > 1024) throw new ArgumentOutOfRangeException(nameof(threads), threads, "TorchSharp threads must be in [1, 1024].");
        lock (Gate)
        {
            if (_threads is int t)
            {
                if (t != threads) throw new InvalidOperationException($"TorchSharp threads are already set to {t} for this process; set them once, before training.");
                return;
            }
            torch.set_num_threads(threads);
            _threads = threads;
        }
    }

    /// <summary>Called by every training: sets one thread unless the process configured a count.</summary>
    internal static void EnsureConfigured()
    {
        lock (Gate)
        {
            if (_threads is not null) return;
            torch.set_num_threads(1);
            _threads = 1;
        }
    }
}
