using Derain.Data.Imaging;

namespace Derain.Data.Video;

/// <summary>
/// A folder of numbered PNG/JPEG frames read as a video, in natural order of file name. Files with other
/// extensions (thumbnails databases, notes) are ignored; every frame must have the first frame's size.
/// </summary>
internal sealed class FrameFolderReader : VideoReader
{
    private readonly string _folder;
    private readonly List<string> _files;
    private Image? _first;

    public FrameFolderReader(string folder, VideoReadOptions options)
    {
        _folder = folder;
        _files = Directory.EnumerateFiles(folder).Where(ImageFile.HasImageExtension)
            .OrderBy(Path.GetFileName, NaturalOrder.Instance).ToList();
        if (_files.Count == 0)
            throw new VideoException(folder, "contains no PNG or JPEG frames");
        _first = ImageFile.Read(_files[0]).AsRgb();
        FrameNames = _files.Select(Path.GetFileNameWithoutExtension).ToList()!;
        Info = new VideoInfo
        {
            Source = folder,
            Width = _first.Width,
            Height = _first.Height,
            FrameRate = options.FolderFrameRate,
            FrameCount = _files.Count,
            Codec = Path.GetExtension(_files[0]).ToLowerInvariant() is ".png" ? "png" : "jpeg",
        };
    }

    public override VideoInfo Info { get; }

    public override IReadOnlyList<string> FrameNames { get; }

    /// <summary>The frame files in reading order.</summary>
    public IReadOnlyList<string> Files => _files;

    public override Image? ReadFrame()
    {
        if (FramesRead >= _files.Count) return null;
        var frame = _first ?? ImageFile.Read(_files[FramesRead]).AsRgb();
        _first = null;
        if (frame.Width != Info.Width || frame.Height != Info.Height)
            throw new VideoException(_folder,
                $"frame {Path.GetFileName(_files[FramesRead])} is {frame.Width}×{frame.Height} but {Path.GetFileName(_files[0])} is {Info.Width}×{Info.Height}");
        FramesRead++;
        return frame;
    }
}
