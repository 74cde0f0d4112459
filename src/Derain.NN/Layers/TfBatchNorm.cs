using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.NN.Layers;

/// <summary>
/// Batch normalisation as TensorFlow 1.x code written with <c>tf.nn.moments</c> + <c>tf.nn.batch_normalization</c> and
/// <c>moving_averages.assign_moving_average(…, zero_debias=True)</c> computes it (EEVRSR's <c>utils.py</c> BatchNorm).
/// y = (x − mean)/√(var + eps)·γ + β over [N, C, …] per channel. Training uses the batch mean and biased variance
/// and updates the moving statistics; evaluation uses the moving statistics.
/// The moving statistics differ from torch.nn.BatchNorm's running ones in two ways that matter for checkpoints:
/// the variance tracked is the biased one, and the average is zero-debiased — TF keeps a biased accumulator
/// (initialised to 0) and a step count, and publishes accumulator / (1 − decay^step). Both are kept here as
/// buffers so that training resumes exactly and the official checkpoints' bookkeeping can be loaded.
/// State-dict names: weight (γ), bias (β), moving_mean, moving_variance, biased_mean, biased_variance, ema_steps.
/// </summary>
public sealed class TfBatchNorm : Layer
{
    private readonly double _eps, _decay;

    /// <param name="features">Channels C.</param>
    /// <param name="eps">Added to the variance (EEVRSR: 1e-3).</param>
    /// <param name="decay">Moving-average decay (EEVRSR: 0.999).</param>
    public TfBatchNorm(int features, double eps = 1e-3, double decay = 0.999)
    {
        _eps = eps;
        _decay = decay;
        Weight = RegisterParameter("weight", Tensor.Ones(new Shape(features)));
        Bias = RegisterParameter("bias", Tensor.Zeros(new Shape(features)));
        // TF initialises moving_variance to 0 too; it is only read after at least one update or a checkpoint load.
        MovingMean = RegisterBuffer("moving_mean", Tensor.Zeros(new Shape(features)));
        MovingVariance = RegisterBuffer("moving_variance", Tensor.Zeros(new Shape(features)));
        BiasedMean = RegisterBuffer("biased_mean", Tensor.Zeros(new Shape(features)));
        BiasedVariance = RegisterBuffer("biased_variance", Tensor.Zeros(new Shape(features)));
        EmaSteps = RegisterBuffer("ema_steps", Tensor.Zeros(new Shape()));
    }

    /// <summary>γ (TF gamma).</summary>
    public Parameter Weight { get; }

    /// <summary>β (TF beta).</summary>
    public Parameter Bias { get; }

    public ModuleBuffer MovingMean { get; }
    public ModuleBuffer MovingVariance { get; }

    /// <summary>TF's <c>moving_mean/biased</c> accumulator.</summary>
    public ModuleBuffer BiasedMean { get; }

    /// <summary>TF's <c>moving_variance/biased</c> accumulator.</summary>
    public ModuleBuffer BiasedVariance { get; }

    /// <summary>TF's <c>local_step</c> (the same for mean and variance); a float, exact up to 2²⁴ steps.</summary>
    public ModuleBuffer EmaSteps { get; }

    public override Tensor Forward(Tensor x) => Normalize(x, relu: false);

    /// <summary>relu(Forward(x)) in one fused op (<see cref="Ops.BatchNormRelu"/>): the same values and gradients, one pass and one stored tensor fewer.</summary>
    public Tensor ForwardRelu(Tensor x) => Normalize(x, relu: true);

    /// <summary>
    /// <see cref="ForwardRelu"/> of the channel concatenation of <paramref name="parts"/> [N, Cᵢ, …] (ΣCᵢ = the layer's
    /// features) without building it (<see cref="Ops.BatchNormReluConcat"/>): the same values, moving statistics and
    /// gradients as <c>ForwardRelu(Ops.Concat(parts, 1))</c>, without the concatenation's copies.
    /// </summary>
    /// <param name="parts">The features, [N, Cᵢ, …].</param>
    /// <param name="partStatistics">Optional, used in training only: each part's <see cref="Ops.BatchStatistics"/>, computed once by the caller.</param>
    public Tensor ForwardReluConcat(IReadOnlyList<Tensor> parts, IReadOnlyList<(Tensor Mean, Tensor Variance)>? partStatistics = null)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("TfBatchNorm.ForwardReluConcat: needs at least one part.", nameof(parts));
        if (!Training) return Ops.BatchNormReluConcat(parts, MovingMean, MovingVariance, Weight, Bias, training: false, eps: _eps);
        var first = parts[0];
        return Train(first.DType, first.NumElements / first.Shape[1],
            (mean, variance) => Ops.BatchNormReluConcat(parts, mean, variance, Weight, Bias, training: true, momentum: 1.0, eps: _eps,
            partStatistics: partStatistics));
    }

    private Tensor Normalize(Tensor x, bool relu)
    {
        if (!Training)
        {
            return relu
                ? Ops.BatchNormRelu(x, MovingMean, MovingVariance, Weight, Bias, training: false, eps: _eps)
                : Ops.BatchNorm(x, MovingMean, MovingVariance, Weight, Bias, training: false, eps: _eps);
        }
        long count = x.NumElements / Weight.Shape[0];
        return Train(x.DType, count, (mean, variance) => relu
            ? Ops.BatchNormRelu(x, mean, variance, Weight, Bias, training: true, momentum: 1.0, eps: _eps)
            : Ops.BatchNorm(x, mean, variance, Weight, Bias, training: true, momentum: 1.0, eps: _eps));
    }

    /// <summary>
    /// Runs a training-mode batch norm <paramref name="normalize"/>(scratch mean, scratch variance) over
    /// <paramref name="count"/> values per channel and updates the moving averages from its batch statistics.
    /// </summary>
    private Tensor Train(DType dtype, long count, Func<Tensor, Tensor, Tensor> normalize)
    {
        int c = Weight.Shape[0];
        // Ops.BatchNorm with momentum 1 overwrites the scratch statistics with the batch mean and the unbiased
        // variance; the biased one (what tf.nn.moments returns) is recovered by the factor (count − 1)/count.
        using var batchMean = Tensor.Zeros(new Shape(c), dtype);
        using var batchVar = Tensor.Zeros(new Shape(c), dtype);
        var y = normalize(batchMean, batchVar);
        UpdateMovingAverages(batchMean, batchVar, (count - 1.0) / count);
        return y;
    }

    private void UpdateMovingAverages(Tensor batchMean, Tensor unbiasedVar, double toBiased)
    {
        var steps = EmaSteps.Data.AsSpan();
        steps[0] += 1;
        double debias = 1 - Math.Pow(_decay, steps[0]);
        Update(BiasedMean.Data, MovingMean.Data, batchMean, 1.0);
        Update(BiasedVariance.Data, MovingVariance.Data, unbiasedVar, toBiased);
        EmaSteps.Data.MarkModified();

        void Update(Tensor biased, Tensor moving, Tensor batch, double factor)
        {
            var b = biased.AsSpan();
            var m = moving.AsSpan();
            var v = batch.DType == DType.Float32 ? batch.AsSpan().ToArray().Select(f => (double)f).ToArray() : batch.Span<double>().ToArray();
            for (int i = 0; i < b.Length; i++)
            {
                // assign_moving_average with zero_debias: biased −= (biased − value)(1 − decay); moving = biased / (1 − decay^step).
                b[i] = (float)(b[i] - (b[i] - v[i] * factor) * (1 - _decay));
                m[i] = (float)(b[i] / debias);
            }
            biased.MarkModified();
            moving.MarkModified();
        }
    }
}
