namespace ContactOpt.Optimizers;

/// <summary>
/// Box-constrained limited-memory BFGS by projection (a light relative of L-BFGS-B, written for the GP's MAP fit and
/// the acquisition optimisation): variables at a bound whose gradient points outwards are held fixed, the two-loop
/// recursion of the last <c>memory</c> pairs gives the direction on the free variables, and a backtracking Armijo
/// search runs along the projected path. Every iteration costs O(memory·d) besides the objective, where MathNet's
/// <c>BfgsBMinimizer</c> keeps a dense d×d matrix (O(d²) and more per iteration, which dominated at 400-D).
/// Deterministic: no randomness, no threads.
/// </summary>
internal static class BoundedLbfgs
{
    /// <summary>Objective: value at x, gradient written into the second argument. Must not keep either array.</summary>
    public delegate double Objective(double[] x, double[] gradient);

    /// <summary>Minimises f over [lower, upper] from x0 (clipped); returns the best point seen and its value.</summary>
    public static (double[] X, double Value, int Evaluations) Minimize(Objective f, double[] x0, double[] lower, double[] upper,
        int maxIterations, int memory = 8, double gradientTolerance = 1e-6, double relativeTolerance = 1e-9)
    {
        var run = new Run(x0, lower, upper, maxIterations, memory, gradientTolerance, relativeTolerance);
        while (run.Pending) run.Provide(f(run.RequestPoint, run.RequestGradient));
        return (run.X, run.Value, run.Evaluations);
    }

    /// <summary>Objective of many points at once: values[r] at points[r], gradient into gradients[r].</summary>
    public delegate void BatchObjective(IReadOnlyList<double[]> points, IReadOnlyList<double[]> gradients, Span<double> values);

    /// <summary>
    /// Runs one minimisation per start in lockstep: every round, each unfinished run asks for one evaluation and all
    /// of them are evaluated by one call of <paramref name="f"/>, so an objective whose cost is dominated by reading a
    /// large shared operand (the GP's Cholesky factor and inputs) reads it once per round instead of once per run.
    /// Each run takes exactly the steps it would take alone (<see cref="Minimize"/>) when the batch objective returns
    /// the same values as the single one. <paramref name="observe"/> sees every evaluation (run index, point, value).
    /// </summary>
    public static (double[] X, double Value, int Evaluations)[] MinimizeMany(BatchObjective f, IReadOnlyList<double[]> starts,
        double[] lower, double[] upper, int maxIterations, int memory = 8, double gradientTolerance = 1e-6,
        double relativeTolerance = 1e-9, Action<int, double[], double>? observe = null)
    {
        var runs = starts.Select(x0 => new Run(x0, lower, upper, maxIterations, memory, gradientTolerance, relativeTolerance)).ToArray();
        var live = new List<int>(runs.Length);
        var points = new List<double[]>(runs.Length); var grads = new List<double[]>(runs.Length);
        var values = new double[runs.Length];
        while (true)
        {
            live.Clear(); points.Clear(); grads.Clear();
            for (int r = 0; r < runs.Length; r++)
                if (runs[r].Pending) { live.Add(r); points.Add(runs[r].RequestPoint); grads.Add(runs[r].RequestGradient); }
            if (live.Count == 0) break;
            f(points, grads, values.AsSpan(0, live.Count));
            for (int k = 0; k < live.Count; k++)
            {
                observe?.Invoke(live[k], points[k], values[k]);
                runs[live[k]].Provide(values[k]);
            }
        }
        return runs.Select(r => (r.X, r.Value, r.Evaluations)).ToArray();
    }

    /// <summary>
    /// One minimisation as a resumable state machine: while <see cref="Pending"/>, the caller evaluates the objective at
    /// <see cref="RequestPoint"/>, writes the gradient into <see cref="RequestGradient"/> and passes the value to
    /// <see cref="Provide"/>. Neither array may be kept by the caller.
    /// </summary>
    public sealed class Run
    {
        readonly IEnumerator<(double[] X, double[] G)> _steps;
        double _provided;

        public Run(double[] x0, double[] lower, double[] upper, int maxIterations, int memory = 8,
            double gradientTolerance = 1e-6, double relativeTolerance = 1e-9)
        {
            _steps = Steps(x0, lower, upper, maxIterations, memory, gradientTolerance, relativeTolerance).GetEnumerator();
            Pending = _steps.MoveNext();
        }

        public bool Pending { get; private set; }
        public double[] RequestPoint => _steps.Current.X;
        public double[] RequestGradient => _steps.Current.G;
        /// <summary>The final iterate and its value (valid once <see cref="Pending"/> is false).</summary>
        public double[] X { get; private set; } = [];
        public double Value { get; private set; } = double.NaN;
        public int Evaluations { get; private set; }

        public void Provide(double value)
        {
            if (!Pending) throw new InvalidOperationException("the minimisation has finished.");
            _provided = value;
            Evaluations++;
            Pending = _steps.MoveNext();
        }

