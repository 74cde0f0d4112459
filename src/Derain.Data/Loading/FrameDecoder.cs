using Derain.Data.Imaging;
using Derain.Tensors;

namespace Derain.Data.Loading;

/// <summary>
/// Decodes frames into float32 tensors: one file as [C,H,W], a clip as [T,C,H,W]. Colour keys are RGB (gray is
/// repeated, alpha dropped); single-channel keys (masks, streak maps) take the first channel, as Derain writes them
/// gray. Every frame of a clip must have the first frame's size; errors name the files.
/// </summary>
internal static class FrameDecoder
{
    public static Tensor Read(string file, int channels)
    {
        var image = Decode(file, channels);
        return Tensor.Wrap(image.Data, image.Channels, image.Height, image.Width);
    }

    public static Tensor ReadClip(IReadOnlyList<string> files, int channels)
    {
        var first = Decode(files[0], channels);
        int plane = first.Data.Length;
        var data = new float[plane * files.Count];
        first.Data.CopyTo(data, 0);
        for (int t = 1; t < files.Count; t++)
        {
            var frame = Decode(files[t], channels);
            if (frame.Width != first.Width || frame.Height != first.Height)
                throw new DatasetException($"{files[t]} is {frame.Width}×{frame.Height} but {files[0]} is {first.Width}×{first.Height}");
            frame.Data.CopyTo(data, t * plane);
        }
        return Tensor.Wrap(data, files.Count, channels, first.Height, first.Width);
    }

    private static Image Decode(string file, int channels)
    {
        Image image;
        try { image = ImageFile.Read(file); }
        catch (ImageFileException e) { throw new DatasetException(e.Message, e); }
        catch (IOException e) { throw new DatasetException($"{file}: {e.Message}", e); }
        if (channels == 3) return image.AsRgb();
        if (image.Channels == 1) return image;
        var gray = new Image(1, image.Height, image.Width);
        image.Plane(0).CopyTo(gray.Plane(0));
        return gray;
    }

    /// <summary>Checks that every tensor of a sample has the same H and W (labels of one frame must line up).</summary>
    public static void RequireSameSize(Sample sample, IReadOnlyDictionary<string, string> firstFileOfKey)
    {
        string? refKey = null;
        Shape refShape = default;
        foreach (var key in sample.Keys)
        {
            var shape = sample[key].Shape;
            if (refKey is null) { refKey = key; refShape = shape; continue; }
            if (shape[-1] != refShape[-1] || shape[-2] != refShape[-2])
                throw new DatasetException($"{firstFileOfKey[key]} is {shape[-1]}×{shape[-2]} but {firstFileOfKey[refKey]} is {refShape[-1]}×{refShape[-2]}");
        }
    }
}
