using Derain.Tensors;

namespace Derain.NN.Losses;

/// <summary>How a loss turns per-element values into its result (torch's reduction argument).</summary>
public enum Reduction
{
    /// <summary>The mean over all elements.</summary>
    Mean,
    /// <summary>The sum over all elements.</summary>
    Sum,
    /// <summary>Per-element values.</summary>
    None,
}

/// <summary>
/// Training losses, built from differentiable ops so their gradients come from autograd. Each checks that
/// prediction and target have the same shape and names both when they do not.
/// </summary>
public static class Loss
{
    /// <summary>torch.nn.functional.l1_loss: |p − t|.</summary>
    public static Tensor L1(Tensor pred, Tensor target, Reduction reduction = Reduction.Mean)
        => Reduce(Ops.Abs(Diff("L1", pred, target)), reduction);

    /// <summary>torch.nn.functional.mse_loss: (p − t)².</summary>
    public static Tensor Mse(Tensor pred, Tensor target, Reduction reduction = Reduction.Mean)
        => Reduce(Ops.Square(Diff("Mse", pred, target)), reduction);

    /// <summary>
    /// Charbonnier loss √((p − t)² + ε), BasicSR's CharbonnierLoss (ε = 1e-12 by default, mean), a smooth L1
    /// that ViMP-Net and BasicVSR++ train with.
    /// </summary>
    public static Tensor Charbonnier(Tensor pred, Tensor target, double eps = 1e-12, Reduction reduction = Reduction.Mean)
        => Reduce(Ops.Sqrt(Ops.Square(Diff("Charbonnier", pred, target)) + eps), reduction);

    /// <summary>
    /// torch.nn.functional.binary_cross_entropy on probabilities: −(t·log p + (1 − t)·log(1 − p)), with each
    /// log clamped at −100 as PyTorch does so p = 0 or 1 gives a finite loss.
    /// </summary>
    public static Tensor BinaryCrossEntropy(Tensor prob, Tensor target, Reduction reduction = Reduction.Mean)
    {
        CheckShapes("BinaryCrossEntropy", prob, target);
        var logP = Ops.Clamp(Ops.Log(prob), -100, null);
        var log1mP = Ops.Clamp(Ops.Log(Ops.Affine(prob, -1, 1)), -100, null);
        var perElement = Ops.Neg(target * logP + Ops.Affine(target, -1, 1) * log1mP);
        return Reduce(perElement, reduction);
    }

    /// <summary>
    /// torch.nn.functional.binary_cross_entropy_with_logits in its stable form
    /// max(x, 0) − x·t + log(1 + e^(−|x|)).
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean)
    {
        CheckShapes("BinaryCrossEntropyWithLogits", logits, target);
        var softplus = Ops.Log(Ops.Exp(Ops.Neg(Ops.Abs(logits))) + 1.0);
        return Reduce(Ops.Relu(logits) - logits * target + softplus, reduction);
    }

    /// <summary>1 − SSIM(p, t) (see <see cref="Ssim"/>), a loss to minimise.</summary>
    public static Tensor SsimLoss(Tensor pred, Tensor target) => Ops.Affine(Ssim(pred, target), -1, 1);

    /// <summary>
    /// Differentiable SSIM of [N, C, H, W] images in [0, 1], as the pytorch-ssim module MGID trains with
    /// computes it: an 11×11 Gaussian window (σ = 1.5) applied per channel with zero padding of 5 (so the map
    /// keeps the image size), C1 = 0.01², C2 = 0.03², mean over the whole map. (The evaluation metric in
    /// Derain.Data uses the MATLAB 'valid' convention instead.)
    /// </summary>
    public static Tensor Ssim(Tensor x, Tensor y, int windowSize = 11, double sigma = 1.5)
    {
        CheckShapes("Ssim", x, y);
        if (x.Rank != 4) throw new ArgumentException($"Ssim: images must be [N, C, H, W]; got {x.Shape}.");
        int c = x.Size(1), pad = windowSize / 2;
        using var window = GaussianWindow(c, windowSize, sigma, x.DType);
        Tensor Blur(Tensor t) => Ops.Conv2d(t, window, null, 1, pad, 1, c);
        var muX = Blur(x);
        var muY = Blur(y);
        var muX2 = muX * muX;
        var muY2 = muY * muY;
        var muXY = muX * muY;
        var sigmaX = Blur(x * x) - muX2;
        var sigmaY = Blur(y * y) - muY2;
        var sigmaXY = Blur(x * y) - muXY;
        const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
        var num = Ops.Affine(muXY, 2, c1) * Ops.Affine(sigmaXY, 2, c2);
        var den = Ops.Add(muX2 + muY2, c1) * Ops.Add(sigmaX + sigmaY, c2);
        return Ops.Mean(num / den);
    }

    /// <summary>A [C, 1, k, k] normalised Gaussian window for a depthwise convolution.</summary>
    private static Tensor GaussianWindow(int channels, int size, double sigma, DType dtype)
    {
        var g = new double[size];
        double sum = 0;
        for (int i = 0; i < size; i++)
        {
            double d = i - size / 2;
            g[i] = Math.Exp(-d * d / (2 * sigma * sigma));
            sum += g[i];
        }
        var w = new double[channels * size * size];
        for (int ch = 0; ch < channels; ch++)
            for (int i = 0; i < size; i++)
                for (int j = 0; j < size; j++)
                    w[(ch * size + i) * size + j] = g[i] / sum * (g[j] / sum);
        var t = Tensor.FromArray(w, channels, 1, size, size);
        return dtype == DType.Float64 ? t : t.To(dtype);
    }

    private static Tensor Diff(string op, Tensor pred, Tensor target)
    {
        CheckShapes(op, pred, target);
        return pred - target;
    }

    private static void CheckShapes(string op, Tensor pred, Tensor target)
    {
        if (pred.Shape != target.Shape)
            throw new ArgumentException($"{op} loss: prediction {pred.Shape} and target {target.Shape} differ in shape.");
    }

    private static Tensor Reduce(Tensor perElement, Reduction reduction) => reduction switch
    {
        Reduction.Mean => Ops.Mean(perElement),
        Reduction.Sum => Ops.Sum(perElement),
        _ => perElement,
    };
}
