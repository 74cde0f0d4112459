using Derain.Models.Common;
using Derain.NN.Layers;
using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.Models.Vimpnet;

/// <summary>The four outputs of <see cref="VimpnetNet.Forward"/>, all [N, T, C, H, W] at the input resolution.</summary>
/// <param name="Stage1">Stage-1 restoration (streaks removed, raindrops left): input + conv_last residual, C = 3.</param>
/// <param name="DropMask">The raindrop mask after its sigmoid, C = 1.</param>
/// <param name="StreakMap">The streak-intensity map (no activation), upsampled from ¼ resolution bilinearly with align_corners=True, C = 1.</param>
/// <param name="Output">The final restoration: stage1 + the mask-guided transformer's residual, C = 3.</param>
public sealed record VimpnetForward(Tensor Stage1, Tensor DropMask, Tensor StreakMap, Tensor Output);

/// <summary>
/// ViMP-Net (Wu, Yang, Chen, Ren, Zhu, "Mask-Guided Progressive Network for Joint Raindrop and Rain Streak Removal in
/// Videos", ACM MM 2023), the generator <c>ViMPNet(mid_channels=64, num_blocks=9)</c> of the official code (GitHub
/// TonyHongtaoWu/ViMP-Net, <c>mmedit/models/backbones/derain_backbones/ViMPNet.py</c>), evaluation forward.
/// <para>
/// Input: RGB frames [N, T, 3, H, W] on the [0, 1] scale (T = 5 in the official test), H and W multiples of 4 and at
/// least 256. Stage 1 (¼ resolution, BasicVSR++-style): per-frame features, the streak-intensity head (Conv3d),
/// SPyNet flows on the frames bicubically downsampled ×¼, one backward then one forward second-order propagation with
/// <see cref="SecondOrderDeformableAlignment"/>, ResNet3D reconstruction to full resolution, the raindrop-mask head and
/// the stage-1 residual. Stage 2: <see cref="DualMaskTransformer"/> guided by the mask.
/// </para>
/// <para>
/// State-dict names are the official module's (312 tensors, 36,932,210 values: spynet.*, feat_extract.*,
/// deform_align.{backward_1, forward_1}.*, backbone.*, reconstruction.*, conv_last.*, S_mask_streak.*, S_mask_drop.*,
/// Dual_Raindrop_gnostic_Transformer.*). Batches of more than one clip work here; the official transformer's .view on a
/// transposed tensor limits it to one.
/// </para>
/// </summary>
public sealed class VimpnetNet : Module
{
    /// <summary>Feature channels (mid_channels) of the official generator.</summary>
    public const int MidChannels = 64;

    /// <summary>Residual blocks of each propagation backbone (num_blocks) of the official generator.</summary>
    public const int PropagationBlocks = 9;

    /// <summary>H and W must be multiples of this (two stride-2 convolutions, two ×2 pixel shuffles).</summary>
    public const int SizeMultiple = 4;

    /// <summary>The official forward asserts that the ¼-scale flow input is at least 64 pixels each way.</summary>
    public const int MinSize = 256;

    private readonly VimpnetOptions _options;

    private readonly SpyNet _spynet;
    private readonly Sequential _featExtract;
    private readonly SecondOrderDeformableAlignment _alignBackward, _alignForward;
    private readonly ResidualBlocksWithInputConv _backboneBackward, _backboneForward;
    private readonly ResNet3D _reconstruction;
    private readonly ConvNd _convLast;
    private readonly Sequential _streakHead, _dropHead;
    private readonly DualMaskTransformer _transformer;

