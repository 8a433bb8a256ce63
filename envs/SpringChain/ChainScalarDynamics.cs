using ContactOpt.Autodiff;
using ContactOpt.Rendering;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.SpringChain;

/// <summary>
/// The same spring chain on the scalar route (<see cref="ScalarDynamics.Step{T}"/> over a scalar type): the
/// reference the kernel route is checked against. Same equations, same order of substeps.
/// </summary>
public sealed class ChainScalarDynamics : ScalarDynamics, ISideView
{
    public override Frame RenderState(ReadOnlySpan<double> state, ReadOnlySpan<double> action, string? label = null) =>
        SideView.Render(this, state, action, label);

    static readonly Box Stiffness = new([50.0, 0.0], [500.0, 2.0]);
    readonly Box _action;

    public ChainScalarDynamics(ChainModel model)
    {
        model.Validate();
        Model = model;
        _action = new Box(-model.MaxSpeed, model.MaxSpeed, 2);
    }

    public ChainModel Model { get; }
    public override int StateSize => Model.StateSize;
    public override int ActionSize => 2;
    public override int Horizon => Model.Segments;
    public override IReadOnlyList<string> ParameterNames => ["stiffness", "damping"];
    public override double[] DefaultParameters() => [Model.Stiffness, Model.Damping];
    public override Box? ParameterBounds => Stiffness;
    public override Box ActionBounds => _action;
    public override Box ActionSamplingBox => _action;
    public override void InitialGuess(int t, Span<double> action) => action.Clear();
    public override void InitialState(Span<double> state, Random rng) => Model.InitialState(state);
    public override int TraceEvery => 5;
    public (int Width, int Height, double XMin, double XMax, double ZMin) View => ChainDrawing.View;
    public void Draw(Canvas canvas, ReadOnlySpan<double> state, ReadOnlySpan<double> action) => ChainDrawing.Draw(Model, canvas, state);

    public override void Step<T>(Span<T> state, ReadOnlySpan<T> action, ReadOnlySpan<T> parameters, int t, StepTrace? trace)
    {
        var m = Model;
        int n = m.Masses;
        var fx = new T[n];   // per segment: the scalar route is the reference, not the fast path
        var fz = new T[n];
        for (int k = 0; k < m.Substeps; k++)
        {
            Forces(state, parameters[0], parameters[1], fx, fz);
            for (int i = 0; i < n; i++)
            {
                T vx, vz;
                if (i == 0) { vx = action[0]; vz = action[1]; }
                else
                {
                    vx = state[2 * n + i] + m.Dt * fx[i] * (1.0 / m.Mass);
                    vz = state[3 * n + i] + m.Dt * fz[i] * (1.0 / m.Mass);
                }
                state[2 * n + i] = vx; state[3 * n + i] = vz;
                state[i] = state[i] + m.Dt * vx;
                state[n + i] = state[n + i] + m.Dt * vz;
            }
            if (trace is not null && (k + 1) % trace.Every == 0) trace.Record<T>(state, action);
        }
    }

    void Forces<T>(ReadOnlySpan<T> s, T k, T c, Span<T> fx, Span<T> fz) where T : struct, IScalar<T>
    {
        var m = Model;
        int n = m.Masses;
        for (int i = 0; i < n; i++) { fx[i] = T.Constant(0); fz[i] = T.Constant(-m.Mass * m.Gravity); }
        for (int j = 0; j + 1 < n; j++)
        {
            T dx = s[j + 1] - s[j], dz = s[n + j + 1] - s[n + j];
            T L = T.Sqrt(dx * dx + dz * dz);
            T ux = dx / L, uz = dz / L;
            T w = (s[2 * n + j + 1] - s[2 * n + j]) * ux + (s[3 * n + j + 1] - s[3 * n + j]) * uz;
            T f = k * (L - m.RestLength) + c * w;
            fx[j] += f * ux; fz[j] += f * uz;
            fx[j + 1] -= f * ux; fz[j + 1] -= f * uz;
        }
        for (int i = 1; i < n; i++)
            if (s[n + i].Value < 0) fz[i] += -m.GroundStiffness * s[n + i] - m.GroundDamping * s[3 * n + i];
    }

    public override T StepCost<T>(ReadOnlySpan<T> state, ReadOnlySpan<T> action, int t) =>
        Model.ActionWeight * (action[0] * action[0] + action[1] * action[1]);

    public override T TerminalCost<T>(ReadOnlySpan<T> state)
    {
        int e = Model.Masses - 1;
        T dx = state[e] - Model.Target.X, dz = state[Model.Masses + e] - Model.Target.Z;
        return dx * dx + dz * dz;
    }
}
