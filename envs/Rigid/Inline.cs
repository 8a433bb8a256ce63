using System.Runtime.CompilerServices;

namespace ContactOpt.Envs.Rigid;

// Fixed-size stack buffers of a scalar type, so the generic simulation code allocates nothing and keeps no
// per-instance scratch (a Dynamics is shared by every objective and env built from one task instance).

/// <summary>Up to 3 values (one per link of a chain).</summary>
[InlineArray(3)]
internal struct Buf3<T> { T _e; }

/// <summary>A 3×3 matrix, row-major.</summary>
[InlineArray(9)]
internal struct Buf9<T> { T _e; }

/// <summary>Up to 16 values (one per pinball collider).</summary>
[InlineArray(16)]
internal struct Buf16<T> { T _e; }
