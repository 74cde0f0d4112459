using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.nn.functional.interpolate(input, size=(height, width), mode, align_corners) for 4-D input
    /// [N, C, H, W], bilinear or bicubic. Without align_corners, output pixel i maps to input coordinate
    /// (i + 0.5)·in/out − 0.5 (clamped at 0 for bilinear); with it, to i·(in − 1)/(out − 1).
    /// </summary>
    public static Tensor Interpolate(Tensor input, int height, int width, InterpolateMode mode = InterpolateMode.Bilinear,
        bool alignCorners = false)
        => InterpolateCore(input, height, width, mode, alignCorners, null, null);

    /// <summary>
    /// torch.nn.functional.interpolate(input, scale_factor=scale, mode, align_corners, recompute_scale_factor)
    /// with one scale for both axes; see <see cref="InterpolateScale(Tensor, double, double, InterpolateMode, bool, bool)"/>.
    /// </summary>
    public static Tensor InterpolateScale(Tensor input, double scale, InterpolateMode mode = InterpolateMode.Bilinear,
        bool alignCorners = false, bool recomputeScaleFactor = false)
        => InterpolateScale(input, scale, scale, mode, alignCorners, recomputeScaleFactor);

    /// <summary>
    /// torch.nn.functional.interpolate(input, scale_factor=(scaleH, scaleW), mode, align_corners,
    /// recompute_scale_factor), matching PyTorch 1.13: the output size is floor(in·scale) (computed in double),
    /// and unless <paramref name="recomputeScaleFactor"/> is set the given scale itself maps coordinates
    /// (source step 1/scale, not in/out — they differ when in·scale is not an integer, e.g. 7 → 3 at scale 0.5
    /// steps by 2, not 7/3). With align_corners the step is (in − 1)/(out − 1) either way.
    /// </summary>
    public static Tensor InterpolateScale(Tensor input, double scaleH, double scaleW, InterpolateMode mode = InterpolateMode.Bilinear,
        bool alignCorners = false, bool recomputeScaleFactor = false)
    {
        CheckRank("InterpolateScale", "input", input, 4);
        if (!(scaleH > 0) || !(scaleW > 0) || double.IsInfinity(scaleH) || double.IsInfinity(scaleW))
            throw new ArgumentException($"InterpolateScale: scale factors must be positive and finite; got ({scaleH}, {scaleW}).");
        int h = (int)Math.Min(int.MaxValue, Math.Floor(input.Size(2) * scaleH));
        int w = (int)Math.Min(int.MaxValue, Math.Floor(input.Size(3) * scaleW));
        return recomputeScaleFactor
            ? InterpolateCore(input, h, w, mode, alignCorners, null, null)
            : InterpolateCore(input, h, w, mode, alignCorners, scaleH, scaleW);
    }

    private static Tensor InterpolateCore(Tensor input, int height, int width, InterpolateMode mode, bool alignCorners,
        double? scaleH, double? scaleW)
    {
        const string op = "Interpolate";
        input.ThrowIfDisposed();
        CheckRank(op, "input", input, 4);
        if (height < 1 || width < 1 || input.Size(2) < 1 || input.Size(3) < 1)
            throw ShapeError(op, $"input and output sizes must be greater than 0; got input {input.Shape} and output size ({height}, {width}).");
        var g = new InterpolateGeometry(input.Size(0) * input.Size(1), input.Size(2), input.Size(3), height, width,
            mode, alignCorners, scaleH, scaleW);
        var y = Tensor.Empty(new Shape(input.Size(0), input.Size(1), height, width), input.DType);
        if (input.DType == DType.Float32)
            KernelBackend.For<float>().Interpolate2dForward(g, input.Span<float>(), y.Span<float>());
        else
            KernelBackend.For<double>().Interpolate2dForward(g, input.Span<double>(), y.Span<double>());
        if (!GradNode.WillRecord(input)) return y;
        return GradNode.Record(y, new InterpolateBackward(g, input.Shape), input);
    }

    private sealed class InterpolateBackward(InterpolateGeometry g, Shape inputShape) : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor gradOutput)
        {
            var dx = Tensor.Empty(inputShape, gradOutput.DType);
            if (dx.DType == DType.Float32)
                KernelBackend.For<float>().Interpolate2dBackward(g, gradOutput.Span<float>(), dx.Span<float>());
            else
                KernelBackend.For<double>().Interpolate2dBackward(g, gradOutput.Span<double>(), dx.Span<double>());
            return [dx];
        }
    }
}
