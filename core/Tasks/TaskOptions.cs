using System.Globalization;

namespace ContactOpt.Tasks;

/// <summary>Option values parsed from a task name, checked against the task's declared options.</summary>
public sealed class TaskOptions
{
    readonly Dictionary<string, string> _values;
    readonly string _task;

    TaskOptions(string task, Dictionary<string, string> values) { _task = task; _values = values; }

    public static TaskOptions Parse(string task, string? text, IReadOnlyList<TaskOption> declared)
    {
        var values = declared.ToDictionary(o => o.Name, o => o.Default);
        if (!string.IsNullOrWhiteSpace(text))
        {
            foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int eq = part.IndexOf('=');
                if (eq <= 0) throw new ArgumentException($"task option '{part}' of '{task}' is not of the form key=value.");
                var key = part[..eq].Trim(); var value = part[(eq + 1)..].Trim();
                var opt = declared.FirstOrDefault(o => o.Name == key)
                    ?? throw new ArgumentException($"task '{task}' has no option '{key}'" +
                        (declared.Count == 0 ? " (it takes none)." : $"; options: {string.Join(", ", declared.Select(o => o.Name))}."));
                if (opt.Choices is { } choices && !choices.Contains(value))
                    throw new ArgumentException($"task option {key}='{value}' of '{task}' must be one of: {string.Join(", ", choices)}.");
                values[key] = value;
            }
        }
        return new TaskOptions(task, values);
    }

    public string GetString(string key) => _values.TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"task '{_task}' declares no option '{key}'.");

    public double GetDouble(string key)
    {
        var s = GetString(key);
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            throw new ArgumentException($"task option {key}='{s}' of '{_task}' is not a finite number.");
        return v;
    }

    public int GetInt(string key, int min = int.MinValue, int max = int.MaxValue)
    {
        var s = GetString(key);
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            throw new ArgumentException($"task option {key}='{s}' of '{_task}' is not an integer.");
        if (v < min || v > max) throw new ArgumentException($"task option {key}={v} of '{_task}' must be in [{min}, {max}].");
        return v;
    }

    /// <summary>The options that differ from their defaults, as they appear in a canonical task name.</summary>
    public string Canonical(IReadOnlyList<TaskOption> declared) =>
        string.Join(",", declared.Where(o => _values[o.Name] != o.Default).Select(o => $"{o.Name}={_values[o.Name]}"));
}