    /// <param name="generator">Source of the official initial weights (PyTorch defaults, mmedit's scaled Kaiming for the
    /// 2-D residual blocks, zero offset convolutions, N(0, 0.02) for the transformer).</param>
    /// <param name="options">Widths (null: <see cref="VimpnetOptions.Official"/>).</param>
    public VimpnetNet(Generator generator, VimpnetOptions? options = null)
    {
        var g = generator;
        _options = options ?? VimpnetOptions.Official;
        _options.Validate();
        int c = _options.MidChannels, blocks = _options.NumBlocks, r = c / 4;
        _spynet = RegisterModule("spynet", new SpyNet(g));
        _featExtract = RegisterModule("feat_extract", new Sequential(
            ConvNd.Conv2d(3, c, 3, g, stride: 2, padding: 1), new LeakyRelu(0.1),
            ConvNd.Conv2d(c, c, 3, g, stride: 2, padding: 1), new LeakyRelu(0.1),
            new ResidualBlocksWithInputConv(c, c, 5, g)));
        var align = RegisterModule("deform_align", new Container());
        _alignBackward = align.Add("backward_1", new SecondOrderDeformableAlignment(2 * c, c, g));
        _alignForward = align.Add("forward_1", new SecondOrderDeformableAlignment(2 * c, c, g));
        var backbone = RegisterModule("backbone", new Container());
        _backboneBackward = backbone.Add("backward_1", new ResidualBlocksWithInputConv(2 * c, c, blocks, g));
        _backboneForward = backbone.Add("forward_1", new ResidualBlocksWithInputConv(3 * c, c, blocks, g));
        _reconstruction = RegisterModule("reconstruction", new ResNet3D(c, 5, g));
        _convLast = RegisterModule("conv_last", ConvNd.Conv3d(r, 3, [1, 3, 3], g, padding: [0, 1, 1]));
        _streakHead = RegisterModule("S_mask_streak", new Sequential(
            ConvNd.Conv3d(c, c / 4, [3, 3, 3], g, padding: [1, 1, 1]), new LeakyRelu(0.2),
            ConvNd.Conv3d(c / 4, c / 4, [1, 1, 1], g), new LeakyRelu(0.2),
            ConvNd.Conv3d(c / 4, 1, [3, 3, 3], g, padding: [1, 1, 1])));
        _dropHead = RegisterModule("S_mask_drop", new Sequential(
            ConvNd.Conv3d(r, r / 2, [3, 3, 3], g, padding: [1, 1, 1]), new LeakyRelu(0.2),
            ConvNd.Conv3d(r / 2, r / 2, [1, 1, 1], g), new LeakyRelu(0.2),
            ConvNd.Conv3d(r / 2, 1, [3, 3, 3], g, padding: [1, 1, 1])));
        _transformer = RegisterModule("Dual_Raindrop_gnostic_Transformer", new DualMaskTransformer(g, _options.TransformerChannels, _options.TransformerHidden));
    }

    /// <summary>
    /// Gradient checkpointing for training (<see cref="GradientCheckpoint"/>): each propagation step, the
    /// reconstruction with its heads, and the transformer keep only their inputs and outputs while the forward pass
    /// records, and are recomputed during backward. Off by default; no effect on the result or without grad recording.
    /// </summary>
    public bool Checkpointing { get; set; }

    /// <summary>The widths this network was built with.</summary>
    public VimpnetOptions Options => _options;

    /// <summary>The optical-flow network (its weights may come from BasicVSR's pretrained SPyNet).</summary>
    public SpyNet SpyNet => _spynet;

