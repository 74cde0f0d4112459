namespace Derain.Tensors;

public sealed partial class Tensor
{
    /// <summary>torch.Tensor.permute (a copy).</summary>
    public Tensor Permute(params int[] dims) => Ops.Permute(this, dims);

    /// <summary>torch.Tensor.transpose (a copy).</summary>
    public Tensor Transpose(int dim0, int dim1) => Ops.Transpose(this, dim0, dim1);

    /// <summary>torch.Tensor.flip</summary>
    public Tensor Flip(params int[] dims) => Ops.Flip(this, dims);

    /// <summary>torch.Tensor.repeat</summary>
    public Tensor Repeat(params int[] repeats) => Ops.Repeat(this, repeats);

    /// <summary>torch.Tensor.expand (materialised).</summary>
    public Tensor Expand(params int[] sizes) => Ops.Expand(this, sizes);

    /// <summary>torch.Tensor.split with an int size.</summary>
    public Tensor[] Split(int splitSize, int dim = 0) => Ops.Split(this, splitSize, dim);

    /// <summary>torch.Tensor.chunk</summary>
    public Tensor[] Chunk(int chunks, int dim = 0) => Ops.Chunk(this, chunks, dim);

    /// <summary>torch.Tensor.index_select</summary>
    public Tensor IndexSelect(int dim, IndexTensor index) => Ops.IndexSelect(this, dim, index);

    /// <summary>torch.Tensor.gather</summary>
    public Tensor Gather(int dim, IndexTensor index) => Ops.Gather(this, dim, index);
}
