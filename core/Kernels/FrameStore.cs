namespace ContactOpt.Kernels;

/// <summary>
/// Storage for the frames of a sequence (particle states of substeps, states of segments), structure-of-arrays
/// inside each frame (the engine decides the layout of a frame's doubles), with a checkpoint policy: keep every
/// <see cref="Every"/>-th frame and recompute the others from the nearest kept one. Memory is
/// ⌈frames / Every⌉ + one block of <see cref="Every"/> frames for the recomputation, each of
/// <see cref="FrameSize"/> doubles; arrays are allocated once and reused across episodes.
/// </summary>
public sealed class FrameStore
{
    readonly List<double[]> _checkpoints = new();
    readonly List<double[]> _block = new();

    public FrameStore(int frameSize, int every = 1)
    {
        if (frameSize < 0) throw new ArgumentOutOfRangeException(nameof(frameSize), frameSize, "frame size must be ≥ 0.");
        if (every < 1) throw new ArgumentOutOfRangeException(nameof(every), every, "checkpoint interval must be at least 1.");
        FrameSize = frameSize;
        Every = every;
    }

    public int FrameSize { get; }
    /// <summary>Checkpoint interval: frame i is kept when i mod Every = 0.</summary>
    public int Every { get; }
    /// <summary>Frames written since <see cref="Clear"/>.</summary>
    public int Count { get; private set; }
    /// <summary>Doubles held (checkpoints and the recomputation block), for memory accounting.</summary>
    public long AllocatedDoubles => (long)(_checkpoints.Count + _block.Count) * FrameSize;

    public void Clear() => Count = 0;

    /// <summary>True when frame <paramref name="i"/> is (or will be) kept.</summary>
    public bool IsCheckpoint(int i) => i % Every == 0;

    /// <summary>Appends frame Count (copied when it is a checkpoint, otherwise only counted).</summary>
    public void Append(ReadOnlySpan<double> frame)
    {
        if (frame.Length != FrameSize) throw new ArgumentException($"frame has length {frame.Length}, expected {FrameSize}.", nameof(frame));
        int i = Count;
        if (IsCheckpoint(i))
        {
            int c = i / Every;
            while (_checkpoints.Count <= c) _checkpoints.Add(new double[FrameSize]);
            frame.CopyTo(_checkpoints[c]);
        }
        Count = i + 1;
    }

    /// <summary>Index of the kept frame at or before <paramref name="i"/>.</summary>
    public int CheckpointIndex(int i) => i / Every * Every;

    /// <summary>The contents of the kept frame at or before <paramref name="i"/> (see <see cref="CheckpointIndex"/>).</summary>
    public ReadOnlySpan<double> Checkpoint(int i)
    {
        if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(i), i, $"frame index must be in 0..{Count - 1}.");
        return _checkpoints[i / Every];
    }

    /// <summary>
    /// Scratch slot k (0 ≤ k &lt; Every) of the recomputation block, where a caller rebuilds the frames after a
    /// checkpoint before walking them backwards.
    /// </summary>
    public Span<double> BlockSlot(int k)
    {
        if ((uint)k >= (uint)Every) throw new ArgumentOutOfRangeException(nameof(k), k, $"block slot must be in 0..{Every - 1}.");
        while (_block.Count <= k) _block.Add(new double[FrameSize]);
        return _block[k];
    }
}
