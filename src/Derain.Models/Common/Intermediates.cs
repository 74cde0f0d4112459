using Derain.Tensors;
using Derain.Tensors.Autograd;

namespace Derain.Models.Common;

/// <summary>
/// Frees a block's intermediate tensors as soon as the block returns when no graph is being recorded. In inference
/// every intermediate would otherwise live until the caller's <see cref="TensorScope"/> ends — at 640×480 that is
/// gigabytes for EEVRSR's dense block. With gradients enabled the intermediates are left alone: the graph may
/// need them, and the training step's scope releases them.
/// </summary>
internal static class Intermediates
{
    /// <summary>Runs <paramref name="block"/>; without grad recording, everything it created except its result is disposed.</summary>
    public static Tensor Release(Func<Tensor> block)
    {
        if (GradMode.IsEnabled) return block();
        using var scope = TensorScope.Begin();
        var result = block();
        TensorScope.Keep(result);
        return result;
    }

    /// <summary>Disposes <paramref name="t"/> now when no graph is recorded (it is no longer needed by the caller).</summary>
    public static void Drop(Tensor t)
    {
        if (!GradMode.IsEnabled) t.Dispose();
    }
}
