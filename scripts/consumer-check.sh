#!/usr/bin/env bash
# Proves that ContactOpt drops into an outside project: packs the libraries into a local folder feed, creates a
# fresh console project OUTSIDE the repository (default under /tmp), references the packages, and runs it. The
# program steps an env, computes an exact gradient, trains PPO on pendulum for a few thousand steps (and with 2
# sub-envs, an evaluation callback and progress lines), which
# needs TorchSharp's native library to load: the GLIBCXX_3.4.32 fix must come from the package's
# buildTransitive targets, since nothing of this repository's Directory.Build.* applies out there.
#
# Usage: scripts/consumer-check.sh [WORKDIR]     (WORKDIR must be outside the repository; default: a new /tmp dir,
#        removed after a successful run). Run by .ci/run; about 1.5 min on a built tree.
# Offline: the consumer restores ContactOpt.* from the local feed into its own packages folder and everything else
# from this machine's NuGet cache (~/.nuget/packages, used read-only as a fallback folder, never modified).
# Extra package source (a machine whose cache lacks TorchSharp): CONTACTOPT_NUGET_SOURCE=https://api.nuget.org/v3/index.json
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
given="${1:-}"
work="${given:-$(mktemp -d /tmp/contactopt-consumer.XXXXXX)}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
case "$work/" in "$root"/*) echo "consumer-check: WORKDIR '$work' is inside the repository; choose one outside it." >&2; exit 2;; esac
# A version of its own per run, so no earlier package of the same version can be picked up anywhere.
version="0.1.0-local.$(date +%Y%m%d%H%M%S)"
feed="$work/feed"; app="$work/consumer"
rm -rf "$feed" "$app"; mkdir -p "$feed" "$app"
cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"

echo "consumer-check: packing $version into $feed" >&2
for p in core/ContactOpt.Core.csproj rendering/ContactOpt.Rendering.csproj envs/ContactOpt.Envs.csproj \
         optimizers/ContactOpt.Optimizers.csproj agents/ContactOpt.Agents/ContactOpt.Agents.csproj \
         agents/ContactOpt.Agents.Torch/ContactOpt.Agents.Torch.csproj; do
  dotnet pack "$root/$p" -c Release -o "$feed" -p:PackageVersion="$version" -nologo -v quiet >"$work/pack.log" 2>&1 \
    || { cat "$work/pack.log" >&2; echo "consumer-check: pack of $p failed" >&2; exit 1; }
done
# The listing goes through a variable: with pipefail, `unzip -l | grep -q` fails whenever grep exits at its match before
# unzip has written everything (SIGPIPE), which made this check fail at random once the package grew.
listing="$(unzip -l "$feed/ContactOpt.Agents.Torch.$version.nupkg")" \
  || { echo "consumer-check: cannot list the Torch package" >&2; exit 1; }
grep -q "buildTransitive/ContactOpt.Agents.Torch.targets" <<<"$listing" \
  || { echo "consumer-check: the Torch package lacks buildTransitive/ContactOpt.Agents.Torch.targets" >&2; exit 1; }

extra=""
[ -n "${CONTACTOPT_NUGET_SOURCE:-}" ] && extra="<add key=\"extra\" value=\"$CONTACTOPT_NUGET_SOURCE\" />"
cat >"$app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="contactopt-local" value="$feed" />
    $extra
  </packageSources>
  <fallbackPackageFolders>
    <add key="machine-cache" value="$cache" />
  </fallbackPackageFolders>
</configuration>
XML
# Only the Torch package and the envs are referenced: core, agents and optimizers come transitively (and so does
# the native fix, through buildTransitive).
cat >"$app/Consumer.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <RestorePackagesPath>\$(MSBuildThisFileDirectory)packages</RestorePackagesPath>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="ContactOpt.Envs" Version="$version" />
    <PackageReference Include="ContactOpt.Agents.Torch" Version="$version" />
  </ItemGroup>
</Project>
XML
cat >"$app/Program.cs" <<'CS'
using ContactOpt;
using ContactOpt.Agents;
using ContactOpt.Agents.Torch;
using ContactOpt.Envs;

var tasks = BuiltinTasks.CreateRegistry();

// 1. Step an env (Gymnasium-style): pendulum, zero torque until the episode ends.
var pendulum = tasks.Create("pendulum");
using (var env = pendulum.CreateEnv())
{
    var (obs, _) = env.Reset(seed: 1);
    int steps = 0; double ret = 0; bool done = false;
    while (!done) { var r = env.Step(new double[env.ActionSpace.Shape[0]]); ret += r.Reward; steps++; done = r.Done; obs = r.Observation; }
    Console.WriteLine($"env: pendulum episode of {steps} steps, return {ret:F2}, observation size {obs.Length}");
}

// 2. An exact gradient of an episode's loss (the parameter view of flip).
var flip = tasks.Create("flip");
using (var objective = flip.CreateObjective())
{
    var x = objective.InitialGuess.ToArray();
    var g = new double[x.Length];
    double loss = objective.LossAndGradient(x, g);
    Console.WriteLine($"gradient: flip loss {loss:G6} at the initial guess, gradient [{string.Join(", ", g.Select(v => v.ToString("G6")))}]");
    if (!double.IsFinite(loss) || g.Any(v => !double.IsFinite(v)) || g.All(v => v == 0)) { Console.Error.WriteLine("consumer: bad gradient"); return 1; }
}

// 3. PPO (TorchSharp) on pendulum: 15 episodes of 200 steps = 3,000 steps, one rollout of 2,048 and an update.
var agents = new AgentRegistry(BuiltinAgents.Specs().Concat(TorchAgents.Specs()));
var ppo = (Ppo)agents.Create("ppo", new Dictionary<string, string> { ["n_steps"] = "1024", ["n_epochs"] = "2" });
var clock = System.Diagnostics.Stopwatch.StartNew();
var result = AgentRunner.Run(ppo, new AgentContext(pendulum, budget: 15, seed: 0));
Console.WriteLine($"ppo: {ppo.Steps} steps, {result.Episodes} episodes in {clock.Elapsed.TotalSeconds:F1} s, best loss {result.BestLoss:F2}, " +
                  $"last return {ppo.Episodes[^1].Return:F2}");
if (ppo.Steps < 2000 || !double.IsFinite(result.BestLoss)) { Console.Error.WriteLine("consumer: PPO did not train"); return 1; }

// 4. SB3-style training: 2 sub-envs, action scaling read from the env, an evaluation callback saving the best model, progress lines.
var dir = Path.Combine(Path.GetTempPath(), $"consumer-ppo-{Environment.ProcessId}");
try
{
    using var vppo = new Ppo(new PpoOptions { NEnvs = 2, NSteps = 256, NEpochs = 2 });
    var eval = new EvalCallback(BuiltinTasks.Make("pendulum"), evalFrequency: 512, episodes: 1, bestModelFolder: dir);
    vppo.Learn(() => BuiltinTasks.Make("pendulum"), seed: 0, totalSteps: 1024,
        callback: new CallbackList(eval, new ProgressCallback(Console.Out, interactive: false, everySteps: 512)));
    if (eval.Evaluations.Count != 2 || !File.Exists(eval.BestModelPath)) { Console.Error.WriteLine("consumer: callbacks did not run"); return 1; }
    using var best = new Ppo();
    best.Load(eval.BestModelPath!);
    Console.WriteLine($"ppo n_envs=2: {vppo.Steps} steps, evaluations {string.Join(", ", eval.Evaluations.Select(e => e.MeanReturn.ToString("F1")))}, best model n_envs={best.Options.NEnvs}");
}
finally { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
Console.WriteLine("consumer: OK");
return 0;
CS

echo "consumer-check: building $app" >&2
dotnet build "$app/Consumer.csproj" -c Release -nologo -v minimal >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; echo "consumer-check: consumer build failed" >&2; exit 1; }
grep -h "contactopt:" "$work/build.log" >&2 || true
dotnet "$app/bin/Release/net10.0/Consumer.dll"
# A directory this script chose is removed after a successful run (the consumer's output holds a ~900 MB libtorch
# copy); a WORKDIR given on the command line, or any failed run's, is kept for inspection.
[ -z "$given" ] && rm -rf "$work"
exit 0
