using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ContactOpt.Agents.Torch;

/// <summary>One finished training episode: environment steps so far, its return and length.</summary>
public sealed record EpisodeLog(long Step, int Episode, double Return, int Length);

/// <summary>Hidden-layer activation of an MLP.</summary>
public enum Activation { Tanh, Relu }

/// <summary>
/// A multilayer perceptron (Linear → activation → … → Linear) whose weights are initialised from an explicit
/// generator, so two agents with the same seed build identical networks whatever else uses TorchSharp's
/// global generator (and on any thread).
/// </summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    readonly ModuleList<Linear> layers;
    readonly Activation _activation;
    readonly bool _activateOutput;

    /// <param name="activateOutput">Apply the activation after the last layer too (a feature extractor).</param>
    public Mlp(string name, int inputs, IReadOnlyList<int> hidden, int outputs, Activation activation, bool activateOutput = false) : base(name)
    {
        var sizes = new List<int> { inputs };
        sizes.AddRange(hidden);
        sizes.Add(outputs);
        layers = new ModuleList<Linear>();
        for (int i = 0; i + 1 < sizes.Count; i++) layers.Add(nn.Linear(sizes[i], sizes[i + 1]));
        _activation = activation;
        _activateOutput = activateOutput;
        RegisterComponents();
    }

    public IReadOnlyList<Linear> Layers => layers.ToList();

    public override Tensor forward(Tensor x)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            x = layers[i].call(x);
            if (i + 1 < layers.Count || _activateOutput) x = _activation == Activation.Tanh ? x.tanh() : nn.functional.relu(x);
        }
        return x;
    }

    /// <summary>SB3's ActorCritic init: orthogonal weights (gain <paramref name="hiddenGain"/> for hidden layers,
    /// <paramref name="outputGain"/> for the last), zero biases.</summary>
    public void InitOrthogonal(double hiddenGain, double outputGain, Generator generator)
    {
        using var _ = torch.no_grad();
        for (int i = 0; i < layers.Count; i++)
        {
            Init.Orthogonal(layers[i].weight!, i + 1 < layers.Count ? hiddenGain : outputGain, generator);
            layers[i].bias!.zero_();
        }
    }

    /// <summary>PyTorch's default Linear init: weights and biases ~ U(±1/√fan_in).</summary>
    public void InitDefault(Generator generator)
    {
        using var _ = torch.no_grad();
        foreach (var l in layers)
        {
            double bound = 1.0 / Math.Sqrt(l.weight!.shape[1]);
            Init.Uniform(l.weight!, -bound, bound, generator);
            Init.Uniform(l.bias!, -bound, bound, generator);
        }
    }
}

/// <summary>
/// Initialisers that draw from an explicit generator. TorchSharp 0.107's <c>orthogonal_</c> has no generator
/// argument, and its <c>uniform_</c> ignores the one it is given (it draws from the global generator), so the
/// agents initialise their weights here.
/// </summary>
public static class Init
{
    /// <summary>Fills <paramref name="tensor"/> with U(low, high) drawn from <paramref name="generator"/>.</summary>
    public static void Uniform(Tensor tensor, double low, double high, Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        using Scalar width = (high - low).ToScalar(), lowS = low.ToScalar();   // kept alive (see Kept)
        var u = (torch.rand(tensor.shape, dtype: ScalarType.Float64, generator: generator) * width).Plus(lowS);
        using var _ = torch.no_grad();
        tensor.copy_(u.to_type(tensor.dtype));
    }

    /// <summary>Fills a 2-D weight with a (semi-)orthogonal matrix times <paramref name="gain"/> (Saxe et al. 2013).</summary>
    public static void Orthogonal(Tensor weight, double gain, Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        long rows = weight.shape[0], cols = weight.shape[1];
        var flat = torch.randn(rows, cols, dtype: ScalarType.Float64, generator: generator);
        if (rows < cols) flat = flat.t();
        var (q, r) = torch.linalg.qr(flat);
        q = q * r.diagonal().sign().unsqueeze(0);
        if (rows < cols) q = q.t();
        using var _ = torch.no_grad();
        using var gainS = gain.ToScalar();
        weight.copy_((q * gainS).to_type(weight.dtype));
    }
}

/// <summary>Small helpers shared by the TorchSharp agents.</summary>
public static class TorchUtil
{
    /// <summary>A [1, n] float tensor of an observation.</summary>
    public static Tensor Row(double[] values)
    {
        var f = new float[values.Length];
        for (int i = 0; i < f.Length; i++) f[i] = (float)values[i];
        return torch.tensor(f, [1, f.Length]);
    }

    /// <summary>A [rows, cols] float tensor of row-major data.</summary>
    public static Tensor Matrix(float[] data, int rows, int cols) => torch.tensor(data, [rows, cols]);

    /// <summary>The values of a float tensor as doubles.</summary>
    public static double[] ToDoubles(Tensor t)
    {
        var f = t.to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        var d = new double[f.Length];
        for (int i = 0; i < d.Length; i++) d[i] = f[i];
        return d;
    }

