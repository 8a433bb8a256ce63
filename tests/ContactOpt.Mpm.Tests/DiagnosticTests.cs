using ContactOpt.Rendering;
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

public class IouDiagnostics
{
    [TestCase("tiny"), TestCase("default"), Explicit("diagnostic")]
    public void PrintIouTerms(string preset)
    {
        var r = BuiltinTasks.CreateRegistry();
        foreach (var t in ContactOpt.Envs.Mpm.PlasticineTasks.All)
        {
            var task = r.Create($"{t.Name}:preset={preset}");
            var dyn = (ContactOpt.Envs.Mpm.MpmDynamics)task.Dynamics;
            using var tape = new SegmentTape(dyn);
            var s0 = new double[dyn.StateSize];
            dyn.InitialState(s0, new Random(0));
            Episode.Rollout(tape, s0, t.Reference, []);
            var (i0, i1, self) = dyn.IouTerms(tape.State);
            Episode.Rollout(tape, s0, new double[t.Reference.Length], []);
            var (_, iz, _) = dyn.IouTerms(tape.State);
            TestContext.Out.WriteLine(FormattableString.Invariant($"{t.Name}: IoU initial {i0:F4}, reference {i1:F4}, target-self {self:F4}, x=0 {iz:F4}"));
        }
    }
}

/// <summary>Filmstrips of every task's reference motion for the findings (explicit; writes docs/img/plasticine-*.png).</summary>
public class FilmstripTests
{
    [Test, Explicit("writes docs/img")]
    public void ReferenceFilmstrips()
    {
        string preset = Environment.GetEnvironmentVariable("MPM_BENCH_PRESET") ?? "default";
        var names = (Environment.GetEnvironmentVariable("MPM_BENCH_TASKS") ?? string.Join(",", ContactOpt.Envs.Mpm.PlasticineTasks.All.Select(t => t.Name))).Split(',');
        var root = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "ContactOpt.sln"))) root = root.Parent!;
        var r = BuiltinTasks.CreateRegistry();
        foreach (var name in names)
        {
            var task = r.Create($"{name}:preset={preset}");
            var dyn = (ContactOpt.Envs.Mpm.MpmDynamics)task.Dynamics;
            var x = dyn.Task!.Reference;
            task.RenderEpisode(x, frames: 6).SavePng(Path.Combine(root.FullName, "docs", "img", $"plasticine-{name}.png"));
            using var f = task.CreateObjective();
            var (controls, _) = f.Episode(x);
            using var tape = new SegmentTape(dyn);
            var s0 = new double[dyn.StateSize];
            dyn.InitialState(s0, new Random(0));
            double loss = Episode.Rollout(tape, s0, controls, []);
            double lossZero = f.Loss(new double[x.Length]);
            TestContext.Out.WriteLine(FormattableString.Invariant($"{name}: reference loss {loss:G5} (threshold {task.SuccessThreshold:G5}), zero-action loss {lossZero:G5}, normalised IoU of reference {dyn.NormalisedIou(tape.State):F3}"));
        }
    }
}
