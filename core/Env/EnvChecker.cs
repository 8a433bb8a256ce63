namespace ContactOpt;

/// <summary>Thrown by <see cref="EnvChecker.Check"/> with every rule the environment broke.</summary>
public sealed class EnvCheckException(IReadOnlyList<string> failures)
    : Exception("environment check failed:\n  - " + string.Join("\n  - ", failures))
{
    public IReadOnlyList<string> Failures { get; } = failures;
}

/// <summary>
/// The rules of Gymnasium 1.x's <c>check_env</c> (and its passive checker) for continuous environments. Failures:
/// Box spaces; reset and step determinism under a seed (observations, rewards, flags and info); re-seeding with
/// another seed re-creates the generator; observations of seeded and unseeded resets, of resets with options, and
/// of steps inside the observation space; finite rewards; non-null info; fresh arrays; order enforcement;
/// metadata <c>render_modes</c> (a string array) and a positive numeric <c>render_fps</c>; rendering in every
/// declared mode (when a factory that takes a render mode is given); an idempotent dispose. Warnings: a wrapped env
/// (checking the unwrapped one is recommended), infinite observation or action bounds, coordinates with
/// low == high, an action space that is not symmetric and normalised (|low| ≠ |high|, low &lt; −1 or high &gt; 1),
/// no declared render modes.
/// </summary>
public static class EnvChecker
{
    /// <summary>Checks a freshly created environment; returns the warnings, throws <see cref="EnvCheckException"/> on failures.</summary>
    public static IReadOnlyList<string> Check(Func<Env<double[], double[]>> factory, int steps = 3) => Check(_ => factory(), steps, renderModes: false);

    /// <summary>
    /// As <see cref="Check(Func{Env{double[], double[]}}, int)"/>, and renders an env created in every mode its
    /// metadata declares (<paramref name="factory"/> gets the mode; null for the env under check).
    /// </summary>
    public static IReadOnlyList<string> Check(Func<string?, Env<double[], double[]>> factory, int steps = 3) => Check(factory, steps, renderModes: true);

