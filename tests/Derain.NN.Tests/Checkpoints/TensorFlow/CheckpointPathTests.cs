using Derain.NN.Checkpoints.TensorFlow;

namespace Derain.NN.Tests.Checkpoints.TensorFlow;

/// <summary>The ways a user may point at a checkpoint, and <see cref="TensorFlowCheckpoint.Probe"/>.</summary>
public sealed class CheckpointPathTests
{
    private const string DerainOnlyConv3Bias = "DerainNet/DerainNet_conv3/b";

    [Theory]
    [InlineData("")]
    [InlineData(".index")]
    [InlineData(".data-00000-of-00001")]
    public void Opens_from_prefix_index_or_data_shard(string suffix)
    {
        string prefix = EevrsrCheckpoints.Prefix(EevrsrCheckpoints.DerainOnly);
        using var ck = TensorFlowCheckpoint.Open(prefix + suffix);
        Assert.Equal(Path.GetFullPath(prefix), ck.Prefix);
        Assert.True(TensorFlowCheckpoint.Probe(prefix + suffix));
    }

    [Fact]
    public void Opens_from_a_folder_with_a_single_index()
    {
        string folder = EevrsrCheckpoints.Folder(EevrsrCheckpoints.All);
        using var ck = TensorFlowCheckpoint.Open(folder);
        Assert.Equal(387, ck.Entries.Count);
        Assert.True(TensorFlowCheckpoint.Probe(folder));
    }

    [Fact]
    public void A_checkpoint_state_file_picks_among_several_checkpoints()
    {
        using var temp = EevrsrCheckpoints.CopyTo(EevrsrCheckpoints.DerainOnly, "model.ckpt-82000");
        File.Copy(EevrsrCheckpoints.Prefix(EevrsrCheckpoints.All) + ".index", temp.File("older.ckpt.index"));
        var ambiguous = Assert.Throws<FileNotFoundException>(() => TensorFlowCheckpoint.Open(temp.Path));
        Assert.Contains("2 checkpoints", ambiguous.Message);
        Assert.False(TensorFlowCheckpoint.Probe(temp.Path));

        File.WriteAllText(temp.File("checkpoint"),
            "model_checkpoint_path: \"model.ckpt-82000\"\nall_model_checkpoint_paths: \"older.ckpt\"\nall_model_checkpoint_paths: \"model.ckpt-82000\"\n");
        using var ck = TensorFlowCheckpoint.Open(temp.Path);
        Assert.Equal(temp.File("model.ckpt-82000"), ck.Prefix);
        Assert.Equal(261, ck.Entries.Count);
        ck.Read(DerainOnlyConv3Bias).Dispose();
    }

    [Fact]
    public void A_state_file_with_an_absolute_octal_escaped_path_is_followed()
    {
        // Python's text-format writer escapes each non-ASCII UTF-8 byte as octal: è is \303\250.
        using var temp = EevrsrCheckpoints.CopyTo(EevrsrCheckpoints.DerainOnly, "modèle.ckpt");
        string escaped = temp.File("mod\\303\\250le.ckpt");
        File.WriteAllText(temp.File("checkpoint"), $"model_checkpoint_path: \"{escaped}\"\n");
        using var ck = TensorFlowCheckpoint.Open(temp.Path);
        Assert.Equal(temp.File("modèle.ckpt"), ck.Prefix);
    }

    [Fact]
    public void A_state_file_naming_a_missing_checkpoint_says_so()
    {
        using var temp = EevrsrCheckpoints.CopyTo(EevrsrCheckpoints.DerainOnly);
        File.WriteAllText(temp.File("checkpoint"), "model_checkpoint_path: \"model.ckpt-5\"\n");
        var ex = Assert.Throws<FileNotFoundException>(() => TensorFlowCheckpoint.Open(temp.Path));
        Assert.Contains("model.ckpt-5", ex.Message);
    }

    [Fact]
    public void Nonexistent_paths_and_other_files_are_not_checkpoints()
    {
        using var temp = new TempFolder();
        string other = temp.File("weights.bin");
        File.WriteAllBytes(other, new byte[100]);
        Assert.False(TensorFlowCheckpoint.Probe(other));
        Assert.False(TensorFlowCheckpoint.Probe(temp.File("nothing")));
        Assert.False(TensorFlowCheckpoint.Probe(temp.Path));
        var ex = Assert.Throws<FileNotFoundException>(() => TensorFlowCheckpoint.Open(temp.File("nothing")));
        Assert.Contains("nothing.index", ex.Message);
    }
}