    /// <summary>ViMPNet.forward: stage1, raindrop mask, streak map and output for <paramref name="frames"/> [N, T, 3, H, W] (RGB, [0, 1]).</summary>
    public VimpnetForward Forward(Tensor frames)
    {
        CheckInput(frames);
        int n = frames.Size(0), t = frames.Size(1), h = frames.Size(3), w = frames.Size(4);
        var flat = Ops.Reshape(frames, n * t, 3, h, w);

        // Per-frame features at ¼ resolution, [N, T, 64, h4, w4].
        var features = Intermediates.Release(() => _featExtract.Forward(flat));
        int h4 = features.Size(2), w4 = features.Size(3);
        var video = Ops.Reshape(features, n, t, _options.MidChannels, h4, w4);
        var spatial = Enumerable.Range(0, t).Select(i => FrameOf(video, i)).ToList();

        // Streak intensity at ¼ resolution (Conv3d over [N, C, T, h4, w4]), one map per frame.
        var streak = Intermediates.Release(() => _streakHead.Forward(Ops.Permute(video, 0, 2, 1, 3, 4)));
        Intermediates.Drop(video);
        Intermediates.Drop(features);
        var streakFrames = Enumerable.Range(0, t).Select(i => Ops.Reshape(Ops.Narrow(streak, 2, i, 1), n, 1, h4, w4)).ToList();

        // Flows between neighbours on the frames bicubically downsampled ×¼ (scale_factor 0.25, align_corners=False).
        var (flowsBackward, flowsForward) = ComputeFlows(flat, n, t, h, w);

        var backward = Propagate(spatial, null, flowsBackward, streakFrames, _alignBackward, _backboneBackward, isBackward: true);
        var forward = Propagate(spatial, backward, flowsForward, streakFrames, _alignForward, _backboneForward, isBackward: false);
        foreach (var f in flowsBackward.Concat(flowsForward).Concat(streakFrames)) Intermediates.Drop(f);

        var streakMap = Intermediates.Release(() =>
        {
            var perFrame = Ops.Reshape(Ops.Permute(streak, 0, 2, 1, 3, 4), n * t, 1, h4, w4);
            return Ops.Reshape(Ops.Interpolate(perFrame, h, w, InterpolateMode.Bilinear, alignCorners: true), n, t, 1, h, w);
        });
        Intermediates.Drop(streak);

        // Reconstruction input: cat(spatial, backward, forward) per frame, stacked on the depth axis of a Conv3d.
        var refined = Intermediates.Release(() => Ops.Concat(
            Enumerable.Range(0, t).Select(i => Ops.Unsqueeze(Ops.Concat([spatial[i], backward[i], forward[i]], 1), 2)).ToList(), 2));
        foreach (var f in spatial.Concat(backward).Concat(forward)) Intermediates.Drop(f);
        // Reconstruction and both heads in one block: [N, T, 4, H, W] = stage1 (3 channels) and the raindrop mask.
        var heads = Checkpointing ? GradientCheckpoint.Run(x => ReconstructAndHeads(x[0], x[1]), refined, frames) : ReconstructAndHeads(refined, frames);
        Intermediates.Drop(refined);
        var stage1 = Ops.Narrow(heads, 2, 0, 3);
        var dropMask = Ops.Narrow(heads, 2, 3, 1);
        Intermediates.Drop(heads);

        var residual = Checkpointing ? GradientCheckpoint.Run(x => _transformer.Forward(x[0], x[1]), stage1, dropMask) : _transformer.Forward(stage1, dropMask);
        var output = stage1 + residual;
        Intermediates.Drop(residual);
        return new VimpnetForward(stage1, dropMask, streakMap, output);
    }

    /// <summary>ResNet3D on the concatenated features, then conv_last + input (stage1) and the sigmoid raindrop mask,
    /// returned together as [N, T, 4, H, W].</summary>
    private Tensor ReconstructAndHeads(Tensor refined, Tensor frames) => Intermediates.Release(() =>
    {
        var restored = _reconstruction.Forward(refined);
        var dropMask = Ops.Permute(Ops.Sigmoid(_dropHead.Forward(restored)), 0, 2, 1, 3, 4);
        var stage1 = Ops.Permute(_convLast.Forward(restored), 0, 2, 1, 3, 4) + frames;
        return Ops.Concat([stage1, dropMask], 2);
    });

