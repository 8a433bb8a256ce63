using ContactOpt.Envs.Mpm;

namespace ContactOpt.Mpm.Tests;

/// <summary>Tiny scenes for the kernel and episode tests.</summary>
static class Tiny
{
    /// <summary>Particles uniformly at random in a box (seeded).</summary>
    public static double[] Block(int count, V3 lo, V3 hi, int seed)
    {
        var rng = new Random(seed);
        var x = new double[3 * count];
        for (int p = 0; p < count; p++)
            for (int d = 0; d < 3; d++) x[3 * p + d] = lo[d] + (hi[d] - lo[d]) * rng.NextDouble();
        return x;
    }

    public static Primitive Sphere(V3 at, double radius, double friction = 0.9, double scale = 0.02) =>
        new(ShapeKind.Sphere, radius, 0, at, friction, new V3(scale, scale, scale), new V3(0, 0, 0), new V3(1, 1, 1));

    /// <summary>A 16³ scene: a block on the floor and a sphere just above it.</summary>
    public static Scene PressScene(double floorFriction = 1.5, double softness = 666, int particles = 60, int substeps = 4,
        Primitive? primitive = null, int grid = 16, double gravity = 30, double yield = 50)
    {
        var x = Block(particles, new V3(0.35, 3.0 / grid, 0.35), new V3(0.65, 3.0 / grid + 0.15, 0.65), 7);
        var prim = primitive ?? Sphere(new V3(0.5, 3.0 / grid + 0.15 + 0.07, 0.5), 0.06);
        double dt = 1e-4 * 64.0 / grid;
        return new Scene(grid, dt, substeps, new Material(5000, 0.2, yield), floorFriction, softness, [prim], x,
            particleVolume: Math.Pow(1.0 / 128, 2) * 10000.0 / particles, gravityScale: gravity);
    }

    public static double[] Random(int n, int seed, double scale = 1)
    {
        var rng = new Random(seed);
        var a = new double[n];
        for (int i = 0; i < n; i++) a[i] = scale * (2 * rng.NextDouble() - 1);
        return a;
    }
}
