using Derain.Data.Imaging;
using Derain.Data.Loading;
using Derain.Data.Metrics;
using Derain.Data.Synthesis;
using Derain.Tensors;

namespace Derain.Pipelines.Training.Data;

/// <summary>
/// Held-out time-lapse scenes with ground truth (<c>derain synth --kind timelapse</c>: <c>gt/</c> and <c>lq/</c>) for
/// single-image networks: at most <c>val.max_clips</c> rainy frames evenly spaced over the set, each cut to its centre
/// <c>val.crop</c> square (or the whole frame cut down to the network's size multiple) and restored alone. Scores are
/// PSNR/SSIM in the <c>y</c> convention (MATLAB rgb2ycbcr luma on 8-bit RGB, as Restormer/PReNet report), of the
/// restoration against the frame's own clean view, averaged per scene and then over scenes.
/// </summary>
public sealed class TimeLapseValidationSet : IValidationSet
{
    private static readonly MetricOptions Metric = new(MetricConvention.Y);

    private readonly TimeLapseDataset _dataset;
    private readonly int[] _indices;
    private readonly int? _crop;
    private readonly int _multiple;
    private readonly Func<Tensor, Tensor> _predict;

    /// <param name="root">The set (with gt/).</param>
    /// <param name="maxFrames">At most this many frames (null: all).</param>
    /// <param name="crop">Side of the centre square measured (null: the whole frame).</param>
    /// <param name="sizeMultiple">The measured size is cut down to multiples of this.</param>
    /// <param name="predict">RGB [1, 3, h, w] on [0, 1] → the restored RGB [1, 3, h, w] on [0, 1] (clamped by the metric's 8-bit quantisation).</param>
    public TimeLapseValidationSet(string root, int? maxFrames, int? crop, int sizeMultiple, Func<Tensor, Tensor> predict)
    {
        _dataset = new TimeLapseDataset(root);
        if (!_dataset.HasClean)
            throw new DatasetException($"{root}: validation needs the clean frames ({DatasetLayout.Clean}/ beside {DatasetLayout.Rainy}/), as derain synth --kind timelapse writes them");
        _indices = ValidationSampling.EvenlySpaced(_dataset.Count, maxFrames);
        _crop = crop;
        _multiple = sizeMultiple;
        _predict = predict;
    }

    public int Count => _indices.Length;

    public (QualityScore Restored, QualityScore Input) Evaluate() => ValidationSampling.Average(_indices, Measure);

    private (string Scene, QualityScore Restored, QualityScore Input) Measure(int index)
    {
        // Frame a of the sample is the indexed frame; its partner b is not used.
        using var sample = _dataset.Get(index, new Generator(0));
        var rainy = CentreCrop(sample, "lq1");
        var clean = CentreCrop(sample, "gt1");
        var prediction = _predict(rainy);
        int h = clean.Size(2), w = clean.Size(3);
        var gt = new Image(3, h, w, clean.ToArray());
        return (sample.Name[..sample.Name.IndexOf('/')],
            QualityMetrics.Evaluate(new Image(3, h, w, prediction.ToArray()), gt, Metric),
            QualityMetrics.Evaluate(new Image(3, h, w, rainy.ToArray()), gt, Metric));
    }

    /// <summary>[3, H, W] → [1, 3, h, w] around the centre.</summary>
    private Tensor CentreCrop(Sample sample, string key)
    {
        var image = sample[key];
        int height = image.Size(1), width = image.Size(2);
        var (top, left, h, w) = ValidationSampling.CentreWindow(sample.Name, width, height, _crop, _multiple);
        var src = image.Span<float>();
        var dst = new float[3 * h * w];
        for (int p = 0; p < 3; p++)
            for (int y = 0; y < h; y++)
                src.Slice(p * height * width + (top + y) * width + left, w).CopyTo(dst.AsSpan((p * h + y) * w, w));
        return Tensor.Wrap(dst, 1, 3, h, w);
    }
}
