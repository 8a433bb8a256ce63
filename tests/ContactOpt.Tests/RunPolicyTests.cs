using System.Text.Json;
using ContactOpt.Agents;
using ContactOpt.Agents.Torch;
using ContactOpt.Cli;
using ContactOpt.Cli.Commands;
using ContactOpt.Envs;

namespace ContactOpt.Tests;

/// <summary><c>run --save-policy</c> and <c>--eval-episodes</c>: the trained policy is saved and evaluated.</summary>
[NonParallelizable]
public class RunPolicyTests
{
    string _dir = "";
    [SetUp] public void SetUp() { _dir = Path.Combine(Path.GetTempPath(), $"contactopt-policy-{Guid.NewGuid():N}"); Directory.CreateDirectory(_dir); }
    [TearDown] public void TearDown() => Directory.Delete(_dir, true);

    static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    [Test]
    public void RunSavesThePolicyAndReportsItsEvaluationReturn()
    {
        var file = Path.Combine(_dir, "ppo.bin");
        var (code, output, err) = Run("run", "pendulum", "--agent", "ppo", "--set", "n_steps=128", "--set", "batch_size=32", "--budget", "2",
            "--save-policy", file, "--eval-episodes", "2", "--json");
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        double evalReturn = root.GetProperty("eval_return").GetDouble();
        Assert.That(root.GetProperty("eval_episodes").GetInt32(), Is.EqualTo(2));
        Assert.That(root.GetProperty("policy").GetString(), Is.EqualTo(file));
        Assert.That(evalReturn, Is.LessThan(0).And.GreaterThan(-16.3 * 200));
        // The saved policy, loaded without its options, reproduces the evaluation exactly.
        using var ppo = new Ppo();
        ppo.Load(file);
        using var env = BuiltinTasks.CreateRegistry().Create("pendulum").CreateEnv();
        Assert.That(ppo.MeanReturn(env, 2, RunCommand.EvalSeed(0)), Is.EqualTo(evalReturn).Within(1e-9 * Math.Abs(evalReturn)));
    }

    [Test]
    public void LearningAgentsShowTrainingProgressUnlessQuiet()
    {
        string[] args = ["run", "pendulum", "--agent", "ppo", "--set", "n_steps=64", "--set", "batch_size=64", "--set", "n_envs=2", "--budget", "2", "--eval-episodes", "0"];
        var (code, _, err) = Run(args);
        Assert.That(code, Is.EqualTo(0), err);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[^1], Does.StartWith("ppo  steps ").And.Contain("steps/s  episodes 2  mean return -").And.EndWith("(done)"));
        Assert.That(err, Does.Not.Contain("\r"), "plain lines when stderr is not a terminal");
        Assert.That(err, Does.Not.Contain("episodes 1/2"), "the episode progress gives way to the training progress");
        var (quietCode, _, quietErr) = Run([.. args, "--quiet"]);
        Assert.That(quietCode, Is.EqualTo(0), quietErr);
        Assert.That(quietErr, Is.Empty);
        var (randCode, _, randErr) = Run("run", "sphere", "--agent", "rand", "--budget", "3", "--quiet");
        Assert.That((randCode, randErr), Is.EqualTo((0, "")));
    }

    [TestCase(new[] { "run", "sphere", "--agent", "rand", "--save-policy", "x.bin" }, "agent 'rand' does not learn a policy")]
    [TestCase(new[] { "run", "sphere", "--agent", "rand", "--eval-episodes", "3" }, "does not learn a policy to evaluate")]
    [TestCase(new[] { "run", "pendulum", "--agent", "ppo", "--eval-episodes", "-1" }, "--eval-episodes '-1' must be an integer in [0, 10000]")]
    [TestCase(new[] { "run", "pendulum", "--agent", "ppo", "--save-policy", "/proc/nope/p.bin" }, "--save-policy")]
    public void BadPolicyOptionsAreOneLineErrorsBeforeAnyEpisode(string[] args, string expected)
    {
        var (code, _, err) = Run(args);
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err, Does.Contain(expected));
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1));
    }
}
