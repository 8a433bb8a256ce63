namespace ContactOpt.Envs.Mpm;

/// <summary>Material of the plasticine (PlasticineLab: E = 5000, ν = 0.2, yield stress 50).</summary>
public readonly record struct Material(double YoungsModulus, double PoissonRatio, double YieldStress)
{
    public double Mu => YoungsModulus / (2 * (1 + PoissonRatio));
    public double Lambda => YoungsModulus * PoissonRatio / ((1 + PoissonRatio) * (1 - 2 * PoissonRatio));
}

/// <summary>
/// The per-particle constitutive kernel of one substep: trial F_tr = (I + dt C) F, SVD, von Mises return map on
/// log-strain (singular-value floor 0.05, ‖ε̂‖ with +1e-8 inside the root), fixed-corotated Kirchhoff stress
/// τ = 2μ(F' − R)F'ᵀ + λJ(J − 1)I with R the polar rotation, and the MLS affine matrix
/// A = −dt·V_p·(4/dx²)·τ + m·C. Outputs F' (next frame's F) and A. Forward and adjoint side by side.
/// </summary>
public static class Constitutive
{
    public const double SingularFloor = 0.05;

    public readonly record struct Coefficients(double Dt, double Mu, double Lambda, double YieldStrain, double StressScale, double Mass);

    public static Coefficients Make(double dt, Material m, double pVol, double pMass, double dx) =>
        new(dt, m.Mu, m.Lambda, m.YieldStress / (2 * m.Mu), -dt * pVol * 4 / (dx * dx), pMass);

    /// <summary>Return map of the trial singular values: new singular values and whether the step was plastic.</summary>
    static bool ReturnMap(in Coefficients k, V3 sigma, out V3 fNew, out V3 epsHat, out double nrm)
    {
        double e0 = Math.Log(Math.Max(sigma.X, SingularFloor)), e1 = Math.Log(Math.Max(sigma.Y, SingularFloor)), e2 = Math.Log(Math.Max(sigma.Z, SingularFloor));
        double mean = (e0 + e1 + e2) / 3;
        epsHat = new V3(e0 - mean, e1 - mean, e2 - mean);
        nrm = Math.Sqrt(epsHat.Norm2 + 1e-8);
        if (nrm - k.YieldStrain > 0)
        {
            double c = k.YieldStrain / nrm;
            fNew = new V3(Math.Exp(mean + c * epsHat.X), Math.Exp(mean + c * epsHat.Y), Math.Exp(mean + c * epsHat.Z));
            return true;
        }
        fNew = sigma;
        return false;
    }

    static M3 Stress(in Coefficients k, in M3 fp, in M3 r)
    {
        double j = fp.Det;
        var tau = (2 * k.Mu) * ((fp - r) * fp.T);
        double p = k.Lambda * j * (j - 1);
        tau.A00 += p; tau.A11 += p; tau.A22 += p;
        return tau;
    }

    /// <summary>F' and A of one particle.</summary>
    public static void Forward(in Coefficients k, in M3 f, in M3 c, out M3 fNew, out M3 affine) =>
        Forward(k, f, c, out fNew, out affine, out _, out _, out _);

    /// <summary>As <see cref="Forward(in Coefficients, in M3, in M3, out M3, out M3)"/>, also returning the trial SVD (kept for the adjoint).</summary>
    public static void Forward(in Coefficients k, in M3 f, in M3 c, out M3 fNew, out M3 affine, out M3 u, out V3 sigma, out M3 v)
    {
        var ftr = Trial(k, f, c);
        Forward(k, c, ftr, Svd3.EigenOf(ftr), out fNew, out affine, out u, out sigma, out v);
    }

    /// <summary>The trial deformation gradient F_tr = (I + dt C) F.</summary>
    public static M3 Trial(in Coefficients k, in M3 f, in M3 c) => (M3.Identity + k.Dt * c) * f;

    /// <summary>
    /// As <see cref="Forward(in Coefficients, in M3, in M3, out M3, out M3, out M3, out V3, out M3)"/> given the trial
    /// F_tr (<see cref="Trial"/>) and the eigen-solve of its F_trᵀF_tr (<see cref="Svd3.EigenOf"/> or, four particles at
    /// once, <see cref="Svd3.EigenOf4"/>: bit-identical).
    /// </summary>
    public static void Forward(in Coefficients k, in M3 c, in M3 ftr, in Svd3.Eigen eigen, out M3 fNew, out M3 affine, out M3 u, out V3 sigma, out M3 v)
    {
        Svd3.Finish(ftr, eigen, out u, out sigma, out v);
        bool plastic = ReturnMap(k, sigma, out var fs, out _, out _);
        fNew = plastic ? u * M3.Diag(fs.X, fs.Y, fs.Z) * v.T : ftr;
        var r = u * v.T;
        affine = k.StressScale * Stress(k, fNew, r) + k.Mass * c;
    }

