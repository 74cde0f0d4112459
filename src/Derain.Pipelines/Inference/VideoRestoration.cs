using System.Diagnostics;
using System.Globalization;
using Derain.Data.Imaging;
using Derain.Data.Video;

namespace Derain.Pipelines.Inference;

/// <summary>Where a run is: frames written, the count expected (null when the container does not say) and time so far.</summary>
public readonly record struct RunProgress(int FramesDone, int? FramesExpected, TimeSpan Elapsed)
{
    public double FramesPerSecond => Elapsed.TotalSeconds > 0 ? FramesDone / Elapsed.TotalSeconds : 0;

    /// <summary>Estimated time to the end at the rate so far; null while unknown.</summary>
    public TimeSpan? Remaining => FramesExpected is int total && FramesDone > 0
        ? TimeSpan.FromSeconds(Math.Max(0, total - FramesDone) / FramesPerSecond)
        : null;
}

/// <summary>What a finished run wrote.</summary>
/// <param name="Output">The file or folder written.</param>
/// <param name="Format">Its format.</param>
/// <param name="Frames">Frames written (every frame decoded).</param>
/// <param name="Width">Frame width.</param>
/// <param name="Height">Frame height.</param>
/// <param name="Elapsed">Wall time of the whole run.</param>
/// <param name="InputProblem">Set when the input ended early (a truncated or damaged video): every decodable frame was restored.</param>
public sealed record RunSummary(string Output, OutputFormat Format, int Frames, int Width, int Height, TimeSpan Elapsed, string? InputProblem);

/// <summary>
/// <c>derain run</c>'s pipeline: a video file or frame folder in, every frame restored by a five-frame luma network
/// (<see cref="LumaRestorer"/>, windows from <see cref="FrameWindows"/>), a video or frame folder out. Frames stream
/// through: at most five decoded frames are held, however long the video.
/// </summary>
public static class VideoRestoration
{
    /// <summary>
    /// Checks the input and output paths before anything heavy starts (and creates nothing); returns the full output path.
    /// </summary>
    public static string CheckPaths(string input, string output, OutputFormat format)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (!File.Exists(input) && !Directory.Exists(input))
            throw new InferenceException($"input {input} does not exist: pass a video file or a folder of PNG/JPEG frames");
        if (File.Exists(input) && ImageFile.HasImageExtension(input))
            throw new InferenceException($"input {input} is a single image, but EEVRSR restores video from neighbouring frames: pass a video file or a folder of frames");

        string target = Path.GetFullPath(output.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        if (string.Equals(target, Path.GetFullPath(input.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)), StringComparison.Ordinal))
            throw new InferenceException($"output {output} is the input itself; choose another output path");
        if (format == OutputFormat.Mp4)
        {
            if (Path.GetExtension(target).ToLowerInvariant() is not (".mp4" or ".mov" or ".mkv" or ".avi"))
                throw new InferenceException($"output {output}: --format mp4 writes a video file, so the output must end in .mp4 (or .mov, .mkv, .avi)");
            if (Directory.Exists(target)) throw new InferenceException($"output {output} is a folder; name a video file such as {Path.Combine(output, "derained.mp4")}");
        }
        else
        {
            if (VideoReader.HasVideoExtension(target))
                throw new InferenceException($"output {output} looks like a video file, but --format {format.Name()} writes a folder of frames; name a folder, or use --format mp4");
            if (File.Exists(target)) throw new InferenceException($"output {output} is a file, but --format {format.Name()} writes a folder of frames");
            if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
                throw new InferenceException($"output folder {output} already exists and is not empty; choose a new folder or empty it");
        }
        return target;
    }

    /// <summary>Restores every frame of <paramref name="input"/> into <paramref name="output"/>.</summary>
    public static RunSummary Run(LumaRestorer restorer, string input, string output, OutputFormat format,
        IProgress<RunProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(restorer);
        string target = CheckPaths(input, output, format);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!); // a missing parent folder is made, like mkdir -p
        var clock = Stopwatch.StartNew();
        using var reader = VideoReader.Open(input);
        var info = reader.Info;
        var names = FrameNames(reader);
        using var sink = RestoredFrameSink.Create(format, target, info);
        progress?.Report(new RunProgress(0, info.FrameCount, clock.Elapsed));
        foreach (var restored in Restore(restorer, ReadFrames(reader, names)))
        {
            cancel.ThrowIfCancellationRequested();
            sink.Write(restored);
            progress?.Report(new RunProgress(sink.FramesWritten, info.FrameCount, clock.Elapsed));
        }
        cancel.ThrowIfCancellationRequested();
        sink.Complete();
        return new RunSummary(sink.Target, format, sink.FramesWritten, info.Width, info.Height, clock.Elapsed, reader.Shortfall);
    }

    /// <summary>Every frame of <paramref name="frames"/>, restored in order.</summary>
    public static IEnumerable<RestoredFrame> Restore(LumaRestorer restorer, IEnumerable<LumaFrame> frames)
    {
        ArgumentNullException.ThrowIfNull(restorer);
        foreach (var window in FrameWindows.Stream(frames)) yield return restorer.Restore(window);
    }

    /// <summary>The reader's frames converted to luma, named by <paramref name="names"/> (index → name).</summary>
    public static IEnumerable<LumaFrame> ReadFrames(VideoReader reader, Func<int, string> names)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(names);
        for (int i = 0; reader.ReadFrame() is { } frame; i++) yield return LumaFrame.FromImage(frame, names(i));
    }

    /// <summary>
    /// Output names: a frame folder's file stems (which must be unique), or for a video file the 1-based frame number
    /// in six digits (000001, …), which sorts correctly for any video under a million frames.
    /// </summary>
    private static Func<int, string> FrameNames(VideoReader reader)
    {
        if (reader.FrameNames is not { } stems) return i => (i + 1).ToString("D6", CultureInfo.InvariantCulture);
        var clash = stems.GroupBy(s => s, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
            throw new InferenceException($"input {reader.Info.Source} has several frames named {clash.Key} (e.g. .png and .jpg); outputs are named after the frames, so rename or remove one");
        return i => stems[i];
    }
}
