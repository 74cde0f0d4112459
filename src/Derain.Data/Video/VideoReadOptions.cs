namespace Derain.Data.Video;

/// <summary>How <see cref="VideoReader.Open"/> delivers frames.</summary>
public sealed record VideoReadOptions
{
    /// <summary>
    /// Decode to 16 bits per sample (rgb48le) instead of 8 (rgb24). Worth it only for sources with more than
    /// 8 bits (10-bit HEVC, 16-bit FFV1 or PNG); frames are float either way.
    /// </summary>
    public bool SixteenBit { get; init; }

    /// <summary>The rate given to a folder of frames, which has none of its own (25/1 unless set).</summary>
    public FrameRate FolderFrameRate { get; init; } = new(25);
}
