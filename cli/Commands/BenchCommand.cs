using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace ContactOpt.Cli.Commands;

/// <summary>
/// <c>contactopt bench &lt;task&gt;[,&lt;task&gt;...] [--seconds S] [--threads N] [--cpu] [--json]</c>: median wall time of one loss-only
/// episode and one loss-and-gradient episode, after a warm-up, interleaving the two so drift hits both. The episodes
/// run on this thread; <c>--threads</c> lets kernel-route engines use N threads inside each episode. <c>--cpu</c> adds
/// the median CPU time of this thread per episode (with --threads 1 the one-core cost, which load inflates far less than wall time).
/// </summary>
public static class BenchCommand
{
    public static int Run(Args args)
    {
        double seconds = args.Double("seconds", 2.0);
        if (!(seconds > 0 && seconds <= 600)) throw new UsageException($"--seconds {seconds} must be in (0, 600].");
        bool json = args.Flag("json"), cpu = args.Flag("cpu");
        if (cpu && !OperatingSystem.IsLinux()) throw new UsageException("--cpu needs Linux (the thread CPU clock); run without it.");
        int threads = args.Int("threads", 1, 1, 256);
        var names = Catalog.SplitTaskList(args.Positional(0, "task name(s), comma-separated"));
        args.EnsureAllUsed(1);
        var tasks = names.Select(Catalog.Task).ToList();
        var rows = new List<object>();
        if (!json) Console.WriteLine($"{"task",-14} {"dim",5} {"loss µs",10} {"grad µs",10} {"ratio",7}  mode        ({Environment.ProcessorCount} cores, {(threads == 1 ? "one thread" : $"{threads} kernel threads")})");
        foreach (var task in tasks)
        {
            using var f = task.CreateObjective(new Tasks.WorkspaceOptions(threads));
            var x = f.InitialGuess.ToArray();
            var g = new double[x.Length];
            // Warm-up: let tiered compilation reach optimised code.
            var warm = Stopwatch.StartNew();
            while (warm.Elapsed.TotalSeconds < Math.Min(1.0, seconds / 2)) { f.Loss(x); f.LossAndGradient(x, g); }
            var loss = new List<double>(); var grad = new List<double>(); var lossCpu = new List<double>(); var gradCpu = new List<double>();
            var total = Stopwatch.StartNew();
            while (total.Elapsed.TotalSeconds < seconds || loss.Count < 5)
            {
                double c0 = cpu ? ThreadCpuMicroseconds() : 0;
                long t0 = Stopwatch.GetTimestamp(); f.Loss(x);
                long t1 = Stopwatch.GetTimestamp();
                double c1 = cpu ? ThreadCpuMicroseconds() : 0;
                f.LossAndGradient(x, g);
                long t2 = Stopwatch.GetTimestamp();
                double c2 = cpu ? ThreadCpuMicroseconds() : 0;
                loss.Add((t1 - t0) * 1e6 / Stopwatch.Frequency); grad.Add((t2 - t1) * 1e6 / Stopwatch.Frequency);
                if (cpu) { lossCpu.Add(c1 - c0); gradCpu.Add(c2 - c1); }
            }
            double ml = Median(loss), mg = Median(grad);
            double? cl = cpu ? Median(lossCpu) : null, cg = cpu ? Median(gradCpu) : null;
            rows.Add(new { task = task.Name, threads, dimension = x.Length, loss_us = ml, gradient_us = mg, ratio = mg / ml, mode = f.Mode.ToString().ToLowerInvariant(), samples = loss.Count,
                           loss_cpu_us = cl, gradient_cpu_us = cg });
            if (!json) Console.WriteLine($"{task.Name,-14} {x.Length,5} {ml,10:F1} {mg,10:F1} {mg / ml,7:F2}  {f.Mode.ToString().ToLowerInvariant(),-10}  ({loss.Count} pairs)" +
                                         (cpu ? $"  thread CPU µs: loss {cl:F1}, grad {cg:F1}" : ""));
        }
        if (json) Console.WriteLine(JsonSerializer.Serialize(rows));
        return 0;
    }

    [StructLayout(LayoutKind.Sequential)] struct Timespec { public long Sec, Nsec; }
    [DllImport("libc", EntryPoint = "clock_gettime")] static extern int ClockGetTime(int clock, out Timespec ts);
    const int ClockThreadCpuTime = 3;   // CLOCK_THREAD_CPUTIME_ID

    /// <summary>CPU time consumed by the calling thread so far (µs), from the kernel's per-thread clock.</summary>
    static double ThreadCpuMicroseconds()
    {
        if (ClockGetTime(ClockThreadCpuTime, out var t) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
        return t.Sec * 1e6 + t.Nsec * 1e-3;
    }

    static double Median(List<double> v) { v.Sort(); return v.Count % 2 == 1 ? v[v.Count / 2] : 0.5 * (v[v.Count / 2 - 1] + v[v.Count / 2]); }
}
