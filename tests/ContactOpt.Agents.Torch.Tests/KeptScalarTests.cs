using System.Reflection;
using System.Reflection.Emit;
using TorchSharp;
using static TorchSharp.torch;

namespace ContactOpt.Agents.Torch.Tests;

/// <summary>
/// The agents keep every Scalar they hand to libtorch alive (see <see cref="Kept"/>): no implicit number → Scalar
/// conversion and no TorchSharp member that makes one internally appears in the agents' IL; the hand-written Adam
/// gives torch.optim.Adam's bits; SAC and PPO train while another thread forces garbage collections.
/// </summary>
public class KeptScalarTests
{
    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>Why a call to <paramref name="m"/> lets TorchSharp make a Scalar that nothing keeps alive, or null.</summary>
    static string? Unkept(MethodBase m)
    {
        var type = m.DeclaringType;
        if (type is null || type.Assembly != typeof(torch).Assembly) return null;
        var ps = m.GetParameters();
        static bool IsNumber(Type t) => t == typeof(double) || t == typeof(float) || t == typeof(int) || t == typeof(long);
        if (type == typeof(Scalar) && m.Name == "op_Implicit") return "an implicit number → Scalar conversion";
        if (type == typeof(Tensor))
        {
            if (m.Name == "op_Addition") return "Tensor + … (TorchSharp converts alpha = 1 implicitly); use Kept.Plus";
            if (m.Name is "op_Subtraction" or "op_Multiply" or "op_Division" && ps.Any(p => IsNumber(p.ParameterType)))
                return "an operator with a .NET number (converted implicitly inside TorchSharp)";
            if (m.Name == "op_Subtraction" && ps[0].ParameterType == typeof(Scalar)) return "Scalar − Tensor (an implicit alpha inside); use Kept.Minus";
            if (m.Name is "add" or "add_" && ps.Length == 1) return "add(x) without alpha (alpha = 1 converted implicitly)";
        }
        if (type.FullName!.StartsWith("TorchSharp.torch+optim", StringComparison.Ordinal)) return "a TorchSharp optimiser (converts β, ε, lr implicitly); use KeptAdam";
        return null;
    }

    static IEnumerable<string> UnkeptCalls(Assembly assembly)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in assembly.GetTypes())
            foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
            {
                var il = method.GetMethodBody()?.GetILAsByteArray();
                if (il is null) continue;
                Type[]? typeArgs = type.IsGenericType ? type.GetGenericArguments() : null;
                Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
                for (int i = 0; i < il.Length;)
                {
                    short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
                    var op = OpCodesByValue[value];
                    i += op.Size;
                    if (op.OperandType == OperandType.InlineMethod)
                    {
                        int token = BitConverter.ToInt32(il, i);
                        var callee = type.Module.ResolveMethod(token, typeArgs, methodArgs);
                        if (callee is not null && Unkept(callee) is string why)
                            yield return $"{type.FullName}.{method.Name} calls {callee.DeclaringType!.Name}.{callee.Name}: {why}";
                    }
                    i += op.OperandType switch
                    {
                        OperandType.InlineNone => 0,
                        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                        OperandType.InlineVar => 2,
                        OperandType.InlineI8 or OperandType.InlineR => 8,
                        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                        _ => 4,
                    };
                }
            }
    }

    [Test]
    public void TheAgentsMakeNoScalarThatNothingKeepsAlive()
    {
        var found = UnkeptCalls(typeof(Sac).Assembly).ToList();
        Assert.That(found, Is.Empty, string.Join("\n", found));
    }

    [Test]
    public void TheScanFindsAnImplicitConversion()
    {
        // This test assembly does what the agents must not: the scan has to see it.
        using var t = torch.ones(3);
        using var r = t * 0.5 + t;
        var found = UnkeptCalls(typeof(KeptScalarTests).Assembly).Where(s => s.Contains(nameof(TheScanFindsAnImplicitConversion))).ToList();
        Assert.That(found, Has.Some.Contains("op_Multiply"));
        Assert.That(found, Has.Some.Contains("op_Addition"));
    }

    [Test]
    public void KeptAdamGivesTorchAdamsBits()
    {
        torch.set_num_threads(1);
        using var gen = new Generator(7);
        var x = torch.linspace(-2, 2, 32, dtype: ScalarType.Float32).reshape(32, 1);
        var y = torch.sin(x * 3);
        var a = new Mlp("a", 1, [16], 1, Activation.Tanh);
        var b = new Mlp("b", 1, [16], 1, Activation.Tanh);
        a.InitDefault(gen);
        b.load_state_dict(a.state_dict());
        var initial = a.parameters().First().data<float>().ToArray();
        var reference = optim.Adam(a.parameters(), lr: 3e-3, eps: 1e-5);
        using var kept = new KeptAdam(b.parameters(), 3e-3, eps: 1e-5);
        for (int step = 0; step < 25; step++)
        {
            using var scope = torch.NewDisposeScope();
            reference.zero_grad();
            nn.functional.mse_loss(a.call(x), y).backward();
            reference.step();
            kept.ZeroGrad();
            nn.functional.mse_loss(b.call(x), y).backward();
            kept.Step();
        }
        var pa = a.parameters().ToArray();
        var pb = b.parameters().ToArray();
        for (int i = 0; i < pa.Length; i++)
        {
            var va = pa[i].data<float>().ToArray();
            var vb = pb[i].data<float>().ToArray();
            Assert.That(vb, Is.EqualTo(va), $"parameter {i}");
        }
        Assert.That(pa[0].data<float>().ToArray(), Is.Not.EqualTo(initial), "the parameters moved");
        Assert.That(kept.Steps, Is.EqualTo(25));
    }

    /// <summary>Another thread allocating and forcing collections all the time: the race of <see cref="Kept"/>.</summary>
    static void UnderGcPressure(Action train)
    {
        using var stop = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                _ = new byte[1 << 16];
                GC.Collect(0, GCCollectionMode.Forced, blocking: true);
            }
        }) { IsBackground = true };
        collector.Start();
        try { train(); }
        finally { stop.Cancel(); collector.Join(); }
    }

    [Test]
    public void SacTrainsWhileAnotherThreadForcesCollections()
    {
        var agent = new Sac(new SacOptions { NetArch = "32", BatchSize = 32, LearningStarts = 20, EntCoef = "auto_0.1" });
        UnderGcPressure(() => agent.Learn(new IdentityBoxEnv(length: 20), seed: 3, totalSteps: 600));
        Assert.That(agent.Steps, Is.EqualTo(600));
        Assert.That(double.IsFinite(agent.EntropyCoefficient), $"α = {agent.EntropyCoefficient}");
    }

    [Test]
    public void PpoTrainsWhileAnotherThreadForcesCollections()
    {
        var agent = new Ppo(new PpoOptions { NetArch = "32", NSteps = 64, BatchSize = 16, NEpochs = 4 });
        UnderGcPressure(() => agent.Learn(new IdentityBoxEnv(length: 20), seed: 3, totalSteps: 1280));
        Assert.That(agent.Steps, Is.EqualTo(1280));
    }
}
