using ContactOpt.Tasks;

namespace ContactOpt.Rigid.Tests;

/// <summary>What the rigid tasks draw (the step-view contract of every task is in ContactOpt.Tests/TaskContractTests).</summary>
public class EnvContractTests
{
    [TestCaseSource(typeof(Util), nameof(Util.TaskNames))]
    public void RenderDrawsSomething(string name)
    {
        var task = Util.Task(name);
        using var env = task.CreateEnv(RenderModes.RgbArray);
        env.Reset(seed: 0);
        env.Step(env.ActionSpace.Sample());
        var frame = env.Render()!;
        var v = ((Rendering.ISideView)task.Dynamics).View;   // every rigid task draws a side view
        Assert.That((frame.Width, frame.Height), Is.EqualTo((v.Width, v.Height)));
        int coloured = 0;
        for (int i = 0; i < frame.Rgb.Length; i += 3)
            if (!(frame.Rgb[i] == frame.Rgb[i + 1] && frame.Rgb[i + 1] == frame.Rgb[i + 2])) coloured++;
        Assert.That(coloured, Is.GreaterThan(50), "the bodies and the target are drawn in colour");
        var strip = task.RenderEpisode(task.CreateObjective().InitialGuess.ToArray(), frames: 4);
        Assert.That(strip.Width, Is.GreaterThan(3 * v.Width));
    }
}
