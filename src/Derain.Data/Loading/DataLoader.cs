using Derain.Tensors;

namespace Derain.Data.Loading;

/// <summary>
/// Delivers a dataset as an endless stream of batches, epoch after epoch. Worker threads decode, augment and stack
/// batches ahead of the consumer (at most <see cref="DataLoaderOptions.Prefetch"/> batches) and the consumer gets
/// them in order. Every sample's generator is seeded from (seed, epoch, sample index) and each epoch's order from
/// (seed, epoch), so the stream is the same for any number of workers and can be resumed exactly from a
/// <see cref="Position"/>. Batches are made on worker threads, outside any <see cref="TensorScope"/>: the consumer
/// owns each batch and disposes it. A worker's error reaches the consumer as a <see cref="DataLoaderException"/>
/// naming the batch, sample and file, from that batch's <see cref="Next"/> on (until <see cref="Seek"/>). One thread
/// consumes: <see cref="Next"/> and <see cref="Seek"/> are not meant to be called concurrently.
/// </summary>
public sealed class DataLoader : IDisposable
{
    private readonly IDataset _dataset;
    private readonly DataLoaderOptions _options;
    private readonly Augmentation? _augmentation;
    private readonly EpochOrder _order;
    private readonly object _gate = new();
    private readonly Dictionary<long, Result> _ready = [];
    private Thread[]? _workers;
    private long _next, _scheduled;
    private bool _stopping, _disposed;
    private DataLoaderException? _fault;

    public DataLoader(IDataset dataset, DataLoaderOptions options, AugmentationOptions? augmentation = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _dataset = dataset;
        _options = options;
        _augmentation = augmentation is null ? null : new Augmentation(augmentation);
        int count = dataset.Count;
        if (count == 0) throw new DatasetException("The dataset has no samples");
        BatchesPerEpoch = options.DropLast ? count / options.BatchSize : (count + options.BatchSize - 1) / options.BatchSize;
        if (BatchesPerEpoch == 0)
            throw new DatasetException($"The dataset has {count} samples, fewer than one batch of {options.BatchSize} (and incomplete batches are dropped)");
        _order = new EpochOrder(count, options.Shuffle, options.Seed);
    }

    /// <summary>Batches in one epoch.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>The batch <see cref="Next"/> delivers next (save it with a checkpoint).</summary>
    public LoaderPosition Position
    {
        get { lock (_gate) return ToPosition(_next); }
    }

    /// <summary>
    /// Continues from <paramref name="position"/> (as read from <see cref="Position"/>): batches already prefetched
    /// are dropped and a pending error is cleared.
    /// </summary>
    public void Seek(LoaderPosition position)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(position.Epoch);
        if ((uint)position.Batch >= (uint)BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"an epoch has {BatchesPerEpoch} batches");
        StopWorkers();
        lock (_gate)
        {
            _next = _scheduled = (long)position.Epoch * BatchesPerEpoch + position.Batch;
            _fault = null;
        }
    }

    /// <summary>The next batch, waiting for the workers if needed; the caller disposes it.</summary>
    public Batch Next(CancellationToken cancel = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Registered outside the lock: disposing a registration waits for a running callback, which takes the lock.
        using var wake = cancel.Register(() => { lock (_gate) Monitor.PulseAll(_gate); });
        lock (_gate)
        {
            if (_fault is not null) throw _fault;
            _workers ??= StartWorkers();
            Result result;
            while (!_ready.Remove(_next, out result))
            {
                cancel.ThrowIfCancellationRequested();
                ObjectDisposedException.ThrowIf(_disposed, this);
                Monitor.Wait(_gate);
            }
            if (result.Error is not null)
            {
                // Position stays on the failed batch; Seek past it to skip it.
                _fault = result.Error;
                throw _fault;
            }
            _next++;
            Monitor.PulseAll(_gate);
            return result.Batch!;
        }
    }

    /// <summary>
    /// The batches left in the current epoch, e.g. one pass over a validation set; the caller disposes each. Workers
    /// may already be preparing the next epoch's first batches, which later <see cref="Next"/> calls deliver.
    /// </summary>
    public IEnumerable<Batch> RestOfEpoch(CancellationToken cancel = default)
    {
        int epoch = Position.Epoch;
        while (Position.Epoch == epoch) yield return Next(cancel);
    }

    /// <summary>Stops the workers (after the batch each is making) and releases prefetched batches.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        StopWorkers();
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
    }

    private Thread[] StartWorkers()
    {
        _stopping = false;
        var workers = new Thread[_options.Workers];
        for (int i = 0; i < workers.Length; i++)
        {
            workers[i] = new Thread(Work) { IsBackground = true, Name = $"Derain loader {i}" };
            workers[i].Start();
        }
        return workers;
    }

    private void StopWorkers()
    {
        Thread[]? workers;
        lock (_gate)
        {
            workers = _workers;
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        if (workers is not null)
            foreach (var w in workers) w.Join();
        lock (_gate)
        {
            foreach (var r in _ready.Values) r.Batch?.Dispose();
            _ready.Clear();
            _workers = null;
            _scheduled = _next;
        }
    }

    private void Work()
    {
        while (true)
        {
            long job;
            lock (_gate)
            {
                while (!_stopping && _scheduled >= _next + _options.Prefetch) Monitor.Wait(_gate);
                if (_stopping) return;
                job = _scheduled++;
            }
            var result = Make(ToPosition(job));
            lock (_gate)
            {
                if (_stopping)
                {
                    result.Batch?.Dispose();
                    return;
                }
                _ready[job] = result;
                Monitor.PulseAll(_gate);
            }
        }
    }

    private Result Make(LoaderPosition position)
    {
        var order = _order.For(position.Epoch);
        int start = position.Batch * _options.BatchSize;
        int end = Math.Min(start + _options.BatchSize, order.Length);
        var samples = new List<Sample>(end - start);
        int index = -1;
        try
        {
            for (int i = start; i < end; i++)
            {
                index = order[i];
                var rng = new Generator(SampleSeeds.Sample(_options.Seed, position.Epoch, index));
                var sample = _dataset.Get(index, rng);
                samples.Add(_augmentation is null ? sample : _augmentation.Apply(sample, rng));
            }
            index = -1;
            return new Result(BatchCollator.Stack(position, samples), null);
        }
        catch (Exception e)
        {
            var what = index >= 0 ? $"sample {index}" : "stacking";
            return new Result(null, new DataLoaderException(position,
                $"Epoch {position.Epoch}, batch {position.Batch}, {what}: {e.Message}", e));
        }
        finally
        {
            foreach (var s in samples) s.Dispose();
        }
    }

    private LoaderPosition ToPosition(long ordinal)
        => new((int)(ordinal / BatchesPerEpoch), (int)(ordinal % BatchesPerEpoch));

    private readonly record struct Result(Batch? Batch, DataLoaderException? Error);
}
