using ContactOpt.Envs;
using ContactOpt.Tasks;

namespace ContactOpt.Tests;

public class DeterminismAndInputTests
{
    static readonly TaskRegistry Registry = BuiltinTasks.CreateRegistry();

    [Test]
    public void ObjectiveRejectsBadParametersNamingTheProblem()
    {
        var f = Registry.Create("flip").CreateObjective();
        var e1 = Assert.Throws<ArgumentException>(() => f.Loss([1.0]))!;
        Assert.That(e1.Message, Does.Contain("length 1, expected 2"));
        var e2 = Assert.Throws<ArgumentException>(() => f.Loss([0.0, double.NaN]))!;
        Assert.That(e2.Message, Does.Contain("x[1] is NaN"));
        var e3 = Assert.Throws<ArgumentException>(() => f.LossAndGradient([0.0, 0.1], new double[3]))!;
        Assert.That(e3.Message, Does.Contain("gradient has length 3"));
        Assert.Throws<ArgumentException>(() => f.Loss([double.PositiveInfinity, 0]));
    }

    [Test]
    public void EnvRejectsBadActionsAndOutOfOrderCalls()
    {
        using var env = Registry.Create("grasp").CreateEnv();
        Assert.Throws<InvalidOperationException>(() => env.Step([0, 0, 0, 0]));
        env.Reset(seed: 1);
        var e = Assert.Throws<ArgumentException>(() => env.Step([0, double.NaN, 0, 0]))!;
        Assert.That(e.Message, Does.Contain("action[1] is NaN"));
        e = Assert.Throws<ArgumentException>(() => env.Step([0, 0]))!;
        Assert.That(e.Message, Does.Contain("length 2, expected 4"));
        env.Step([-0.05, 0.25, 0.05, 0.25]);
        Assert.Throws<InvalidOperationException>(() => env.Step([-0.05, 0.25, 0.05, 0.25]), "episode ended: must reset");
        env.Dispose();
        Assert.DoesNotThrow(env.Dispose);
        Assert.Throws<ObjectDisposedException>(() => env.Reset());
    }

    [Test]
    public void BackwardWithoutRecordingIsAClearError()
    {
        using var env = Registry.Create("flip").CreateEnv();
        env.Reset();
        env.Step([0, 0.25]);
        var e = Assert.Throws<InvalidOperationException>(() => env.Backward())!;
        Assert.That(e.Message, Does.Contain("Recording"));
    }

    [Test]
    public void DivergingEpisodeIsTruncatedWithInfiniteLoss()
    {
        // A setpoint near the largest double makes the control force overflow to infinity.
        var f = Registry.Create("flip").CreateObjective();
        double l = f.LossAndGradient([1e308, 1e308], new double[2]);
        Assert.That(l, Is.EqualTo(double.PositiveInfinity));
        using var env = Registry.Create("flip").CreateEnv();
        env.Reset();
        var r = env.Step([1e308, 1e308]);
        Assert.That(r.Truncated, Is.True);
        Assert.That(r.Terminated, Is.False);
        Assert.That(r.Info["diverged"], Is.EqualTo(true));
        Assert.That(double.IsFinite(r.Reward), Is.True);
        Assert.That(r.Observation, Has.All.Matches<double>(double.IsFinite));
    }

    [Test]
    public void UnknownTasksAndOptionsAreNamed()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => Registry.Create("flipp"))!.Message, Does.Contain("unknown task 'flipp'"));
        Assert.That(Assert.Throws<ArgumentException>(() => Registry.Create("flip:speed=3"))!.Message, Does.Contain("no option 'speed'"));
        Assert.That(Assert.Throws<ArgumentException>(() => Registry.Create("flip:corner_velocity=wrong"))!.Message, Does.Contain("must be one of"));
    }
}
