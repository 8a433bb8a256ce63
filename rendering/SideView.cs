namespace ContactOpt.Rendering;

/// <summary>A task that draws its state as a side view on a <see cref="Canvas"/>.</summary>
public interface ISideView
{
    /// <summary>Pixel size and world window (xMin, xMax, zMin) of the task's frames.</summary>
    (int Width, int Height, double XMin, double XMax, double ZMin) View { get; }
    /// <summary>Draws a state; <paramref name="action"/> may be empty before the first step.</summary>
    void Draw(Canvas canvas, ReadOnlySpan<double> state, ReadOnlySpan<double> action);
}

/// <summary>Renders an <see cref="ISideView"/> task's state into a frame (what their <c>RenderState</c> returns).</summary>
public static class SideView
{
    public static Frame Render(ISideView task, ReadOnlySpan<double> state, ReadOnlySpan<double> action, string? label = null)
    {
        var v = task.View;
        using var canvas = new Canvas(v.Width, v.Height, v.XMin, v.XMax, v.ZMin);
        task.Draw(canvas, state, action);
        if (label is not null) canvas.Label(label);
        return canvas.ToFrame();
    }
}
