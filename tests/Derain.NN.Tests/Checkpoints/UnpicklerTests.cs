using System.Numerics;
using System.Text;
using Derain.NN.Checkpoints.PyTorch;
using Derain.NN.Checkpoints.PyTorch.Pickle;

namespace Derain.NN.Tests.Checkpoints;

/// <summary>
/// The pickle machine on hand-written opcode sequences (spelled as latin-1 strings, opcode by opcode, from
/// CPython's pickletools table): what it accepts, and every way it must refuse.
/// </summary>
public class UnpicklerTests
{
    /// <summary>
    /// Pickle bytes from Python-style escapes in a verbatim string: \xNN is one byte, \n a newline (C#'s own
    /// \x escape takes up to four hex digits, which would swallow the opcode letter after it).
    /// </summary>
    private static byte[] Bytes(string escaped)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] == '\\' && escaped[i + 1] == 'x') { bytes.Add(Convert.ToByte(escaped.Substring(i + 2, 2), 16)); i += 3; }
            else if (escaped[i] == '\\' && escaped[i + 1] == 'n') { bytes.Add((byte)'\n'); i += 1; }
            else bytes.AddRange(Encoding.UTF8.GetBytes(escaped[i].ToString()));
        }
        return [.. bytes];
    }

    private static object Load(string opcodes, Func<object, object>? persistentLoad = null)
    {
        var bytes = Bytes(opcodes);
        using var s = new MemoryStream(bytes);
        return Unpickler.Load(s, bytes.Length, "test.pkl", persistentLoad ?? (_ => throw new InvalidDataException("no persistent ids here")), null, out _);
    }

    private static string Refusal(string opcodes)
        => Assert.Throws<InvalidDataException>(() => Load(opcodes)).Message;

    [Fact]
    public void Builds_scalars_containers_and_ordered_dicts()
    {
        // {'b': [1, -2, 3.5, None, True], 'a': (b'xy', 'é', 2**64), 'b' again → replaced in place}
        var root = (PyDict)Load(
            @"\x80\x02}q\x00(X\x01\x00\x00\x00b]q\x01(K\x01J\xfe\xff\xff\xffG\x40\x0c\x00\x00\x00\x00\x00\x00N\x88e"
            + @"X\x01\x00\x00\x00aC\x02xy\x8c\x02\xc3\xa9\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01\x87"
            + @"X\x01\x00\x00\x00bK\x07u.");
        Assert.Equal(["b", "a"], root.Items.Select(kv => (string)kv.Key));
        Assert.Equal(7L, root.Items[0].Value);
        var tuple = (PyTuple)root.Items[1].Value;
        Assert.Equal("xy"u8.ToArray(), (byte[])tuple.Items[0]);
        Assert.Equal("é", tuple.Items[1]);
        Assert.Equal(BigInteger.Pow(2, 64), tuple.Items[2]);
    }

    [Fact]
    public void Memo_shares_one_object_between_references()
    {
        var list = (PyList)Load(@"\x80\x02]q\x00(]q\x01h\x01e.");
        Assert.Same(list.Items[0], list.Items[1]);
    }

    [Fact]
    public void Negative_long1_and_big_endian_binfloat()
    {
        var t = (PyTuple)Load(@"\x80\x02\x8a\x01\xffG\xbf\xf0\x00\x00\x00\x00\x00\x00\x86.");
        Assert.Equal(-1L, t.Items[0]);
        Assert.Equal(-1.0, t.Items[1]);
    }

    [Theory]
    [InlineData(@"\x80\x02cposix\nsystem\n.", "posix.system")]
    [InlineData(@"\x80\x02cos\nsystem\n.", "os.system")]
    [InlineData(@"\x80\x02csubprocess\nPopen\n.", "subprocess.Popen")]
    [InlineData(@"\x80\x02c__builtin__\ngetattr\n.", "__builtin__.getattr")]
    [InlineData(@"\x80\x02cbuiltins\n__import__\n.", "builtins.__import__")]
    [InlineData(@"\x80\x02cbuiltins\nexec\n.", "builtins.exec")]
    [InlineData(@"\x80\x02ctorch\nload\n.", "torch.load")]
    [InlineData(@"\x80\x02ctorch.hub\nload\n.", "torch.hub.load")]
    [InlineData(@"\x80\x02cnumpy\nload\n.", "numpy.load")]
    [InlineData(@"\x80\x04\x8c\x02os\x8c\x06system\x93.", "os.system")]
    public void Refuses_dangerous_globals_by_name(string opcodes, string global)
        => Assert.Contains($"the global {global} is not allowed", Refusal(opcodes), StringComparison.Ordinal);

    [Fact]
    public void Refuses_storage_bytes_pickled_outside_torch_save()
        => Assert.Contains("pickle.dump rather than torch.save", Refusal(@"\x80\x02ctorch.storage\n_load_from_bytes\n."), StringComparison.Ordinal);

    [Fact]
    public void Refuses_globals_that_are_not_python_names()
        => Assert.Contains("not a valid Python name", Refusal(@"\x80\x04\x8c\x02os\x8c\x0csystem;rm -r\x93."), StringComparison.Ordinal);

    [Fact]
    public void Model_classes_become_inert_objects_holding_their_state()
    {
        var o = (PyObject)Load(@"\x80\x02cmymodels.arch\nNet\n)\x81}X\x01\x00\x00\x00kK\x05sb.");
        Assert.Equal("mymodels.arch.Net", o.Type.FullName);
        Assert.True(o.StateDict!.TryGet("k", out var k));
        Assert.Equal(5L, k);
    }

    [Theory]
    [InlineData(@"\x80\x02cmymodels.arch\nNet\n)R.", "REDUCE would call mymodels.arch.Net")]
    [InlineData(@"\x80\x02ctorch.nn.modules.conv\nConv2d\n)R.", "REDUCE would call torch.nn.modules.conv.Conv2d")]
    [InlineData(@"\x80\x02K\x01)R.", "REDUCE would call a int")]
    [InlineData(@"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n)\x81.", "NEWOBJ on torch._utils._rebuild_tensor_v2")]
    [InlineData(@"\x80\x02]}b.", "BUILD on a list")]
    public void Calls_only_allow_listed_callables(string opcodes, string message)
        => Assert.Contains(message, Refusal(opcodes), StringComparison.Ordinal);

    [Theory]
    [InlineData(@"\x80\x02(imymodels\nNet\n.", "opcode 0x69")]                   // INST
    [InlineData(@"\x80\x02(cmymodels\nNet\no.", "opcode 0x6f")]                  // OBJ
    [InlineData(@"\x80\x02I1\n.", "opcode 0x49")]                                // text INT
    [InlineData(@"\x80\x06N.", "protocol 6")]
    [InlineData(@"\x80\x02h\x05.", "memo entry 5 is read before it is written")]
    [InlineData(@"\x80\x02NN.", "STOP with 2 values")]
    [InlineData(@"\x80\x02]N", "ends inside the pickle")]
    [InlineData(@"\x80\x02X\xff\xff\xff\x00ab.", "declares a length of 16777215 bytes")]
    [InlineData(@"\x80\x02\x8b\x00\x00\x01\x00.", "exceeds the 8192-byte limit")]
    [InlineData(@"\x80\x02\x95\x00\x00\x00\x00\x01\x00\x00\x00N.", "FRAME declares")]
    [InlineData(@"\x80\x02a.", "stack (above the last MARK) is empty")]
    [InlineData(@"\x80\x02Q.", "stack (above the last MARK) is empty")]
    public void Refuses_malformed_and_unsupported_pickles(string opcodes, string message)
        => Assert.Contains(message, Refusal(opcodes), StringComparison.Ordinal);

    [Fact]
    public void Errors_name_the_source_and_byte_offset()
        => Assert.StartsWith("test.pkl: at byte 2: ", Refusal(@"\x80\x02cos\nsystem\n."), StringComparison.Ordinal);

    [Fact]
    public void Mark_nesting_is_capped()
        => Assert.Contains("more than 1000 nested MARKs", Refusal(@"\x80\x02" + new string('(', 1001)), StringComparison.Ordinal);

    /// <summary>_rebuild_tensor_v2(storage '0' of 4 floats, offset 1, size (3,), stride (1,), False, OrderedDict()).</summary>
    private const string Tensor =
        @"ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQK\x01K\x03\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtR";

    private static readonly TorchStorage Storage = new("0", Derain.NN.Checkpoints.StoredElementType.Float32, 4);

    private static object StorageLoader(object pid) => pid is PyTuple { Count: 5 } ? Storage : throw new InvalidDataException("bad pid");

    [Fact]
    public void Persistent_ids_go_through_the_loader()
    {
        var t = (TorchTensorRef)Load(@"\x80\x02" + Tensor + ".", StorageLoader);
        Assert.Same(Storage, t.Storage);
        Assert.Equal(1, t.StorageOffset);
        Assert.Equal([3L], t.Sizes);
        Assert.False(t.IsParameter);
    }

    [Theory]
    [InlineData(@"ctorch._utils\n_rebuild_parameter\n(" + Tensor + @"\x88ccollections\nOrderedDict\n)RtR.")]
    // PyTorch 2's form for a Parameter with attributes: the state (here {'note': 1}) is dropped.
    [InlineData(@"ctorch._utils\n_rebuild_parameter_with_state\n(" + Tensor + @"\x88ccollections\nOrderedDict\n)R}X\x04\x00\x00\x00noteK\x01stR.")]
    public void Parameters_rebuild_as_marked_tensors(string opcodes)
    {
        var t = (TorchTensorRef)Load(@"\x80\x02" + opcodes, StorageLoader);
        Assert.True(t.IsParameter);
        Assert.Same(Storage, t.Storage);
        Assert.Equal([3L], t.Sizes);
    }

    [Fact]
    public void Tensor_rebuild_arguments_are_checked()
        => Assert.Contains("expects a storage first", Refusal(@"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(K\x00K\x00)))\x89NtR."), StringComparison.Ordinal);
}
