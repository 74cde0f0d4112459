using Derain.Data.Imaging;
using Derain.Models.Eevrsr;
using Derain.NN.Tests.Infrastructure;

namespace Derain.Pipelines.Tests.Infrastructure;

/// <summary>The official EEVRSR checkpoints and real rain clips in ../shared.</summary>
internal static class RealRain
{
    private static readonly Lazy<EevrsrNet> AllNet = new(() => EevrsrCheckpoint.Load(Weights("EEVRSR_all")));
    private static readonly Lazy<EevrsrNet> DerainOnlyNet = new(() => EevrsrCheckpoint.Load(Weights("EEVRSR_derain_only")));

    /// <summary>The official checkpoint prefix (…/model.ckpt) of EEVRSR_all or EEVRSR_derain_only.</summary>
    public static string Weights(string name) => Path.Combine(SharedData.DataPath("weights", "eevrsr", name), "model.ckpt");

    /// <summary>The official weights, loaded once per test run (inference never changes them).</summary>
    public static EevrsrNet Net(EevrsrVariant variant) => variant == EevrsrVariant.All ? AllNet.Value : DerainOnlyNet.Value;

    /// <summary>A clip's folder, e.g. "eevrsr_r1".</summary>
    public static string Clip(string name) => SharedData.DataPath("real_rain", "video", name);

    /// <summary>Crops an image to rows [top, top+height) and columns [left, left+width).</summary>
    public static Image Crop(Image image, int top, int left, int height, int width)
    {
        var result = new Image(image.Channels, height, width);
        for (int c = 0; c < image.Channels; c++)
        {
            var from = image.Plane(c);
            var to = result.Plane(c);
            for (int y = 0; y < height; y++)
                from.Slice((top + y) * image.Width + left, width).CopyTo(to.Slice(y * width, width));
        }
        return result;
    }
}
