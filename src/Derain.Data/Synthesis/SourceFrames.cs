using Derain.Data.Imaging;
using Derain.Data.Video;

namespace Derain.Data.Synthesis;

/// <summary>Reads the clean frames of a <see cref="SynthesisSource"/>.</summary>
internal static class SourceFrames
{
    /// <summary>Frames the source will give under a limit, when known before decoding.</summary>
    public static int? Count(SynthesisSource source, int? limit, int photoFrames)
    {
        if (source.Type == SourceType.Photo) return limit ?? photoFrames;
        using var reader = VideoReader.Open(source.Path);
        int? listed = reader.Info.FrameCount;
        return listed is int n ? Math.Min(n, limit ?? int.MaxValue) : limit;
    }

    /// <summary>The clean frames (a photo repeats <paramref name="photoFrames"/> times, or <paramref name="limit"/> if given).</summary>
    public static IEnumerable<Image> Read(SynthesisSource source, int? limit, int photoFrames)
    {
        if (source.Type == SourceType.Photo)
        {
            var photo = ImageFile.Read(source.Path).ToRgb();
            int n = limit ?? photoFrames;
            for (int i = 0; i < n; i++) yield return photo;
            yield break;
        }
        using var reader = VideoReader.Open(source.Path);
        int count = 0;
        while ((limit is null || count < limit) && reader.ReadFrame() is { } frame)
        {
            count++;
            yield return frame.Channels == 3 ? frame : frame.ToRgb();
        }
        if (count == 0) throw new InvalidDataException($"'{source.Path}' gave no frames{(reader.Shortfall is { } s ? ": " + s : "")}.");
    }

    /// <summary>The first frame, as the still scene of a time-lapse set.</summary>
    public static Image First(SynthesisSource source) => Read(source, 1, 1).First();
}
