using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;
using Derain.Tensors.Tests.Infrastructure;
using static Derain.Tensors.Tests.Dnnl.DnnlTestSupport;

namespace Derain.Tensors.Tests.OpTests;

/// <summary>
/// The oneDNN convolution with its input and output in the given <see cref="ActivationLayout"/> pairs against float64
/// loops (<see cref="NaiveConv"/>): forward, dx, dw and db, TF 'SAME' padding; blocked sides also keep their padding
/// lanes zero.
/// </summary>
internal static class LayoutConvReference
{
    public static void Check(int n, int cin, int cout, int k, int stride, int size, (ActivationLayout Input, ActivationLayout Output)[] pairs)
    {
        Assert.NotNull(Backend);
        Assert.Same(Backend, KernelBackend.Float32);
        int o = (size + stride - 1) / stride;
        int pad = Math.Max((o - 1) * stride + k - size, 0);
        var g = ConvGeometry.Create("ref", new Shape(n, cin, size, size), new Shape(cout, cin, k, k), [stride, stride], [1, 1],
            [pad / 2, pad / 2], [pad - pad / 2, pad - pad / 2], 1);
        var xs = TestData.Uniform(n * cin * size * size, 1);
        var ws = TestData.Uniform(cout * cin * k * k, 2);
        var bs = TestData.Uniform(cout, 3);
        var dys = TestData.Uniform(n * cout * o * o, 4);
        foreach (var (input, output) in pairs)
        {
            string what = $"{cin}→{cout} k{k} s{stride}, {input} → {output}";
            using var xPlanar = Tensor.FromArray(xs, n, cin, size, size);
            using var xIn = ToLayout(xPlanar, input).RequireGrad();
            using var w = Tensor.FromArray(ws, cout, cin, k, k).RequireGrad();
            using var b = Tensor.FromArray(bs, cout).RequireGrad();
            var y = Ops.Conv2d(xIn, w, b, stride, ConvPadding.Same, input, output);
            using var dyPlanar = Tensor.FromArray(dys, n, cout, o, o);
            using var dy = ToLayout(dyPlanar, output);
            Assert.Equal(dy.Shape, y.Shape);
            if (output == ActivationLayout.Blocked) ChannelBlocksTests.AssertPaddingLanesZero(y, cout, what + " output");
            using (GradMode.NoGrad())
            {
                using var yPlanar = ToPlanar(y, output, cout);
                AssertClose(NaiveConv.Forward(g, xs, ws, bs), yPlanar.ToArray(), 1e-5, what + " forward");
            }
            y.Backward(dy);
            if (input == ActivationLayout.Blocked) ChannelBlocksTests.AssertPaddingLanesZero(xIn.Grad!, cin, what + " dx");
            using (GradMode.NoGrad())
            {
                using var dx = ToPlanar(xIn.Grad!, input, cin);
                AssertClose(NaiveConv.BackwardData(g, dys, ws), dx.ToArray(), 1e-5, what + " dx");
            }
            AssertClose(NaiveConv.BackwardWeights(g, xs, dys), w.Grad!.ToArray(), 1e-4, what + " dw");
            AssertClose(NaiveConv.BiasGrad(g, dys), b.Grad!.ToArray(), 1e-4, what + " db");
            y.Dispose();
        }
    }

    private static Tensor ToLayout(Tensor planar, ActivationLayout layout) => layout switch
    {
        ActivationLayout.Blocked => Ops.ToChannelBlocks(planar),
        ActivationLayout.ChannelsLast => Ops.ToChannelsLast(planar),
        _ => planar.Detach(),
    };

    private static Tensor ToPlanar(Tensor t, ActivationLayout layout, int channels) => layout switch
    {
        ActivationLayout.Blocked => Ops.FromChannelBlocks(t, channels),
        ActivationLayout.ChannelsLast => Ops.FromChannelsLast(t),
        _ => t.Detach(),
    };
}
