using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.Models.Eevrsr;

/// <summary>
/// EEVRSR (Guo et al., ICIP 2019, "EEVRSR: End-To-End Convolutional Network for Video Rain Streaks Removal"), as the
/// official TensorFlow test code computes it (ShirleyGxd/EEVRSR <c>test_code/net_final.py</c>): five luma frames
/// t−2 … t+2 in, the centre frame's luma plus a predicted residual out. <see cref="EevrsrVariant.All"/> first aligns
/// the four neighbours onto t with <see cref="MotionCompensation"/>; <see cref="EevrsrVariant.DerainOnly"/> feeds
/// them unaligned. State-dict names: mc.* (All only) and derain.*.
/// </summary>
public sealed class EevrsrNet : Module
{
    /// <summary>Frames per window (t−2 … t+2).</summary>
    public const int Frames = 5;

    /// <summary>H and W must be multiples of this (two stride-2 stages and a ×4 depth-to-space).</summary>
    public const int SizeMultiple = 4;

    private readonly MotionCompensation? _mc;
    private readonly DerainSubnet _derain;

    /// <param name="variant">Which published network.</param>
    /// <param name="generator">Source of the Xavier-uniform initial weights.</param>
    public EevrsrNet(EevrsrVariant variant, Generator generator)
    {
        Variant = variant;
        if (variant == EevrsrVariant.All) _mc = RegisterModule("mc", new MotionCompensation(generator));
        _derain = RegisterModule("derain", new DerainSubnet(generator, Frames));
    }

    public EevrsrVariant Variant { get; }

    /// <summary>
    /// Sets the residual convolution (derain.conv3) to zero, so that the untrained network returns the centre frame
    /// unchanged and training starts from the input's quality instead of from a random residual of ~1 RMS. A
    /// training-recipe choice for short schedules (the official code initialises it Xavier-uniform like the rest);
    /// the architecture is unchanged, and the gradient of a zero convolution is not zero, so it learns normally.
    /// </summary>
    public void ZeroInitResidual() => _derain.ZeroInitResidual();

    /// <summary>Restored centre luma [N, 1, H, W] for frames [N, 5, H, W] on the [0, 1] scale.</summary>
    public Tensor Forward(Tensor frames) => ForwardDetailed(frames).Output;

    /// <summary>The restored centre luma with, for <see cref="EevrsrVariant.All"/>, the warped neighbours and their flows.</summary>
    public EevrsrForward ForwardDetailed(Tensor frames) => ForwardDetailed(frames, null);

    /// <summary>
    /// As <see cref="ForwardDetailed(Tensor)"/>, reporting intermediate tensors to <paramref name="trace"/> under the names of
    /// ../shared/fixtures/eevrsr (mc_flow_large … mc_warp3 for the batched neighbours, derain_input, conv1, dense1 … 6, conv2, residual).
    /// </summary>
    internal EevrsrForward ForwardDetailed(Tensor frames, Action<string, Tensor>? trace)
    {
        CheckInput(frames);
        int n = frames.Size(0), h = frames.Size(2), w = frames.Size(3);
        var centre = Ops.Narrow(frames, 1, 2, 1);
        Tensor stacked;
        Tensor? warped = null, flow = null;
        if (_mc is null)
        {
            stacked = frames;
        }
        else
        {
            // All four neighbours share the weights: batch them as [4N, 1, H, W], sample-major.
            var neighbours = Ops.Reshape(Ops.Concat([Ops.Narrow(frames, 1, 0, 2), Ops.Narrow(frames, 1, 3, 2)], 1), 4 * n, 1, h, w);
            var targets = Ops.Reshape(Ops.Repeat(centre, 1, 4, 1, 1), 4 * n, 1, h, w);
            (var aligned, flow) = _mc.Forward(targets, neighbours, trace is null ? null : (name, t) => trace("mc_" + name, t));
            warped = Ops.Reshape(aligned, n, 4, h, w);
            // The official order: cat(F_{t−2}→t, F_{t−1}→t, F_t, F_{t+1}→t, F_{t+2}→t).
            stacked = Ops.Concat([Ops.Narrow(warped, 1, 0, 2), centre, Ops.Narrow(warped, 1, 2, 2)], 1);
        }
        trace?.Invoke("derain_input", stacked);
        var residual = _derain.Forward(stacked, trace);
        trace?.Invoke("residual", residual);
        var output = centre + residual;
        return new EevrsrForward(output, warped, flow);
    }

    private static void CheckInput(Tensor frames)
    {
        if (frames.Rank != 4 || frames.Size(1) != Frames)
            throw new ArgumentException($"EEVRSR takes frames [N, {Frames}, H, W] (luma of t−2 … t+2); got {frames.Shape}.", nameof(frames));
        if (frames.Size(2) % SizeMultiple != 0 || frames.Size(3) % SizeMultiple != 0)
            throw new ArgumentException(
                $"EEVRSR needs a height and width that are multiples of {SizeMultiple}; got {frames.Size(2)}×{frames.Size(3)}. Pad the frames (derain run does this) or crop them.",
                nameof(frames));
    }
}
