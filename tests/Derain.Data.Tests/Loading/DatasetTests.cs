using Derain.Data.Imaging;
using Derain.Data.Loading;
using Derain.Data.Synthesis;
using Derain.Tensors;

namespace Derain.Data.Tests.Loading;

public class DatasetTests
{
    private static readonly Generator Rng = new(3);

    private static int FrameOf(Tensor t, int frame)
    {
        // Channel 1 holds frame·8 + key number.
        int c = t.Shape[1], h = t.Shape[2], w = t.Shape[3];
        return (int)MathF.Round(t.ToArray()[(frame * c + 1) * h * w] * 255) / 8;
    }

    [Fact]
    public void Vrds_lists_every_clip_with_all_keys_and_channel_counts()
    {
        using var set = new LoadingFixture();
        set.WriteVrdsVideo("a", 7, 6, 4);
        set.WriteVrdsVideo("b", 5, 6, 4);
        var dataset = new VrdsDataset(set.Root);
        Assert.Equal(3 + 1, dataset.Count);
        Assert.Equal(["a", "b"], dataset.Videos);
        using var second = dataset.Get(1, Rng);
        Assert.Equal("a/00000001", second.Name);
        Assert.Equal(LoadingFixture.VrdsKeys, second.Keys);
        Assert.Equal([5, 3, 4, 6], second[DatasetLayout.Rainy].Shape.ToArray());
        Assert.Equal([5, 1, 4, 6], second[DatasetLayout.DropMask].Shape.ToArray());
        Assert.Equal([5, 1, 4, 6], second[DatasetLayout.StreakMap].Shape.ToArray());
        Assert.Equal(1, FrameOf(second[DatasetLayout.Clean], 0));
        Assert.Equal(5, FrameOf(second[DatasetLayout.Rainy], 4));
        using var last = dataset.Get(3, Rng);
        Assert.Equal("b/00000000", last.Name);
    }

    [Fact]
    public void Streak_sets_have_gt_lq_and_mstreak_only()
    {
        using var set = new LoadingFixture();
        set.WriteVrdsVideo("s", 3, 4, 4, [DatasetLayout.Clean, DatasetLayout.Rainy, DatasetLayout.StreakMap]);
        var dataset = new VrdsDataset(set.Root, clipLength: 3);
        using var sample = dataset.Get(0, Rng);
        Assert.Equal([DatasetLayout.Clean, DatasetLayout.Rainy, DatasetLayout.StreakMap], sample.Keys);
    }

    [Fact]
    public void Vrds_can_read_only_the_keys_and_the_clean_centre_frame_a_network_needs()
    {
        using var set = new LoadingFixture();
        set.WriteVrdsVideo("a", 7, 6, 4);
        var dataset = new VrdsDataset(set.Root, keys: [DatasetLayout.Rainy], centreCleanOnly: true);
        Assert.Equal([DatasetLayout.Clean, DatasetLayout.Rainy], dataset.Keys.Select(k => k.Key));
        using var sample = dataset.Get(2, Rng);
        Assert.Equal([DatasetLayout.Clean, DatasetLayout.Rainy], sample.Keys);
        Assert.Equal([1, 3, 4, 6], sample[DatasetLayout.Clean].Shape.ToArray());
        Assert.Equal([5, 3, 4, 6], sample[DatasetLayout.Rainy].Shape.ToArray());
        Assert.Equal(2 + 2, FrameOf(sample[DatasetLayout.Clean], 0)); // frames 2…6: the centre is frame 4
        Assert.Equal(2, FrameOf(sample[DatasetLayout.Rainy], 0));
        Assert.Throws<ArgumentException>(() => new VrdsDataset(set.Root, keys: ["rain"]));
    }

    [Fact]
    public void Vrds_test_split_folders_can_be_named()
    {
        using var set = new LoadingFixture();
        set.WriteVrdsVideo("v", 5, 4, 4, [DatasetLayout.Clean, DatasetLayout.Rainy]);
        Directory.Move(set.PathOf("lq"), set.PathOf("testlq"));
        Directory.Move(set.PathOf("gt"), set.PathOf("testgt"));
        Assert.Contains("no 'gt' folder", Assert.Throws<DatasetException>(() => new VrdsDataset(set.Root)).Message);
        var dataset = new VrdsDataset(set.Root, rainyFolder: "testlq", cleanFolder: "testgt");
        using var sample = dataset.Get(0, Rng);
        Assert.Equal([DatasetLayout.Clean, DatasetLayout.Rainy], sample.Keys);
        Assert.Equal(1, (int)MathF.Round(sample[DatasetLayout.Rainy].ToArray()[16] * 255)); // channel 1: key number 1 (lq)
    }