        IEnumerable<(double[] X, double[] G)> Steps(double[] x0, double[] lower, double[] upper, int maxIterations, int memory,
            double gradientTolerance, double relativeTolerance)
        {
            int d = x0.Length;
            var x = new double[d];
            for (int j = 0; j < d; j++) x[j] = Math.Clamp(x0[j], lower[j], upper[j]);
            var g = new double[d];
            yield return (x, g);
            double fx = _provided;
            X = x; Value = fx;
            if (!double.IsFinite(fx)) yield break;
            var s = new double[memory][]; var y = new double[memory][]; var rho = new double[memory]; var a = new double[memory];
            for (int k = 0; k < memory; k++) { s[k] = new double[d]; y[k] = new double[d]; }
            int stored = 0, head = 0; // ring buffer: newest pair at (head − 1)
            var dir = new double[d]; var xn = new double[d]; var gn = new double[d];
            var free = new bool[d];
            var sNew = new double[d]; var yNew = new double[d];
            for (int it = 0; it < maxIterations; it++)
            {
                // Projected-gradient test and the free set.
                double pg = 0;
                for (int j = 0; j < d; j++)
                {
                    bool atLo = x[j] <= lower[j] && g[j] > 0, atHi = x[j] >= upper[j] && g[j] < 0;
                    free[j] = !(atLo || atHi);
                    if (free[j]) pg = Math.Max(pg, Math.Abs(g[j]));
                }
                if (pg <= gradientTolerance) break;
                // Two-loop recursion on the free variables.
                for (int j = 0; j < d; j++) dir[j] = free[j] ? -g[j] : 0;
                for (int k = 0; k < stored; k++)
                {
                    int i = (head - 1 - k + memory) % memory;
                    a[i] = rho[i] * DotFree(s[i], dir, free);
                    for (int j = 0; j < d; j++) if (free[j]) dir[j] -= a[i] * y[i][j];
                }
                if (stored > 0)
                {
                    int newest = (head - 1 + memory) % memory;
                    double yy = DotFree(y[newest], y[newest], free), sy = DotFree(s[newest], y[newest], free);
                    double gamma = yy > 0 && sy > 0 ? sy / yy : 1;
                    for (int j = 0; j < d; j++) dir[j] *= gamma;
                }
                for (int k = stored - 1; k >= 0; k--)
                {
                    int i = (head - 1 - k + memory) % memory;
                    double b = rho[i] * DotFree(y[i], dir, free);
                    for (int j = 0; j < d; j++) if (free[j]) dir[j] += (a[i] - b) * s[i][j];
                }
                double slope = 0;
                for (int j = 0; j < d; j++) slope += dir[j] * g[j];
                if (!(slope < 0))
                {
                    // Curvature pairs have gone stale on this free set: steepest descent, memory dropped.
                    stored = 0; slope = 0;
                    for (int j = 0; j < d; j++) { dir[j] = free[j] ? -g[j] : 0; slope -= dir[j] * dir[j]; }
                }
                // First step: unit length along the steepest direction; later: the quasi-Newton step t = 1.
                double t = stored == 0 ? 1.0 / Math.Max(1e-300, Math.Sqrt(-slope)) : 1.0;
                if (stored == 0) t = Math.Min(t, 1.0);
                double fn = double.NaN;
                bool accepted = false;
                for (int ls = 0; ls < 30; ls++)
                {
                    double decrease = 0;
                    for (int j = 0; j < d; j++)
                    {
                        xn[j] = Math.Clamp(x[j] + t * dir[j], lower[j], upper[j]);
                        decrease += g[j] * (xn[j] - x[j]);
                    }
                    yield return (xn, gn);
                    fn = _provided;
                    if (double.IsFinite(fn) && fn <= fx + 1e-4 * decrease) { accepted = true; break; }
                    t *= ls == 0 && double.IsFinite(fn) ? Math.Clamp(-0.5 * decrease / Math.Max(1e-300, fn - fx - decrease), 0.1, 0.5) : 0.5;
                }
                if (!accepted) break;
                // Curvature pair.
                double sty = 0, sts = 0, yty = 0;
                for (int j = 0; j < d; j++)
                {
                    sNew[j] = xn[j] - x[j]; yNew[j] = gn[j] - g[j];
                    sty += sNew[j] * yNew[j]; sts += sNew[j] * sNew[j]; yty += yNew[j] * yNew[j];
                }
                if (sty > 1e-10 * Math.Sqrt(sts * yty))
                {
                    (s[head], sNew) = (sNew, s[head]); (y[head], yNew) = (yNew, y[head]);
                    rho[head] = 1 / sty;
                    head = (head + 1) % memory;
                    stored = Math.Min(stored + 1, memory);
                }
                double change = fx - fn;
                (x, xn) = (xn, x); (g, gn) = (gn, g);
                fx = fn;
                X = x; Value = fx;
                if (change <= relativeTolerance * Math.Max(1, Math.Abs(fx))) break;
            }
        }
    }

    static double DotFree(double[] a, double[] b, bool[] free)
    {
        double r = 0;
        for (int j = 0; j < a.Length; j++) if (free[j]) r += a[j] * b[j];
        return r;
    }
}
