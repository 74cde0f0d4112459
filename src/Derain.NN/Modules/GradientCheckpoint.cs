using Derain.Tensors;
using Derain.Tensors.Autograd;

namespace Derain.NN.Modules;

/// <summary>
/// Gradient checkpointing (torch.utils.checkpoint.checkpoint, non-reentrant in effect): runs a block without recording
/// its graph, keeping only its inputs; during backward it runs the block again with recording on, from detached copies
/// of the inputs, and back-propagates the output's gradient through that recomputed graph. Parameters the block uses
/// receive their gradients from that inner pass directly; the inputs' gradients flow on to the outer graph. Memory per
/// block falls from all of its activations to its inputs and output, for one more forward pass of time. The block must
/// compute the same thing twice (no random dropout) and may read only tensors passed as <c>inputs</c> and parameters.
/// </summary>
public static class GradientCheckpoint
{
    /// <summary>
    /// <paramref name="block"/>(<paramref name="inputs"/>) with its activations recomputed during backward. Without grad
    /// recording the block simply runs. Recorded only when an input requires a gradient (as the official blocks' inputs
    /// always do in training).
    /// </summary>
    public static Tensor Run(Func<Tensor[], Tensor> block, params Tensor[] inputs)
    {
        if (!GradMode.IsEnabled) return block(inputs);
        return new Recompute(block).Apply(inputs);
    }

    private sealed class Recompute(Func<Tensor[], Tensor> block) : CustomFunction
    {
        protected override Tensor Forward(Context ctx, Tensor[] inputs)
        {
            foreach (var x in inputs) ctx.Save(x);
            using var scope = TensorScope.Begin();
            var output = block(inputs);
            TensorScope.Keep(output);
            return output;
        }

        protected override Tensor?[] Backward(Context ctx, Tensor gradOutput)
        {
            var saved = ctx.Saved;
            var grads = new Tensor?[saved.Count];
            using var scope = TensorScope.Begin();
            var leaves = new Tensor[saved.Count];
            for (int i = 0; i < saved.Count; i++)
            {
                leaves[i] = saved[i].Detach();
                if (ctx.NeedsGrad(i)) leaves[i].RequiresGrad = true;
            }
            Tensor output;
            using (GradMode.EnableGrad()) output = block(leaves);
            if (output.RequiresGrad) output.Backward(gradOutput);
            for (int i = 0; i < leaves.Length; i++)
            {
                if (leaves[i].Grad is not { } g) continue;
                leaves[i].Grad = null;
                // The gradient was detached from every scope when it was accumulated; the engine disposes it.
                grads[i] = g;
            }
            return grads;
        }
    }
}