    [Fact]
    public void Vrds_errors_name_the_problem()
    {
        using (var empty = new LoadingFixture())
        {
            Directory.CreateDirectory(empty.PathOf("gt"));
            Directory.CreateDirectory(empty.PathOf("lq"));
            Assert.Contains("no sub-folders", Assert.Throws<DatasetException>(() => new VrdsDataset(empty.Root)).Message);
            Directory.CreateDirectory(empty.PathOf("lq", "v"));
            Directory.CreateDirectory(empty.PathOf("gt", "v"));
            Assert.Contains("no PNG or JPEG", Assert.Throws<DatasetException>(() => new VrdsDataset(empty.Root)).Message);
        }
        using (var shortVideo = new LoadingFixture())
        {
            shortVideo.WriteVrdsVideo("v", 4, 4, 4);
            Assert.Contains("fewer than the clip length 5", Assert.Throws<DatasetException>(() => new VrdsDataset(shortVideo.Root)).Message);
        }
        using (var counts = new LoadingFixture())
        {
            counts.WriteVrdsVideo("v", 6, 4, 4);
            File.Delete(DatasetLayout.FramePath(counts.Root, DatasetLayout.DropMask, "v", 5));
            var e = Assert.Throws<DatasetException>(() => new VrdsDataset(counts.Root));
            Assert.Contains("01drop", e.Message);
            Assert.Contains("5 frames", e.Message);
        }
        using (var names = new LoadingFixture())
        {
            names.WriteVrdsVideo("v", 5, 4, 4);
            File.Move(DatasetLayout.FramePath(names.Root, DatasetLayout.Clean, "v", 2), names.PathOf("gt", "v", "frame2.png"));
            Assert.Contains("frame2.png", Assert.Throws<DatasetException>(() => new VrdsDataset(names.Root)).Message);
        }
        using (var videos = new LoadingFixture())
        {
            videos.WriteVrdsVideo("v", 5, 4, 4);
            videos.WriteVrdsVideo("w", 5, 4, 4, [DatasetLayout.Rainy]);
            Assert.Contains("'w'", Assert.Throws<DatasetException>(() => new VrdsDataset(videos.Root)).Message);
        }
    }

    [Fact]
    public void Vrds_size_mismatch_is_reported_with_the_files_when_decoded()
    {
        using var set = new LoadingFixture();
        set.WriteVrdsVideo("v", 5, 4, 4);
        LoadingFixture.WriteImage(DatasetLayout.FramePath(set.Root, DatasetLayout.Clean, "v", 3), LoadingFixture.Coded(5, 4, 3, 3, 0));
        var dataset = new VrdsDataset(set.Root);
        var e = Assert.Throws<DatasetException>(() => dataset.Get(0, Rng));
        Assert.Contains(Path.Combine("gt", "v", "00000003.png"), e.Message);
        Assert.Contains("5×4", e.Message);

        using var keys = new LoadingFixture();
        keys.WriteVrdsVideo("v", 5, 4, 4, [DatasetLayout.Clean]);
        keys.WriteVrdsVideo("v", 5, 6, 4, [DatasetLayout.Rainy]);
        var k = Assert.Throws<DatasetException>(() => new VrdsDataset(keys.Root).Get(0, Rng));
        Assert.Contains("6×4", k.Message);
        Assert.Contains("4×4", k.Message);
    }

    [Fact]
    public void Paired_folders_match_by_stem_and_report_strays()
    {
        using var set = new LoadingFixture();
        foreach (var name in new[] { "10", "2", "1" })
        {
            LoadingFixture.WriteImage(set.PathOf("rain", name + ".png"), LoadingFixture.Coded(4, 3, 3, int.Parse(name), 1));
            LoadingFixture.WriteImage(set.PathOf("clean", name + ".png"), LoadingFixture.Coded(4, 3, 3, int.Parse(name), 0));
        }
        var dataset = new PairedFolderDataset(set.PathOf("rain"), set.PathOf("clean"));
        Assert.Equal(["1", "2", "10"], dataset.Pairs.Select(p => Path.GetFileNameWithoutExtension(p.Rainy)));
        using (var sample = dataset.Get(2, Rng))
        {
            Assert.Equal([3, 3, 4], sample[DatasetLayout.Clean].Shape.ToArray());
            Assert.Equal(10 * 8, (int)MathF.Round(sample[DatasetLayout.Clean].ToArray()[12] * 255));
            Assert.Equal(10 * 8 + 1, (int)MathF.Round(sample[DatasetLayout.Rainy].ToArray()[12] * 255));
        }
        LoadingFixture.WriteImage(set.PathOf("rain", "3.png"), LoadingFixture.Coded(4, 3, 3, 3, 1));
        Assert.Contains("3.png has no clean image", Assert.Throws<DatasetException>(() => new PairedFolderDataset(set.PathOf("rain"), set.PathOf("clean"))).Message);
        File.Delete(set.PathOf("rain", "3.png"));
        LoadingFixture.WriteImage(set.PathOf("clean", "4.png"), LoadingFixture.Coded(4, 3, 3, 4, 0));
        Assert.Contains("4.png has no rainy image", Assert.Throws<DatasetException>(() => new PairedFolderDataset(set.PathOf("rain"), set.PathOf("clean"))).Message);
        LoadingFixture.WriteImage(set.PathOf("rain", "4.png"), LoadingFixture.Coded(5, 3, 3, 4, 1));
        var sized = new PairedFolderDataset(set.PathOf("rain"), set.PathOf("clean"));
        var e = Assert.Throws<DatasetException>(() => sized.Get(2, Rng));
        Assert.Contains(set.PathOf("clean", "4.png"), e.Message);
        Assert.Contains("5×3", e.Message);
    }

