namespace Derain.Data.Synthesis;

/// <summary>
/// The drops of one frame before defocus, on a canvas padded by the blur radius so drops cut by the frame border
/// still blur in from outside: coverage α and premultiplied colour α·R (Qian et al. 2018: I = (1 − M)⊙B + R).
/// </summary>
internal sealed class DropLayer
{
    public DropLayer(int width, int height, int pad)
    {
        Width = width;
        Height = height;
        Pad = pad;
        CanvasWidth = width + 2 * pad;
        CanvasHeight = height + 2 * pad;
        int n = CanvasWidth * CanvasHeight;
        Alpha = new float[n];
        Color = [new float[n], new float[n], new float[n]];
        RowUsed = new bool[CanvasHeight];
    }

    public int Width { get; }
    public int Height { get; }
    public int Pad { get; }
    public int CanvasWidth { get; }
    public int CanvasHeight { get; }

    /// <summary>Coverage, canvas-sized, row-major.</summary>
    public float[] Alpha { get; }

    /// <summary>Premultiplied R, G, B planes, canvas-sized.</summary>
    public float[][] Color { get; }

    /// <summary>Canvas rows any drop touches (the blur skips the rest).</summary>
    public bool[] RowUsed { get; }

    public void Clear()
    {
        Array.Clear(Alpha);
        foreach (var c in Color) Array.Clear(c);
        Array.Clear(RowUsed);
    }
}
