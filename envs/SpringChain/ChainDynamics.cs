using ContactOpt.Rendering;
using ContactOpt.Tasks;

namespace ContactOpt.Envs.SpringChain;

/// <summary>
/// The spring chain on the kernel route: a <see cref="SegmentWorkspace"/> with hand-written forward and backward
/// kernels (<see cref="ChainKernels"/>); the backward step of a segment recomputes its substeps from the
/// segment's input state, stores them, and runs the kernels' adjoints in reverse. The model for engine authors:
/// the same contract carries the MPM and cloth engines.
/// </summary>
public sealed class ChainDynamics : Dynamics, ISideView
{
    public override Frame RenderState(ReadOnlySpan<double> state, ReadOnlySpan<double> action, string? label = null) =>
        SideView.Render(this, state, action, label);

    static readonly Box Stiffness = new([50.0, 0.0], [500.0, 2.0]);
    readonly Box _action;

    public ChainDynamics(ChainModel model, int checkpointEvery = 1)
    {
        model.Validate();
        if (checkpointEvery < 1) throw new ArgumentOutOfRangeException(nameof(checkpointEvery), checkpointEvery, "checkpoint interval must be ≥ 1.");
        Model = model;
        CheckpointEvery = checkpointEvery;
        _action = new Box(-model.MaxSpeed, model.MaxSpeed, 2);
    }

    public ChainModel Model { get; }
    public override int StateSize => Model.StateSize;
    public override int ActionSize => 2;
    public override int Horizon => Model.Segments;
    public override int CheckpointEvery { get; }
    public override IReadOnlyList<string> ParameterNames => ["stiffness", "damping"];
    public override double[] DefaultParameters() => [Model.Stiffness, Model.Damping];
    public override Box? ParameterBounds => Stiffness;
    public override Box ActionBounds => _action;
    public override Box ActionSamplingBox => _action;
    public override void InitialGuess(int t, Span<double> action) => action.Clear();
    public override void InitialState(Span<double> state, Random rng) => Model.InitialState(state);
    public override SegmentWorkspace CreateWorkspace(WorkspaceOptions? options = null) => new ChainWorkspace(this, options);
    public override int TraceEvery => 5;
    public (int Width, int Height, double XMin, double XMax, double ZMin) View => ChainDrawing.View;
    public void Draw(Canvas canvas, ReadOnlySpan<double> state, ReadOnlySpan<double> action) => ChainDrawing.Draw(Model, canvas, state);

    sealed class ChainWorkspace : SegmentWorkspace
    {
        readonly ChainModel _m;
        readonly ChainKernels _kernels;
        readonly double[][] _frames;           // substep inputs of the segment being differentiated (and one output)
        double[] _adjA, _adjB;

        public ChainWorkspace(ChainDynamics dynamics, WorkspaceOptions? options) : base(dynamics, options)
        {
            _m = dynamics.Model;
            _kernels = new ChainKernels(_m, Options.Threads);
            _frames = new double[_m.Substeps + 1][];
            for (int k = 0; k < _frames.Length; k++) _frames[k] = new double[_m.StateSize];
            _adjA = new double[_m.StateSize]; _adjB = new double[_m.StateSize];
        }

        /// <summary>Runs the substeps from state into _frames[0..S]; the last frame is the segment's output.</summary>
        void Substeps(ReadOnlySpan<double> state, ReadOnlySpan<double> action, ReadOnlySpan<double> parameters, StepTrace? trace)
        {
            state.CopyTo(_frames[0]);
            for (int k = 0; k < _m.Substeps; k++)
            {
                _kernels.SpringForward(_frames[k], parameters[0], parameters[1]);
                _kernels.Integrate(_frames[k], _frames[k + 1], action[0], action[1]);
                if (trace is not null && (k + 1) % trace.Every == 0) trace.Record(_frames[k + 1], action);
            }
        }

        protected override double SegmentForward(int t, ReadOnlySpan<double> state, ReadOnlySpan<double> action,
            ReadOnlySpan<double> parameters, Span<double> next, bool record, StepTrace? trace)
        {
            Substeps(state, action, parameters, trace);
            _frames[_m.Substeps].CopyTo(next);
            return _m.ActionWeight * (action[0] * action[0] + action[1] * action[1]);
        }

        protected override void SegmentBackward(int t, ReadOnlySpan<double> state, ReadOnlySpan<double> action,
            ReadOnlySpan<double> parameters, ReadOnlySpan<double> next, ReadOnlySpan<double> nextAdjoint, double costAdjoint,
            Span<double> stateAdjoint, Span<double> actionAdjoint, Span<double> parameterAdjoint)
        {
            Substeps(state, action, parameters, null);             // recompute: nothing was kept by the forward pass
            nextAdjoint.CopyTo(_adjA);
            double ga0 = 0, ga1 = 0, gk = 0, gc = 0;
            for (int k = _m.Substeps - 1; k >= 0; k--)
            {
                _kernels.SpringForward(_frames[k], parameters[0], parameters[1]);
                var (ax, az, dk, dc) = _kernels.SubstepBackward(_frames[k], _adjA, _adjB);
                ga0 += ax; ga1 += az; gk += dk; gc += dc;
                (_adjA, _adjB) = (_adjB, _adjA);
            }
            _adjA.CopyTo(stateAdjoint);
            actionAdjoint[0] = ga0 + costAdjoint * 2 * _m.ActionWeight * action[0];
            actionAdjoint[1] = ga1 + costAdjoint * 2 * _m.ActionWeight * action[1];
            parameterAdjoint[0] = gk; parameterAdjoint[1] = gc;
        }

        protected override double TerminalForward(ReadOnlySpan<double> state, ReadOnlySpan<double> parameters)
        {
            int e = _m.Masses - 1;
            double dx = state[e] - _m.Target.X, dz = state[_m.Masses + e] - _m.Target.Z;
            return dx * dx + dz * dz;
        }

        protected override void TerminalBackward(ReadOnlySpan<double> state, ReadOnlySpan<double> parameters, double costAdjoint,
            Span<double> stateAdjoint, Span<double> parameterAdjoint)
        {
            int e = _m.Masses - 1;
            stateAdjoint.Clear(); parameterAdjoint.Clear();
            stateAdjoint[e] = costAdjoint * 2 * (state[e] - _m.Target.X);
            stateAdjoint[_m.Masses + e] = costAdjoint * 2 * (state[_m.Masses + e] - _m.Target.Z);
        }
    }
}

/// <summary>Side view of the chain: ground, masses, springs and the target.</summary>
static class ChainDrawing
{
    public static (int, int, double, double, double) View => (320, 240, -0.2, 1.3, -0.1);

    public static void Draw(ChainModel m, Canvas canvas, ReadOnlySpan<double> s)
    {
        int n = m.Masses;
        canvas.Ground();
        canvas.Cross(m.Target.X, m.Target.Z, new Rgb(220, 60, 60), 8);
        for (int i = 0; i + 1 < n; i++) canvas.Line(s[i], s[n + i], s[i + 1], s[n + i + 1], new Rgb(90, 90, 90), 2);
        for (int i = 0; i < n; i++) canvas.Disc(s[i], s[n + i], 0.015, i == 0 ? new Rgb(60, 120, 200) : new Rgb(40, 40, 40));
    }
}
