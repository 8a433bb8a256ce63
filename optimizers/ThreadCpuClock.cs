using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ContactOpt.Optimizers;

/// <summary>
/// CPU time of the calling thread (Linux: clock_gettime(CLOCK_THREAD_CPUTIME_ID)); elsewhere, or if that call fails,
/// the process's total CPU time. For benchmarks on shared machines, where wall time mostly measures the other users.
/// </summary>
public static class ThreadCpuClock
{
    [StructLayout(LayoutKind.Sequential)]
    struct Timespec { public long Seconds; public long Nanoseconds; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int ClockGetTime(int clock, out Timespec time);

    const int ClockThreadCpuTime = 3;
    static bool _native = OperatingSystem.IsLinux();

    /// <summary>Seconds of CPU time used so far (thread, or process as the fallback); only differences are meaningful.</summary>
    public static double Seconds()
    {
        if (_native)
        {
            try
            {
                if (ClockGetTime(ClockThreadCpuTime, out var t) == 0) return t.Seconds + 1e-9 * t.Nanoseconds;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
            _native = false;
        }
        return Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
    }
}