    /// <summary>
    /// compute_flow: backward flows spynet(f_j, f_{j+1}) and forward flows spynet(f_{j+1}, f_j), j = 0 … T−2, each
    /// [N, 2, h4, w4]. For a mirror-extended clip (T even, frame i = frame T−1−i) the forward flows are the backward
    /// ones reversed, as the official code uses them then.
    /// </summary>
    private (List<Tensor> Backward, List<Tensor> Forward) ComputeFlows(Tensor flat, int n, int t, int h, int w)
    {
        var small = Intermediates.Release(() => Ops.InterpolateScale(flat, 0.25, InterpolateMode.Bicubic, alignCorners: false));
        int hs = small.Size(2), ws = small.Size(3);
        var clip = Ops.Reshape(small, n, t, 3, hs, ws);
        var first = Ops.Reshape(Ops.Narrow(clip, 1, 0, t - 1), n * (t - 1), 3, hs, ws);
        var second = Ops.Reshape(Ops.Narrow(clip, 1, 1, t - 1), n * (t - 1), 3, hs, ws);
        Intermediates.Drop(small);
        var backward = Split(_spynet.Forward(first, second), n, t - 1);
        var forward = IsMirrorExtended(flat, n, t)
            ? Enumerable.Range(0, t - 1).Select(j => Ops.Clone(backward[t - 2 - j])).ToList()
            : Split(_spynet.Forward(second, first), n, t - 1);
        Intermediates.Drop(first);
        Intermediates.Drop(second);
        return (backward, forward);
    }

    private static List<Tensor> Split(Tensor flows, int n, int pairs)
    {
        var video = Ops.Reshape(flows, n, pairs, 2, flows.Size(2), flows.Size(3));
        var result = Enumerable.Range(0, pairs).Select(j => FrameOf(video, j)).ToList();
        Intermediates.Drop(flows);
        return result;
    }

    /// <summary>check_if_mirror_extended: T even and the first half equal to the second half reversed.</summary>
    private static bool IsMirrorExtended(Tensor flat, int n, int t)
    {
        if (t % 2 != 0) return false;
        var v = flat.ToArray();
        int frame = v.Length / (n * t);
        for (int b = 0; b < n; b++)
            for (int i = 0; i < t / 2; i++)
                if (!v.AsSpan((b * t + i) * frame, frame).SequenceEqual(v.AsSpan((b * t + t - 1 - i) * frame, frame))) return false;
        return true;
    }

    /// <summary>
    /// ViMPNet.propagate for one direction: frames in reverse (backward) or natural (forward) order, the propagated
    /// feature starting at zero. From the second frame on it is aligned by the deformable alignment with the first-order
    /// flow and, from the third on, the second-order one (flow_n1 + flow_n2 warped by flow_n1) and the feature two steps
    /// back; then feat_prop += backbone(cat(feat_current, [backward feature], feat_prop)). The streak map passed to the
    /// alignment is streakmask[flow_idx[i]]: the current frame in the backward pass, the previous frame in the forward
    /// pass — an indexing quirk of the official code, reproduced. Returns one feature per frame in frame order.
    /// </summary>
    private List<Tensor> Propagate(List<Tensor> spatial, List<Tensor>? backwardFeatures, List<Tensor> flows, List<Tensor> streak,
        SecondOrderDeformableAlignment align, ResidualBlocksWithInputConv backbone, bool isBackward)
    {
        int t = spatial.Count;
        var order = isBackward ? Enumerable.Range(0, t).Reverse().ToArray() : Enumerable.Range(0, t).ToArray();
        int FlowIndex(int i) => isBackward ? order[i] : i - 1;
        var outputs = new List<Tensor>();
        var shape = spatial[0].Shape;
        Tensor? featProp = null;
        for (int i = 0; i < t; i++)
        {
            int idx = order[i];
            // The step's tensor inputs in a fixed layout, so that a checkpointed step can be recomputed from them:
            // [current, backward feature?, feat_prop?, flow_n1?, streak?, feat_n2?, flow of the step before?].
            var inputs = new List<Tensor> { spatial[idx] };
            if (backwardFeatures is not null) inputs.Add(backwardFeatures[idx]);
            if (i > 0) inputs.AddRange([featProp!, flows[FlowIndex(i)], streak[FlowIndex(i)]]);
            if (i > 1) inputs.AddRange([outputs[^2], flows[FlowIndex(i - 1)]]);
            int step = i;
            Tensor Step(Tensor[] x) => PropagationStep(x, step, backwardFeatures is not null, shape, align, backbone);
            featProp = Intermediates.Release(() => Checkpointing ? GradientCheckpoint.Run(Step, [.. inputs]) : Step([.. inputs]));
            outputs.Add(featProp);
        }
        if (isBackward) outputs.Reverse();
        return outputs;
    }

