using System.Diagnostics;
using Derain.Data.Loading;
using Derain.Data.Synthesis;
using Derain.Data.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Derain.Data.Tests.Loading;

/// <summary>
/// Loader throughput on ViMP-Net-sized samples: 5-frame clips of all five VRDS keys decoded from PNG, cropped to
/// 256² with flips, batch 1. Reports samples/s for 1 and 2 workers with a consumer that takes no time and one that
/// takes 50 ms per batch (as a training step would), i.e. whether decoding keeps up.
/// </summary>
public class LoaderThroughput(ITestOutputHelper output)
{
    [BenchmarkFact]
    public void Vrds_clips_per_second()
    {
        using var set = new LoadingFixture();
        const int width = 320, height = 288, frames = 9;
        foreach (var video in new[] { "a", "b" })
            for (int f = 0; f < frames; f++)
                foreach (var key in LoadingFixture.VrdsKeys)
                    LoadingFixture.WriteImage(DatasetLayout.FramePath(set.Root, key, video, f),
                        Samples.Smooth(width, height, LoadingFixture.Channels(key)));
        var dataset = new VrdsDataset(set.Root);
        ReportStages(dataset);
        foreach (int workers in new[] { 1, 2 })
            foreach (int stepMs in new[] { 0, 50 })
            {
                using var loader = new DataLoader(dataset, new DataLoaderOptions { Workers = workers, Prefetch = 4, Seed = 1 },
                    AugmentationOptions.Training(256));
                using (loader.Next()) { } // warm-up: JIT, thread start, libpng load
                const int n = 30;
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < n; i++)
                {
                    using var batch = loader.Next();
                    Assert.Equal([1, 5, 3, 256, 256], batch[DatasetLayout.Rainy].Shape.ToArray());
                    if (stepMs > 0) Thread.Sleep(stepMs);
                }
                double rate = n / clock.Elapsed.TotalSeconds;
                double ceiling = stepMs > 0 ? 1000.0 / stepMs : double.PositiveInfinity;
                output.WriteLine($"workers {workers}, consumer {stepMs} ms/batch: {rate:F1} samples/s (consumer-bound ceiling {ceiling:F1})");
            }
    }

    /// <summary>Where one thread's time goes: decoding a sample versus augmenting it.</summary>
    private void ReportStages(VrdsDataset dataset)
    {
        var augment = new Augmentation(AugmentationOptions.Training(256));
        using (dataset.Get(0, new Tensors.Generator(0))) { }
        const int n = 10;
        double decode = 0, augmentation = 0;
        for (int i = 0; i < n; i++)
        {
            var rng = new Tensors.Generator((ulong)i);
            var clock = Stopwatch.StartNew();
            var sample = dataset.Get(i % dataset.Count, rng);
            decode += clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            using var augmented = augment.Apply(sample, rng);
            augmentation += clock.Elapsed.TotalMilliseconds;
        }
        output.WriteLine($"one thread: decode {decode / n:F1} ms/sample (25 PNGs), augment {augmentation / n:F1} ms/sample");
    }
}
