using Derain.Data.Imaging;
using Derain.Data.Synthesis;

namespace Derain.Data.Tests.Loading;

/// <summary>
/// Tiny image sets in a temporary folder. Frames encode where their pixels come from: channel 0 holds y·W + x (so
/// frames are at most 256 pixels), channel 1 the frame number ·8 + key number, so tests can tell after augmentation
/// which pixel, frame and key a value came from.
/// </summary>
internal sealed class LoadingFixture : IDisposable
{
    public static readonly string[] VrdsKeys = [DatasetLayout.Clean, DatasetLayout.Rainy, DatasetLayout.DropsOnly, DatasetLayout.DropMask, DatasetLayout.StreakMap];

    public LoadingFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "derain-loading-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static int Channels(string key) => key is DatasetLayout.DropMask or DatasetLayout.StreakMap ? 1 : 3;

    /// <summary>A coordinate-coded frame; <paramref name="keyNumber"/> and <paramref name="frame"/> go into channel 1.</summary>
    public static Image Coded(int width, int height, int channels, int frame, int keyNumber)
    {
        if (width * height > 256) throw new ArgumentException("coordinate codes must fit 8 bits");
        var image = new Image(channels, height, width);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                image.Plane(0)[y * width + x] = (y * width + x) / 255f;
                if (channels == 3) image.Plane(1)[y * width + x] = (frame * 8 + keyNumber) / 255f;
            }
        return image;
    }

    /// <summary>Writes a VRDS video: every key in <paramref name="keys"/>, <paramref name="frames"/> frames.</summary>
    public void WriteVrdsVideo(string video, int frames, int width, int height, IReadOnlyList<string>? keys = null)
    {
        keys ??= VrdsKeys;
        for (int k = 0; k < keys.Count; k++)
            for (int f = 0; f < frames; f++)
                WriteImage(DatasetLayout.FramePath(Root, keys[k], video, f), Coded(width, height, Channels(keys[k]), f, k));
    }

    public static void WriteImage(string path, Image image)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        ImageFile.Write(path, image);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
