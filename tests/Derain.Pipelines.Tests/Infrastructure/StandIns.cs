using Derain.Data.Imaging;
using Derain.Pipelines.Inference;
using Derain.Tensors;

namespace Derain.Pipelines.Tests.Infrastructure;

/// <summary>Stand-in networks and synthetic frames for testing the pipeline without EEVRSR's cost.</summary>
internal static class StandIns
{
    /// <summary>A "network" returning window position <paramref name="position"/> (0 = t−2 … 4 = t+2) unchanged.</summary>
    public static Func<Tensor, Tensor> Pick(int position) => frames =>
    {
        int h = frames.Size(2), w = frames.Size(3);
        var data = frames.Span<float>().Slice(position * h * w, h * w).ToArray();
        return Tensor.FromArray(data, 1, 1, h, w);
    };

    /// <summary>The centre frame unchanged.</summary>
    public static Func<Tensor, Tensor> Identity => Pick(TemporalWindow.Radius);

    /// <summary>An RGB frame whose pixels depend on the frame index, position and channel (a different image per index).</summary>
    public static Image Pattern(int index, int width, int height)
    {
        var bytes = new byte[3 * width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++)
                    bytes[3 * (y * width + x) + c] = (byte)((index * 37 + x * 11 + y * 7 + c * 53 + x * y) % 256);
        return Image.FromBytes(bytes, 3, height, width);
    }

    /// <summary>A uniform gray frame.</summary>
    public static Image Gray(byte value, int width, int height)
        => Image.FromBytes(Enumerable.Repeat(value, 3 * width * height).ToArray(), 3, height, width);

    /// <summary>Writes <paramref name="count"/> pattern frames as frame_000.png … into a new folder.</summary>
    public static string FrameFolder(string path, int count, int width, int height)
    {
        Directory.CreateDirectory(path);
        for (int i = 0; i < count; i++) ImageFile.Write(Path.Combine(path, $"frame_{i:D3}.png"), Pattern(i, width, height));
        return path;
    }
}
