using Derain.NN.Checkpoints.PyTorch.Pickle;

namespace Derain.NN.Checkpoints.PyTorch;

/// <summary>
/// Derain's versions of torch/_utils.py's rebuild functions, which torch.save names in its pickles:
/// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]) and
/// _rebuild_parameter(data, requires_grad, backward_hooks) / _rebuild_parameter_with_state(…, state).
/// They only describe the tensor (<see cref="TorchTensorRef"/>); data is read later, on request.
/// </summary>
internal static class TorchRebuild
{
    public static TorchTensorRef Tensor(PyTuple args)
    {
        if (args.Count is < 6 or > 7)
            throw new InvalidDataException($"_rebuild_tensor_v2 expects 6 or 7 arguments, got {args.Count}.");
        if (args.Items[0] is not TorchStorage storage)
            throw new InvalidDataException($"_rebuild_tensor_v2 expects a storage first, got a {PyValues.TypeName(args.Items[0])}.");
        long offset = PyValues.AsLong(args.Items[1]) ?? throw new InvalidDataException("_rebuild_tensor_v2: the storage offset is not an int.");
        long[] sizes = Ints(args.Items[2], "size");
        long[] strides = Ints(args.Items[3], "stride");
        return TorchTensorRef.Create(storage, offset, sizes, strides);
    }

    public static TorchTensorRef Parameter(PyTuple args, string function)
    {
        int expected = function == "_rebuild_parameter" ? 3 : 4;
        if (args.Count != expected || args.Items[0] is not TorchTensorRef data)
            throw new InvalidDataException($"{function} expects a tensor and {expected - 1} more arguments.");
        return data.AsParameter();
    }

    private static long[] Ints(object value, string what)
    {
        if (value is not PyTuple t)
            throw new InvalidDataException($"_rebuild_tensor_v2: {what} is a {PyValues.TypeName(value)}, not a tuple.");
        var r = new long[t.Count];
        for (int i = 0; i < r.Length; i++)
            r[i] = PyValues.AsLong(t.Items[i]) ?? throw new InvalidDataException($"_rebuild_tensor_v2: {what}[{i}] is not an int.");
        return r;
    }
}
