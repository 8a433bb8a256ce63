using TorchSharp;
using static TorchSharp.torch;

namespace ContactOpt.Agents.Torch.Tests;

public class TorchLoadTests
{
    [Test]
    public void TorchSharpLoadsAndTrainsARegressionMlp()
    {
        torch.set_num_threads(1);
        torch.manual_seed(1);
        var x = torch.linspace(-2, 2, 64, dtype: ScalarType.Float32).reshape(64, 1);
        var y = torch.sin(x);
        var net = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 1));
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
}
