namespace Derain.Data.Loading;

/// <summary>
/// Seeds derived from the loader seed by hashing (SplitMix64 finaliser): one per epoch order and one per sample
/// (epoch, index), so any sample's random draws can be recreated on any thread without replaying the ones before it.
/// </summary>
internal static class SampleSeeds
{
    /// <summary>Distinguishes the order stream from sample streams, which are keyed by non-negative indices.</summary>
    private const long OrderStream = -1;

    public static ulong Order(ulong seed, int epoch) => Combine(seed, epoch, OrderStream);

    public static ulong Sample(ulong seed, int epoch, int index) => Combine(seed, epoch, index);

    private static ulong Combine(ulong seed, int epoch, long index)
    {
        ulong h = Mix(seed ^ 0x6A09E667F3BCC908UL);
        h = Mix(h ^ (ulong)(uint)epoch);
        return Mix(h ^ (ulong)index);
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
