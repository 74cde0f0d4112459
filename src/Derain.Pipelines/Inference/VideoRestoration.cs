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
/// <c>derain run</c>'s pipeline: a video file or frame folder in, every frame restored by an <see cref="IFrameRestorer"/> —
/// EEVRSR's five-frame luma network (<see cref="LumaRestorer"/>, windows from <see cref="FrameWindows"/>) or MGID on
/// each image (<see cref="MgidRestorer"/>) — a video or frame folder out; for single-image networks also one image in,
/// one file out. Frames stream through: at most five decoded frames are held, however long the video.
/// </summary>
public static class VideoRestoration
{
    /// <summary>
    /// Checks the input and output paths before anything heavy starts (and creates nothing); returns the full output path.
    /// </summary>
    /// <param name="input">A video file, a folder of frames, or (single-image networks) an image.</param>
    /// <param name="output">The output file or folder.</param>
    /// <param name="format">The output format.</param>
    /// <param name="singleImages">True when the network restores images on their own, so that a single image file may be
    /// the input (its output is then one file: OUTPUT.png, or OUTPUT.npy with OUTPUT_streak.npy beside it).</param>
    /// <param name="videoModel">The video network's name, for the message refusing a single image.</param>
    public static string CheckPaths(string input, string output, OutputFormat format, bool singleImages = false, string videoModel = "EEVRSR")
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (!File.Exists(input) && !Directory.Exists(input))
            throw new InferenceException($"input {input} does not exist: pass {(singleImages ? "an image, " : "")}a video file or a folder of PNG/JPEG frames");
        bool singleImage = File.Exists(input) && ImageFile.HasImageExtension(input);
        if (singleImage && !singleImages)
            throw new InferenceException($"input {input} is a single image, but {videoModel} restores video from neighbouring frames: pass a video file or a folder of frames");
        if (singleImage) return CheckSingleImageOutput(input, output, format);

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

    private static string CheckSingleImageOutput(string input, string output, OutputFormat format)
    {
        string target = Path.GetFullPath(output);
        if (string.Equals(target, Path.GetFullPath(input), StringComparison.Ordinal))
            throw new InferenceException($"output {output} is the input itself; choose another output path");
        string extension = Path.GetExtension(target).ToLowerInvariant();
        string expected = format switch
        {
            OutputFormat.Mp4 => throw new InferenceException($"input {input} is a single image: write it as --format png, png16 or npy, not as a video"),
            OutputFormat.Npy => ".npy",
            _ => ".png",
        };
        if (extension != expected)
            throw new InferenceException($"output {output}: a single image in gives a single file out; with --format {format.Name()} name it …{expected}");
        if (Directory.Exists(target)) throw new InferenceException($"output {output} is a folder; name the output file, e.g. {Path.Combine(output, "derained" + expected)}");
        if (File.Exists(target)) throw new InferenceException($"output {output} already exists; choose a new file name or remove it");
        return target;
    }

    /// <summary>Restores every frame of <paramref name="input"/> (a video, a frame folder, or for single-image networks one image) into <paramref name="output"/>.</summary>
    public static RunSummary Run(IFrameRestorer restorer, string input, string output, OutputFormat format,
        IProgress<RunProgress>? progress = null, CancellationToken cancel = default)
        => Run(restorer, input, output, format, [], progress, cancel);

