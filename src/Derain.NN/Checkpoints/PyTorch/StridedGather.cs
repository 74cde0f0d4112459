namespace Derain.NN.Checkpoints.PyTorch;

/// <summary>
/// Copies a strided view of a storage into a dense row-major float32 array: reads only the span of the
/// storage the view touches, then walks the view's indices (or converts the span at once when the view is
/// contiguous). Transposed, sliced, stepped and expanded (stride 0) tensors all come out as PyTorch shows them.
/// </summary>
internal static class StridedGather
{
    public static float[] ToFloat32(TorchTensorRef tensor, IStorageSource source)
    {
        long numel = tensor.NumElements;
        var result = new float[numel];
        if (numel == 0) return result;

        var type = tensor.Storage.ElementType;
        int size = type.Size();
        var (first, last) = tensor.ElementRange;
        long windowBytes = (last - first + 1) * size;
        if (windowBytes > Array.MaxLength)
            throw new NotSupportedException($"a tensor spans {windowBytes} bytes of its storage; views over more than {Array.MaxLength} bytes are not supported.");
        var window = new byte[windowBytes];
        source.Read(tensor.Storage, first * size, window);

        if (tensor.IsContiguous)
        {
            type.DecodeAll(window, result);
            return result;
        }
        var sizes = tensor.Sizes;
        var strides = tensor.Strides;
        int rank = sizes.Length;
        var index = new long[rank];
        long position = 0; // element offset inside the window
        for (long i = 0; i < numel; i++)
        {
            result[i] = type.Decode(window, (int)position);
            // Advance the row-major multi-index, carrying into outer dimensions.
            for (int d = rank - 1; d >= 0; d--)
            {
                position += strides[d];
                if (++index[d] < sizes[d]) break;
                position -= sizes[d] * strides[d];
                index[d] = 0;
            }
        }
        return result;
    }
}
