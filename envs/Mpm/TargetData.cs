using System.Collections.Concurrent;
using System.IO.Compression;

namespace ContactOpt.Envs.Mpm;

/// <summary>
/// Targets of the PlasticineLab tasks, regenerated in this simulator: the grid mass after the task's scripted
/// reference motion (5 segments, softness 666) at each preset, with the reference's summed loss terms. Stored as
/// embedded data (envs/Mpm/Targets/{task}-{preset}.bin, sparse, gzip); <see cref="Generate"/> rebuilds one and
/// <see cref="WriteAll"/> rewrites the files (test utility: RegenerateTargets in ContactOpt.Mpm.Tests).
/// When a file is missing the target is generated on first use and cached for the process.
/// </summary>
public static class TargetData
{
    public sealed record Data(Target Target, double Density, double Sdf, double Contact);

    static readonly ConcurrentDictionary<string, Data> Cache = new();
    public const double ReferenceSoftness = 666;

    public static Target Get(PlasticineTask task, Preset preset) => Load(task, preset).Target;

    /// <summary>Loss of the reference motion with weights <paramref name="w"/> (from the stored term sums).</summary>
    public static double ReferenceLoss(PlasticineTask task, Preset preset, LossWeights w, double softness)
    {
        var d = Load(task, preset);
        return w.Density * d.Density + w.Sdf * d.Sdf + w.Contact * d.Contact;
    }

    static Data Load(PlasticineTask task, Preset preset) =>
        Cache.GetOrAdd($"{task.Name}-{preset.Name}", key =>
        {
            using var stream = typeof(TargetData).Assembly.GetManifestResourceStream($"ContactOpt.Envs.Mpm.Targets.{key}.bin");
            return stream is null ? Generate(task, preset) : Read(stream, preset.Grid);
        });

    /// <summary>Runs the reference motion and returns the final grid mass and the summed loss terms against it.</summary>
    public static Data Generate(PlasticineTask task, Preset preset)
    {
        var scene = PlasticineTasks.BuildScene(task, preset, ReferenceSoftness);
        var engine = new Engine(scene, 1);
        int segs = 5, perSeg = preset.EnvSteps / segs;
        var a = new double[scene.FrameSize]; var b = new double[scene.FrameSize];
        scene.InitialFrame(a);
        var vel = new double[scene.VelocitySize];
        var frames = new List<double[]>();
        // A throwaway dynamics only to expand actions into velocities.
        var placeholder = new Target(scene.N, new double[scene.N * scene.N * scene.N]);
        var dyn = new MpmDynamics(scene, placeholder, new LossWeights(0, 0, 0), segs, preset.EnvSteps);
        for (int s = 0; s < segs; s++)
        {
            dyn.Velocities(task.Reference.AsSpan(s * scene.ActionSize, scene.ActionSize), vel);
            for (int e = 0; e < perSeg; e++)
            {
                for (int k = 0; k < scene.Substeps; k++) { engine.Substep(a, b, vel); (a, b) = (b, a); }
                frames.Add((double[])a.Clone());
            }
        }
        var target = new Target(scene.N, engine.FullGridMass(a));
        double dens = 0, sdf = 0, contact = 0;
        foreach (var f in frames)
        {
            var (d, sd, c) = engine.LossTerms(f, target);
            dens += d; sdf += sd; contact += c;
        }
        return new Data(target, dens, sdf, contact);
    }

    public static void Write(Data d, string path)
    {
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.SmallestSize);
        using var w = new BinaryWriter(gz);
        w.Write("MPMT1"); w.Write(d.Target.N); w.Write(d.Density); w.Write(d.Sdf); w.Write(d.Contact);
        var m = d.Target.Mass;
        int nz = m.Count(v => v != 0);
        w.Write(nz);
        for (int i = 0; i < m.Length; i++) if (m[i] != 0) { w.Write(i); w.Write(m[i]); }
    }

    static Data Read(Stream stream, int n)
    {
        using var gz = new GZipStream(stream, CompressionMode.Decompress);
        using var r = new BinaryReader(gz);
        if (r.ReadString() != "MPMT1") throw new InvalidDataException("not an MPM target file.");
        int g = r.ReadInt32();
        if (g != n) throw new InvalidDataException($"target grid {g} does not match preset grid {n}.");
        double dens = r.ReadDouble(), sdf = r.ReadDouble(), contact = r.ReadDouble();
        var m = new double[n * n * n];
        int nz = r.ReadInt32();
        for (int k = 0; k < nz; k++) { int i = r.ReadInt32(); m[i] = r.ReadDouble(); }
        return new Data(new Target(n, m), dens, sdf, contact);
    }

    /// <summary>Regenerates the targets of the given tasks (all when null) at the given presets into <paramref name="directory"/>.</summary>
    public static void WriteAll(string directory, IEnumerable<Preset> presets, IReadOnlyCollection<string>? tasks = null)
    {
        Directory.CreateDirectory(directory);
        foreach (var preset in presets)
            foreach (var task in PlasticineTasks.All.Where(t => tasks is null || tasks.Contains(t.Name)))
                Write(Generate(task, preset), Path.Combine(directory, $"{task.Name}-{preset.Name}.bin"));
    }
}
