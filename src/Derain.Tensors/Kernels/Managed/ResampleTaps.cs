namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// The taps of one axis of torch.nn.functional.interpolate: for each output index, <see cref="Count"/> input
/// indices and weights. Reproduces PyTorch 1.13's UpSample.h: area_pixel_compute_scale,
/// area_pixel_compute_source_index, guard_index_and_lambda (bilinear) and the Keys cubic coefficients with
/// A = −0.75 whose taps are clamped into [0, in − 1] (upsample_bicubic2d). Computed in double for both dtypes.
/// </summary>
internal sealed class ResampleTaps
{
    private const double CubicA = -0.75;

    private ResampleTaps(int count, int outSize)
    {
        Count = count;
        Index = new int[outSize * count];
        Weight = new double[outSize * count];
    }

    /// <summary>Taps per output index (2 bilinear, 4 bicubic).</summary>
    public int Count { get; }

    /// <summary>Input index of tap j of output i at [i·Count + j].</summary>
    public int[] Index { get; }

    /// <summary>Weight of tap j of output i at [i·Count + j].</summary>
    public double[] Weight { get; }

    /// <summary>The taps of an axis of length <paramref name="inSize"/> resampled to <paramref name="outSize"/>.</summary>
    public static ResampleTaps Create(int inSize, int outSize, InterpolateMode mode, bool alignCorners, double? scale)
    {
        bool cubic = mode == InterpolateMode.Bicubic;
        var t = new ResampleTaps(cubic ? 4 : 2, outSize);
        double s = alignCorners
            ? (outSize > 1 ? (inSize - 1) / (double)(outSize - 1) : 0)
            : scale is > 0 ? 1.0 / scale.Value : inSize / (double)outSize;
        for (int i = 0; i < outSize; i++)
        {
            double src;
            if (alignCorners) src = s * i;
            else
            {
                src = s * (i + 0.5) - 0.5;
                if (!cubic && src < 0) src = 0;
            }
            if (cubic) t.SetCubic(i, src, inSize);
            else t.SetLinear(i, src, inSize);
        }
        return t;
    }

    private void SetLinear(int i, double src, int inSize)
    {
        int i0 = Math.Min((int)Math.Floor(src), inSize - 1);
        double lambda = Math.Clamp(src - i0, 0, 1);
        Index[2 * i] = i0;
        Index[2 * i + 1] = i0 < inSize - 1 ? i0 + 1 : i0;
        Weight[2 * i] = 1 - lambda;
        Weight[2 * i + 1] = lambda;
    }

    private void SetCubic(int i, double src, int inSize)
    {
        double f = Math.Floor(src), t = src - f;
        int i0 = (int)f;
        // Keys (1981) cubic convolution kernel with A = −0.75, evaluated at distances 1+t, t, 1−t, 2−t.
        Weight[4 * i] = Far(t + 1);
        Weight[4 * i + 1] = Near(t);
        Weight[4 * i + 2] = Near(1 - t);
        Weight[4 * i + 3] = Far(2 - t);
        for (int j = 0; j < 4; j++) Index[4 * i + j] = Math.Clamp(i0 - 1 + j, 0, inSize - 1);
    }

    /// <summary>Kernel for |d| ≤ 1: (A + 2)|d|³ − (A + 3)|d|² + 1.</summary>
    private static double Near(double d) => ((CubicA + 2) * d - (CubicA + 3)) * d * d + 1;

    /// <summary>Kernel for 1 &lt; |d| &lt; 2: A|d|³ − 5A|d|² + 8A|d| − 4A.</summary>
    private static double Far(double d) => ((CubicA * d - 5 * CubicA) * d + 8 * CubicA) * d - 4 * CubicA;
}
