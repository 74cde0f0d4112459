namespace Derain.Data.Synthesis;

/// <summary>
/// The drops of one frame before defocus, on a canvas padded by the blur radius so drops cut by the frame border
/// still blur in from outside: coverage α and premultiplied colour α·R (Qian et al. 2018: I = (1 − M)⊙B + R).
/// It also records which blocks of <see cref="BlockWidth"/> columns each row's drops touch, so the defocus blur
/// can skip the (usually large) drop-free parts of the frame.
/// </summary>
internal sealed class DropLayer
{
    /// <summary>Columns per occupancy block.</summary>
    public const int BlockWidth = 16;

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
        BlockColumns = (CanvasWidth + BlockWidth - 1) / BlockWidth;
        BlockUsed = new bool[CanvasHeight * BlockColumns];
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

    /// <summary>Canvas rows any drop touches.</summary>
    public bool[] RowUsed { get; }

    /// <summary>Blocks per canvas row.</summary>
    public int BlockColumns { get; }

    /// <summary>[canvas row, block] flags: true where a drop may have drawn.</summary>
    public bool[] BlockUsed { get; }

    /// <summary>Marks canvas rows <paramref name="top"/>..<paramref name="bottom"/> and columns <paramref name="left"/>..<paramref name="right"/> (inclusive, clipped) as drawn on.</summary>
    public void Mark(int top, int bottom, int left, int right)
    {
        top = Math.Max(0, top);
        bottom = Math.Min(CanvasHeight - 1, bottom);
        int b0 = Math.Max(0, left) / BlockWidth, b1 = Math.Min(CanvasWidth - 1, right) / BlockWidth;
        if (right < 0 || left >= CanvasWidth) return;
        for (int y = top; y <= bottom; y++)
        {
            RowUsed[y] = true;
            for (int b = b0; b <= b1; b++) BlockUsed[y * BlockColumns + b] = true;
        }
    }

    /// <summary>Empties the canvas, clearing only the rows drops touched.</summary>
    public void Clear()
    {
        for (int y = 0; y < CanvasHeight; y++)
        {
            if (!RowUsed[y]) continue;
            Alpha.AsSpan(y * CanvasWidth, CanvasWidth).Clear();
            foreach (var c in Color) c.AsSpan(y * CanvasWidth, CanvasWidth).Clear();
        }
        Array.Clear(RowUsed);
        Array.Clear(BlockUsed);
    }
}
