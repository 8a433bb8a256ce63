using ContactOpt.Envs;
using ContactOpt.Tasks;

namespace ContactOpt.Tests;

public class EnvCheckerTests
{
    static IEnumerable<string> AllTasks() => BuiltinTasks.CreateRegistry().All.Select(s => s.TestName);

    [TestCaseSource(nameof(AllTasks))]
    public void EveryRegisteredTaskPassesTheChecker(string name)
    {
        var task = BuiltinTasks.CreateRegistry().Create(name);
        Assert.DoesNotThrow(() => EnvChecker.Check(() => task.CreateEnv(RenderModes.RgbArray)));
        Assert.DoesNotThrow(() => EnvChecker.Check(() => task.CreateEnv()));
    }

    /// <summary>An environment that ignores its seed (draws from a fresh unseeded generator) must fail.</summary>
    sealed class UnseededEnv : Env<double[], double[]>
    {
        readonly Random _global = new();
        readonly Box _a = new(-1, 1, 1), _o = new(-10, 10, 1);
        public override Space<double[]> ActionSpace => _a;
        public override Space<double[]> ObservationSpace => _o;
        public override ResetResult<double[]> Reset(int? seed = null, Info? options = null) => new([_global.NextDouble()], new Info());
        public override StepResult<double[]> Step(double[] action) => new([_global.NextDouble()], 0, false, false, new Info());
    }

    /// <summary>An environment that returns the same observation array every time and a NaN reward.</summary>
    sealed class AliasingEnv : Env<double[], double[]>
    {
        readonly double[] _obs = [0.0];
        readonly Box _a = new(-1, 1, 1), _o = new(-10, 10, 1);
        bool _reset;
        public override Space<double[]> ActionSpace => _a;
        public override Space<double[]> ObservationSpace => _o;
        public override ResetResult<double[]> Reset(int? seed = null, Info? options = null) { _reset = true; return new(_obs, new Info()); }
        public override StepResult<double[]> Step(double[] action)
        {
            if (!_reset) throw new InvalidOperationException("reset first");
            return new(_obs, double.NaN, false, false, new Info());
        }
    }

    [Test]
    public void CheckerRejectsAnEnvThatIgnoresItsSeed()
    {
        var e = Assert.Throws<EnvCheckException>(() => EnvChecker.Check(() => new UnseededEnv()))!;
        Assert.That(e.Failures, Has.Some.Contains("Reset(seed: 123) twice"));
        Assert.That(e.Failures, Has.Some.Contains("Step before Reset did not throw"));
    }

    [Test]
    public void CheckerRejectsAliasedArraysAndNonFiniteRewards()
    {
        var e = Assert.Throws<EnvCheckException>(() => EnvChecker.Check(() => new AliasingEnv()))!;
        Assert.That(e.Failures, Has.Some.Contains("non-finite reward"));
        Assert.That(e.Failures, Has.Some.Contains("same array twice"));
    }

    [Test]
    public void CheckerWarnsAboutUnboundedActionSpaces()
    {
        var warnings = EnvChecker.Check(() => BuiltinTasks.CreateRegistry().Create("flip").CreateEnv());
        Assert.That(warnings, Has.Some.Contains("is -infinity").Or.Some.Contains("is +infinity"));
    }
}
