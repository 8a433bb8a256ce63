using ContactOpt.Envs;
using ContactOpt.Tasks;

namespace ContactOpt.Mpm.Tests;

/// <summary>Diagnostics printed on demand (not part of CI).</summary>
public class DiagnosticTests
{
    [TestCase("writer:preset=tiny"), Explicit("diagnostic")]
    public void PrintGradientCheck(string name)
    {
        var f = BuiltinTasks.CreateRegistry().Create(name).CreateObjective();
        var report = GradientCheck.Run(f, points: 12, seed: 2024, maxCoordinates: 4);
        foreach (var p in report.Points)
            TestContext.Out.WriteLine($"smooth {p.Smooth} err {p.RelativeError:E2} loss {p.Loss:G8} auto [{string.Join(", ", p.Automatic.Select(v => v.ToString("E4")))}] fd [{string.Join(", ", p.FiniteDifference.Select(v => v.ToString("E4")))}]");
    }
}
