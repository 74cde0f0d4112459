using Derain.Data.Loading;
using Derain.Data.Synthesis;
using Derain.Tensors;

namespace Derain.Data.Tests.Loading;

public class AugmentationTests
{
    private static Tensor Grid(int h, int w) => Tensor.FromArray(Enumerable.Range(0, h * w).Select(i => (float)i).ToArray(), 1, h, w);

    private static float[] Row(Tensor t, int row)
    {
        int w = t.Shape[-1];
        return t.ToArray().AsSpan(row * w, w).ToArray();
    }

    [Fact]
    public void Resample_flips_and_transposes_like_worked_examples()
    {
        using var grid = Grid(3, 4); // rows 0..3, 4..7, 8..11
        using var h = Augmentation.Resample(grid, new SpatialWindow(0, 0, 3, 4, true, false, false));
        Assert.Equal([3f, 2, 1, 0], Row(h, 0));
        using var t = Augmentation.Resample(grid, new SpatialWindow(0, 0, 3, 4, false, false, true));
        Assert.Equal([1, 4, 3], t.Shape.ToArray());
        Assert.Equal([0f, 4, 8], Row(t, 0));
        Assert.Equal([3f, 7, 11], Row(t, 3));
        using var vt = Augmentation.Resample(grid, new SpatialWindow(0, 0, 3, 4, false, true, true));
        Assert.Equal([8f, 4, 0], Row(vt, 0));
        using var crop = Augmentation.Resample(grid, new SpatialWindow(1, 1, 2, 2, true, true, false));
        Assert.Equal([10f, 9], Row(crop, 0));
        Assert.Equal([6f, 5], Row(crop, 1));
    }

    [Fact]
    public void Every_key_and_frame_gets_the_same_crop_and_flips()
    {
        using var set = new LoadingFixture();
        set.WriteVrdsVideo("v", 5, 16, 12);
        var dataset = new VrdsDataset(set.Root);
        var augment = new Augmentation(AugmentationOptions.Training(cropSize: 8));
        var seen = new HashSet<(bool, bool, bool)>();
        for (ulong seed = 0; seed < 40; seed++)
        {
            var rng = new Generator(seed);
            using var sample = augment.Apply(dataset.Get(0, rng), rng);
            var reference = Coordinates(sample[DatasetLayout.Clean], 0);
            seen.Add(Classify(reference));
            foreach (var key in LoadingFixture.VrdsKeys)
            {
                var t = sample[key];
                Assert.Equal([5, LoadingFixture.Channels(key), 8, 8], t.Shape.ToArray());
                for (int f = 0; f < 5; f++) Assert.Equal(reference, Coordinates(t, f));
            }
        }
        // 40 draws of three coin flips: all eight combinations are expected (a fixed transform would show one).
        Assert.Equal(8, seen.Count);
    }

    [Fact]
    public void Crop_larger_than_the_frame_is_an_error_naming_the_sample()
    {
        using var set = new LoadingFixture();
        set.WriteVrdsVideo("small", 5, 8, 8);
        var dataset = new VrdsDataset(set.Root);
        var rng = new Generator(1);
        var e = Assert.Throws<DatasetException>(() => new Augmentation(new AugmentationOptions { CropSize = 9 }).Apply(dataset.Get(0, rng), rng));
        Assert.Contains("small/00000000", e.Message);
        Assert.Contains("9×9", e.Message);
    }

    /// <summary>The source (y, x) of every pixel of frame <paramref name="frame"/> (16-pixel-wide source grid).</summary>
    private static (int Y, int X)[] Coordinates(Tensor t, int frame)
    {
        int c = t.Shape[1], h = t.Shape[2], w = t.Shape[3];
        var data = t.ToArray().AsSpan(frame * c * h * w, h * w);
        var result = new (int, int)[h * w];
        for (int i = 0; i < result.Length; i++)
        {
            int code = (int)MathF.Round(data[i] * 255);
            result[i] = (code / 16, code % 16);
        }
        return result;
    }

    /// <summary>
    /// Which flips and transpose a coordinate map shows, checking on the way that it is a rigid window (steps of one
    /// pixel along exactly one source axis per output axis).
    /// </summary>
    private static (bool H, bool V, bool T) Classify((int Y, int X)[] map)
    {
        const int n = 8;
        var right = (map[1].Y - map[0].Y, map[1].X - map[0].X);
        var down = (map[n].Y - map[0].Y, map[n].X - map[0].X);
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                Assert.Equal((map[0].Y + y * down.Item1 + x * right.Item1, map[0].X + y * down.Item2 + x * right.Item2), map[y * n + x]);
        bool transposed = right.Item2 == 0;
        bool h = transposed ? down.Item2 < 0 : right.Item2 < 0;
        bool v = transposed ? right.Item1 < 0 : down.Item1 < 0;
        return (h, v, transposed);
    }
}
