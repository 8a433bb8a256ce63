namespace ContactOpt.Envs.SpringChain;

/// <summary>
/// A damped mass-spring chain in the x–z plane: <see cref="Masses"/> point masses joined by springs of rest
/// length <see cref="RestLength"/>, under gravity, with a penalty ground at z = 0 (normal spring and damper,
/// no friction). Mass 0 is driven: its velocity is the action, held for one control segment of
/// <see cref="Substeps"/> semi-implicit Euler substeps. Declared physical parameters: spring stiffness k and
/// spring damping c. Loss = Σ over segments w_a·|a|² + the squared distance of the chain's free end to
/// <see cref="Target"/> at the end. Small on purpose: it demonstrates the kernel route of the segment tape
/// against the same system on the scalar route (<see cref="ChainScalarDynamics"/>).
/// </summary>
public sealed record ChainModel
{
    public int Masses { get; init; } = 8;
    public int Segments { get; init; } = 10;
    public int Substeps { get; init; } = 20;
    public double Dt { get; init; } = 0.005;
    public double Mass { get; init; } = 0.1;
    public double RestLength { get; init; } = 0.1;
    public double Gravity { get; init; } = 9.81;
    public double GroundStiffness { get; init; } = 2000.0;
    public double GroundDamping { get; init; } = 5.0;
    public double Stiffness { get; init; } = 200.0;
    public double Damping { get; init; } = 0.5;
    public double ActionWeight { get; init; } = 1e-3;
    public double MaxSpeed { get; init; } = 2.0;
    /// <summary>Height of the driven end at the start (the chain hangs from it along +x, resting on the ground).</summary>
    public double StartHeight { get; init; } = 0.3;
    public (double X, double Z) Target { get; init; } = (0.9, 0.4);

    /// <summary>State layout (structure of arrays): x[0..n), z[0..n), vx[0..n), vz[0..n).</summary>
    public int StateSize => 4 * Masses;

    public void Validate()
    {
        if (Masses < 2 || Masses > 100_000) throw new ArgumentOutOfRangeException(nameof(Masses), Masses, "masses must be in [2, 100000].");
        if (Segments < 1 || Substeps < 1) throw new ArgumentOutOfRangeException(nameof(Segments), "segments and substeps must be at least 1.");
        foreach (var (name, v) in new[] { ("dt", Dt), ("mass", Mass), ("rest length", RestLength), ("stiffness", Stiffness) })
            if (!double.IsFinite(v) || v <= 0) throw new ArgumentOutOfRangeException(name, v, $"{name} must be finite and > 0.");
    }

    /// <summary>The chain laid out straight along +x from the driven end, at rest; masses below the ground sit on it.</summary>
    public void InitialState(Span<double> s)
    {
        int n = Masses;
        for (int i = 0; i < n; i++)
        {
            s[i] = i * RestLength;                                       // x
            s[n + i] = Math.Max(0.0, StartHeight - i * RestLength);      // z: a slope down to the ground
            s[2 * n + i] = 0; s[3 * n + i] = 0;
        }
    }
}
