using Derain.Data.Imaging;

namespace Derain.Data.Video;

/// <summary>
/// A stream of RGB frames from a video file (any container and codec ffmpeg reads: mp4, avi, mkv, mov…) or from
/// a folder of numbered PNG/JPEG frames. Frames are decoded one at a time; the video is never held in memory.
/// </summary>
public abstract class VideoReader : IDisposable
{
    /// <summary>Opens a video file or a frame folder (a directory path).</summary>
    public static VideoReader Open(string path, VideoReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new VideoReadOptions();
        return Directory.Exists(path) ? new FrameFolderReader(path, options) : new FfmpegVideoReader(path, options);
    }

    /// <summary>True for the file extensions Derain treats as video files (.mp4, .avi, .mkv, .mov, .webm, .m4v).</summary>
    public static bool HasVideoExtension(string path)
        => Path.GetExtension(path).ToLowerInvariant() is ".mp4" or ".avi" or ".mkv" or ".mov" or ".webm" or ".m4v";

    /// <summary>Size, rate and count as the source states them.</summary>
    public abstract VideoInfo Info { get; }

    /// <summary>Frames delivered so far.</summary>
    public int FramesRead { get; protected set; }

    /// <summary>
    /// Null while reading and after a complete read. Once the end is reached it explains a shortfall: fewer frames
    /// than the container lists, decoding stopped by an error, or a cut-off last frame. Frames already delivered
    /// stay valid: a truncated file yields what could be decoded.
    /// </summary>
    public string? Shortfall { get; protected set; }

    /// <summary>
    /// The decoder's error-level log once the end is reached (ffmpeg reports damage it concealed here even when
    /// every frame came); empty for frame folders, whose errors are exceptions.
    /// </summary>
    public virtual string DecoderMessages => "";

    /// <summary>Frame names (file stems) for a frame folder, in reading order; null for a video file.</summary>
    public virtual IReadOnlyList<string>? FrameNames => null;

    /// <summary>The next frame (3-channel RGB), or null at the end.</summary>
    public abstract Image? ReadFrame();

    /// <summary>The remaining frames, one at a time.</summary>
    public IEnumerable<Image> Frames()
    {
        while (ReadFrame() is { } frame) yield return frame;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
