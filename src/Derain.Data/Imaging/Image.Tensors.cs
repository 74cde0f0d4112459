using Derain.Tensors;

namespace Derain.Data.Imaging;

public sealed partial class Image
{
    /// <summary>
    /// A float32 tensor [C,H,W] (or [1,C,H,W] with <paramref name="batch"/>) holding a copy of the samples, as
    /// torchvision.transforms.functional.to_tensor gives for an 8-bit image (k/255). With
    /// <see cref="ChannelOrder.Bgr"/> the colour channels are reversed; alpha stays last.
    /// </summary>
    public Tensor ToTensor(ChannelOrder order = ChannelOrder.Rgb, bool batch = false)
    {
        var data = new float[Data.Length];
        for (int c = 0; c < Channels; c++)
            Plane(c).CopyTo(data.AsSpan(SourceChannel(c, Channels, order) * PlaneSize, PlaneSize));
        return batch ? Tensor.Wrap(data, 1, Channels, Height, Width) : Tensor.Wrap(data, Channels, Height, Width);
    }

    /// <summary>
    /// An image from a float tensor [C,H,W] or [1,C,H,W] (C = 1..4, float32 or float64), values copied as they are
    /// (no clamping: that happens when the image is quantised). <paramref name="order"/> names the tensor's order.
    /// </summary>
    public static Image FromTensor(Tensor tensor, ChannelOrder order = ChannelOrder.Rgb)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var shape = tensor.Shape;
        bool ok = shape.Rank == 3 || (shape.Rank == 4 && shape[0] == 1);
        int c = ok ? shape[-3] : 0;
        if (!ok || c is < 1 or > 4 || shape[-2] < 1 || shape[-1] < 1)
            throw new ArgumentException($"An image tensor is [C,H,W] or [1,C,H,W] with 1 to 4 channels; got {shape}.", nameof(tensor));
        var image = new Image(c, shape[-2], shape[-1]);
        int plane = image.PlaneSize;
        if (tensor.DType == DType.Float32)
        {
            var src = tensor.Span<float>();
            for (int ch = 0; ch < c; ch++)
                src.Slice(SourceChannel(ch, c, order) * plane, plane).CopyTo(image.Plane(ch));
        }
        else
        {
            var src = tensor.Span<double>();
            for (int ch = 0; ch < c; ch++)
            {
                var from = src.Slice(SourceChannel(ch, c, order) * plane, plane);
                var to = image.Plane(ch);
                for (int i = 0; i < plane; i++) to[i] = (float)from[i];
            }
        }
        return image;
    }

    /// <summary>Where RGB channel <paramref name="channel"/> sits in the other order (the mapping is its own inverse).</summary>
    private static int SourceChannel(int channel, int channels, ChannelOrder order)
    {
        if (order == ChannelOrder.Rgb || channels < 3) return channel;
        return channel < 3 ? 2 - channel : channel;
    }
}
