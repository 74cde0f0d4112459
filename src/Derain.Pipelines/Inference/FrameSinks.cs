using Derain.Data.Imaging;
using Derain.Data.Video;

namespace Derain.Pipelines.Inference;

/// <summary>
/// Where restored frames go. Nothing appears at the target path until <see cref="Complete"/>: a run that fails or is
/// cancelled (the sink disposed without <see cref="Complete"/>) leaves no output that could pass for a finished one.
/// </summary>
public abstract class RestoredFrameSink : IDisposable
{
    /// <summary>The file or folder that <see cref="Complete"/> creates.</summary>
    public abstract string Target { get; }

    public int FramesWritten { get; protected set; }

    public abstract void Write(IRestoredFrame frame);

    /// <summary>Finishes and moves the output into place.</summary>
    public abstract void Complete();

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>A sink for <paramref name="format"/> at <paramref name="target"/>.</summary>
    public static RestoredFrameSink Create(OutputFormat format, string target, VideoInfo input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return format == OutputFormat.Mp4 ? new VideoFileSink(target, input) : new FrameFolderSink(target, format);
    }
}

/// <summary>
/// An H.264 video at the input's exact frame rate (through <see cref="VideoWriter"/>, which writes a hidden
/// temporary file and renames it when ffmpeg has finished). The input's audio track, if any, is carried over.
/// </summary>
internal sealed class VideoFileSink : RestoredFrameSink
{
    private readonly VideoWriter _writer;

    public VideoFileSink(string target, VideoInfo input)
    {
        Target = Path.GetFullPath(target);
        var options = new VideoWriterOptions { AudioFrom = input.HasAudio ? input.Source : null };
        _writer = VideoWriter.Create(Target, input.Width, input.Height, input.FrameRate, options);
    }

    public override string Target { get; }

    public override void Write(IRestoredFrame frame)
    {
        _writer.Write(frame.ToImage());
        FramesWritten++;
    }

    public override void Complete() => _writer.Complete();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _writer.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>
/// A folder of per-frame files named after the input frames, written into a hidden sibling folder
/// (.NAME.&lt;id&gt;.partial) that is renamed to NAME by <see cref="Complete"/>.
/// </summary>
internal sealed class FrameFolderSink : RestoredFrameSink
{
    private static readonly ImageWriteOptions Png16 = new() { PngBitDepth = 16 };
    private readonly OutputFormat _format;
    private readonly string _temp;
    private bool _completed;

    public FrameFolderSink(string target, OutputFormat format)
    {
        Target = Path.GetFullPath(target.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        _format = format;
        string parent = Path.GetDirectoryName(Target)!;
        _temp = Path.Combine(parent, $".{Path.GetFileName(Target)}.{Guid.NewGuid():N}.partial");
        Directory.CreateDirectory(_temp);
    }

    public override string Target { get; }

    public override void Write(IRestoredFrame frame)
    {
        string stem = Path.Combine(_temp, frame.Name);
        switch (_format)
        {
            case OutputFormat.Png:
                ImageFile.Write(stem + ".png", frame.ToImage());
                break;
            case OutputFormat.Png16:
                ImageFile.Write(stem + ".png", frame.ToFloatImage(), Png16);
                break;
            case OutputFormat.Npy:
                frame.WriteNpy(stem);
                break;
            default:
                throw new InvalidOperationException($"{_format} is not a folder format");
        }
        FramesWritten++;
    }

    public override void Complete()
    {
        // An empty folder at the target (checked by the caller before the run) gives way to the finished one.
        if (Directory.Exists(Target)) Directory.Delete(Target);
        Directory.Move(_temp, Target);
        _completed = true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_completed && Directory.Exists(_temp))
        {
            try { Directory.Delete(_temp, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        base.Dispose(disposing);
    }
}
