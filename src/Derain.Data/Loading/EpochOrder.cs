using Derain.Tensors;

namespace Derain.Data.Loading;

/// <summary>
/// The sample order of each epoch: index order, or a Fisher–Yates shuffle seeded from (seed, epoch). Workers ask for
/// the same epoch many times, so the last few orders are kept (the pipeline spans at most two epochs at once unless
/// epochs are shorter than the prefetch depth).
/// </summary>
internal sealed class EpochOrder(int count, bool shuffle, ulong seed)
{
    private const int Kept = 4;
    private readonly Dictionary<int, int[]> _orders = [];
    private readonly Queue<int> _age = new();
    private readonly Lock _lock = new();

    public int[] For(int epoch)
    {
        lock (_lock)
        {
            if (_orders.TryGetValue(epoch, out var cached)) return cached;
            var order = Build(epoch);
            _orders[epoch] = order;
            _age.Enqueue(epoch);
            if (_age.Count > Kept) _orders.Remove(_age.Dequeue());
            return order;
        }
    }

    private int[] Build(int epoch)
    {
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        if (!shuffle) return order;
        var rng = new Generator(SampleSeeds.Order(seed, epoch));
        for (int i = count - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
