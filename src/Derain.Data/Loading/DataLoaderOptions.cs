namespace Derain.Data.Loading;

/// <summary>How a <see cref="DataLoader"/> batches, orders and prefetches.</summary>
public sealed record DataLoaderOptions
{
    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>A new random order every epoch (from <see cref="Seed"/> and the epoch); otherwise index order.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Leave out the last batch of an epoch when it would be smaller than <see cref="BatchSize"/>.</summary>
    public bool DropLast { get; init; }

    /// <summary>Seed of the epoch orders and of every sample's augmentation.</summary>
    public ulong Seed { get; init; }

    /// <summary>Threads that decode and augment (the result does not depend on it).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>Batches decoded ahead of the consumer at most (bounds memory).</summary>
    public int Prefetch { get; init; } = 4;

    internal void Validate()
    {
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "the batch size must be positive");
        if (Workers < 1) throw new ArgumentOutOfRangeException(nameof(Workers), Workers, "at least one worker thread is needed");
        if (Prefetch < 1) throw new ArgumentOutOfRangeException(nameof(Prefetch), Prefetch, "the prefetch depth must be positive");
    }
}
