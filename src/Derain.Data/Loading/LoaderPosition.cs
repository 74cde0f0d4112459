namespace Derain.Data.Loading;

/// <summary>
/// The next batch a loader delivers: its epoch and its index within the epoch. Saved with a checkpoint and given
/// back to <see cref="DataLoader.Seek"/>, it makes the loader continue with exactly the batches it would have given.
/// </summary>
public readonly record struct LoaderPosition(int Epoch, int Batch);
