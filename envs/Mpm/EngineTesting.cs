using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("ContactOpt.Mpm.Tests")]

namespace ContactOpt.Envs.Mpm;

/// <summary>Single-kernel entry points for the adjoint checks of the tests (P2G, grid update, G2P in isolation).</summary>
public sealed partial class Engine
{
    int Nodes => _nodes;

    void FullBox() { _xLo = _yLo = _zLo = 0; _xHi = _yHi = _zHi = _n - 1; }

    double[] FrameWith(ReadOnlySpan<double> x, ReadOnlySpan<double> v)
    {
        var f = new double[_s.FrameSize];
        _s.InitialFrame(f);
        x.CopyTo(f);
        if (!v.IsEmpty) v.CopyTo(f.AsSpan(_s.VOffset, 3 * _np));
        return f;
    }

    /// <summary>P2G: input [x (3N), v (3N), A (9N)] → [momentum (3·nodes), mass (nodes)].</summary>
    internal void P2GForward(ReadOnlySpan<double> input, Span<double> output)
    {
        int np = _np;
        _in = FrameWith(input[..(3 * np)], input.Slice(3 * np, 3 * np));
        Prepare();
        input.Slice(6 * np, 9 * np).CopyTo(_affine);
        Array.Clear(_gpm);
        ColouredSlabs(_p2gSlab);
        for (int i = 0; i < _nodes; i++)
        {
            for (int c = 0; c < 3; c++) output[3 * i + c] = _gpm[4 * i + c];
            output[3 * _nodes + i] = _gpm[4 * i + 3];
        }
    }

    internal void P2GBackward(ReadOnlySpan<double> input, ReadOnlySpan<double> outputBar, Span<double> inputBar)
    {
        int np = _np;
        _in = FrameWith(input[..(3 * np)], input.Slice(3 * np, 3 * np));
        Prepare();
        input.Slice(6 * np, 9 * np).CopyTo(_affine);
        for (int i = 0; i < _nodes; i++)
        {
            for (int c = 0; c < 3; c++) _gpmBar[4 * i + c] = outputBar[3 * i + c];
            _gpmBar[4 * i + 3] = outputBar[3 * _nodes + i];
        }
        _inBar = new double[_s.FrameSize];
        _loop.For(_np, ParticleGrain, _p2gBarBody);
        _inBar.AsSpan(0, 6 * np).CopyTo(inputBar);
        _affineBar.AsSpan(0, 9 * np).CopyTo(inputBar[(6 * np)..]);
    }

    /// <summary>G2P: input [x (3N), grid velocity (3·nodes)] → [x' (3N), v' (3N), C' (9N)].</summary>
    internal void G2PForward(ReadOnlySpan<double> input, Span<double> output)
    {
        int np = _np;
        _in = FrameWith(input[..(3 * np)], default);
        Prepare();
        input[(3 * np)..].CopyTo(_gv);
        _out = new double[_s.FrameSize];
        _loop.For(_np, ParticleGrain, _g2pBody);
        _out.AsSpan(0, 6 * np).CopyTo(output);
        _out.AsSpan(_s.COffset, 9 * np).CopyTo(output[(6 * np)..]);
    }

    internal void G2PBackward(ReadOnlySpan<double> input, ReadOnlySpan<double> outputBar, Span<double> inputBar)
    {
        int np = _np;
        _in = FrameWith(input[..(3 * np)], default);
        Prepare();
        input[(3 * np)..].CopyTo(_gv);
        _out = new double[_s.FrameSize];
        _loop.For(_np, ParticleGrain, _g2pBody);
        _outBar = new double[_s.FrameSize];
        outputBar[..(6 * np)].CopyTo(_outBar);
        outputBar[(6 * np)..].CopyTo(_outBar.AsSpan(_s.COffset, 9 * np));
        _inBar = new double[_s.FrameSize];
        Array.Clear(_gvBar);
        ColouredSlabs(_g2pBarSlab);
        _inBar.AsSpan(0, 3 * np).CopyTo(inputBar);
        for (int i = 0; i < _nodes; i++)
            for (int c = 0; c < 3; c++) inputBar[3 * np + 3 * i + c] = _gvBar[4 * i + c];
    }

