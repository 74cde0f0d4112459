using Derain.Data.Imaging;

namespace Derain.Pipelines.Training.Plotting;

/// <summary>An 8-bit colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    public static Rgb White { get; } = new(255, 255, 255);
}

/// <summary>
/// An RGB raster to draw a chart into (pixels outside are clipped), turned into an <see cref="Image"/> for the
/// repository's PNG writer. Lines are Bresenham lines, widened by whole pixels.
/// </summary>
public sealed class Canvas
{
    private readonly byte[] _pixels;

    public Canvas(int width, int height, Rgb background)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        _pixels = new byte[3 * width * height];
        Fill(0, 0, width, height, background);
    }

    public int Width { get; }

    public int Height { get; }

    public Rgb this[int x, int y]
    {
        get
        {
            int i = 3 * (y * Width + x);
            return new Rgb(_pixels[i], _pixels[i + 1], _pixels[i + 2]);
        }
    }

    public void Set(int x, int y, Rgb color)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        int i = 3 * (y * Width + x);
        _pixels[i] = color.R;
        _pixels[i + 1] = color.G;
        _pixels[i + 2] = color.B;
    }

    /// <summary>Fills the rectangle with corner (x, y) and size w×h.</summary>
    public void Fill(int x, int y, int w, int h, Rgb color)
    {
        for (int yy = Math.Max(0, y); yy < Math.Min(Height, y + h); yy++)
            for (int xx = Math.Max(0, x); xx < Math.Min(Width, x + w); xx++) Set(xx, yy, color);
    }

    /// <summary>A line from (x0, y0) to (x1, y1), <paramref name="width"/> pixels thick; every <paramref name="dash"/>-th run of that many pixels is skipped when dash &gt; 0.</summary>
    public void Line(int x0, int y0, int x1, int y1, Rgb color, int width = 1, int dash = 0)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0);
        int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
        int err = dx + dy, step = 0;
        int offset = (width - 1) / 2;
        while (true)
        {
            if (dash <= 0 || step / dash % 2 == 0) Fill(x0 - offset, y0 - offset, width, width, color);
            step++;
            if (x0 == x1 && y0 == y1) break;
            int e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
    }

    /// <summary>The outline of a rectangle.</summary>
    public void Rectangle(int x, int y, int w, int h, Rgb color)
    {
        Line(x, y, x + w - 1, y, color);
        Line(x, y + h - 1, x + w - 1, y + h - 1, color);
        Line(x, y, x, y + h - 1, color);
        Line(x + w - 1, y, x + w - 1, y + h - 1, color);
    }

    /// <summary>The raster as an RGB <see cref="Image"/> on the [0, 1] scale (exact for 8-bit output).</summary>
    public Image ToImage()
    {
        var image = new Image(3, Height, Width);
        int plane = Width * Height;
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++) image.Data[c * plane + i] = _pixels[3 * i + c] / 255f;
        return image;
    }
}
