using System.Globalization;

namespace ContactOpt.Cli;

/// <summary>A user error: printed as one line on stderr, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// Minimal GNU-style argument reader: positionals, <c>--flag</c>, <c>--key value</c> / <c>--key=value</c>, and
/// repeatable options. Every option a command reads is declared by reading it; <see cref="EnsureAllUsed"/>
/// rejects the rest, so typos never pass silently.
/// </summary>
public sealed class Args
{
    readonly List<string> _positionals = new();
    readonly List<(string Key, string? Value)> _options = new();
    readonly HashSet<string> _used = new();
    readonly CommandSpec? _spec;

    /// <param name="spec">The command's declarations: reading an option it does not declare is an internal error.</param>
    public Args(IEnumerable<string> args, CommandSpec? spec = null)
    {
        _spec = spec;
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (a.StartsWith("--") && a.Length > 2)
            {
                int eq = a.IndexOf('=');
                if (eq > 0) _options.Add((a[2..eq], a[(eq + 1)..]));
                else if (i + 1 < list.Count && !list[i + 1].StartsWith("--")) { _options.Add((a[2..], list[i + 1])); i++; }
                else _options.Add((a[2..], null));
            }
            else _positionals.Add(a);
        }
    }

    public IReadOnlyList<string> Positionals => _positionals;

    void Use(string key)
    {
        if (_spec is not null && !_spec.Options.Any(o => o.Name == key))
            throw new InvalidOperationException($"command '{_spec.Name}' reads option --{key}, which its CommandSpec does not declare.");
        _used.Add(key);
    }

    public string Positional(int index, string what) =>
        index < _positionals.Count ? _positionals[index] : throw new UsageException($"missing {what}.");

    /// <summary>A flag: present (possibly with a value that was really a positional — given back).</summary>
    public bool Flag(string key)
    {
        Use(key);
        bool found = false;
        for (int i = 0; i < _options.Count; i++)
        {
            if (_options[i].Key != key) continue;
            found = true;
            if (_options[i].Value is string v) { _positionals.Add(v); _options[i] = (key, null); }
        }
        return found;
    }

    public string? Option(string key)
    {
        Use(key);
        string? value = null;
        foreach (var (k, v) in _options)
            if (k == key) value = v ?? throw new UsageException($"option --{key} needs a value.");
        return value;
    }

    public IReadOnlyList<string> Options(string key)
    {
        Use(key);
        return _options.Where(o => o.Key == key).Select(o => o.Value ?? throw new UsageException($"option --{key} needs a value.")).ToList();
    }

    public int Int(string key, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        var s = Option(key);
        if (s is null) return fallback;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            throw new UsageException($"--{key} '{s}' is not an integer.");
        if (v < min || v > max) throw new UsageException($"--{key} {v} must be in [{min}, {max}].");
        return v;
    }

    public double Double(string key, double fallback)
    {
        var s = Option(key);
        return s is null ? fallback : ParseDouble(s, $"--{key}");
    }

    public static double ParseDouble(string s, string what)
    {
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            throw new UsageException($"{what} '{s}' is not a number.");
        if (!double.IsFinite(v)) throw new UsageException($"{what} '{s}' is not finite.");
        return v;
    }

    /// <summary>Comma-separated finite numbers.</summary>
    public static double[] ParseVector(string s, string what)
    {
        var parts = s.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 0 || parts.Any(p => p.Length == 0)) throw new UsageException($"{what} '{s}' must be comma-separated numbers.");
        return parts.Select((p, i) => ParseDouble(p, $"{what} entry {i}")).ToArray();
    }

    public void EnsureAllUsed(int maxPositionals)
    {
        foreach (var (k, _) in _options)
            if (!_used.Contains(k)) throw new UsageException($"unknown option --{k}{(_spec is null ? "" : $" (see 'contactopt {_spec.Name} --help')")}.");
        if (_positionals.Count > maxPositionals)
            throw new UsageException($"unexpected argument '{_positionals[maxPositionals]}'.");
    }
}