    /// <summary>As the other overload, and also writes per-frame maps beside the output.</summary>
    /// <param name="restorer">The network.</param>
    /// <param name="input">A video file or a folder of frames.</param>
    /// <param name="output">The output file or folder.</param>
    /// <param name="format">The output format.</param>
    /// <param name="sideOutputs">Suffixes of per-frame maps (<see cref="IHasSideOutputs"/>, e.g. ViMP-Net's <c>_mask</c>)
    /// written as videos or frame folders of their own beside the output: OUT.mp4 → OUT_mask.mp4, OUT/ → OUT_mask/.
    /// Ignored for npy, where the frame writes its maps beside its own file.</param>
    /// <param name="progress">Reports after each frame.</param>
    /// <param name="cancel">Stops the run; nothing is left at the output paths.</param>
    public static RunSummary Run(IFrameRestorer restorer, string input, string output, OutputFormat format,
        IReadOnlyList<string> sideOutputs, IProgress<RunProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(sideOutputs);
        ArgumentNullException.ThrowIfNull(restorer);
        string target = CheckPaths(input, output, format, !restorer.NeedsNeighbours, restorer.ModelName);
        var sides = format == OutputFormat.Npy ? [] : sideOutputs.Select(s => (Suffix: s, Target: CheckPaths(input, SideTarget(target, s), format, !restorer.NeedsNeighbours, restorer.ModelName))).ToList();
        if (File.Exists(input) && ImageFile.HasImageExtension(input)) return RunSingleImage(restorer, input, target, format, progress);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!); // a missing parent folder is made, like mkdir -p
        var clock = Stopwatch.StartNew();
        using var reader = VideoReader.Open(input);
        var info = reader.Info;
        var names = FrameNames(reader);
        using var sink = RestoredFrameSink.Create(format, target, info);
        var sideSinks = new List<(string Suffix, RestoredFrameSink Sink)>();
        try
        {
            foreach (var (suffix, sideTarget) in sides) sideSinks.Add((suffix, RestoredFrameSink.Create(format, sideTarget, info with { AudioCodec = null })));
            progress?.Report(new RunProgress(0, info.FrameCount, clock.Elapsed));
            foreach (var restored in restorer.RestoreAll(ReadImages(reader, names)))
            {
                cancel.ThrowIfCancellationRequested();
                sink.Write(restored);
                foreach (var (suffix, side) in sideSinks)
                    side.Write((restored as IHasSideOutputs)?.SideOutput(suffix)
                        ?? throw new InvalidOperationException($"{restorer.ModelName} frames have no {suffix} output."));
                progress?.Report(new RunProgress(sink.FramesWritten, info.FrameCount, clock.Elapsed));
            }
            cancel.ThrowIfCancellationRequested();
            foreach (var (_, side) in sideSinks) side.Complete();
            sink.Complete();
        }
        finally
        {
            foreach (var (_, side) in sideSinks) side.Dispose();
        }
        return new RunSummary(sink.Target, format, sink.FramesWritten, info.Width, info.Height, clock.Elapsed, reader.Shortfall);
    }

    /// <summary>Where a side output goes: the suffix before a file's extension (OUT_mask.mp4), or after a folder's name (OUT_mask).</summary>
    public static string SideTarget(string target, string suffix)
    {
        ArgumentNullException.ThrowIfNull(target);
        string trimmed = target.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        string extension = VideoReader.HasVideoExtension(trimmed) ? Path.GetExtension(trimmed) : "";
        return trimmed[..^extension.Length] + suffix + extension;
    }

    /// <summary>Every frame of <paramref name="frames"/>, restored in order.</summary>
    public static IEnumerable<RestoredFrame> Restore(LumaRestorer restorer, IEnumerable<LumaFrame> frames)
    {
        ArgumentNullException.ThrowIfNull(restorer);
        foreach (var window in FrameWindows.Stream(frames)) yield return restorer.Restore(window);
    }

    /// <summary>One image in, one file out (written beside the target under a temporary name, then renamed).</summary>
    private static RunSummary RunSingleImage(IFrameRestorer restorer, string input, string target, OutputFormat format, IProgress<RunProgress>? progress)
    {
        var clock = Stopwatch.StartNew();
        var image = ImageFile.Read(input);
        progress?.Report(new RunProgress(0, 1, clock.Elapsed));
        var restored = restorer.RestoreAll([new NamedImage(image, Path.GetFileNameWithoutExtension(input))]).Single();
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        string stem = target[..^Path.GetExtension(target).Length];
        string temp = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(stem)}.{Guid.NewGuid():N}.partial");
        var written = new List<(string From, string To)>();
        try
        {
            switch (format)
            {
                case OutputFormat.Npy:
                    restored.WriteNpy(temp);
                    foreach (var file in Directory.GetFiles(Path.GetDirectoryName(temp)!, Path.GetFileName(temp) + "*.npy"))
                        written.Add((file, stem + Path.GetFileName(file)[Path.GetFileName(temp).Length..]));
                    break;
                default:
                    ImageFile.Write(temp + ".png", format == OutputFormat.Png16 ? restored.ToFloatImage() : restored.ToImage(),
                        format == OutputFormat.Png16 ? new ImageWriteOptions { PngBitDepth = 16 } : null);
                    written.Add((temp + ".png", target));
                    break;
            }
            foreach (var (from, to) in written)
                if (File.Exists(to)) throw new InferenceException($"output {to} already exists; choose a new file name or remove it");
            foreach (var (from, to) in written) File.Move(from, to);
        }
        finally
        {
            foreach (var (from, _) in written)
                if (File.Exists(from)) File.Delete(from);
        }
        progress?.Report(new RunProgress(1, 1, clock.Elapsed));
        return new RunSummary(target, format, 1, image.Width, image.Height, clock.Elapsed, null);
    }

    /// <summary>The reader's frames with their output names (index → name).</summary>
    public static IEnumerable<NamedImage> ReadImages(VideoReader reader, Func<int, string> names)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(names);
        for (int i = 0; reader.ReadFrame() is { } frame; i++) yield return new NamedImage(frame, names(i));
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
