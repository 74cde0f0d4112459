namespace Derain.Data.Video;

/// <summary>What is known about a video before its frames are decoded.</summary>
public sealed record VideoInfo
{
    /// <summary>The file or frame folder.</summary>
    public required string Source { get; init; }

    /// <summary>Frame width as delivered (after the container's rotation is applied).</summary>
    public required int Width { get; init; }

    /// <summary>Frame height as delivered.</summary>
    public required int Height { get; init; }

    /// <summary>The exact frame rate (for a frame folder: the rate asked for, 25/1 by default).</summary>
    public required FrameRate FrameRate { get; init; }

    /// <summary>Frame count the container states (a frame folder's file count); null when the container does not say (MKV, some AVI).</summary>
    public int? FrameCount { get; init; }

    /// <summary>Duration the container states, if any.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>ffmpeg's codec name ("h264", "ffv1", "png" for frame folders…).</summary>
    public string Codec { get; init; } = "";

    /// <summary>True when timestamps are irregular (average and nominal rates differ); <see cref="FrameRate"/> is then the average.</summary>
    public bool VariableFrameRate { get; init; }

    /// <summary>The first audio stream's codec, or null when there is no audio.</summary>
    public string? AudioCodec { get; init; }

    public bool HasAudio => AudioCodec is not null;
}
