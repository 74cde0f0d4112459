using Derain.Models.Vimpnet;
using Derain.Tensors;
using Derain.Tensors.Autograd;

namespace Derain.Models.Tests.Vimpnet;

/// <summary>
/// Batches of more than one clip (the official transformer's .view on a transposed tensor only works for one): the
/// stage-2 transformer on a batch of two gives each clip what it gives that clip alone.
/// </summary>
public sealed class BatchTests
{
    [Fact]
    public void TransformerTreatsEachClipOfABatchOnItsOwn()
    {
        var g = new Generator(11);
        var transformer = new DualMaskTransformer(g);
        transformer.Eval();
        using var scope = TensorScope.Begin();
        using var noGrad = GradMode.NoGrad();
        var stage1 = Tensor.Rand(new Shape(2, 3, 3, 64, 64), g);
        var mask = Tensor.Rand(new Shape(2, 3, 1, 64, 64), g);
        var both = transformer.Forward(stage1, mask).ToArray();
        int per = both.Length / 2;
        for (int b = 0; b < 2; b++)
        {
            var alone = transformer.Forward(Ops.Narrow(stage1, 0, b, 1), Ops.Narrow(mask, 0, b, 1)).ToArray();
            Assert.Equal(per, alone.Length);
            double worst = 0;
            for (int i = 0; i < per; i++) worst = Math.Max(worst, Math.Abs(alone[i] - both[b * per + i]));
            Assert.True(worst <= 1e-6, $"clip {b}: the batched output differs by {worst:G3} from the clip alone.");
            // The two clips differ, so a mix-up between them could not pass.
            Assert.True(alone.Zip(both.AsSpan((1 - b) * per, per).ToArray()).Max(p => Math.Abs(p.First - p.Second)) > 1e-3);
        }
    }
}
