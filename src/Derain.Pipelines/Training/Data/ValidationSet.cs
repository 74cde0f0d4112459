using Derain.Data.Imaging;
using Derain.Data.Loading;
using Derain.Data.Metrics;
using Derain.Tensors;

namespace Derain.Pipelines.Training.Data;

/// <summary>
/// The held-out clips validation runs on: at most <c>val.max_clips</c> clips evenly spaced over the set (every
/// video contributes when the budget allows), each cut to its centre <c>val.crop</c> square (or the whole frame cut
/// down to the network's size multiple), converted to luma. Scores are PSNR/SSIM of the restored centre luma
/// against the clean one, both quantised to 8 bits as every published protocol does (the full-range luma is the
/// single plane measured), averaged per video first and then over videos (the VRDS protocol).
/// </summary>
public sealed class ValidationSet : IValidationSet
{
    private readonly VrdsDataset _dataset;
    private readonly Func<Tensor, Tensor> _predict;
    private readonly int[] _indices;
    private readonly int? _crop;
    private readonly int _multiple;

    /// <param name="root">The streak-pair set.</param>
    /// <param name="clipLength">Frames per clip.</param>
    /// <param name="maxClips">At most this many clips (null: all).</param>
    /// <param name="crop">Side of the centre square measured (null: the whole frame).</param>
    /// <param name="sizeMultiple">The measured size is cut down to multiples of this.</param>
    /// <param name="predict">Luma clips [1, T, h, w] → the restored centre luma [1, 1, h, w].</param>
    public ValidationSet(string root, int clipLength, int? maxClips, int? crop, int sizeMultiple, Func<Tensor, Tensor> predict)
    {
        _predict = predict;
        _dataset = new VrdsDataset(root, clipLength, keys: [Derain.Data.Synthesis.DatasetLayout.Rainy], centreCleanOnly: true);
        _indices = ValidationSampling.EvenlySpaced(_dataset.Count, maxClips);
        _crop = crop;
        _multiple = sizeMultiple;
    }

    /// <summary>Clips measured per validation.</summary>
    public int Count => _indices.Length;

    /// <summary>Mean scores of the prediction and of the rainy input itself, each averaged per video then over videos.</summary>
    public (QualityScore Restored, QualityScore Input) Evaluate() => ValidationSampling.Average(_indices, Measure);

    private (string Video, QualityScore Restored, QualityScore Input) Measure(int index)
    {
        using var sample = _dataset.Get(index, new Generator(0));
        var (frames, target) = Clip(sample);
        var prediction = _predict(frames);
        int h = target.Size(2), w = target.Size(3);
        var gt = new Image(1, h, w, target.ToArray());
        using var centre = Ops.Narrow(frames, 1, frames.Size(1) / 2, 1);
        return (sample.Name[..sample.Name.LastIndexOf('/')],
            QualityMetrics.Evaluate(new Image(1, h, w, prediction.ToArray()), gt),
            QualityMetrics.Evaluate(new Image(1, h, w, centre.ToArray()), gt));
    }

    /// <summary>The network input [1, T, h, w] and target [1, 1, h, w] of one clip after the centre crop.</summary>
    private (Tensor Frames, Tensor Target) Clip(Sample sample)
    {
        var lq = sample[Derain.Data.Synthesis.DatasetLayout.Rainy];
        var gt = sample[Derain.Data.Synthesis.DatasetLayout.Clean];
        int height = lq.Size(-2), width = lq.Size(-1);
        var (top, left, h, w) = ValidationSampling.CentreWindow(sample.Name, width, height, _crop, _multiple);
        using var rainy = Crop(lq, top, left, h, w);
        using var clean = Crop(gt, top, left, h, w);
        return Luma.Pair(rainy, clean);
    }

    /// <summary>[T, 3, H, W] → [1, T, 3, h, w] at (top, left) (T is 1 for the clean centre frame).</summary>
    private static Tensor Crop(Tensor clip, int top, int left, int h, int w)
    {
        int t = clip.Size(0), c = clip.Size(1), height = clip.Size(2), width = clip.Size(3);
        var src = clip.Span<float>();
        var dst = new float[t * c * h * w];
        for (int p = 0; p < t * c; p++)
            for (int y = 0; y < h; y++)
                src.Slice(p * height * width + (top + y) * width + left, w).CopyTo(dst.AsSpan((p * h + y) * w, w));
        return Tensor.Wrap(dst, 1, t, c, h, w);
    }
}
