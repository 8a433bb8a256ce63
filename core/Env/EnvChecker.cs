namespace ContactOpt;

/// <summary>Thrown by <see cref="EnvChecker.Check"/> with every rule the environment broke.</summary>
public sealed class EnvCheckException(IReadOnlyList<string> failures)
    : Exception("environment check failed:\n  - " + string.Join("\n  - ", failures))
{
    public IReadOnlyList<string> Failures { get; } = failures;
}

/// <summary>
/// The rules of Gymnasium's <c>check_env</c> for continuous environments: spaces, reset and step determinism
/// under a seed, observations inside the observation space, finite rewards, boolean flags and info,
/// fresh arrays, order enforcement, rendering, and an idempotent dispose.
/// </summary>
public static class EnvChecker
{
    /// <summary>Checks a freshly created environment; returns the warnings, throws <see cref="EnvCheckException"/> on failures.</summary>
    public static IReadOnlyList<string> Check(Func<Env<double[], double[]>> factory, int steps = 3)
    {
        var failures = new List<string>();
        var warnings = new List<string>();
        void Fail(string m) => failures.Add(m);

        using (var env = factory())
        {
            if (env.ActionSpace is not Box act) { Fail("action space is not a Box."); throw new EnvCheckException(failures); }
            if (env.ObservationSpace is not Box obsSpace) { Fail("observation space is not a Box."); throw new EnvCheckException(failures); }
            if (!act.IsBounded) warnings.Add("action space has infinite bounds (agents that need a bounded space must use the task's sampling box).");
            else if (Enumerable.Range(0, act.Size).Any(i => act.LowAt(i) != -act.HighAt(i)))
                warnings.Add("action space is not symmetric; [-1, 1] is recommended for RL.");
            for (int i = 0; i < act.Size; i++) if (act.LowAt(i) == act.HighAt(i)) warnings.Add($"action bound {i} has low == high.");

            // Order enforcement: stepping before reset must throw.
            try { env.Step(act.Sample()); Fail("Step before Reset did not throw."); }
            catch (InvalidOperationException) { }
            catch (Exception e) { Fail($"Step before Reset threw {e.GetType().Name} instead of InvalidOperationException."); }

            // Reset contract and determinism.
            var (o1, info1) = env.Reset(seed: 123);
            if (info1 is null) Fail("Reset returned a null info.");
            CheckObs(o1, obsSpace, "Reset(seed: 123)", Fail);
            var (o1b, _) = env.Reset(seed: 123);
            if (!Same(o1, o1b)) Fail("Reset(seed: 123) twice gave different observations.");
            var (o2, _) = env.Reset();
            env.Reset(seed: 123);
            var (o2b, _) = env.Reset();
            if (!Same(o2, o2b)) Fail("Reset() after Reset(seed: 123) is not reproducible.");
            if (ReferenceEquals(o1, o1b)) Fail("Reset returned the same array twice (must be fresh).");

            // Step determinism with a seeded action space.
            var run1 = Rollout(env, act, steps, Fail, obsSpace);
            var run2 = Rollout(env, act, steps, Fail, obsSpace);
            if (run1.Count != run2.Count) Fail("two rollouts with the same seeds had different lengths.");
            for (int k = 0; k < Math.Min(run1.Count, run2.Count); k++)
            {
                var (a, b) = (run1[k], run2[k]);
                if (!Same(a.Observation, b.Observation) || a.Reward != b.Reward || a.Terminated != b.Terminated || a.Truncated != b.Truncated)
                    Fail($"step {k} is not deterministic under the same seed and actions.");
            }
            if (run1.Count > 0 && run1[0].Truncated) Fail("truncated is true after one step.");

            if (env.RenderMode is not null)
            {
                env.Reset(seed: 1);
                var frame = env.Render();
                if (frame is null) Fail($"Render returned null in render mode '{env.RenderMode}'.");
                else if (frame.Rgb.Length != frame.Width * frame.Height * 3) Fail("Render returned a frame of the wrong size.");
            }
            if (env.Metadata.TryGetValue("render_fps", out var fps) && fps is int f && f <= 0) Fail("render_fps must be positive.");
            if (env.RenderMode is not null && env.Metadata.TryGetValue("render_modes", out var modes) && modes is string[] m && !m.Contains(env.RenderMode))
                Fail($"render mode '{env.RenderMode}' is not in metadata render_modes.");

            env.Dispose();
            try { env.Dispose(); } catch (Exception e) { Fail($"a second Dispose threw {e.GetType().Name}."); }
        }
        if (failures.Count > 0) throw new EnvCheckException(failures);
        return warnings;
    }

    static List<StepResult<double[]>> Rollout(Env<double[], double[]> env, Box act, int steps, Action<string> fail, Box obsSpace)
    {
        act.Seed(7);
        env.Reset(seed: 42);
        var list = new List<StepResult<double[]>>();
        double[]? previous = null;
        for (int k = 0; k < steps; k++)
        {
            var r = env.Step(act.Sample());
            list.Add(r);
            if (!double.IsFinite(r.Reward)) fail($"step {k} returned a non-finite reward {r.Reward}.");
            if (r.Information is null) fail($"step {k} returned a null info.");
            CheckObs(r.Observation, obsSpace, $"step {k}", fail);
            if (previous is not null && ReferenceEquals(previous, r.Observation)) fail("Step returned the same observation array twice (must be fresh).");
            previous = r.Observation;
            if (r.Done) break;
        }
        return list;
    }

    static void CheckObs(double[] o, Box space, string where, Action<string> fail)
    {
        if (o is null) { fail($"{where}: observation is null."); return; }
        if (o.Length != space.Size) { fail($"{where}: observation has length {o.Length}, the space has {space.Size}."); return; }
        if (o.Any(v => !double.IsFinite(v))) fail($"{where}: observation has a non-finite entry.");
        if (!space.Contains(o)) fail($"{where}: observation is outside the observation space.");
    }

    static bool Same(double[] a, double[] b) => a.Length == b.Length && a.AsSpan().SequenceEqual(b);
}
