using MathNet.Numerics.Random;

namespace ContactOpt;

/// <summary>Creates the project's seeded generators (xoshiro256**, not thread-safe, one per owner).</summary>
public static class Rng
{
    public static Random Create(int seed) => new Xoshiro256StarStar(seed, threadSafe: false);
}
