using Derain.Data.Loading;
using Derain.Data.Synthesis;
using Derain.Tensors;

namespace Derain.Data.Tests.Loading;

public class DataLoaderTests
{
    private static readonly AugmentationOptions Augment = AugmentationOptions.Training(cropSize: 6);

    /// <summary>Three videos, 12 clips of 3 frames, 8×8 frames.</summary>
    private static LoadingFixture WriteSet()
    {
        var set = new LoadingFixture();
        set.WriteVrdsVideo("a", 8, 8, 8);
        set.WriteVrdsVideo("b", 5, 8, 8);
        set.WriteVrdsVideo("c", 5, 8, 8);
        return set;
    }

    private static DataLoaderOptions Options(int workers, ulong seed = 7) => new()
    {
        BatchSize = 3, Workers = workers, Seed = seed, Prefetch = 2,
    };

    /// <summary>The next <paramref name="n"/> batches as names and every key's values.</summary>
    private static List<(LoaderPosition, string, Dictionary<string, float[]>)> Take(DataLoader loader, int n)
    {
        var result = new List<(LoaderPosition, string, Dictionary<string, float[]>)>();
        for (int i = 0; i < n; i++)
        {
            using var batch = loader.Next();
            result.Add((batch.Position, string.Join(",", batch.Names), batch.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray())));
        }
        return result;
    }

    private static void AssertSame(List<(LoaderPosition, string, Dictionary<string, float[]>)> a, List<(LoaderPosition, string, Dictionary<string, float[]>)> b)
    {
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Item1, b[i].Item1);
            Assert.Equal(a[i].Item2, b[i].Item2);
            Assert.Equal(a[i].Item3.Keys, b[i].Item3.Keys);
            foreach (var key in a[i].Item3.Keys) Assert.Equal(a[i].Item3[key], b[i].Item3[key]);
        }
    }

    [Fact]
    public void Batches_stack_samples_and_epochs_reshuffle()
    {
        using var set = WriteSet();
        var dataset = new VrdsDataset(set.Root, clipLength: 3);
        Assert.Equal(12, dataset.Count);
        using var loader = new DataLoader(dataset, Options(2), Augment);
        Assert.Equal(4, loader.BatchesPerEpoch);
        var batches = Take(loader, 8);
        using (var one = new DataLoader(dataset, Options(1), Augment))
        using (var batch = one.Next())
        {
            Assert.Equal([3, 3, 3, 6, 6], batch[DatasetLayout.Rainy].Shape.ToArray());
            Assert.Equal([3, 3, 1, 6, 6], batch[DatasetLayout.DropMask].Shape.ToArray());
        }
        var epoch0 = batches.Take(4).SelectMany(b => b.Item2.Split(',')).ToList();
        var epoch1 = batches.Skip(4).SelectMany(b => b.Item2.Split(',')).ToList();
        Assert.Equal(12, epoch0.Distinct().Count());
        Assert.Equal(epoch0.Order(), epoch1.Order());
        Assert.NotEqual(epoch0, epoch1);
        Assert.Equal(new LoaderPosition(1, 3), batches[7].Item1);
        Assert.Equal(new LoaderPosition(2, 0), loader.Position);
    }

    [Fact]
    public void Same_seed_gives_the_same_batches_for_one_and_three_workers()
    {
        using var set = WriteSet();
        var dataset = new VrdsDataset(set.Root, clipLength: 3);
        List<(LoaderPosition, string, Dictionary<string, float[]>)> one, three, other;
        using (var loader = new DataLoader(dataset, Options(1), Augment)) one = Take(loader, 6);
        using (var loader = new DataLoader(dataset, Options(3), Augment)) three = Take(loader, 6);
        using (var loader = new DataLoader(dataset, Options(3, seed: 8), Augment)) other = Take(loader, 6);
        AssertSame(one, three);
        Assert.NotEqual(one.Select(b => b.Item2), other.Select(b => b.Item2));
    }

    [Fact]
    public void Resuming_from_a_saved_position_continues_the_same_stream()
    {
        using var set = WriteSet();
        var dataset = new VrdsDataset(set.Root, clipLength: 3);
        LoaderPosition saved;
        List<(LoaderPosition, string, Dictionary<string, float[]>)> expected;
        using (var loader = new DataLoader(dataset, Options(2), Augment))
        {
            Take(loader, 5);
            saved = loader.Position;
            expected = Take(loader, 4);
        }
        Assert.Equal(new LoaderPosition(1, 1), saved);
        using var resumed = new DataLoader(dataset, Options(3), Augment);
        resumed.Seek(saved);
        AssertSame(expected, Take(resumed, 4));
        // Seeking back on a running loader drops the prefetched batches and starts over.
        resumed.Seek(saved);
        AssertSame(expected.Take(1).ToList(), Take(resumed, 1));
    }

    [Fact]
    public void Drop_last_and_unshuffled_order()
    {
        using var set = WriteSet();
        var dataset = new VrdsDataset(set.Root, clipLength: 3);
        using var keep = new DataLoader(dataset, new DataLoaderOptions { BatchSize = 5, Shuffle = false });
        Assert.Equal(3, keep.BatchesPerEpoch);
        var sizes = keep.RestOfEpoch().Select(b => { using (b) return b.Size; }).ToList();
        Assert.Equal([5, 5, 2], sizes);
        Assert.Equal(new LoaderPosition(1, 0), keep.Position);
        using var drop = new DataLoader(dataset, new DataLoaderOptions { BatchSize = 5, Shuffle = false, DropLast = true });
        Assert.Equal(2, drop.BatchesPerEpoch);
        using (var first = drop.Next()) Assert.Equal(["a/00000000", "a/00000001", "a/00000002", "a/00000003", "a/00000004"], first.Names);
        Assert.Throws<DatasetException>(() => new DataLoader(dataset, new DataLoaderOptions { BatchSize = 13, DropLast = true }));
    }

    [Fact]
    public void Worker_errors_reach_the_consumer_naming_the_file()
    {
        using var set = WriteSet();
        File.WriteAllBytes(DatasetLayout.FramePath(set.Root, DatasetLayout.StreakMap, "b", 1), [0x89, 0x50, 0x4E, 0x47]);
        var dataset = new VrdsDataset(set.Root, clipLength: 3);
        using var loader = new DataLoader(dataset, new DataLoaderOptions { BatchSize = 4, Shuffle = false, Workers = 2 });
        using (loader.Next()) { }
        var e = Assert.Throws<DataLoaderException>(() => loader.Next());
        Assert.Contains(Path.Combine("mstreak", "b", "00000001.png"), e.Message);
        Assert.Equal(new LoaderPosition(0, 1), e.Position);
        Assert.Equal(new LoaderPosition(0, 1), loader.Position);
        Assert.Same(e, Assert.Throws<DataLoaderException>(() => loader.Next()));
        loader.Seek(new LoaderPosition(0, 2));
        using (var after = loader.Next()) Assert.Equal(new LoaderPosition(0, 2), after.Position);
    }

    [Fact]
    public void Batches_are_not_owned_by_the_consumers_scope()
    {
        using var set = WriteSet();
        using var loader = new DataLoader(new VrdsDataset(set.Root, clipLength: 3), Options(2), Augment);
        Batch batch;
        using (var scope = TensorScope.Begin())
        {
            batch = loader.Next();
            Assert.Equal(0, scope.Count);
        }
        Assert.False(batch[DatasetLayout.Clean].IsDisposed);
        batch.Dispose();
        Assert.True(batch[DatasetLayout.Clean].IsDisposed);
    }

    [Fact]
    public void Cancellation_and_dispose_stop_a_waiting_loader()
    {
        using var gate = new ManualResetEventSlim();
        var dataset = new BlockingDataset(gate);
        var loader = new DataLoader(dataset, new DataLoaderOptions { Workers = 2 });
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
            Assert.ThrowsAny<OperationCanceledException>(() => loader.Next(cancel.Token));
        gate.Set();
        using (var batch = loader.Next()) Assert.Equal(1, batch.Size);
        loader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => loader.Next());
        Assert.True(dataset.Calls > 0);
    }

    /// <summary>Samples that wait for a gate, to hold the workers while the consumer gives up.</summary>
    private sealed class BlockingDataset(ManualResetEventSlim gate) : IDataset
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public int Count => 4;

        public Sample Get(int index, Generator rng)
        {
            Interlocked.Increment(ref _calls);
            gate.Wait();
            var sample = new Sample(index.ToString(System.Globalization.CultureInfo.InvariantCulture));
            sample.Set("x", Tensor.Zeros(new Shape(1, 2, 2)));
            return sample;
        }
    }
}
