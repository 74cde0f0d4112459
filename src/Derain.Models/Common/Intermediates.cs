using Derain.Tensors;
using Derain.Tensors.Autograd;

namespace Derain.Models.Common;

/// <summary>
/// Frees a block's intermediate tensors as soon as the block returns, instead of when the caller's
/// <see cref="TensorScope"/> ends. In inference every intermediate would otherwise live until the end of the forward —
/// at 640×480 that is gigabytes for EEVRSR's dense block. While a graph is recorded the same holds: an op keeps what
/// its backward needs as its own alias (<c>GradNode.Save</c>), so disposing the caller's handle frees only the tensors
/// no backward reads (pre-activation copies, concatenation inputs, scaled scores …), as PyTorch's reference counting does.
/// </summary>
internal static class Intermediates
{
    /// <summary>Runs <paramref name="block"/>; everything it created except its result is disposed.</summary>
    public static Tensor Release(Func<Tensor> block)
    {
        using var scope = TensorScope.Begin();
        var result = block();
        TensorScope.Keep(result);
        return result;
    }

    /// <summary>Disposes <paramref name="t"/> now (it is no longer needed by the caller; a graph keeps its own alias).</summary>
    public static void Drop(Tensor t) => t.Dispose();
}
