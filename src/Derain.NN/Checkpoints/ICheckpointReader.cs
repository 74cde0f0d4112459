using Derain.Tensors;

namespace Derain.NN.Checkpoints;

/// <summary>One tensor listed in a checkpoint: its full name, shape and the dtype it is stored in there.</summary>
/// <param name="Name">Full name, e.g. <c>generator.spynet.basic_module.0.basic_module.0.weight</c>.</param>
/// <param name="Shape">Sizes as stored.</param>
/// <param name="StoredDType">The file's own dtype name (e.g. float32, float16, bfloat16, int64, DT_FLOAT).</param>
public sealed record CheckpointEntry(string Name, int[] Shape, string StoredDType)
{
    /// <summary>Number of elements.</summary>
    public long NumElements => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// Read access to a checkpoint file of any supported format: the list of tensors without loading them,
/// and each tensor on request, converted to float32 (integer tensors such as num_batches_tracked become
/// float32 too; <see cref="CheckpointEntry.StoredDType"/> tells what they were). Malformed or hostile
/// files give an <see cref="InvalidDataException"/> naming the file and the problem.
/// </summary>
public interface ICheckpointReader : IDisposable
{
    /// <summary>A short format name (pytorch-zip, pytorch-legacy, safetensors, tensorflow-v2).</summary>
    string Format { get; }

    /// <summary>Every tensor in the file, in file order.</summary>
    IReadOnlyList<CheckpointEntry> Entries { get; }

    /// <summary>Reads one tensor by name as float32.</summary>
    Tensor Read(string name);
}