    /// <summary>
    /// Adjoint: from ∂L/∂F' and ∂L/∂A, accumulates ∂L/∂F and ∂L/∂C (added to <paramref name="fBar"/>, <paramref name="cBar"/>).
    /// </summary>
    public static void Backward(in Coefficients k, in M3 f, in M3 c, in M3 fNewBar, in M3 affineBar, ref M3 fBar, ref M3 cBar)
    {
        var ftr = (M3.Identity + k.Dt * c) * f;
        Svd3.Decompose(ftr, out var u, out var sigma, out var v);
        Backward(k, f, c, ftr, u, sigma, v, fNewBar, affineBar, ref fBar, ref cBar);
    }

    /// <summary>The adjoint given the trial F_tr and its SVD (as returned by the forward).</summary>
    public static void Backward(in Coefficients k, in M3 f, in M3 c, in M3 ftr, in M3 u, in V3 sigma, in M3 v, in M3 fNewBar, in M3 affineBar, ref M3 fBar, ref M3 cBar)
    {
        bool plastic = ReturnMap(k, sigma, out var fs, out var epsHat, out double nrm);
        var fp = plastic ? u * M3.Diag(fs.X, fs.Y, fs.Z) * v.T : ftr;
        var r = u * v.T;

        // A = s·τ + m·C.
        cBar += k.Mass * affineBar;
        var tauBar = k.StressScale * affineBar;
        // τ = 2μ(F'F'ᵀ − R F'ᵀ) + λ(J² − J) I.
        double j = fp.Det;
        var fpBar = fNewBar + (2 * k.Mu) * ((tauBar + tauBar.T) * fp) - (2 * k.Mu) * (tauBar.T * r);
        double jBar = k.Lambda * (2 * j - 1) * tauBar.Trace;
        fpBar += jBar * fp.Cofactor;
        var rBar = (-2 * k.Mu) * (tauBar * fp);
        // R = polar rotation of F' (singular values fs, or σ when elastic): isotropic with f ≡ 1.
        var sp = plastic ? fs : sigma;
        double b01 = Svd3.SumRatio(1, 1, sp.X, sp.Y), b02 = Svd3.SumRatio(1, 1, sp.X, sp.Z), b12 = Svd3.SumRatio(1, 1, sp.Y, sp.Z);
        fpBar += Svd3.RotationAdjoint(u, v, rBar, b01, b02, b12);

        M3 ftrBar;
        if (!plastic) ftrBar = fpBar;
        else
        {
            double cc = k.YieldStrain / nrm;
            var jac = new M3();
            var aM = new M3();
            var bM = new M3();
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++)
                {
                    double dEps = sigma[b] > SingularFloor ? 1 / sigma[b] : 0;
                    jac[a, b] = fs[a] * (1.0 / 3 + cc * ((a == b ? 1 : 0) - 1.0 / 3 - epsHat[a] * epsHat[b] / (nrm * nrm))) * dEps;
                    if (a == b) continue;
                    aM[a, b] = DividedDifference(fs[a], fs[b], sigma[a], sigma[b], cc);
                    bM[a, b] = Svd3.SumRatio(fs[a], fs[b], sigma[a], sigma[b]);
                }
            ftrBar = Svd3.IsotropicAdjoint(u, v, fpBar, jac, aM, bM);
        }
        // F_tr = (I + dt C) F.
        fBar += (M3.Identity + k.Dt * c).T * ftrBar;
        cBar += k.Dt * (ftrBar * f.T);
    }

    /// <summary>(fᵢ − fⱼ)/(σᵢ − σⱼ) of the return map, exact and finite at σᵢ = σⱼ (fᵢ/fⱼ = (sᵢ/sⱼ)^c).</summary>
    static double DividedDifference(double fi, double fj, double si, double sj, double c)
    {
        bool ci = si <= SingularFloor, cj = sj <= SingularFloor;
        if (ci && cj) return 0;
        if (ci || cj) return si == sj ? 0 : (fi - fj) / (si - sj);
        double x = (si - sj) / sj;
        double l = Math.Abs(x) < 1e-5 ? x * Svd3.Log1pRatio(x) : Math.Log(si / sj);
        return fj * c * Svd3.Expm1Ratio(c * l) * Svd3.Log1pRatio(x) / sj;
    }
}
