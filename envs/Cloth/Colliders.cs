namespace ContactOpt.Envs.Cloth;

/// <summary>What a kinematic collider says about a point: inside or not, the gap φ (&lt; 0 inside), the contact
/// normal n̂ and the collider's velocity at the point.</summary>
public struct ContactGeometry
{
    public bool Active;
    public double Phi;
    public Vec3 Normal, Velocity;
}

/// <summary>The floor z = 0 (φ = z, n̂ = e_z, at rest).</summary>
public static class FloorCollider
{
    /// <summary>In contact range when z &lt; margin (margin 0: penetrating).</summary>
    public static ContactGeometry Eval(Vec3 x, double margin = 0) =>
        new() { Active = x.Z < margin, Phi = x.Z, Normal = new Vec3(0, 0, 1), Velocity = Vec3.Zero };

    /// <summary>Adjoint: x̄ += ∂φ/∂x·φ̄ (n̂ and the velocity are constant).</summary>
    public static Vec3 Backward(double phiBar) => new(0, 0, phiBar);
}

/// <summary>
/// A round pan of radius R with a smooth rim: in pan coordinates q = Rᵀ(θ)(x − c) its surface is
/// h(ρ) = H·ρ⁴/R⁴ (ρ² = q_x² + q_y²; flat bottom rising smoothly to height H at the edge), φ = q_z − h, and the
/// normal is the normalised gradient of φ. The pan moves in x and z and tilts by θ about the y axis; its pose and
/// rates (c_x, c_z, θ, ċ_x, ċ_z, θ̇) come as 6 values. The surface continues outside R; a point is in contact range when ρ &lt; 1.5 R and −depth &lt; φ &lt; margin.
/// </summary>
public sealed record PanCollider(double Radius, double RimHeight, double Depth)
{
    public const int PoseSize = 6;

    public ContactGeometry Eval(Vec3 x, ReadOnlySpan<double> pose, double margin = 0)
    {
        double c = Math.Cos(pose[2]), s = Math.Sin(pose[2]);
        var r = new Vec3(x.X - pose[0], x.Y, x.Z - pose[1]);
        double qx = c * r.X - s * r.Z, qy = r.Y, qz = s * r.X + c * r.Z;
        double rho2 = qx * qx + qy * qy, R2 = Radius * Radius;
        var g = new ContactGeometry();
        // The rim's surface continues (steeply) outside R, so a vertex sliding over the edge meets a wall rather than
        // losing contact abruptly; points beyond 1.5 R (5× the rim height) are ignored.
        if (rho2 >= 2.25 * R2) return g;
        double a = 4 * RimHeight / (R2 * R2);
        double h = RimHeight * rho2 * rho2 / (R2 * R2);
        g.Phi = qz - h;
        if (!(g.Phi < margin && g.Phi > -Depth)) return g;
        g.Active = true;
        double mx = -a * rho2 * qx, my = -a * rho2 * qy, mn = Math.Sqrt(mx * mx + my * my + 1);
        double nx = mx / mn, ny = my / mn, nz = 1 / mn;
        g.Normal = new Vec3(c * nx + s * nz, ny, -s * nx + c * nz);
        double w = pose[5];
        g.Velocity = new Vec3(pose[3] + w * r.Z, 0, pose[4] - w * r.X);
        return g;
    }

    /// <summary>
    /// Adjoint of an active contact's φ, n̂ and velocity: accumulates x̄ (returned) and pose̅ (6 values).
    /// </summary>
    public Vec3 Backward(Vec3 x, ReadOnlySpan<double> pose, double phiBar, Vec3 nBar, Vec3 velBar, Span<double> poseBar)
    {
        double th = pose[2], c = Math.Cos(th), s = Math.Sin(th);
        var r = new Vec3(x.X - pose[0], x.Y, x.Z - pose[1]);
        double qx = c * r.X - s * r.Z, qy = r.Y;
        double rho2 = qx * qx + qy * qy, R2 = Radius * Radius;
        double a = 4 * RimHeight / (R2 * R2);
        double mx = -a * rho2 * qx, my = -a * rho2 * qy, mn = Math.Sqrt(mx * mx + my * my + 1);
        double nx = mx / mn, ny = my / mn, nz = 1 / mn;
        // n = R n_l: n̄_l = Rᵀ n̄, θ̄ += n̄ · R' n_l with R' = [[−s,0,c],[0,0,0],[−c,0,−s]].
        double nlx = c * nBar.X - s * nBar.Z, nly = nBar.Y, nlz = s * nBar.X + c * nBar.Z;
        double thBar = nBar.X * (-s * nx + c * nz) + nBar.Z * (-c * nx - s * nz);
        // n_l = m/|m|.
        double dotn = nlx * nx + nly * ny + nlz * nz;
        double mbx = (nlx - dotn * nx) / mn, mby = (nly - dotn * ny) / mn;
        // m = (−a ρ² q_x, −a ρ² q_y, 1); φ = q_z − (a/4) ρ⁴.
        double hxBar = -mbx, hyBar = -mby;
        double qxBar = a * ((rho2 + 2 * qx * qx) * hxBar + 2 * qx * qy * hyBar) - phiBar * a * rho2 * qx;
        double qyBar = a * ((rho2 + 2 * qy * qy) * hyBar + 2 * qx * qy * hxBar) - phiBar * a * rho2 * qy;
        double qzBar = phiBar;
        // q = Rᵀ r: r̄ = R q̄, θ̄ += q̄ · R'ᵀ r with R'ᵀ = [[−s,0,−c],[0,0,0],[c,0,−s]].
        double rbx = c * qxBar + s * qzBar, rby = qyBar, rbz = -s * qxBar + c * qzBar;
        thBar += qxBar * (-s * r.X - c * r.Z) + qzBar * (c * r.X - s * r.Z);
        // velocity = (V_x + w r_z, 0, V_z − w r_x).
        double w = pose[5];
        poseBar[3] += velBar.X; poseBar[4] += velBar.Z;
        poseBar[5] += r.Z * velBar.X - r.X * velBar.Z;
        rbz += w * velBar.X; rbx -= w * velBar.Z;
        poseBar[0] -= rbx; poseBar[1] -= rbz; poseBar[2] += thBar;
        return new Vec3(rbx, rby, rbz);
    }
}
