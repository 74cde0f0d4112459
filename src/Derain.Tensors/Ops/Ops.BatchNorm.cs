using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps) for
    /// input [N, C, …]. Training normalises with the batch mean and biased variance over N and the spatial
    /// dimensions and, when running statistics are given, updates them in place:
    /// running = (1 − momentum)·running + momentum·batch, with the unbiased variance for running_var.
    /// Evaluation normalises with the running statistics (which must be given). Weight and bias are optional [C].
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5)
        => BatchNorm("BatchNorm", x, runningMean, runningVar, weight, bias, training, momentum, eps, relu: false);

    /// <summary>
    /// relu(batch_norm(…)) with the arguments of <see cref="BatchNorm(Tensor, Tensor?, Tensor?, Tensor?, Tensor?, bool, double, double)"/>,
    /// fused (no PyTorch counterpart): the ReLU is applied in the normalisation pass and its gradient mask inside the
    /// batch-norm backward pass, so the intermediate batch-norm output is never stored. Values and gradients equal
    /// <c>Ops.Relu(Ops.BatchNorm(…))</c> exactly (same arithmetic, same order).
    /// </summary>
    public static Tensor BatchNormRelu(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5)
        => BatchNorm("BatchNormRelu", x, runningMean, runningVar, weight, bias, training, momentum, eps, relu: true);

    private static Tensor BatchNorm(string op, Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, double momentum, double eps, bool relu)
    {
        var (n, channels, inner) = ChannelLayout(op, x, runningMean, runningVar, weight, bias, eps);
        if (!training)
        {
            if (runningMean is null || runningVar is null)
                throw new ArgumentException($"{op}: evaluation mode (training: false) needs running_mean and running_var; input {x.Shape}.");
            return ChannelNormFromStatistics(op, x, n, channels, inner, CopyOutOfGraph(runningMean), VarianceToInvStd(runningVar, eps), weight, bias, false,
                relu: relu);
        }
        long count = (long)n * inner;
        if (count <= 1)
            throw ShapeError(op, $"expected more than 1 value per channel when training; got input {x.Shape}.");
        var (mean, variance) = ChannelStatistics(x, n, channels, inner);
        if (runningMean is not null) UpdateRunning(runningMean, mean, 1, momentum, 1.0);
        if (runningVar is not null) UpdateRunning(runningVar, variance, 1, momentum, count / (count - 1.0));
        var invStd = VarianceToInvStd(variance, eps);
        variance.Dispose();
        return ChannelNormFromStatistics(op, x, n, channels, inner, mean, invStd, weight, bias, true, relu: relu);
    }

    /// <summary>
    /// torch.nn.functional.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)
    /// for input [N, C, …]: each (sample, channel) plane is normalised with its own mean and biased variance.
    /// Running statistics are optional (none by default); when given with <paramref name="useInputStats"/> they are
    /// updated in place with the batch average of the per-instance mean and unbiased variance. Without
    /// <paramref name="useInputStats"/> the running statistics are used instead (they must be given).
    /// Weight and bias are optional [C] (affine).
    /// </summary>
    public static Tensor InstanceNorm(Tensor x, Tensor? runningMean = null, Tensor? runningVar = null, Tensor? weight = null, Tensor? bias = null,
        bool useInputStats = true, double momentum = 0.1, double eps = 1e-5)
    {
        const string op = "InstanceNorm";
        if (x.Rank < 3)
            throw ShapeError(op, $"input must be [N, C, spatial…] with at least one spatial dimension; got shape {x.Shape}.");
        var (n, channels, inner) = ChannelLayout(op, x, runningMean, runningVar, weight, bias, eps);
        if (!useInputStats)
        {
            if (runningMean is null || runningVar is null)
                throw new ArgumentException($"{op}: use_input_stats: false needs running_mean and running_var; input {x.Shape}.");
            return ChannelNormFromStatistics(op, x, n, channels, inner, CopyOutOfGraph(runningMean), VarianceToInvStd(runningVar, eps), weight, bias, false);
        }
        if (inner <= 1)
            throw ShapeError(op, $"expected more than 1 spatial element per instance when using input statistics; got input {x.Shape}.");
        // Every (sample, channel) plane is a "channel" of its own: statistics and normalisation run over
        // [1, N·C, inner], with the per-channel weight and bias repeated for each sample.
        var (mean, variance) = ChannelStatistics(x, 1, n * channels, inner);
        if (runningMean is not null) UpdateRunning(runningMean, mean, n, momentum, 1.0);
        if (runningVar is not null) UpdateRunning(runningVar, variance, n, momentum, inner / (inner - 1.0));
        var invStd = VarianceToInvStd(variance, eps);
        variance.Dispose();
        return ChannelNormFromStatistics(op, x, n, channels, inner, mean, invStd, weight, bias, true, perInstance: true);
    }

    /// <summary>Validates input [N, C, …] and the optional [C] tensors; returns (N, C, spatial size).</summary>
    private static (int N, int C, int Inner) ChannelLayout(string op, Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias, double eps)
    {
        x.ThrowIfDisposed();
        if (x.Rank < 2) throw ShapeError(op, $"input must be [N, C, …] with at least 2 dimensions; got shape {x.Shape}.");
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), $"{op}: eps must be ≥ 0; got {eps}.");
        int c = x.Shape[1];
        CheckChannelParameters(op, x, c, $"for input {x.Shape} (C = {c})", runningMean, runningVar, weight, bias);
        return (x.Shape[0], c, x.Shape.Product(2, x.Rank));
    }

    /// <summary>
    /// Checks the optional per-channel tensors (running statistics, affine parameters): alive, of <paramref name="like"/>'s
    /// dtype and of shape [<paramref name="channels"/>]; <paramref name="expectedFor"/> ends the message ("for input …").
    /// </summary>
    private static void CheckChannelParameters(string op, Tensor like, int channels, string expectedFor,
        Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias)
    {
        foreach (var (t, what) in new[] { (runningMean, "running_mean"), (runningVar, "running_var"), (weight, "weight"), (bias, "bias") })
        {
            if (t is null) continue;
            t.ThrowIfDisposed();
            CheckSameDType(op, like, t);
            if (t.Rank != 1 || t.Shape[0] != channels)
                throw ShapeError(op, $"{what} has shape {t.Shape}; expected [{channels}] {expectedFor}.");
        }
    }

    /// <summary>Mean and biased variance per channel of x viewed as [n, channels, inner].</summary>
    private static (Tensor Mean, Tensor Variance) ChannelStatistics(Tensor x, int n, int channels, int inner)
    {
        var mean = Tensor.Empty(new Shape(channels), x.DType);
        var variance = Tensor.Empty(new Shape(channels), x.DType);
        var k = KernelBackend.For(x.DType);
        if (x.DType == DType.Float32) k.BatchNormStatistics(n, channels, inner, x.Span<float>(), mean.Span<float>(), variance.Span<float>());
        else k.BatchNormStatistics(n, channels, inner, x.Span<double>(), mean.Span<double>(), variance.Span<double>());
        return (mean, variance);
    }

    /// <summary>A copy that never joins the graph (running statistics are buffers, not differentiable inputs).</summary>
    private static Tensor CopyOutOfGraph(Tensor t)
    {
        using var noGrad = GradMode.NoGrad();
        return Clone(t);
    }

    /// <summary>1/√(variance + eps) as a new tensor (computed in double).</summary>
    private static Tensor VarianceToInvStd(Tensor variance, double eps)
    {
        var v = variance.ToDoubleArray();
        var r = new double[v.Length];
        for (int i = 0; i < v.Length; i++) r[i] = 1.0 / Math.Sqrt(v[i] + eps);
        var t = Tensor.Empty(variance.Shape, variance.DType);
        if (t.DType == DType.Float32) { var s = t.Span<float>(); for (int i = 0; i < r.Length; i++) s[i] = (float)r[i]; }
        else r.AsSpan().CopyTo(t.Span<double>());
        return t;
    }

    /// <summary>
    /// running ← (1 − momentum)·running + momentum·factor·mean over the <paramref name="groups"/> consecutive
    /// blocks of <paramref name="batch"/> (groups = N averages instance statistics per channel). In place.
    /// </summary>
    private static void UpdateRunning(Tensor running, Tensor batch, int groups, double momentum, double factor)
    {
        int c = running.NumElements;
        var b = batch.ToDoubleArray();
        for (int ch = 0; ch < c; ch++)
        {
            double s = 0;
            for (int gi = 0; gi < groups; gi++) s += b[gi * c + ch];
            double update = s / groups * factor;
            if (running.DType == DType.Float32)
            {
                var r = running.Span<float>();
                r[ch] = (float)((1 - momentum) * r[ch] + momentum * update);
            }
            else
            {
                var r = running.Span<double>();
                r[ch] = (1 - momentum) * r[ch] + momentum * update;
            }
        }
        running.MarkModified();
    }
}
