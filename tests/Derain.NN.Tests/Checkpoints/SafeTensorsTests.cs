using System.Buffers.Binary;
using System.Text;
using Derain.NN.Checkpoints;
using Derain.NN.Checkpoints.SafeTensors;
using Derain.Tensors;

namespace Derain.NN.Tests.Checkpoints;

/// <summary>safetensors: a file written by hand from the specification, round trips, and damaged files.</summary>
public class SafeTensorsTests
{
    [Fact]
    public void Reads_an_independently_written_file_with_every_dtype()
    {
        var manifest = CheckpointFixtures.Manifest("safetensors", "by_hand");
        var values = CheckpointFixtures.Values("safetensors", "by_hand");
        using var reader = SafeTensorsReader.Open(CheckpointFixtures.SafeTensors("by_hand"));
        Assert.Equal("safetensors", reader.Format);
        Assert.Equal("make_pth_fixtures.py", reader.Metadata["source"]);
        var expected = manifest.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(expected.Select(e => e.GetProperty("name").GetString()), reader.Entries.Select(e => e.Name));
        foreach (var (want, entry) in expected.Zip(reader.Entries))
        {
            Assert.Equal(want.GetProperty("dtype").GetString(), entry.StoredDType);
            Assert.Equal(want.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()), entry.Shape);
            using var t = reader.Read(entry.Name);
            Assert.Equal(values[entry.Name].Data.Select(v => (float)v), t.ToArray());
        }
    }

    [Fact]
    public void Round_trip_is_bit_exact_sorted_aligned_and_deterministic()
    {
        using var dir = new CheckpointFixtures.TempDir();
        var g = new Generator(7);
        var tensors = new Dictionary<string, Tensor>
        {
            ["z.last"] = Tensor.Randn(new Shape(2, 3, 4), g),
            ["a.first"] = Tensor.Randn(new Shape(5), g),
            ["m.scalar"] = Tensor.Scalar(-0.0),
            ["m.empty"] = Tensor.Zeros(new Shape(0, 3)),
            ["m.rank5"] = Tensor.Randn(new Shape(1, 2, 1, 2, 3), g),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "derain", ["note"] = "ü & <x>" };
        string path = dir.File("w.safetensors");
        SafeTensorsWriter.Write(path, tensors, metadata);
        byte[] first = File.ReadAllBytes(path);
        SafeTensorsWriter.Write(path, tensors.Reverse(), metadata); // overwrite, other input order
        Assert.Equal(first, File.ReadAllBytes(path));
        Assert.Equal(0UL, (8 + BinaryPrimitives.ReadUInt64LittleEndian(first)) % 8);
        Assert.Equal(["w.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName)); // no temp file left

        using var reader = SafeTensorsReader.Open(path);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), reader.Entries.Select(e => e.Name));
        Assert.Equal(metadata, reader.Metadata);
        foreach (var (name, tensor) in tensors)
        {
            using var back = reader.Read(name);
            Assert.Equal(tensor.Shape, back.Shape);
            Assert.Equal(tensor.ToArray().Select(BitConverter.SingleToInt32Bits), back.ToArray().Select(BitConverter.SingleToInt32Bits));
            Assert.Equal("F32", reader.Entries.Single(e => e.Name == name).StoredDType);
        }
    }

    [Fact]
    public void Float64_tensors_are_written_as_float32()
    {
        using var dir = new CheckpointFixtures.TempDir();
        string path = dir.File("d.safetensors");
        SafeTensorsWriter.Write(path, [new("d", Tensor.FromArray([0.1, 1e40], 2))]);
        using var reader = SafeTensorsReader.Open(path);
        Assert.Equal([0.1f, float.PositiveInfinity], reader.Read("d").ToArray());
    }

    [Fact]
    public void Invalid_names_are_refused_and_the_existing_file_kept()
    {
        using var dir = new CheckpointFixtures.TempDir();
        string path = dir.File("keep.safetensors");
        File.WriteAllText(path, "old");
        var t = Tensor.Zeros(new Shape(1));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [new("__metadata__", t)]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [new("x", t), new("x", t)]));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    /// <summary>A file from a header text and a data section.</summary>
    private static string Make(CheckpointFixtures.TempDir dir, string header, int dataBytes, ulong? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        string path = dir.File(Guid.NewGuid().ToString("N") + ".safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private const string Two = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]}}""";

    [Theory]
    [InlineData(Two, 11, null, "ends at data byte 12 but the data section has 11 bytes")]
    [InlineData(Two, 13, null, "1 bytes follow the last tensor")]
    [InlineData(Two, 12, 1000UL, "declares 1000 bytes but only")]
    [InlineData(Two, 12, 200_000_000UL, "more than the format's limit")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, null, "overlapping")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12, null, "leaving a hole")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, null, "needs 12 bytes but data_offsets span 8")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}""", 8, null, "not a non-negative integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", 8, null, "begin ≤ end")]
    [InlineData("""{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}""", 8, null, "dtype C64, which is not supported")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, null, "names 'a' twice")]
    [InlineData("""{"__metadata__":{"k":1}}""", 0, null, "is not a string")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}""", 4, null, "not valid JSON")]
    [InlineData("""[1]""", 0, null, "does not start with '{'")]
    public void Damaged_files_are_refused_clearly(string header, int dataBytes, ulong? declaredLength, string message)
    {
        using var dir = new CheckpointFixtures.TempDir();
        string path = Make(dir, header, dataBytes, declaredLength);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsReader.Open(path));
        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_shorter_than_its_length_field_is_truncated()
    {
        using var dir = new CheckpointFixtures.TempDir();
        string path = dir.File("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => SafeTensorsReader.Open(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Checkpoint_Open_detects_safetensors_by_content()
    {
        using var dir = new CheckpointFixtures.TempDir();
        string path = dir.File("weights.bin"); // the name says nothing
        SafeTensorsWriter.Write(path, [new("w", Tensor.Ones(new Shape(2)))]);
        using var reader = Checkpoint.Open(path);
        Assert.Equal("safetensors", reader.Format);
        Assert.Equal([1f, 1f], reader.Read("w").ToArray());
    }
}