    static IReadOnlyList<string> Check(Func<string?, Env<double[], double[]>> factory, int steps, bool renderModes)
    {
        var failures = new List<string>();
        var warnings = new List<string>();
        void Fail(string m) => failures.Add(m);
        string[] declaredModes = [];

        using (var env = factory(null))
        {
            if (!ReferenceEquals(env, env.Unwrapped))
                warnings.Add($"the environment is wrapped ({env.GetType().Name} around {env.Unwrapped.GetType().Name}); checking the unwrapped env is recommended.");
            if (env.ActionSpace is not Box act) { Fail("action space is not a Box."); throw new EnvCheckException(failures); }
            if (env.ObservationSpace is not Box obsSpace) { Fail("observation space is not a Box."); throw new EnvCheckException(failures); }
            for (int i = 0; i < act.Size; i++)
            {
                if (double.IsNegativeInfinity(act.LowAt(i))) warnings.Add($"action space low[{i}] is -infinity.");
                if (double.IsPositiveInfinity(act.HighAt(i))) warnings.Add($"action space high[{i}] is +infinity.");
                if (act.LowAt(i) == act.HighAt(i)) warnings.Add($"action space bound {i} has low == high.");
            }
            if (Enumerable.Range(0, act.Size).Any(i => Math.Abs(act.LowAt(i)) != Math.Abs(act.HighAt(i)) || act.LowAt(i) < -1 || act.HighAt(i) > 1))
                warnings.Add("action space is not symmetric and normalised; a Box in [-1, 1] is recommended (see RescaleAction).");
            for (int i = 0; i < obsSpace.Size; i++)
            {
                if (double.IsNegativeInfinity(obsSpace.LowAt(i)) || double.IsPositiveInfinity(obsSpace.HighAt(i)))
                { warnings.Add("observation space has infinite bounds (e.g. coordinate " + i + ")."); break; }
            }
            for (int i = 0; i < obsSpace.Size; i++)
                if (obsSpace.LowAt(i) == obsSpace.HighAt(i)) warnings.Add($"observation space bound {i} has low == high.");

            // Metadata.
            if (env.Metadata.TryGetValue("render_modes", out var modes))
            {
                if (modes is string[] m) declaredModes = m;
                else Fail($"metadata render_modes is a {modes?.GetType().Name ?? "null"}, not a string array.");
            }
            if (declaredModes.Length == 0) warnings.Add("no render modes are declared in metadata render_modes.");
            if (env.Metadata.TryGetValue("render_fps", out var fps))
            {
                double? f = fps switch { int i => i, long l => l, float x => x, double d => d, _ => null };
                if (f is null) Fail($"metadata render_fps is a {fps?.GetType().Name ?? "null"}, not a number.");
                else if (!(f > 0) || !double.IsFinite(f.Value)) Fail($"metadata render_fps is {fps}; it must be a positive finite number.");
            }
            else if (declaredModes.Length > 0) Fail("metadata declares render modes but no render_fps.");
            if (env.RenderMode is not null && !declaredModes.Contains(env.RenderMode))
                Fail($"render mode '{env.RenderMode}' is not in metadata render_modes.");

            // Order enforcement: stepping before reset must throw.
            try { env.Step(act.Sample()); Fail("Step before Reset did not throw."); }
            catch (InvalidOperationException) { }
            catch (Exception e) { Fail($"Step before Reset threw {e.GetType().Name} instead of InvalidOperationException."); }

            // Reset contract and determinism.
            var (o1, info1) = env.Reset(seed: 123);
            if (info1 is null) Fail("Reset returned a null info.");
            CheckObs(o1, obsSpace, "Reset(seed: 123)", Fail);
            var (o1b, info1b) = env.Reset(seed: 123);
            if (!Same(o1, o1b)) Fail("Reset(seed: 123) twice gave different observations.");
            if (!SameInfo(info1, info1b)) Fail("Reset(seed: 123) twice gave different infos.");
            if (ReferenceEquals(o1, o1b)) Fail("Reset returned the same array twice (must be fresh).");
            var (o2, _) = env.Reset();
            CheckObs(o2, obsSpace, "Reset() without a seed", Fail);
            env.Reset(seed: 123);
            var (o2b, _) = env.Reset();
            if (!Same(o2, o2b)) Fail("Reset() after Reset(seed: 123) is not reproducible.");
            // Re-seeding with another seed re-creates the generator (Gymnasium: reset must pass the seed on).
            env.Reset(seed: 456);
            if (env.Unwrapped.RandomSeed != 456)
                Fail($"after Reset(seed: 456) the generator's seed is {env.Unwrapped.RandomSeed?.ToString() ?? "unset"}: Reset must call ResetRandom(seed).");
            // Options.
            try
            {
                var (o3, info3) = env.Reset(seed: 123, options: new Info());
                CheckObs(o3, obsSpace, "Reset(seed: 123, options: {})", Fail);
                if (info3 is null) Fail("Reset with options returned a null info.");
            }
            catch (Exception e) { Fail($"Reset with empty options threw {e.GetType().Name}: {e.Message}"); }

            // Step determinism with a seeded action space.
            var run1 = Rollout(env, act, steps, Fail, obsSpace);
            var run2 = Rollout(env, act, steps, Fail, obsSpace);
            if (run1.Count != run2.Count) Fail("two rollouts with the same seeds had different lengths.");
            bool infoReported = false;
            for (int k = 0; k < Math.Min(run1.Count, run2.Count); k++)
            {
                var (a, b) = (run1[k], run2[k]);
                if (!Same(a.Observation, b.Observation) || a.Reward != b.Reward || a.Terminated != b.Terminated || a.Truncated != b.Truncated)
                    Fail($"step {k} is not deterministic under the same seed and actions.");
                else if (!infoReported && !SameInfo(a.Info, b.Info))
                { Fail($"step {k}'s info is not deterministic under the same seed and actions."); infoReported = true; }
            }
            if (run1.Count > 0 && run1[0].Truncated) Fail("truncated is true after one step.");

            if (env.RenderMode is not null) CheckRender(env, env.RenderMode, Fail);

            env.Dispose();
            try { env.Dispose(); } catch (Exception e) { Fail($"a second Dispose threw {e.GetType().Name}."); }
        }

        if (renderModes)
            foreach (var mode in declaredModes)
            {
                try
                {
                    using var r = factory(mode);
                    if (r.RenderMode != mode) { Fail($"an env created for render mode '{mode}' reports render mode '{r.RenderMode ?? "null"}'."); continue; }
                    CheckRender(r, mode, Fail);
                }
                catch (Exception e) { Fail($"rendering in declared mode '{mode}' threw {e.GetType().Name}: {e.Message}"); }
            }
        if (failures.Count > 0) throw new EnvCheckException(failures);
        return warnings;
    }

    static void CheckRender(Env<double[], double[]> env, string mode, Action<string> fail)
    {
        env.Reset(seed: 1);
        var frame = env.Render();
        if (frame is null) fail($"Render returned null in render mode '{mode}'.");
        else if (frame.Width <= 0 || frame.Height <= 0 || frame.Rgb.Length != frame.Width * frame.Height * 3)
            fail($"Render in mode '{mode}' returned a frame of the wrong size.");
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
            if (r.Info is null) fail($"step {k} returned a null info.");
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

    /// <summary>Gymnasium's data_equivalence on infos: same keys, equal values (arrays element-wise, nested infos recursively).</summary>
    static bool SameInfo(Info? a, Info? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a.Count != b.Count) return false;
        foreach (var (k, v) in a)
        {
            if (!b.TryGetValue(k, out var w)) return false;
            bool eq = (v, w) switch
            {
                (double[] x, double[] y) => Same(x, y),
                (Info x, Info y) => SameInfo(x, y),
                (double x, double y) => x.Equals(y),
                _ => Equals(v, w),
            };
            if (!eq) return false;
        }
        return true;
    }
}
