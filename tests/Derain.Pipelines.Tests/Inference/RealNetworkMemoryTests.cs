using Derain.Models.Eevrsr;
using Derain.Pipelines.Inference;
using Derain.Pipelines.Tests.Infrastructure;
using Derain.Tensors.Memory;
using Xunit.Abstractions;

namespace Derain.Pipelines.Tests.Inference;

/// <summary>
/// The official network over a stream of frames: the managed heap (which holds the tensor buffer pool) is the same
/// after the 30th frame as after the 10th, i.e. each window's activations are released and reused, not accumulated.
/// </summary>
[Collection(MemoryCollection.Name)]
public sealed class RealNetworkMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void MemoryAfterThirtyWindowsEqualsMemoryAfterTen()
    {
        var restorer = LumaRestorer.ForEevrsr(RealRain.Net(EevrsrVariant.All));
        var frames = Enumerable.Range(0, 30).Select(i => LumaFrame.FromImage(StandIns.Pattern(i, 48, 32), $"f{i}"));
        long heapAt10 = 0, pooledAt10 = 0, heapAt30 = 0, pooledAt30 = 0;
        int t = 0;
        foreach (var _ in VideoRestoration.Restore(restorer, frames))
        {
            t++;
            if (t == 10) (heapAt10, pooledAt10) = (GC.GetTotalMemory(forceFullCollection: true), BufferPool.PooledBytes);
            if (t == 30) (heapAt30, pooledAt30) = (GC.GetTotalMemory(forceFullCollection: true), BufferPool.PooledBytes);
        }
        Assert.Equal(30, t);
        output.WriteLine($"managed heap after window 10: {heapAt10 / 1024} kB (pool {pooledAt10 / 1024} kB); after 30: {heapAt30 / 1024} kB (pool {pooledAt30 / 1024} kB)");
        Assert.Equal(pooledAt10, pooledAt30);
        Assert.True(Math.Abs(heapAt30 - heapAt10) < 1 << 20, $"managed heap changed by {(heapAt30 - heapAt10) / 1024} kB");
    }
}
