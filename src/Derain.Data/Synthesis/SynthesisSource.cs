using Derain.Data.Imaging;
using Derain.Data.Video;

namespace Derain.Data.Synthesis;

/// <summary>How a clean source is read.</summary>
public enum SourceType
{
    /// <summary>A video file ffmpeg decodes.</summary>
    VideoFile,
    /// <summary>A folder of numbered PNG/JPEG frames.</summary>
    FrameFolder,
    /// <summary>A single still image.</summary>
    Photo,
}

/// <summary>One clean input and the name its output folders get.</summary>
public sealed record SynthesisSource(string Name, string Path, SourceType Type)
{
    /// <summary>True for sources with a sequence of frames of their own.</summary>
    public bool IsVideo => Type != SourceType.Photo;

    /// <summary>
    /// Finds the sources under <paramref name="input"/>: a video file, an image, a frame folder, or a folder of
    /// video files and frame folders. For <see cref="SynthesisKind.TimeLapse"/> a folder of images is a set of
    /// photos (each its own scene); for the video kinds it is one frame sequence.
    /// </summary>
    public static IReadOnlyList<SynthesisSource> Find(string input, SynthesisKind kind)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (File.Exists(input))
        {
            if (VideoReader.HasVideoExtension(input)) return [new(Stem(input), input, SourceType.VideoFile)];
            if (ImageFile.HasImageExtension(input)) return [new(Stem(input), input, SourceType.Photo)];
            throw new SynthesisException($"Input '{input}' is neither a video (.mp4, .avi, .mkv, .mov, .webm, .m4v) nor an image (.png, .jpg, .jpeg).");
        }
        if (!Directory.Exists(input)) throw new SynthesisException($"Input '{input}' does not exist.");

        var images = Directory.EnumerateFiles(input).Where(ImageFile.HasImageExtension).OrderBy(p => p, NaturalOrder.Instance).ToList();
        var sources = new List<SynthesisSource>();
        if (images.Count > 0)
        {
            if (kind == SynthesisKind.TimeLapse) sources.AddRange(images.Select(p => new SynthesisSource(Stem(p), p, SourceType.Photo)));
            else sources.Add(new SynthesisSource(FolderName(input), input, SourceType.FrameFolder));
        }
        else
        {
            foreach (var file in Directory.EnumerateFiles(input).Where(VideoReader.HasVideoExtension))
                sources.Add(new SynthesisSource(Stem(file), file, SourceType.VideoFile));
            foreach (var dir in Directory.EnumerateDirectories(input))
                if (Directory.EnumerateFiles(dir).Any(ImageFile.HasImageExtension))
                    sources.Add(new SynthesisSource(FolderName(dir), dir, SourceType.FrameFolder));
            sources.Sort((a, b) => NaturalOrder.Instance.Compare(a.Name, b.Name));
        }
        if (sources.Count == 0)
            throw new SynthesisException($"Input folder '{input}' holds no images, video files or frame folders.");
        return Unique(sources);
    }

    /// <summary>Names stay unique (a clip.mp4 beside a clip/ folder) by numbering repeats.</summary>
    private static List<SynthesisSource> Unique(List<SynthesisSource> sources)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var result = new List<SynthesisSource>();
        foreach (var s in sources)
        {
            string name = s.Name;
            for (int k = 2; !seen.Add(name); k++) name = $"{s.Name}_{k}";
            result.Add(s with { Name = name });
        }
        return result;
    }

    private static string Stem(string path) => System.IO.Path.GetFileNameWithoutExtension(path);

    private static string FolderName(string path) => System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path)));
}
