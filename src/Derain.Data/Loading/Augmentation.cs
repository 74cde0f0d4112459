using Derain.Tensors;

namespace Derain.Data.Loading;

/// <summary>
/// Applies <see cref="AugmentationOptions"/> to a sample: one crop window and one set of flips are drawn from the
/// generator, then every tensor ([…,H,W], any leading dimensions) is resampled with them in a single gather. The
/// draws happen in a fixed order (crop top, crop left, h-flip, v-flip, transpose) and only for enabled options, so a
/// seed gives the same stream for the same options.
/// </summary>
public sealed class Augmentation
{
    public Augmentation(AugmentationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.CropSize is < 1) throw new ArgumentOutOfRangeException(nameof(options), options.CropSize, "the crop size must be positive");
        Options = options;
    }

    public AugmentationOptions Options { get; }

    /// <summary>
    /// A new sample with the augmented tensors; <paramref name="sample"/> is disposed, also when this fails.
    /// Throws <see cref="DatasetException"/> when the frames are smaller than the crop or keys differ in size.
    /// </summary>
    public Sample Apply(Sample sample, Generator rng)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(rng);
        try
        {
            var (height, width) = CommonSize(sample);
            var window = Draw(sample.Name, height, width, rng);
            var result = new Sample(sample.Name);
            foreach (var key in sample.Keys) result.Set(key, Resample(sample[key], window));
            return result;
        }
        finally
        {
            sample.Dispose();
        }
    }

    /// <summary>Chooses the crop and flips for frames of <paramref name="height"/>×<paramref name="width"/>.</summary>
    internal SpatialWindow Draw(string name, int height, int width, Generator rng)
    {
        int ch = height, cw = width, top = 0, left = 0;
        if (Options.CropSize is int size)
        {
            if (height < size || width < size)
                throw new DatasetException($"Sample {name} is {width}×{height}, smaller than the {size}×{size} crop");
            ch = cw = size;
            top = rng.NextInt(height - size + 1);
            left = rng.NextInt(width - size + 1);
        }
        bool h = Options.HorizontalFlip && rng.NextDouble() < 0.5;
        bool v = Options.VerticalFlip && rng.NextDouble() < 0.5;
        bool t = Options.Transpose && rng.NextDouble() < 0.5;
        return new SpatialWindow(top, left, ch, cw, h, v, t);
    }

    /// <summary>
    /// Crop, then flips, then transpose: output (y, x) reads the flipped crop at (x, y) when transposed; the crop
    /// at (u, v) is the input at (top + u, left + v).
    /// </summary>
    internal static Tensor Resample(Tensor input, SpatialWindow w)
    {
        var shape = input.Shape;
        int inH = shape[-2], inW = shape[-1];
        int outH = w.Transpose ? w.Width : w.Height, outW = w.Transpose ? w.Height : w.Width;
        int planes = shape.NumElements / (inH * inW);
        var dims = shape.ToArray();
        dims[^2] = outH;
        dims[^1] = outW;
        var data = new float[planes * outH * outW];
        var src = input.Span<float>();
        // Source offset of output pixel (0,0) and the source steps for one output column and one output row.
        int y0 = w.VerticalFlip ? w.Top + w.Height - 1 : w.Top;
        int x0 = w.HorizontalFlip ? w.Left + w.Width - 1 : w.Left;
        int stepRow = w.VerticalFlip ? -inW : inW;
        int stepCol = w.HorizontalFlip ? -1 : 1;
        if (w.Transpose) (stepRow, stepCol) = (stepCol, stepRow);
        for (int p = 0; p < planes; p++)
        {
            var plane = src.Slice(p * inH * inW, inH * inW);
            var dst = data.AsSpan(p * outH * outW, outH * outW);
            int rowStart = y0 * inW + x0;
            for (int y = 0; y < outH; y++, rowStart += stepRow)
            {
                var row = dst.Slice(y * outW, outW);
                if (stepCol == 1)
                {
                    plane.Slice(rowStart, outW).CopyTo(row);
                    continue;
                }
                int s = rowStart;
                for (int x = 0; x < outW; x++, s += stepCol) row[x] = plane[s];
            }
        }
        return Tensor.Wrap(data, dims);
    }

    private static (int Height, int Width) CommonSize(Sample sample)
    {
        (int, int)? size = null;
        string? first = null;
        foreach (var key in sample.Keys)
        {
            var s = sample[key].Shape;
            if (s.Rank < 2) throw new DatasetException($"Sample {sample.Name}: '{key}' has shape {s}, not […,H,W]");
            var hw = (s[-2], s[-1]);
            if (size is null) { size = hw; first = key; }
            else if (size != hw)
                throw new DatasetException($"Sample {sample.Name}: '{key}' is {hw.Item2}×{hw.Item1} but '{first}' is {size.Value.Item2}×{size.Value.Item1}");
        }
        return size ?? throw new DatasetException($"Sample {sample.Name} has no tensors");
    }
}
