namespace ContactOpt.Envs.Mpm;

/// <summary>What a particle is made of: the scene's plasticine, the liquid, or a member of a rigid cluster.</summary>
public enum ParticleKind : byte { Plasticine = 0, Liquid = 1, Rigid = 2 }

/// <summary>
/// A viscous, weakly compressible liquid in engine units (lengths in domain units, time in s, density 1 per
/// particle volume): bulk modulus <paramref name="Bulk"/> (speed of sound √Bulk) and dynamic viscosity
/// <paramref name="Viscosity"/>.
/// </summary>
public readonly record struct LiquidMaterial(double Bulk, double Viscosity);

/// <summary>
/// One rigid cluster: particles <c>Start .. Start + Count − 1</c> move as one rigid body; <paramref name="Density"/> is
/// its density relative to the scene's particle mass per volume. Each of its particles has mass
/// <paramref name="MassScale"/>·m_p (m_p the scene's particle mass) and stands for MassScale/Density·V_p of volume in
/// the pressure it exerts. MassScale = 1 (all particles of one mass): the cluster is sampled Density times as densely
/// as the scene's particles; MassScale ≠ 1 lets a cluster lighter than the liquid keep the liquid's particle spacing
/// (or a finer one) with lighter particles.
/// </summary>
public readonly record struct RigidCluster(int Start, int Count, double Density = 1, double MassScale = 1);

/// <summary>
/// Per-particle materials of a scene (plasticine, liquid and rigid clusters side by side): the kind of every
/// particle, the liquid's constants and the rigid clusters (contiguous particle ranges of kind
/// <see cref="ParticleKind.Rigid"/>). Liquid and plasticine particles have the scene's particle mass and volume; a
/// cluster's particles have their own mass and volume (<see cref="RigidCluster.MassScale"/>, <see cref="RigidCluster.Density"/>).
/// </summary>
public sealed class ParticleMaterials
{
    public ParticleMaterials(ParticleKind[] kinds, LiquidMaterial liquid, IReadOnlyList<RigidCluster> clusters)
    {
        if (!(liquid.Bulk >= 0) || !(liquid.Viscosity >= 0) || !double.IsFinite(liquid.Bulk + liquid.Viscosity))
            throw new ArgumentException($"liquid bulk modulus {liquid.Bulk} and viscosity {liquid.Viscosity} must be finite and ≥ 0.");
        Kinds = (ParticleKind[])kinds.Clone();
        Liquid = liquid;
        Clusters = clusters.ToArray();
        var seen = new bool[kinds.Length];
        foreach (var c in Clusters)
        {
            if (!(c.Density > 0) || !double.IsFinite(c.Density)) throw new ArgumentException($"rigid cluster density {c.Density} must be finite and > 0.");
            if (!(c.MassScale > 0) || !double.IsFinite(c.MassScale)) throw new ArgumentException($"rigid cluster mass scale {c.MassScale} must be finite and > 0.");
            if (c.Count < 4 || c.Start < 0 || c.Start + c.Count > kinds.Length)
                throw new ArgumentException($"rigid cluster [{c.Start}, {c.Start + c.Count}) must hold ≥ 4 particles within the {kinds.Length} particles.");
            for (int p = c.Start; p < c.Start + c.Count; p++)
            {
                if (kinds[p] != ParticleKind.Rigid || seen[p]) throw new ArgumentException($"particle {p} of a rigid cluster must be of kind Rigid and in one cluster only.");
                seen[p] = true;
            }
        }
        for (int p = 0; p < kinds.Length; p++)
            if (kinds[p] == ParticleKind.Rigid && !seen[p]) throw new ArgumentException($"rigid particle {p} belongs to no cluster.");
    }

    public ParticleKind[] Kinds { get; }
    public LiquidMaterial Liquid { get; }
    public RigidCluster[] Clusters { get; }
}

/// <summary>
/// The liquid's per-particle constitutive kernel (weakly compressible, DiffTaichi-style J tracking). The particle
/// keeps only its volume ratio J, stored in F as diag(J, 1, 1) so that det F = J:
/// J' = J·(1 + dt·tr C), Kirchhoff stress τ = K·J'(J' − 1)·I + η·J'·(C + Cᵀ) (pressure from a linear equation of
/// state plus a Newtonian viscous stress from the velocity gradient C), MLS affine A = s·τ + m·C with
/// s = −dt·V_p·4/dx². Forward and adjoint side by side.
/// </summary>
public static class LiquidKernel
{
    public static void Forward(double dt, LiquidMaterial mat, double stressScale, double mass, double j, in M3 c, out double jNew, out M3 affine)
    {
        jNew = j * (1 + dt * c.Trace);
        double p = mat.Bulk * jNew * (jNew - 1);
        var tau = (mat.Viscosity * jNew) * (c + c.T);
        tau.A00 += p; tau.A11 += p; tau.A22 += p;
        affine = stressScale * tau + mass * c;
    }

    /// <summary>From ∂L/∂J' and ∂L/∂A, adds ∂L/∂J and ∂L/∂C.</summary>
    public static void Backward(double dt, LiquidMaterial mat, double stressScale, double mass, double j, in M3 c,
        double jNewBar, in M3 affineBar, ref double jBar, ref M3 cBar)
    {
        double trC = c.Trace;
        double jNew = j * (1 + dt * trC);
        cBar += mass * affineBar;
        var tauBar = stressScale * affineBar;
        var sym = c + c.T;
        jNewBar += mat.Bulk * (2 * jNew - 1) * tauBar.Trace + mat.Viscosity * M3.Frob(tauBar, sym);
        cBar += (mat.Viscosity * jNew) * (tauBar + tauBar.T);
        jBar += jNewBar * (1 + dt * trC);
        double g = jNewBar * j * dt;
        cBar.A00 += g; cBar.A11 += g; cBar.A22 += g;
    }
}
