using Derain.NN.Layers;
using Derain.Tensors;
using Derain.Tensors.Autograd;

namespace Derain.NN.Tests.Layers;

/// <summary>
/// <see cref="ConvNd.ForwardBatchNormRelu"/> (batch norm folded into the convolution, ReLU as a post-op) against the
/// unfused conv → BatchNorm → ReLU computed in float64 from the same float32 parameters and running statistics.
/// </summary>
public class FusedConvBatchNormTests
{
    private static (ConvNd Conv, BatchNorm Bn) Layers(int cin, int cout)
    {
        var g = new Generator(11);
        var conv = ConvNd.Conv2d(cin, cout, 3, g, padding: 1);
        var bn = new BatchNorm(cout);
        // Non-trivial statistics and affine parameters (as a trained network has).
        bn.RunningMean.CopyFrom(Tensor.Randn(new Shape(cout), g) * 0.3);
        bn.RunningVar.CopyFrom(Tensor.Rand(new Shape(cout), g, 0.5, 2.0));
        bn.Weight!.CopyFrom(Tensor.Rand(new Shape(cout), g, 0.5, 1.5));
        bn.Bias!.CopyFrom(Tensor.Randn(new Shape(cout), g) * 0.2);
        return (conv, bn);
    }

    [Theory]
    [InlineData(3, 16, 9)]
    [InlineData(64, 64, 64)]
    public void Evaluation_without_recording_matches_the_unfused_layers_in_float64(int cin, int cout, int size)
    {
        var (conv, bn) = Layers(cin, cout);
        conv.Eval();
        bn.Eval();
        var x = Tensor.Randn(new Shape(1, cin, size, size), new Generator(12));
        Tensor fused;
        using (GradMode.NoGrad()) fused = conv.ForwardBatchNormRelu(bn, x);

        Tensor reference;
        using (GradMode.NoGrad())
        {
            var y = Ops.Conv2d(x.To(DType.Float64), conv.Weight.Data.To(DType.Float64), conv.Bias!.Data.To(DType.Float64), 1, 1);
            reference = Ops.Relu(Ops.BatchNorm(y, bn.RunningMean.Data.To(DType.Float64), bn.RunningVar.Data.To(DType.Float64),
                bn.Weight!.Data.To(DType.Float64), bn.Bias!.Data.To(DType.Float64), training: false));
        }
        var want = reference.ToDoubleArray();
        var got = fused.ToDoubleArray();
        double scale = Math.Sqrt(want.Select(v => v * v).Average());
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= 1e-4 * (Math.Abs(want[i]) + scale), $"element {i}: fused {got[i]}, float64 {want[i]}");
        Assert.Contains(want, v => v == 0); // the ReLU clipped something, so the post-op was exercised
    }

    [Fact]
    public void Training_runs_the_unfused_layers_and_updates_the_running_statistics()
    {
        var (conv, bn) = Layers(4, 8);
        var x = Tensor.Randn(new Shape(2, 4, 6, 6), new Generator(13));
        var before = bn.RunningMean.Data.ToArray();
        var fused = conv.ForwardBatchNormRelu(bn, x);
        Assert.NotNull(fused.GradFn);
        Assert.NotEqual(before, bn.RunningMean.Data.ToArray());
        Ops.Sum(fused).Backward();
        Assert.NotNull(conv.Weight.Grad);
        Assert.NotNull(bn.Weight!.Grad);
    }
}
