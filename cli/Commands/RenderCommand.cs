using ContactOpt.Rendering;
namespace ContactOpt.Cli.Commands;

/// <summary><c>contactopt render &lt;task&gt; [--params ...] [--frames N] --out FILE.png</c></summary>
public static class RenderCommand
{
    public static int Run(Args args)
    {
        var paramText = args.Option("params");
        int frames = args.Int("frames", 8, 1, 64);
        var outPath = args.Option("out") ?? throw new UsageException("missing --out FILE.png.");
        var task = Catalog.Task(args.Positional(0, "task name (see 'contactopt tasks')"));
        args.EnsureAllUsed(1);
        if (!outPath.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new UsageException($"--out '{outPath}' must end in .png.");
        var x = Catalog.Params(task, paramText);
        var strip = task.RenderEpisode(x, frames);
        strip.SavePng(outPath);
        Console.WriteLine($"wrote {outPath} ({strip.Width}×{strip.Height}, {frames} frames of {task.Name})");
        return 0;
    }
}
