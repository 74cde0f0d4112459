using Derain.NN.Layers;
using Derain.NN.Modules;
using Derain.NN.Training;
using Derain.Pipelines.Tests.Infrastructure;
using Derain.Pipelines.Training;
using Derain.Tensors;

namespace Derain.Pipelines.Tests.Training;

public sealed class CheckpointStoreTests
{
    private sealed class Tiny : Module
    {
        public Tiny(Generator g) => Conv = RegisterModule("conv", ConvNd.Conv2d(1, 2, 3, g));

        public ConvNd Conv { get; }
    }

    [Fact]
    public void Only_complete_checkpoints_are_listed_newest_first_and_leftovers_are_removed()
    {
        using var dir = new TempFolder();
        var store = new CheckpointStore(dir["checkpoints"]);
        var model = new Tiny(new Generator(1));
        foreach (long it in new long[] { 4, 12, 8 }) store.Save(model, new TrainingState { Iteration = it });
        // What a kill leaves: a hidden partial folder, and a folder missing its state file.
        Directory.CreateDirectory(Path.Combine(store.Directory, ".partial-iter_00000016-abc"));
        var cut = Directory.CreateDirectory(Path.Combine(store.Directory, "iter_00000020")).FullName;
        File.Copy(Path.Combine(store.Directory, "iter_00000012", CheckpointStore.WeightsFile), Path.Combine(cut, CheckpointStore.WeightsFile));

        Assert.Equal([12L, 8, 4], store.List().Select(c => c.Iteration));
        var reopened = new CheckpointStore(store.Directory);
        Assert.False(Directory.Exists(Path.Combine(store.Directory, ".partial-iter_00000016-abc")));
        Assert.Equal(12, reopened.List()[0].Iteration);
    }

    [Fact]
    public void Saving_an_iteration_again_replaces_it_and_both_files_read_back()
    {
        using var dir = new TempFolder();
        var store = new CheckpointStore(dir["checkpoints"]);
        var model = new Tiny(new Generator(1));
        store.Save(model, new TrainingState { Iteration = 4 });
        var other = new Tiny(new Generator(2));
        var state = new TrainingState { Iteration = 4 };
        state.Values["mark"] = "second";
        string path = store.Save(other, state);
        Assert.Single(Directory.EnumerateDirectories(store.Directory));
        Assert.Equal("second", TrainingState.Load(Path.Combine(path, CheckpointStore.StateFile)).Values["mark"]);
        using var reader = Derain.NN.Checkpoints.Checkpoint.Open(Path.Combine(path, CheckpointStore.WeightsFile));
        Assert.Equal(other.Conv.Weight.Data.ToArray(), reader.Read("conv.weight").ToArray());
    }

    [Fact]
    public void Locate_accepts_the_folder_or_a_file_in_it_and_names_what_is_missing()
    {
        using var dir = new TempFolder();
        var store = new CheckpointStore(dir["checkpoints"]);
        string path = store.Save(new Tiny(new Generator(1)), new TrainingState { Iteration = 4 });
        Assert.Equal(path, CheckpointStore.Locate(path));
        Assert.Equal(path, CheckpointStore.Locate(Path.Combine(path, CheckpointStore.StateFile)));
        Assert.Contains("does not exist", Assert.Throws<FileNotFoundException>(() => CheckpointStore.Locate(dir["nope"])).Message);
        Assert.Contains($"has no {CheckpointStore.WeightsFile}", Assert.Throws<FileNotFoundException>(() => CheckpointStore.Locate(dir.Path)).Message);
    }
}
