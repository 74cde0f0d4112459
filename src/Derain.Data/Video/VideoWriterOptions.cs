namespace Derain.Data.Video;

/// <summary>Video codec for <see cref="VideoWriter"/>.</summary>
public enum VideoCodec
{
    /// <summary>H.264 (libx264), yuv420p, BT.709: plays everywhere. Quality set by <see cref="VideoWriterOptions.Crf"/>.</summary>
    H264,

    /// <summary>FFV1 in RGB: bit-exact frames (.mkv or .avi), for intermediate results and evaluation.</summary>
    Lossless,
}

/// <summary>What H.264 does with an odd width or height, which 4:2:0 chroma cannot represent.</summary>
public enum OddSizeHandling
{
    /// <summary>Repeat the last column/row, so no picture is lost (the video is one pixel larger).</summary>
    PadEdge,

    /// <summary>Drop the last column/row.</summary>
    Crop,
}

/// <summary>How <see cref="VideoWriter"/> encodes. The container comes from the file extension.</summary>
public sealed record VideoWriterOptions
{
    public VideoCodec Codec { get; init; } = VideoCodec.H264;

    /// <summary>x264 constant rate factor, 0 (best) to 51; 18 is visually lossless for most footage.</summary>
    public int Crf { get; init; } = 18;

    /// <summary>x264 speed/size trade-off (ultrafast … veryslow).</summary>
    public string Preset { get; init; } = "medium";

    /// <summary>
    /// A file whose first audio track is carried into the output, by stream copy when the container accepts the
    /// codec (always for .mkv); otherwise re-encoded (AAC for .mp4/.mov, PCM for .avi). Null: no audio.
    /// </summary>
    public string? AudioFrom { get; init; }

    /// <summary>Lossless only: take 16-bit samples (FFV1 rgb48) instead of 8.</summary>
    public bool SixteenBit { get; init; }

    public OddSizeHandling OddSize { get; init; } = OddSizeHandling.PadEdge;
}
