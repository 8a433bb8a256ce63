using System.Globalization;

namespace ContactOpt.Experiments;

/// <summary>
/// Writes a file through a temporary sibling and a rename, so a reader (or a crash) never sees half a file, and
/// checks output locations before any work is spent on them.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, string text)
    {
        var tmp = TempFor(path);
        try
        {
            File.WriteAllText(tmp, text);
            File.Move(tmp, path, overwrite: true);
        }
        catch { TryDelete(tmp); throw; }
    }

    /// <summary>Writes through <paramref name="write"/> into a temporary sibling, then renames it over <paramref name="path"/>.</summary>
    public static void Write(string path, Action<string> write)
    {
        var tmp = TempFor(path);
        try
        {
            write(tmp);
            File.Move(tmp, path, overwrite: true);
        }
        catch { TryDelete(tmp); throw; }
    }

    static string TempFor(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "." + Path.GetFileName(path) + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

    static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Checks that <paramref name="dir"/> is (or can be made) a writable directory, by creating it and a probe
    /// file in it; throws <see cref="IOException"/> with a one-line message naming the path otherwise.
    /// </summary>
    public static void EnsureWritableDirectory(string dir, string what)
    {
        if (string.IsNullOrWhiteSpace(dir)) throw new IOException($"{what} is empty; give a directory.");
        if (dir.Any(char.IsControl)) throw new IOException($"{what} '{Printable(dir)}' contains control characters.");
        if (File.Exists(dir)) throw new IOException($"{what} '{dir}' is a file, not a directory.");
        try
        {
            Directory.CreateDirectory(dir);
            var probe = Path.Combine(dir, ".contactopt-write-probe-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new IOException($"{what} '{dir}' is not a writable directory: {e.Message}");
        }
    }

    /// <summary>The text with control characters shown as escapes (for one-line messages that echo input).</summary>
    public static string Printable(string s) =>
        string.Concat(s.Select(c => char.IsControl(c) ? c switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", _ => $"\\u{(int)c:x4}" } : c.ToString()));
}
