using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels.Managed;
using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.Sampling;

public class DeformConvTests
{
    [Fact]
    public void Gradients_with_mask_bias_groups_and_deform_groups()
    {
        // Cin 4 in 2 convolution groups and 2 deform groups; offsets up to ±3 px send samples off the 2×9 image
        // (9 columns: one vectorised block of 8 sample positions and a scalar tail).
        var x = GradCheck.Randn(1, 2, 4, 2, 9);
        var offset = SamplingInputs.Offsets(2, 3, 2, 2 * 2 * 9, 2, 9);
        var w = GradCheck.Randn(3, 4, 2, 3, 3);
        var b = GradCheck.Randn(4, 4);
        var mask = GradCheck.Rand(5, 0.1, 1, 2, 2 * 9, 2, 9);
        GradCheck.Check(t => Ops.DeformConv2d(t[0], t[1], t[2], t[3], t[4], padding: 1, groups: 2), [x, offset, w, b, mask]);
    }

    [Fact]
    public void Gradients_of_dcnv1_with_stride_dilation_and_rectangular_kernel()
    {
        // kernel 2×3, stride (2, 1), padding (1, 2), dilation (1, 2), no mask (DCNv1), no bias.
        var x = GradCheck.Randn(11, 1, 3, 5, 6);
        var w = GradCheck.Randn(12, 2, 3, 2, 3);
        int oh = (5 + 2 - 1 - 1) / 2 + 1, ow = (6 + 4 - 4 - 1) / 1 + 1;
        var offset = SamplingInputs.Offsets(13, 2, 1, 2 * 6, oh, ow);
        GradCheck.Check(t => Ops.DeformConv2d(t[0], t[1], t[2], null, null, (2, 1), (1, 2), (1, 2)), [x, offset, w]);
    }

    [Fact]
    public void Gradients_with_one_channel_per_deform_group_far_outside()
    {
        // 4 deform groups of one channel each (the scalar tails of the channel runs); offsets up to ±5 px.
        var x = GradCheck.Randn(21, 1, 4, 3, 4);
        var offset = SamplingInputs.Offsets(22, 5, 1, 2 * 4 * 9, 3, 4);
        var w = GradCheck.Randn(23, 2, 4, 3, 3);
        var mask = GradCheck.Rand(24, 0.1, 1, 1, 4 * 9, 3, 4);
        GradCheck.Check(t => Ops.DeformConv2d(t[0], t[1], t[2], null, t[3], padding: 1), [x, offset, w, mask]);
    }

    [Fact]
    public void Zero_offsets_and_unit_mask_give_the_ordinary_convolution()
    {
        var x = GradCheck.Randn(31, 2, 6, 7, 5);
        var w = GradCheck.Randn(32, 4, 3, 3, 3);
        var b = GradCheck.Randn(33, 4);
        var (stride, pad) = (2, 1);
        int oh = (7 + 2 - 3) / 2 + 1, ow = (5 + 2 - 3) / 2 + 1;
        var offset = Tensor.Zeros(new Shape(2, 2 * 3 * 9, oh, ow), DType.Float64);
        var mask = Tensor.Ones(new Shape(2, 3 * 9, oh, ow), DType.Float64);
        var y = Ops.DeformConv2d(x, offset, w, b, mask, stride, pad, groups: 2);
        var expected = DirectConv(x, w, b, stride, pad, groups: 2);
        Golden.AssertClose(expected, y.ToDoubleArray(), 1e-12, 1e-12, "deform conv with zero offsets");
    }

    [Fact]
    public void Many_column_chunks_give_the_same_result_as_one()
    {
        // The managed kernel bounds its column matrix by processing output rows in chunks; force one row per
        // chunk and compare output and every gradient with the single-chunk run.
        var (one, chunked) = (RunSmall(budget: null), RunSmall(budget: 1));
        for (int i = 0; i < one.Length; i++)
            Golden.AssertClose(one[i], chunked[i], 1e-12, 1e-12, $"result {i}");
    }

    [Fact]
    public void Float32_matches_float64_at_the_vimpnet_alignment_shape()
    {
        // ViMP-Net's second-order alignment: 128 → 64 channels, 3×3, padding 1, 16 deform groups (8 channels per
        // group: the float32 Vector256 and float64 Vector512 channel runs), on a 12×12 map.
        var gen = new Generator(41);
        Tensor Make(Shape s, double lo, double hi) => Tensor.Rand(s, gen, lo, hi, DType.Float64);
        var x = Make(new Shape(1, 128, 12, 12), -1, 1);
        var offset = Make(new Shape(1, 2 * 16 * 9, 12, 12), -4, 4);
        var mask = Make(new Shape(1, 16 * 9, 12, 12), 0, 1);
        var w = Make(new Shape(64, 128, 3, 3), -0.05, 0.05);
        var b = Make(new Shape(64), -1, 1);
        var dy = Make(new Shape(1, 64, 12, 12), -1, 1);
        var r64 = ForwardBackward([x, offset, w, b, mask], dy);
        var r32 = ForwardBackward([.. new[] { x, offset, w, b, mask }.Select(t => t.To(DType.Float32).Detach())], dy.To(DType.Float32).Detach());
        string[] names = ["output", "dx", "doffset", "dw", "dbias", "dmask"];
        for (int i = 0; i < r64.Length; i++)
            Golden.AssertClose(r64[i], r32[i], 1e-4, 1e-4 * Math.Max(1, r64[i].Max(Math.Abs)), names[i]);
    }

