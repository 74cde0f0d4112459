using Derain.Data.Imaging;
using Derain.Data.Loading;
using Derain.Data.Metrics;
using Derain.Data.Synthesis;
using Derain.Tensors;

namespace Derain.Pipelines.Training.Data;

/// <summary>
/// Held-out RGB clips for networks that restore every frame of a window in colour (ViMP-Net): at most
/// <c>val.max_clips</c> clips of a VRDS-layout set, evenly spaced, each cut to its centre <c>val.crop</c> square (or the
/// whole frame cut down to the size multiple). The score is the RGB PSNR/SSIM of the restored centre frame against the
/// clean one, 8-bit, no border crop — the convention of the official <c>metrics/cal-iqa.py</c> — averaged per video,
/// then over videos. (Every frame but the first and last two is the centre of one clip, so a set measured whole covers
/// its videos frame by frame.)
/// </summary>
public sealed class RgbClipValidationSet : IValidationSet
{
    private readonly VrdsDataset _dataset;
    private readonly Func<Tensor, Tensor> _predict;
    private readonly int[] _indices;
    private readonly int? _crop;
    private readonly int _multiple;

    /// <param name="root">The VRDS-layout set (gt and lq are read).</param>
    /// <param name="clipLength">Frames per clip.</param>
    /// <param name="maxClips">At most this many clips (null: all).</param>
    /// <param name="crop">Side of the centre square measured (null: the whole frame).</param>
    /// <param name="sizeMultiple">The measured size is cut down to multiples of this.</param>
    /// <param name="predict">RGB clips [1, T, 3, h, w] on [0, 1] → the restored clip [1, T, 3, h, w].</param>
    public RgbClipValidationSet(string root, int clipLength, int? maxClips, int? crop, int sizeMultiple, Func<Tensor, Tensor> predict)
    {
        _predict = predict;
        _dataset = new VrdsDataset(root, clipLength, keys: [DatasetLayout.Rainy]);
        _indices = ValidationSampling.EvenlySpaced(_dataset.Count, maxClips);
        _crop = crop;
        _multiple = sizeMultiple;
    }

    public int Count => _indices.Length;

    public (QualityScore Restored, QualityScore Input) Evaluate() => ValidationSampling.Average(_indices, Measure);

    private (string Video, QualityScore Restored, QualityScore Input) Measure(int index)
    {
        using var sample = _dataset.Get(index, new Generator(0));
        var lq = sample[DatasetLayout.Rainy];
        var gt = sample[DatasetLayout.Clean];
        int t = lq.Size(0), height = lq.Size(-2), width = lq.Size(-1);
        var (top, left, h, w) = ValidationSampling.CentreWindow(sample.Name, width, height, _crop, _multiple);
        var frames = Ops.Unsqueeze(Ops.Narrow(Ops.Narrow(lq, 2, top, h), 3, left, w), 0);
        var output = _predict(frames);
        var centre = Frame(output, t / 2);
        var clean = Ops.Narrow(Ops.Narrow(Ops.Narrow(gt, 0, t / 2, 1), 2, top, h), 3, left, w);
        var rainy = Frame(frames, t / 2);
        var truth = new Image(3, h, w, clean.ToArray());
        return (sample.Name[..sample.Name.LastIndexOf('/')],
            QualityMetrics.Evaluate(new Image(3, h, w, centre.ToArray()), truth),
            QualityMetrics.Evaluate(new Image(3, h, w, rainy.ToArray()), truth));
    }

    /// <summary>Frame <paramref name="i"/> of [1, T, 3, h, w] (Narrow always returns a dense tensor).</summary>
    private static Tensor Frame(Tensor clip, int i) => Ops.Narrow(clip, 1, i, 1);
}
