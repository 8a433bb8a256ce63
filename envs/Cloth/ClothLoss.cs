namespace ContactOpt.Envs.Cloth;

/// <summary>Mean Euclidean distance of chosen vertices (or of the centre of mass) to goal points, with its adjoint.</summary>
public static class ClothLoss
{
    /// <summary>Smoothing of |d| at 0 (m²): √(|d|² + ε) keeps the gradient finite at an exact hit.</summary>
    const double Eps = 1e-12;

    /// <summary>(1/|V|) Σ_k |x_{V_k} − g_k| over vertex list V (goals 3 per vertex).</summary>
    public static double MeanDistance(ReadOnlySpan<double> state, int n, ReadOnlySpan<int> vertices, ReadOnlySpan<double> goals)
    {
        double sum = 0;
        for (int k = 0; k < vertices.Length; k++)
        {
            int i = vertices[k];
            double dx = state[i] - goals[3 * k], dy = state[n + i] - goals[3 * k + 1], dz = state[2 * n + i] - goals[3 * k + 2];
            sum += Math.Sqrt(dx * dx + dy * dy + dz * dz + Eps);
        }
        return sum / vertices.Length;
    }

    /// <summary>Adds scale·∂MeanDistance/∂state to <paramref name="adjoint"/>.</summary>
    public static void MeanDistanceBackward(ReadOnlySpan<double> state, int n, ReadOnlySpan<int> vertices, ReadOnlySpan<double> goals,
        double scale, Span<double> adjoint)
    {
        for (int k = 0; k < vertices.Length; k++)
        {
            int i = vertices[k];
            double dx = state[i] - goals[3 * k], dy = state[n + i] - goals[3 * k + 1], dz = state[2 * n + i] - goals[3 * k + 2];
            double w = scale / vertices.Length / Math.Sqrt(dx * dx + dy * dy + dz * dz + Eps);
            adjoint[i] += w * dx; adjoint[n + i] += w * dy; adjoint[2 * n + i] += w * dz;
        }
    }

    /// <summary>|centre of mass − g|.</summary>
    public static double CentreDistance(ReadOnlySpan<double> state, int n, ReadOnlySpan<double> goal)
    {
        double d2 = Eps;
        for (int c = 0; c < 3; c++)
        {
            double s = 0;
            for (int i = 0; i < n; i++) s += state[c * n + i];
            double dc = s / n - goal[c];
            d2 += dc * dc;
        }
        return Math.Sqrt(d2);
    }

    public static void CentreDistanceBackward(ReadOnlySpan<double> state, int n, ReadOnlySpan<double> goal, double scale, Span<double> adjoint)
    {
        Span<double> dc = stackalloc double[3];
        double d2 = Eps;
        for (int c = 0; c < 3; c++)
        {
            double s = 0;
            for (int i = 0; i < n; i++) s += state[c * n + i];
            dc[c] = s / n - goal[c];
            d2 += dc[c] * dc[c];
        }
        double d = Math.Sqrt(d2);
        for (int c = 0; c < 3; c++)
        {
            double w = scale * dc[c] / d / n;
            for (int i = 0; i < n; i++) adjoint[c * n + i] += w;
        }
    }
}
