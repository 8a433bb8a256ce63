namespace ContactOpt;

/// <summary>
/// Marks a property of an options record (an optimizer's or an agent's) as a user-settable hyperparameter,
/// listed by <c>contactopt agents</c> and set by <c>--set name=value</c>. Lives in core so that both the
/// optimizers and the agents layer can annotate their options records.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OptionAttribute(string name, string description) : Attribute
{
    public string Name { get; } = name;
    public string Description { get; } = description;
    /// <summary>Smallest accepted value of a numeric option (NaN: none declared). Checked when the option is bound.</summary>
    public double Min { get; set; } = double.NaN;
    /// <summary>
    /// Largest accepted value of a numeric option (NaN: none declared). Every size-like option (a count, a
    /// population, a buffer) declares one, so that no accepted value can exhaust memory; listed by <c>contactopt agents</c>.
    /// </summary>
    public double Max { get; set; } = double.NaN;
}

/// <summary>Implemented by options records that check their own values.</summary>
public interface IValidatable
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the offending value.</summary>
    void Validate();
}
