namespace ContactOpt.Rendering;

/// <summary>An 8-bit colour with alpha (255 = opaque), the colour type of <see cref="Canvas"/>.</summary>
public readonly record struct Rgb(byte R, byte G, byte B, byte A = 255);
