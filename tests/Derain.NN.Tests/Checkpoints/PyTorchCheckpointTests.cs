using System.IO.Compression;
using Derain.NN.Checkpoints;
using Derain.NN.Checkpoints.PyTorch;

namespace Derain.NN.Tests.Checkpoints;

/// <summary>torch.save files of every layout, compared name by name and value by value with PyTorch's own view.</summary>
public class PyTorchCheckpointTests
{
    public static TheoryData<string> Cases => new()
    {
        "nested_zip", "nested_legacy", "nested_p4_zip", "nested_p5_legacy",
        "module_zip", "module_legacy", "mmedit_zip", "dataparallel_zip", "basicsr_legacy",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Lists_the_tensors_PyTorch_saved_in_file_order(string name)
    {
        var manifest = CheckpointFixtures.Manifest("pth", name);
        using var ckpt = PyTorchCheckpoint.Open(CheckpointFixtures.Pth(name));

        Assert.Equal(manifest.GetProperty("format").GetString(), ckpt.Format);
        Assert.Equal(manifest.GetProperty("state_dict_path").GetString(), ckpt.StateDictPath);
        var expected = manifest.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(expected.Select(e => e.GetProperty("name").GetString()), ckpt.Entries.Select(e => e.Name));
        for (int i = 0; i < expected.Count; i++)
        {
            var entry = ckpt.Entries[i];
            Assert.Equal(expected[i].GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()), entry.Shape);
            Assert.Equal(expected[i].GetProperty("dtype").GetString(), entry.StoredDType);
            Assert.Equal(expected[i].GetProperty("raw_name").GetString(), ckpt.RawName(entry.Name));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reads_every_tensor_with_PyTorchs_values(string name)
    {
        var values = CheckpointFixtures.Values("pth", name);
        using var ckpt = PyTorchCheckpoint.Open(CheckpointFixtures.Pth(name));
        Assert.Equal(values.Count, ckpt.Entries.Count);
        foreach (var entry in ckpt.Entries)
        {
            var want = values[entry.Name];
            using var got = ckpt.Read(entry.Name);
            Assert.Equal(want.Shape, got.Shape.ToArray());
            var actual = got.ToArray();
            for (int i = 0; i < actual.Length; i++)
            {
                // float32 conversion of the stored value is exact except for float64 data, which rounds once.
                float expected = (float)want.Data[i];
                Assert.True(expected.Equals(actual[i]), $"{name}: {entry.Name}[{i}] is {actual[i]:R}, PyTorch has {want.Data[i]:R}.");
            }
        }
    }

    [Theory]
    [InlineData("mmedit_zip")]
    [InlineData("dataparallel_zip")]
    [InlineData("basicsr_legacy")]
    public void Raw_naming_keeps_the_full_dotted_path(string name)
    {
        var manifest = CheckpointFixtures.Manifest("pth", name);
        using var ckpt = PyTorchCheckpoint.Open(CheckpointFixtures.Pth(name), PyTorchNaming.Raw);
        Assert.Equal(manifest.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("raw_name").GetString()),
            ckpt.Entries.Select(e => e.Name));
        Assert.Equal("", ckpt.StateDictPath);
        Assert.False(ckpt.StrippedDataParallelPrefix);
    }

    [Fact]
    public void DataParallel_prefix_is_reported_as_stripped()
    {
        using var ckpt = PyTorchCheckpoint.Open(CheckpointFixtures.Pth("dataparallel_zip"));
        Assert.True(ckpt.StrippedDataParallelPrefix);
        using var plain = PyTorchCheckpoint.Open(CheckpointFixtures.Pth("module_zip"));
        Assert.False(plain.StrippedDataParallelPrefix);
    }

    [Fact]
    public void Integer_and_bool_tensors_report_their_stored_dtype()
    {
        using var ckpt = PyTorchCheckpoint.Open(CheckpointFixtures.Pth("module_legacy"));
        var tracked = ckpt.Entries.Single(e => e.Name == "1.num_batches_tracked");
        Assert.Equal("int64", tracked.StoredDType);
        Assert.Empty(tracked.Shape);
        Assert.Equal(5.0, ckpt.Read(tracked.Name).Item());
    }

    [Fact]
    public void Unknown_name_is_a_clear_error()
    {
        using var ckpt = PyTorchCheckpoint.Open(CheckpointFixtures.Pth("mmedit_zip"));
        var e = Assert.Throws<KeyNotFoundException>(() => ckpt.Read("conv_last.weight"));
        Assert.Contains("generator.conv_last.weight", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A copy of a zip fixture changed by <paramref name="edit"/>, opened; returns the refusal message.</summary>
    private static string RefusalAfterEdit(string fixture, Action<ZipArchive, string> edit)
    {
        using var dir = new CheckpointFixtures.TempDir();
        string path = dir.File("edited.pth");
        File.Copy(CheckpointFixtures.Pth(fixture), path);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            string folder = zip.Entries.Single(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)).FullName.Split('/')[0];
            edit(zip, folder);
        }
        return Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.Open(path)).Message;
    }

    [Fact]
    public void Big_endian_zip_checkpoints_are_refused()
        => Assert.Contains("byte order is 'big'", RefusalAfterEdit("module_zip", (zip, folder) =>
        {
            using var w = new StreamWriter(zip.CreateEntry(folder + "/byteorder").Open());
            w.Write("big");
        }), StringComparison.Ordinal);

    [Fact]
    public void TorchScript_archives_are_refused_with_advice()
        => Assert.Contains("torch.jit.save", RefusalAfterEdit("module_zip", (zip, folder) => zip.CreateEntry(folder + "/constants.pkl")), StringComparison.Ordinal);

    [Fact]
    public void A_missing_storage_record_is_named()
        => Assert.Contains("storage 0 has no record", RefusalAfterEdit("module_zip", (zip, folder) => zip.GetEntry(folder + "/data/0")!.Delete()), StringComparison.Ordinal);
}
