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