    /// <summary>Grid update: input [momentum (3·nodes), mass (nodes), poses at f (positions 3P, quaternions 4P), at f+1 (the same)] → grid velocity (3·nodes).</summary>
    internal void GridForward(ReadOnlySpan<double> input, Span<double> output)
    {
        BindGrid(input);
        _loop.For(_n, NodeGrain, _gridBody);
        _gv.CopyTo(output);
    }

    internal void GridBackward(ReadOnlySpan<double> input, ReadOnlySpan<double> outputBar, Span<double> inputBar)
    {
        BindGrid(input);
        _loop.For(_n, NodeGrain, _gridKeepBody);   // the chains the adjoint reads
        Array.Clear(_gvBar);
        for (int i = 0; i < _nodes; i++)
            for (int c = 0; c < 3; c++) _gvBar[4 * i + c] = outputBar[3 * i + c];
        Array.Clear(_gpmBar);
        int pp = _s.PoseSize;
        Array.Clear(_posePartials);
        _loop.For(_n, NodeGrain, _gridBarBody);
        inputBar.Clear();
        for (int i = 0; i < _nodes; i++)
        {
            for (int c = 0; c < 3; c++) inputBar[3 * i + c] = _gpmBar[4 * i + c];
            inputBar[3 * _nodes + i] = _gpmBar[4 * i + 3];
        }
        for (int l = 0; l < _n; l++)
            for (int i = 0; i < pp; i++)
            {
                inputBar[4 * _nodes + i] += _posePartials[(2 * l) * pp + i];
                inputBar[4 * _nodes + pp + i] += _posePartials[(2 * l + 1) * pp + i];
            }
    }

    void BindGrid(ReadOnlySpan<double> input)
    {
        int pp = _s.PoseSize;
        for (int i = 0; i < _nodes; i++)
        {
            for (int c = 0; c < 3; c++) _gpm[4 * i + c] = input[3 * i + c];
            _gpm[4 * i + 3] = input[3 * _nodes + i];
        }
        _in = new double[_s.FrameSize]; _out = new double[_s.FrameSize];
        input.Slice(4 * _nodes, pp).CopyTo(_in.AsSpan(_s.PoseOffset));
        input.Slice(4 * _nodes + pp, pp).CopyTo(_out.AsSpan(_s.PoseOffset));
        FullBox();
    }

    /// <summary>Kinematics: input [pose at f (<see cref="Scene.PoseSize"/>), velocity (<see cref="Scene.VelocitySize"/>)] → pose at f+1.</summary>
    internal void KinematicsForward(ReadOnlySpan<double> input, Span<double> output)
    {
        int pp = _s.PoseSize;
        var a = new double[_s.FrameSize]; var b = new double[_s.FrameSize];
        input[..pp].CopyTo(a.AsSpan(_s.PoseOffset));
        Kinematics(a, b, input[pp..].ToArray());
        b.AsSpan(_s.PoseOffset, pp).CopyTo(output);
    }

    internal void KinematicsBackwardForTest(ReadOnlySpan<double> input, ReadOnlySpan<double> outputBar, Span<double> inputBar)
    {
        int pp = _s.PoseSize;
        var a = new double[_s.FrameSize]; var aBar = new double[_s.FrameSize];
        input[..pp].CopyTo(a.AsSpan(_s.PoseOffset));
        var vel = input[pp..].ToArray(); var velBar = new double[vel.Length];
        KinematicsBackward(a, vel, outputBar, aBar, velBar);
        aBar.AsSpan(_s.PoseOffset, pp).CopyTo(inputBar);
        velBar.CopyTo(inputBar[pp..]);
    }

    internal int NodeCount => Nodes;

    /// <summary>Full grid mass of a frame (every node, for targets and tests).</summary>
    public double[] FullGridMass(double[] frame)
    {
        _in = frame;
        Prepare();
        Array.Clear(_gm);
        ColouredSlabs(_splatSlab);
        return (double[])_gm.Clone();
    }
}
