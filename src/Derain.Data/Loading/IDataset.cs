using Derain.Tensors;

namespace Derain.Data.Loading;

/// <summary>
/// A training or validation set addressed by index. <see cref="Get"/> decodes one sample; it is called from several
/// loader threads at once, so implementations keep no mutable state and draw every random choice from
/// the generator it is given (which the loader derives from seed, epoch and index, making the stream reproducible).
/// </summary>
public interface IDataset
{
    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>Sample <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>); the caller owns its tensors.</summary>
    Sample Get(int index, Generator rng);
}
