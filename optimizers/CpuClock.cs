using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ContactOpt.Optimizers;

/// <summary>
/// CPU time of the whole process, all threads (Linux: clock_gettime(CLOCK_PROCESS_CPUTIME_ID); elsewhere, or if that
/// call fails, <see cref="Process.TotalProcessorTime"/>). For benchmarks on shared machines, where wall time mostly
/// measures the other users. Process-wide because MathNet's managed Cholesky may run parts on pool threads.
/// </summary>
public static class CpuClock
{
    [StructLayout(LayoutKind.Sequential)]
    struct Timespec { public long Seconds; public long Nanoseconds; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int ClockGetTime(int clock, out Timespec time);

    const int ClockProcessCpuTime = 2;
    static bool _native = OperatingSystem.IsLinux();

    /// <summary>Seconds of CPU time the process has used so far; only differences are meaningful.</summary>
    public static double Seconds()
    {
        if (_native)
        {
            try
            {
                if (ClockGetTime(ClockProcessCpuTime, out var t) == 0) return t.Seconds + 1e-9 * t.Nanoseconds;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
            _native = false;
        }
        return Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
    }
}
