using System.Numerics;

namespace Derain.Tensors.Kernels;

/// <summary>
/// Normalisation kernels. Statistics are the biased (population) mean and variance, inverse standard
/// deviations are 1/√(var + eps), like PyTorch. An empty weight or bias span means "none" (weight 1, bias 0);
/// an empty gradient span means that gradient is not wanted.
/// </summary>
public partial interface IKernels
{
    /// <summary>
    /// torch.nn.functional.layer_norm over rows of <paramref name="cols"/> elements: y = (x − mean)·rstd·w + b
    /// with weight/bias of length cols. Writes y and each row's mean and rstd (kept for the backward pass).
    /// </summary>
    void LayerNormForward<T>(int rows, int cols, ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, T eps,
        Span<T> y, Span<T> mean, Span<T> rstd)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Layer-norm gradients for x, weight and bias from the saved row mean and rstd. Outputs are overwritten.</summary>
    void LayerNormBackward<T>(int rows, int cols, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, Span<T> dx, Span<T> dweight, Span<T> dbias)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// Per-channel mean and biased variance of x viewed as [n, channels, inner] (over n and inner). Instance
    /// norm uses it with n = 1 and one "channel" per (sample, channel) plane.
    /// </summary>
    void BatchNormStatistics<T>(int n, int channels, int inner, ReadOnlySpan<T> x, Span<T> mean, Span<T> variance)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>y = (x − mean[c])·invStd[c]·weight[c] + bias[c] over [n, channels, inner]; y is overwritten.</summary>
    void BatchNormForward<T>(int n, int channels, int inner, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> invStd,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// Batch-norm gradients over [n, channels, inner]. With <paramref name="batchStatistics"/> the mean and invStd
    /// were computed from x itself (training), so dx includes their dependence on x; otherwise they were
    /// constants (running statistics) and dx = dy·weight·invStd. dweight = Σ dy·x̂, dbias = Σ dy per channel.
    /// </summary>
    void BatchNormBackward<T>(int n, int channels, int inner, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, ReadOnlySpan<T> mean,
        ReadOnlySpan<T> invStd, ReadOnlySpan<T> weight, bool batchStatistics, Span<T> dx, Span<T> dweight, Span<T> dbias)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>As <see cref="BatchNormForward"/> followed by ReLU: y = max(normalised x, 0), in one pass.</summary>
    void BatchNormReluForward<T>(int n, int channels, int inner, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> invStd,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// Gradients of y = relu(batchnorm(x)): <see cref="BatchNormBackward"/> applied to dy·[y &gt; 0], with y recomputed
    /// from x, mean, invStd, weight and bias exactly as <see cref="BatchNormReluForward"/> computes it (so the forward
    /// output need not be kept or read). Empty dx, dweight or dbias are not computed.
    /// </summary>
    void BatchNormReluBackward<T>(int n, int channels, int inner, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, ReadOnlySpan<T> mean,
        ReadOnlySpan<T> invStd, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, bool batchStatistics, Span<T> dx, Span<T> dweight, Span<T> dbias)
        where T : unmanaged, IFloatingPointIeee754<T>;
}