    [Fact]
    public void Time_lapse_pairs_two_different_frames_of_one_scene()
    {
        using var set = new LoadingFixture();
        set.WriteVrdsVideo("scene1", 3, 4, 4, [DatasetLayout.Clean, DatasetLayout.Rainy]);
        set.WriteVrdsVideo("scene2", 4, 4, 4, [DatasetLayout.Clean, DatasetLayout.Rainy]);
        var dataset = new TimeLapseDataset(set.Root);
        Assert.Equal(7, dataset.Count);
        Assert.True(dataset.HasClean);
        var partners = new HashSet<int>();
        for (ulong seed = 0; seed < 30; seed++)
        {
            using var sample = dataset.Get(4, new Generator(seed)); // scene2, frame 1
            Assert.StartsWith("scene2/00000001+", sample.Name);
            Assert.Equal(["lq1", "lq2", "gt1", "gt2"], sample.Keys);
            int a = FrameOf(sample["lq1"].Reshape(1, 3, 4, 4), 0), b = FrameOf(sample["lq2"].Reshape(1, 3, 4, 4), 0);
            Assert.Equal(1, a);
            Assert.NotEqual(a, b);
            Assert.Equal(b, FrameOf(sample["gt2"].Reshape(1, 3, 4, 4), 0));
            partners.Add(b);
        }
        Assert.Equal([0, 2, 3], partners.Order());

        using var single = new LoadingFixture();
        single.WriteVrdsVideo("s", 1, 4, 4, [DatasetLayout.Rainy]);
        Assert.Contains("at least two frames", Assert.Throws<DatasetException>(() => new TimeLapseDataset(single.Root)).Message);
    }

    [Fact]
    public void Frame_folders_read_in_natural_order_with_optional_ground_truth()
    {
        using var set = new LoadingFixture();
        foreach (var n in new[] { 10, 9, 1 })
        {
            LoadingFixture.WriteImage(set.PathOf("in", $"frame_{n}.png"), LoadingFixture.Coded(4, 2, 3, n, 1));
            LoadingFixture.WriteImage(set.PathOf("ref", $"frame_{n}.png"), LoadingFixture.Coded(4, 2, 3, n, 0));
        }
        File.WriteAllText(set.PathOf("in", "notes.txt"), "not a frame");
        var dataset = new FrameFolderDataset(set.PathOf("in"), set.PathOf("ref"));
        Assert.Equal(["frame_1", "frame_9", "frame_10"], dataset.Files.Select(Path.GetFileNameWithoutExtension));
        using var sample = dataset.Get(1, Rng);
        Assert.Equal("frame_9", sample.Name);
        Assert.Equal([3, 2, 4], sample[DatasetLayout.Rainy].Shape.ToArray());
        Assert.True(sample.Tensors.ContainsKey(DatasetLayout.Clean));

        File.Delete(set.PathOf("ref", "frame_9.png"));
        Assert.Contains("2 frames", Assert.Throws<DatasetException>(() => new FrameFolderDataset(set.PathOf("in"), set.PathOf("ref"))).Message);
        Directory.CreateDirectory(set.PathOf("none"));
        Assert.Contains("no PNG or JPEG", Assert.Throws<DatasetException>(() => new FrameFolderDataset(set.PathOf("none"))).Message);
    }

    [Fact]
    public void Unreadable_frames_name_the_file()
    {
        using var set = new LoadingFixture();
        set.WriteVrdsVideo("v", 5, 4, 4);
        File.WriteAllBytes(DatasetLayout.FramePath(set.Root, DatasetLayout.Rainy, "v", 2), [1, 2, 3, 4]);
        var e = Assert.Throws<DatasetException>(() => new VrdsDataset(set.Root).Get(0, Rng));
        Assert.Contains(Path.Combine("lq", "v", "00000002.png"), e.Message);
        Assert.IsType<ImageFileException>(e.InnerException);
    }
}