    /// <summary>Bounds of net_arch: at most this many hidden layers, each of at most <see cref="MaxLayerSize"/> units.</summary>
    public const int MaxLayers = 8, MaxLayerSize = 4096;

    /// <summary>Parses a layer list such as "64,64".</summary>
    public static int[] ParseArch(string text, string agent, string option)
    {
        var parts = (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new ArgumentException($"{agent}: {option} = '{text}' must list at least one hidden layer size, e.g. 64,64.");
        if (parts.Length > MaxLayers) throw new ArgumentException($"{agent}: {option} = '{text}' has {parts.Length} layers; at most {MaxLayers}.");
        var sizes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] < 1)
                throw new ArgumentException($"{agent}: {option} = '{text}': layer size '{parts[i]}' is not a positive integer.");
            else if (sizes[i] > MaxLayerSize || parts[i][0] == '0' || parts[i][0] == '+')
                throw new ArgumentException($"{agent}: {option} = '{text}': layer size '{parts[i]}' must be written as an integer in [1, {MaxLayerSize}].");
        return sizes;
    }

    /// <summary>Seeds a 32-bit generator seed into a torch generator seed.</summary>
    public static Generator Generator(int seed) => new Generator((ulong)(uint)seed ^ 0x5DEECE66DUL);
}

/// <summary>Validation helpers with messages naming the agent, the option and the value.</summary>
public static class Check
{
    public static void Positive(string agent, string name, double value)
    {
        if (!double.IsFinite(value) || value <= 0) throw new ArgumentException($"{agent}: {name} = {Fmt(value)}; it must be a finite number > 0.");
    }

    public static void NonNegative(string agent, string name, double value)
    {
        if (!double.IsFinite(value) || value < 0) throw new ArgumentException($"{agent}: {name} = {Fmt(value)}; it must be a finite number ≥ 0.");
    }

    public static void Fraction(string agent, string name, double value, bool includeZero = true)
    {
        bool ok = double.IsFinite(value) && value <= 1 && (includeZero ? value >= 0 : value > 0);
        if (!ok) throw new ArgumentException($"{agent}: {name} = {Fmt(value)}; it must be in {(includeZero ? "[0" : "(0")}, 1].");
    }

    public static void Positive(string agent, string name, long value)
    {
        if (value <= 0) throw new ArgumentException($"{agent}: {name} = {value}; it must be a positive integer.");
    }

    public static void Finite(string agent, string name, double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentException($"{agent}: {name} = {Fmt(value)}; it must be a finite number.");
    }

    static string Fmt(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// The file format of <see cref="ILearningAgent.Save"/>: a header (agent name, format version, sizes, action
/// scaling) followed by the state dicts of the agent's modules, in TorchSharp's format.
/// </summary>
internal static class AgentFile
{
    const string Magic = "ContactOpt.Agent";
    // Version 2: the agent's options (name=value, as OptionsBinder describes them) follow the action scaling, so a
    // file loads into an agent created with any options (the network is rebuilt from the stored ones).
    const int Version = 2;

    public static void Write(string path, string agent, int observationSize, ActionScaling scaling, IReadOnlyList<AgentOption> options, params nn.Module[] modules)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var tmp = path + ".tmp";
        using (var w = new BinaryWriter(File.Create(tmp)))
        {
            w.Write(Magic); w.Write(Version); w.Write(agent);
            w.Write(observationSize); w.Write(scaling.Size);
            foreach (var v in scaling.Low) w.Write(v);
            foreach (var v in scaling.High) w.Write(v);
            w.Write(options.Count);
            foreach (var o in options) { w.Write(o.Name); w.Write(o.Default); }
            foreach (var m in modules) m.save(w);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads the header; the caller builds its modules from the sizes and then calls <see cref="ReadModules"/>.</summary>
    public static (int ObservationSize, ActionScaling Scaling, Dictionary<string, string> Options, BinaryReader Reader) Open(string path, string agent)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{agent}: no saved agent at '{path}'.", path);
        var r = new BinaryReader(File.OpenRead(path));
        try
        {
            if (r.ReadString() != Magic) throw new InvalidDataException($"'{path}' is not a ContactOpt agent file.");
            int version = r.ReadInt32();
            if (version != Version) throw new InvalidDataException($"'{path}' has format version {version}; this build reads version {Version}.");
            var name = r.ReadString();
            if (name != agent) throw new InvalidDataException($"'{path}' holds a '{name}' agent, not '{agent}'.");
            int obs = r.ReadInt32(), act = r.ReadInt32();
            var low = new double[act]; var high = new double[act];
            for (int i = 0; i < act; i++) low[i] = r.ReadDouble();
            for (int i = 0; i < act; i++) high[i] = r.ReadDouble();
            int n = r.ReadInt32();
            if (n < 0 || n > 1000) throw new InvalidDataException($"'{path}' is corrupt (it claims {n} options).");
            var options = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < n; i++) options[r.ReadString()] = r.ReadString();
            return (obs, new ActionScaling(low, high), options, r);
        }
        catch (EndOfStreamException)
        {
            r.Dispose();
            throw new InvalidDataException($"'{path}' is truncated.");
        }
        catch { r.Dispose(); throw; }
    }
}
