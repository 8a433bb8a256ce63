using ContactOpt.Wrappers;

namespace ContactOpt.Agents.Torch.Tests;

/// <summary>SB3's test_gae: advantages and returns against a hand computation, including time-limit bootstrapping.</summary>
public class GaeTests
{
    [SetUp] public void OneThread() => TorchSharp.torch.set_num_threads(1);

    [Test]
    public void GaeMatchesHandComputation()
    {
        // Episode A = steps 0..2 (ends at 2), episode B = steps 3..4 (still running: bootstrap from lastValue = 3).
        double[] r = [1, 2, 3, 4, 5], v = [0.5, 1.0, 1.5, 2.0, 2.5];
        bool[] starts = [true, false, false, true, false];
        var adv = new double[5]; var ret = new double[5];
        Ppo.ComputeGae(r, v, starts, lastValue: 3.0, lastDone: false, gamma: 0.9, lambda: 0.8, adv, ret);
        // δ4 = 5 + 0.9·3 − 2.5 = 5.2;            A4 = 5.2
        // δ3 = 4 + 0.9·2.5 − 2 = 4.25;           A3 = 4.25 + 0.72·5.2 = 7.994
        // δ2 = 3 − 1.5 = 1.5 (episode A ends);   A2 = 1.5
        // δ1 = 2 + 0.9·1.5 − 1 = 2.35;           A1 = 2.35 + 0.72·1.5 = 3.43
        // δ0 = 1 + 0.9·1 − 0.5 = 1.4;            A0 = 1.4 + 0.72·3.43 = 3.8696
        double[] expected = [3.8696, 3.43, 1.5, 7.994, 5.2];
        for (int t = 0; t < 5; t++)
        {
            Assert.That(adv[t], Is.EqualTo(expected[t]).Within(1e-12), $"advantage {t}");
            Assert.That(ret[t], Is.EqualTo(expected[t] + v[t]).Within(1e-12), $"return {t}");
        }
        Ppo.ComputeGae(r, v, starts, lastValue: 3.0, lastDone: true, gamma: 0.9, lambda: 0.8, adv, ret);
        Assert.That(adv[4], Is.EqualTo(2.5).Within(1e-12), "no bootstrap after a final step");
        Assert.That(adv[3], Is.EqualTo(4 + 0.9 * 2.5 - 2 + 0.72 * 2.5).Within(1e-12));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void RolloutBootstrapsTruncationButNotTermination(bool truncate)
    {
        // Rewards 1, 2, 3 per episode; episodes end after 3 steps, by a time limit (truncated) or in the MDP (terminated).
        const double gamma = 0.9, lambda = 0.95;
        Env<double[], double[]> env = truncate
            ? new TimeLimit<double[], double[]>(new ChainEnv([1, 2, 3], terminateAt: 0), 3)
            : new ChainEnv([1, 2, 3], terminateAt: 3);
        var agent = new Ppo(new PpoOptions { NSteps = 8, BatchSize = 4, Gamma = gamma, GaeLambda = lambda });
        PpoRollout? seen = null;
        double vFinal = double.NaN, vLast = double.NaN;
        double[] obs = [0, 0.1, 0.2, 0, 0.1, 0.2, 0, 0.1];
        double[] critic = new double[8];
        agent.RolloutCollected = ro =>
        {
            seen ??= ro;
            // The critic before this rollout's update.
            vFinal = agent.ValueOf([0.3]);
            vLast = agent.ValueOf([0.2]);
            for (int t = 0; t < 8; t++) critic[t] = agent.ValueOf([obs[t]]);
        };
        agent.Learn(env, ActionScaling.For((Box)env.ActionSpace), seed: 0, totalSteps: 8);
        Assert.That(seen, Is.Not.Null);
        var ro = seen!;
        // Steps: episode 1 = 0..2, episode 2 = 3..5, episode 3 = 6..7 (continues past the rollout).
        bool[] starts = [true, false, false, true, false, false, true, false];
        double bonus = truncate ? gamma * vFinal : 0.0;
        double[] rewards = [1, 2, 3 + bonus, 1, 2, 3 + bonus, 1, 2];
        for (int t = 0; t < 8; t++)
        {
            Assert.That(ro.Observations[t][0], Is.EqualTo(obs[t]).Within(1e-7), $"obs {t}");
            Assert.That(ro.EpisodeStarts[t], Is.EqualTo(starts[t]), $"start {t}");
            Assert.That(ro.Rewards[t], Is.EqualTo(rewards[t]).Within(1e-6), $"reward {t}");
            Assert.That(ro.Values[t], Is.EqualTo(critic[t]).Within(1e-6), $"value {t}");
        }
        Assert.That(ro.LastDone, Is.False);
        Assert.That(ro.LastValue, Is.EqualTo(vLast).Within(1e-6));
        // Hand GAE: backwards through each episode; the episode cut by the rollout bootstraps from V(s_8) = V(0.2).
        var expected = new double[8];
        double next = 0;
        for (int t = 7; t >= 0; t--)
        {
            bool lastOfEpisode = t == 2 || t == 5;
            double nextV = t == 7 ? vLast : lastOfEpisode ? 0 : ro.Values[t + 1];
            if (lastOfEpisode) next = 0;
            double delta = rewards[t] + gamma * nextV - ro.Values[t];
            next = delta + gamma * lambda * next;
            expected[t] = next;
        }
        for (int t = 0; t < 8; t++)
        {
            Assert.That(ro.Advantages[t], Is.EqualTo(expected[t]).Within(1e-6), $"advantage {t}");
            Assert.That(ro.Returns[t], Is.EqualTo(expected[t] + ro.Values[t]).Within(1e-6), $"return {t}");
        }
    }
}
