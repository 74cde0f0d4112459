using Derain.NN.Layers;
using Derain.Tensors;

namespace Derain.NN.Tests.Layers;

/// <summary>TfBatchNorm against a float64 hand computation of TF's moments / batch_normalization / assign_moving_average(zero_debias).</summary>
public class TfBatchNormTests
{
    [Fact]
    public void Training_normalises_with_biased_batch_variance_and_keeps_zero_debiased_moving_averages()
    {
        const int n = 3, c = 2, hw = 10;
        var bn = new TfBatchNorm(c, eps: 1e-3, decay: 0.999);
        var g = new Generator(3);
        var batches = new[] { Tensor.Randn(new Shape(n, c, 2, 5), g), Tensor.Randn(new Shape(n, c, 2, 5), g) * 2 + 1 };
        double[] biasedMean = new double[c], biasedVar = new double[c];
        for (int step = 1; step <= 2; step++)
        {
            var x = batches[step - 1];
            var y = bn.Forward(x).ToArray();
            var xs = x.ToArray();
            for (int ch = 0; ch < c; ch++)
            {
                var values = Enumerable.Range(0, n).SelectMany(s => xs.Skip((s * c + ch) * hw).Take(hw)).Select(v => (double)v).ToArray();
                double mean = values.Average(), variance = values.Select(v => (v - mean) * (v - mean)).Average();
                for (int s = 0; s < n; s++)
                    for (int i = 0; i < hw; i++)
                    {
                        int at = (s * c + ch) * hw + i;
                        Assert.Equal((xs[at] - mean) / Math.Sqrt(variance + 1e-3), y[at], 1e-5);
                    }
                biasedMean[ch] -= (biasedMean[ch] - mean) * 0.001;
                biasedVar[ch] -= (biasedVar[ch] - variance) * 0.001;
                double debias = 1 - Math.Pow(0.999, step);
                Assert.Equal(biasedMean[ch] / debias, bn.MovingMean.Data.ToArray()[ch], 1e-6);
                Assert.Equal(biasedVar[ch] / debias, bn.MovingVariance.Data.ToArray()[ch], 1e-6);
            }
        }
        // After one step the debiased average is exactly the first batch's statistic; after two it is their decay-weighted mean.
        Assert.Equal(2f, bn.EmaSteps.Data.ToArray()[0]);
    }

    [Fact]
    public void Evaluation_uses_the_moving_statistics_with_eps_1e_3()
    {
        var bn = new TfBatchNorm(1);
        bn.MovingMean.Data.AsSpan()[0] = 0.5f;
        bn.MovingVariance.Data.AsSpan()[0] = 0.25f;
        bn.Weight.Data.AsSpan()[0] = 2f;
        bn.Bias.Data.AsSpan()[0] = 0.1f;
        bn.Eval();
        using var x = Tensor.FromArray(new float[] { 1.5f, -0.5f }, 1, 1, 1, 2);
        var y = bn.Forward(x).ToArray();
        Assert.Equal((1.5 - 0.5) / Math.Sqrt(0.25 + 1e-3) * 2 + 0.1, y[0], 1e-5);
        Assert.Equal((-0.5 - 0.5) / Math.Sqrt(0.25 + 1e-3) * 2 + 0.1, y[1], 1e-5);
    }

    [Fact]
    public void ForwardReluConcat_equals_ForwardRelu_of_the_concatenation_bit_for_bit()
    {
        // Two training steps (moving averages updated from the parts' statistics), then evaluation.
        var g = new Generator(5);
        var a = new TfBatchNorm(7);
        var b = new TfBatchNorm(7);
        foreach (var p in new[] { a.Weight, b.Weight }) p.Data.AsSpan().Fill(1.3f);
        var batches = Enumerable.Range(0, 3).Select(_ => new[] { Tensor.Randn(new Shape(2, 4, 3, 5), g), Tensor.Randn(new Shape(2, 3, 3, 5), g) * 2 + 1 }).ToArray();
        for (int step = 0; step < 3; step++)
        {
            if (step == 2) { a.Eval(); b.Eval(); }
            var parts = batches[step];
            var fused = a.ForwardReluConcat(parts).ToArray();
            var separate = b.ForwardRelu(Ops.Concat(parts, 1)).ToArray();
            Assert.True(fused.AsSpan().SequenceEqual(separate), $"outputs differ at step {step}");
            Assert.True(a.MovingMean.Data.ToArray().AsSpan().SequenceEqual(b.MovingMean.Data.ToArray()), $"moving means differ at step {step}");
            Assert.True(a.MovingVariance.Data.ToArray().AsSpan().SequenceEqual(b.MovingVariance.Data.ToArray()), $"moving variances differ at step {step}");
        }
    }
}
