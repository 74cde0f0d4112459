namespace Derain.Data.Imaging;

/// <summary>
/// An image as float32 planes in [C,H,W] order (the layout of a float tensor), RGB, with nominal values in [0, 1].
/// Channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA; alpha is straight (not premultiplied). Values outside [0, 1]
/// (a network's raw output) are kept until the image is quantised, which clamps.
/// </summary>
public sealed partial class Image
{
    /// <summary>A black image (all samples zero).</summary>
    public Image(int channels, int height, int width)
        : this(channels, height, width, new float[CheckedLength(channels, height, width)])
    {
    }

    /// <summary>An image over <paramref name="planes"/> ([C,H,W] order), used directly without copying.</summary>
    public Image(int channels, int height, int width, float[] planes)
    {
        ArgumentNullException.ThrowIfNull(planes);
        long length = CheckedLength(channels, height, width);
        if (planes.Length != length)
            throw new ArgumentException($"{planes.Length} samples do not fill a {channels}×{height}×{width} image ({length}).", nameof(planes));
        Channels = channels;
        Height = height;
        Width = width;
        Data = planes;
    }

    /// <summary>Number of channels (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA).</summary>
    public int Channels { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>The samples, channel planes one after another, each row-major.</summary>
    public float[] Data { get; }

    /// <summary>Pixels per channel.</summary>
    public int PlaneSize => Height * Width;

    /// <summary>True for gray+alpha and RGBA.</summary>
    public bool HasAlpha => Channels is 2 or 4;

    /// <summary>Channels that carry colour or luminance (all but alpha).</summary>
    public int ColorChannels => HasAlpha ? Channels - 1 : Channels;

    /// <summary>One channel's samples, row-major.</summary>
    public Span<float> Plane(int channel)
    {
        if ((uint)channel >= (uint)Channels)
            throw new ArgumentOutOfRangeException(nameof(channel), $"channel {channel} of a {Channels}-channel image");
        return Data.AsSpan(channel * PlaneSize, PlaneSize);
    }

    /// <summary>"H×W×C", for messages.</summary>
    public string SizeText => $"{Width}×{Height}×{Channels}";

    /// <summary>An RGB image: gray is repeated into three channels and alpha is dropped (not composited).</summary>
    public Image ToRgb()
    {
        if (Channels == 3) return new Image(3, Height, Width, (float[])Data.Clone());
        var rgb = new Image(3, Height, Width);
        for (int c = 0; c < 3; c++)
            Plane(ColorChannels == 1 ? 0 : c).CopyTo(rgb.Plane(c));
        return rgb;
    }

    /// <summary>This image when it is already RGB, otherwise <see cref="ToRgb"/> (saves a copy where ownership is clear).</summary>
    internal Image AsRgb() => Channels == 3 ? this : ToRgb();

    /// <summary>A deep copy.</summary>
    public Image Clone() => new(Channels, Height, Width, (float[])Data.Clone());

    public override string ToString() => $"Image {Width}×{Height}, {Channels} channel{(Channels == 1 ? "" : "s")}";

    private static int CheckedLength(int channels, int height, int width)
    {
        if (channels is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(channels), channels, "an image has 1 to 4 channels");
        if (height < 1 || width < 1) throw new ArgumentException($"an image needs a positive size, not {width}×{height}");
        long n = (long)channels * height * width;
        if (n > Array.MaxLength) throw new ArgumentException($"a {width}×{height}×{channels} image is too large for one array");
        return (int)n;
    }
}
