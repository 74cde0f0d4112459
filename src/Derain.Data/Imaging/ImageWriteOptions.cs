namespace Derain.Data.Imaging;

/// <summary>JPEG chroma subsampling.</summary>
public enum JpegSubsampling
{
    /// <summary>Half resolution both ways (4:2:0), the default of OpenCV, PIL and cameras.</summary>
    Chroma420,
    /// <summary>Half horizontal resolution (4:2:2).</summary>
    Chroma422,
    /// <summary>Full resolution (4:4:4).</summary>
    Chroma444,
}

/// <summary>How <see cref="ImageFile.Write"/> encodes; the format comes from the file extension.</summary>
public sealed record ImageWriteOptions
{
    /// <summary>PNG sample depth: 8 (default) or 16.</summary>
    public int PngBitDepth { get; init; } = 8;

    /// <summary>JPEG quality 1..100; 95 is OpenCV's default.</summary>
    public int JpegQuality { get; init; } = 95;

    /// <summary>JPEG chroma subsampling.</summary>
    public JpegSubsampling JpegSubsampling { get; init; } = JpegSubsampling.Chroma420;
}