    /// <summary>
    /// One step of <see cref="Propagate"/> on the inputs it lists: from the second frame on, the propagated feature is
    /// aligned with the first-order flow and, from the third on, the second-order one (flow_n1 + flow_n2 warped by
    /// flow_n1) and the feature two steps back; then feat_prop += backbone(cat(feat_current, [backward feature], feat_prop)).
    /// </summary>
    private static Tensor PropagationStep(Tensor[] x, int step, bool hasBackward, Shape shape,
        SecondOrderDeformableAlignment align, ResidualBlocksWithInputConv backbone)
    {
        int k = 0;
        var current = x[k++];
        var backwardFeature = hasBackward ? x[k++] : null;
        var prop = step > 0 ? x[k++] : Tensor.Zeros(shape, current.DType);
        if (step > 0)
        {
            var flow1 = x[k++];
            var streak = x[k++];
            var cond1 = VimpnetOps.FlowWarp(prop, flow1, GridSamplePadding.Zeros);
            Tensor featN2, flow2, cond2;
            if (step > 1)
            {
                featN2 = x[k++];
                var flowBefore = x[k++];
                flow2 = flow1 + VimpnetOps.FlowWarp(flowBefore, flow1, GridSamplePadding.Zeros);
                cond2 = VimpnetOps.FlowWarp(featN2, flow2, GridSamplePadding.Zeros);
            }
            else
            {
                featN2 = Tensor.Zeros(shape, current.DType);
                flow2 = Tensor.Zeros(flow1.Shape, flow1.DType);
                cond2 = Tensor.Zeros(shape, current.DType);
            }
            var condition = Ops.Concat([cond1, current, cond2], 1);
            prop = align.Forward(Ops.Concat([prop, featN2], 1), condition, flow1, flow2, streak);
        }
        var feat = backwardFeature is null ? Ops.Concat([current, prop], 1) : Ops.Concat([current, backwardFeature, prop], 1);
        return prop + backbone.Forward(feat);
    }

    /// <summary>Frame <paramref name="i"/> of a [N, T, C, H, W] tensor as [N, C, H, W].</summary>
    private static Tensor FrameOf(Tensor video, int i)
        => Ops.Reshape(Ops.Narrow(video, 1, i, 1), video.Size(0), video.Size(2), video.Size(3), video.Size(4));

    private void CheckInput(Tensor frames)
    {
        if (frames.Rank != 5 || frames.Size(2) != 3 || frames.Size(1) < 2)
            throw new ArgumentException($"ViMP-Net takes clips [N, T, 3, H, W] (RGB on the [0, 1] scale, T ≥ 2); got {frames.Shape}.", nameof(frames));
        int h = frames.Size(3), w = frames.Size(4);
        if (h % SizeMultiple != 0 || w % SizeMultiple != 0 || h < _options.MinSize || w < _options.MinSize)
            throw new ArgumentException(
                $"ViMP-Net needs frames at least {_options.MinSize}×{_options.MinSize} with a height and width that are multiples of {SizeMultiple}; got {h}×{w}. Pad or tile the frames (derain run does this).",
                nameof(frames));
    }
}
