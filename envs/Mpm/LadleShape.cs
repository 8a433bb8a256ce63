namespace ContactOpt.Envs.Mpm;

/// <summary>
/// The ladle's bowl as an exact SDF in its local frame: a hemispherical shell open towards +y, centre of the
/// sphere at the origin (the rim plane is y = 0), mid-surface radius R and half-thickness t, with a rounded rim.
/// Below the rim plane d = |‖q‖ − R| − t; above it d is the distance to the rim circle (radius R in the plane y = 0)
/// minus t, i.e. a torus. Both pieces agree, with their gradients, on y = 0. Returns d, the gradient g and the
/// Hessian h (used by the contact adjoint through the normal). Lengths use √(·+1e-14) as the other primitives.
/// </summary>
public static class LadleShape
{
    const double Eps = 1e-14;

    public static void Bowl(V3 q, double radius, double halfThickness, out double d, out V3 g, out M3 h)
    {
        if (q.Y < 0)
        {
            double l = Math.Sqrt(q.Norm2 + Eps);
            double s = l >= radius ? 1 : -1;
            d = s * (l - radius) - halfThickness;
            var n = (1 / l) * q;
            g = s * n;
            h = (s / l) * (M3.Identity - M3.Outer(n, n));
            return;
        }
        double rho = Math.Sqrt(q.X * q.X + q.Z * q.Z + Eps);
        double a = rho - radius, b = q.Y;
        double l2 = Math.Sqrt(a * a + b * b + Eps);
        d = l2 - halfThickness;
        double ex = q.X / rho, ez = q.Z / rho;
        double ga = a / l2, gb = b / l2;
        g = new V3(ga * ex, gb, ga * ez);
        // Hessian of l2(a(ρ(x, z)), y): ∂²/∂a², ∂²/∂a∂b, ∂²/∂b² of l2 and ∂²ρ.
        double l3 = l2 * l2 * l2, r3 = rho * rho * rho;
        double haa = 1 / l2 - a * a / l3, hab = -a * b / l3, hbb = 1 / l2 - b * b / l3;
        h = new M3
        {
            A00 = haa * ex * ex + ga * (1 / rho - q.X * q.X / r3),
            A02 = haa * ex * ez - ga * q.X * q.Z / r3,
            A01 = hab * ex,
            A11 = hbb,
            A12 = hab * ez,
            A22 = haa * ez * ez + ga * (1 / rho - q.Z * q.Z / r3),
        };
        h.A10 = h.A01; h.A20 = h.A02; h.A21 = h.A12;
    }
}
