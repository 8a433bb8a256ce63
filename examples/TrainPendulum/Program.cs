// Stable-Baselines3-style training on pendulum (Pendulum-v1): vectorised PPO or SAC with an evaluation callback
// that keeps the best model, checkpoints, progress lines, and a filmstrip of the best model's episode.
//
//   dotnet run -c Release --project examples/TrainPendulum -- [ppo|sac] [STEPS] [OUTDIR]
//
// Defaults: ppo, 100000 steps, runs/train-pendulum. PPO uses 4 sub-envs (n_envs = 4, n_steps = 512).
using System.Globalization;
using ContactOpt;
using ContactOpt.Agents;
using ContactOpt.Agents.Torch;
using ContactOpt.Envs;
using ContactOpt.Rendering;

string algo = args.Length > 0 ? args[0] : "ppo";
if (algo is not ("ppo" or "sac")) return Fail($"agent '{algo}' is not ppo or sac.");
long steps = 100_000;
if (args.Length > 1 && !(long.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out steps) && steps is >= 1 and <= 100_000_000))
    return Fail($"steps '{args[1]}' must be an integer in [1, 100000000].");
string outDir = args.Length > 2 ? args[2] : Path.Combine("runs", "train-pendulum");
if (args.Length > 3) return Fail($"unexpected argument '{args[3]}'; usage: [ppo|sac] [STEPS] [OUTDIR].");
try { Directory.CreateDirectory(outDir); }
catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Fail($"cannot create '{outDir}': {e.Message}"); }

ILearningAgent agent = algo == "ppo"
    ? new Ppo(new PpoOptions { NEnvs = 4, NSteps = 512, GaeLambda = 0.95, Gamma = 0.9, NEpochs = 10, LearningRate = 1e-3 })
    : new Sac(new SacOptions { LearningRate = 1e-3 });
using var owned = agent as IDisposable;
using var evalEnv = BuiltinTasks.Make("pendulum");
var eval = new EvalCallback(evalEnv, evalFrequency: Math.Max(1, steps / 10), episodes: 5, bestModelFolder: outDir,
    callbackOnNewBest: new StopTrainingOnRewardThreshold(-200), seed: 1000, log: Console.Out);
var callbacks = new CallbackList(eval, new CheckpointCallback(Math.Max(1, steps / 2), Path.Combine(outDir, "checkpoints"), algo),
    new ProgressCallback(Console.Error, interactive: !Console.IsErrorRedirected));
if (agent is Ppo ppo) ppo.Learn(() => BuiltinTasks.Make("pendulum"), seed: 0, totalSteps: steps, callback: callbacks);
else ((Sac)agent).Learn(BuiltinTasks.Make("pendulum"), seed: 0, totalSteps: steps, callback: callbacks);

Console.WriteLine($"best mean return {eval.BestMeanReturn:F1} (saved to {eval.BestModelPath})");
ILearningAgent best = algo == "ppo" ? new Ppo() : new Sac();
best.Load(eval.BestModelPath!);
using (var env = RecordFilmstrip.Wrap(BuiltinTasks.Make("pendulum", renderMode: RenderModes.RgbArray), outDir, prefix: "best", maxFrames: 12))
{
    var obs = env.Reset(seed: 1000).Observation;
    for (bool done = false; !done;) { var s = env.Step(best.Act(obs)); obs = s.Observation; done = s.Done; }
}
Console.WriteLine($"filmstrip {Path.Combine(outDir, "best-episode-0.png")}");
(best as IDisposable)?.Dispose();
return 0;

static int Fail(string message) { Console.Error.WriteLine($"train-pendulum: {message}"); return 2; }