    [Fact]
    public void Shape_errors_name_the_op_and_shapes()
    {
        var x = Tensor.Zeros(new Shape(1, 4, 5, 5));
        var w = Tensor.Zeros(new Shape(2, 4, 3, 3));
        var badOffset = Tensor.Zeros(new Shape(1, 17, 5, 5));
        var e = Assert.Throws<ArgumentException>(() => Ops.DeformConv2d(x, badOffset, w, padding: 1));
        Assert.Contains("DeformConv2d", e.Message);
        Assert.Contains("[1, 17, 5, 5]", e.Message);
        var offset = Tensor.Zeros(new Shape(1, 3 * 18, 5, 5));
        e = Assert.Throws<ArgumentException>(() => Ops.DeformConv2d(x, offset, w, padding: 1));
        Assert.Contains("3 deform groups", e.Message);
        var mask = Tensor.Zeros(new Shape(1, 8, 5, 5));
        e = Assert.Throws<ArgumentException>(() => Ops.DeformConv2d(x, Tensor.Zeros(new Shape(1, 18, 5, 5)), w, null, mask, padding: 1));
        Assert.Contains("mask [1, 8, 5, 5] must be [1, 9, 5, 5]", e.Message);
    }

    private static double[][] RunSmall(int? budget)
    {
        DeformPlan.ColumnBudgetOverride = budget;
        try
        {
            var x = GradCheck.Randn(51, 2, 6, 5, 7);
            var offset = GradCheck.Randn(52, 2, 2 * 2 * 9, 5, 7);
            var mask = GradCheck.Rand(53, 0, 1, 2, 2 * 9, 5, 7);
            var w = GradCheck.Randn(54, 4, 3, 3, 3);
            var b = GradCheck.Randn(55, 4);
            return ForwardBackward([x, offset, w, b, mask], GradCheck.Randn(56, 2, 4, 5, 7), groups: 2);
        }
        finally
        {
            DeformPlan.ColumnBudgetOverride = null;
        }
    }

    /// <summary>Output and gradients (input, offset, weight, bias, mask) for padding 1.</summary>
    private static double[][] ForwardBackward(Tensor[] t, Tensor dy, int groups = 1)
    {
        foreach (var a in t) a.RequiresGrad = true;
        var y = Ops.DeformConv2d(t[0], t[1], t[2], t[3], t[4], padding: 1, groups: groups);
        y.Backward(dy);
        return [y.ToDoubleArray(), .. t.Select(a => a.Grad!.ToDoubleArray())];
    }

    /// <summary>A direct (definition) 2-D convolution in double, the oracle for zero offsets.</summary>
    private static double[] DirectConv(Tensor x, Tensor w, Tensor b, int stride, int pad, int groups)
    {
        using var _ = GradMode.NoGrad();
        var xs = x.ToDoubleArray();
        var ws = w.ToDoubleArray();
        var bs = b.ToDoubleArray();
        int n = x.Size(0), cin = x.Size(1), h = x.Size(2), wd = x.Size(3), cout = w.Size(0), cg = w.Size(1), k = w.Size(2);
        int oh = (h + 2 * pad - k) / stride + 1, ow = (wd + 2 * pad - k) / stride + 1, og = cout / groups;
        var y = new double[n * cout * oh * ow];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < cout; o++)
                for (int r = 0; r < oh; r++)
                    for (int c = 0; c < ow; c++)
                    {
                        double s = bs[o];
                        for (int ci = 0; ci < cg; ci++)
                            for (int ky = 0; ky < k; ky++)
                                for (int kx = 0; kx < k; kx++)
                                {
                                    int yy = r * stride - pad + ky, xx = c * stride - pad + kx;
                                    if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
                                    int chan = o / og * cg + ci;
                                    s += ws[((o * cg + ci) * k + ky) * k + kx] * xs[((i * cin + chan) * h + yy) * wd + xx];
                                }
                        y[((i * cout + o) * oh + r) * ow + c] = s;
                    }
        return y;
    }
}
