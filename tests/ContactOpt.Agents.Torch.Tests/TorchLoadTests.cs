using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace ContactOpt.Agents.Torch.Tests;

/// <summary>TorchSharp's native library loads on this machine (the build's GLIBCXX fix) and trains a network.</summary>
public class TorchLoadTests
{
    [Test]
    public void TorchSharpLoadsAndTrainsARegressionMlp()
    {
        torch.set_num_threads(1);
        using var gen = new Generator(1);
        var x = torch.linspace(-2, 2, 64, dtype: ScalarType.Float32).reshape(64, 1);
        var y = torch.sin(x);
        var net = new Mlp("net", 1, [32], 1, Activation.Tanh);
        net.InitDefault(gen);
        var opt = optim.Adam(net.parameters(), lr: 1e-2);
        double first = 0, last = 0;
        for (int i = 0; i < 300; i++)
        {
            using var scope = torch.NewDisposeScope();
            opt.zero_grad();
            var loss = nn.functional.mse_loss(net.call(x), y);
            loss.backward();
            opt.step();
            if (i == 0) first = loss.item<float>();
            last = loss.item<float>();
        }
        Assert.That(last, Is.LessThan(first / 20), $"loss {first} -> {last}");
    }

    [Test]
    public void OrthogonalInitIsOrthogonalAndScaled()
    {
        using var gen = new Generator(3);
        var w = torch.empty(64, 8);
        Init.Orthogonal(w, Math.Sqrt(2), gen);
        var wtw = w.t().matmul(w);
        Assert.That(torch.allclose(wtw, 2 * torch.eye(8), rtol: 0, atol: 1e-5), Is.True);
    }

    /// <summary>
    /// The copy of libLibTorchSharp.so next to the tests carries VER_FLG_WEAK on its GLIBCXX_3.4.32 requirement
    /// whenever the system's libstdc++ lacks that version (Directory.Build.targets patches build outputs).
    /// </summary>
    [Test]
    public void NativeLibraryInTheOutputIsPatchedWhereNeeded()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("Linux only.");
        var lib = Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).FirstOrDefault();
        Assert.That(lib, Is.Not.Null, "libLibTorchSharp.so is in the test output");
        var system = new[] { "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }
            .FirstOrDefault(File.Exists);
        if (system is not null && Contains(File.ReadAllBytes(system), "GLIBCXX_3.4.32\0"))
            Assert.Ignore("the system libstdc++ defines GLIBCXX_3.4.32; no patch is needed.");
        Assert.That(VersionNeedFlags(File.ReadAllBytes(lib!), "GLIBCXX_3.4.32") & 0x2, Is.EqualTo(2), "VER_FLG_WEAK set");
    }

    static bool Contains(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.ASCII.GetBytes(needle)) >= 0;

    /// <summary>vna_flags of the named Vernaux entry of an ELF64 little-endian file (−1 if absent).</summary>
    static int VersionNeedFlags(byte[] b, string version)
    {
        long shoff = BitConverter.ToInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = (int)(shoff + i * shentsize);
            if (BitConverter.ToUInt32(b, sh + 4) != 0x6ffffffe) continue;
            int off = (int)BitConverter.ToInt64(b, sh + 0x18), link = (int)BitConverter.ToUInt32(b, sh + 0x28), count = (int)BitConverter.ToUInt32(b, sh + 0x2C);
            int str = (int)BitConverter.ToInt64(b, (int)(shoff + link * shentsize) + 0x18);
            for (int n = 0, vn = off; n < count; n++, vn += (int)BitConverter.ToUInt32(b, vn + 12))
                for (int k = 0, aux = vn + (int)BitConverter.ToUInt32(b, vn + 8); k < BitConverter.ToUInt16(b, vn + 2); k++, aux += (int)BitConverter.ToUInt32(b, aux + 12))
                {
                    int name = str + (int)BitConverter.ToUInt32(b, aux + 8);
                    if (Encoding.ASCII.GetString(b, name, Array.IndexOf(b, (byte)0, name) - name) == version) return BitConverter.ToUInt16(b, aux + 4);
                }
        }
        return -1;
    }
}
