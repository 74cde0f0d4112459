using System.Text;

namespace Derain.NN.Checkpoints.PyTorch.Pickle;

/// <summary>
/// What REDUCE, NEWOBJ and BUILD do. REDUCE applies only the allow-listed callables of
/// <see cref="PickleGlobals"/>, each reimplemented here as plain data construction; classes are only ever
/// instantiated as inert <see cref="PyObject"/> records; BUILD only stores state. No Python runs.
/// </summary>
internal static class PickleCallables
{
    /// <summary>REDUCE: callable(*args).</summary>
    public static object Call(object callable, PyTuple args)
    {
        if (callable is not PyGlobal g || g.Kind != GlobalKind.Callable)
            throw new InvalidDataException(
                $"REDUCE would call {Describe(callable)}, which is not an allowed callable (only OrderedDict, set, torch's tensor rebuilders, torch.Size, torch.device and numpy scalars may be called); refused.");
        string canonical = g.Module == "__builtin__" ? "builtins." + g.Name : g.FullName;
        return canonical switch
        {
            "collections.OrderedDict" => NewDict(args),
            "builtins.set" or "builtins.frozenset" => NewSet(args, g),
            "_codecs.encode" => Encode(args),
            "builtins.bytes" or "builtins.bytearray" => NewBytes(args, g),
            "torch._utils._rebuild_tensor_v2" => TorchRebuild.Tensor(args),
            "torch._utils._rebuild_parameter" or "torch._utils._rebuild_parameter_with_state" => TorchRebuild.Parameter(args, g.Name),
            "torch.Size" => NewSize(args),
            "torch.device" => NewDevice(args),
            // numpy values only ever appear in metadata: keep them as inert records.
            "numpy.core.multiarray.scalar" or "numpy._core.multiarray.scalar" or "numpy.core.multiarray._reconstruct"
                or "numpy._core.multiarray._reconstruct" or "numpy.dtype" => new PyObject(g, args),
            _ => throw new InvalidOperationException($"Internal: allow-listed callable {g.FullName} has no implementation."),
        };
    }

    /// <summary>NEWOBJ / NEWOBJ_EX: cls.__new__(cls, *args) without running any constructor.</summary>
    public static object New(object cls, PyTuple args)
    {
        if (cls is PyGlobal { Kind: GlobalKind.InertClass } g) return new PyObject(g, args);
        if (cls is PyGlobal { Kind: GlobalKind.Callable } c && c.Name is "OrderedDict" or "set" or "frozenset")
            return Call(c, PyTuple.Empty);
        throw new InvalidDataException($"NEWOBJ on {Describe(cls)} is not allowed (only model classes can be instantiated, inertly); refused.");
    }

    /// <summary>BUILD: obj.__setstate__(state), reduced to storing the state.</summary>
    public static void Build(object target, object state)
    {
        switch (target)
        {
            case PyObject o:
                o.State = state;
                break;
            case PyDict d:
                d.Attributes = state; // OrderedDict attributes such as state_dict()'s _metadata
                break;
            default:
                throw new InvalidDataException($"BUILD on a {PyValues.TypeName(target)} is not supported; refused.");
        }
    }

    private static PyDict NewDict(PyTuple args)
    {
        var d = new PyDict();
        if (args.Count == 0) return d;
        // OrderedDict([(k, v), …])
        if (args.Count == 1 && args.Items[0] is PyList pairs)
        {
            foreach (var p in pairs.Items)
            {
                if (p is not PyTuple { Count: 2 } kv) throw new InvalidDataException("OrderedDict(...) expects (key, value) pairs.");
                d.Set(kv.Items[0], kv.Items[1]);
            }
            return d;
        }
        throw new InvalidDataException($"OrderedDict called with {args.Count} unexpected arguments.");
    }

    private static PySet NewSet(PyTuple args, PyGlobal g)
    {
        if (args.Count == 0) return new PySet([]);
        if (args.Count == 1 && args.Items[0] is PyList l) return new PySet([.. l.Items]);
        if (args.Count == 1 && args.Items[0] is PyTuple t) return new PySet([.. t.Items]);
        throw new InvalidDataException($"{g.FullName} expects one list argument.");
    }

    private static byte[] Encode(PyTuple args)
    {
        // _codecs.encode(text, 'latin1'): each char is one byte.
        if (args.Count == 2 && args.Items[0] is string text && args.Items[1] is string enc
            && IsLatin1(enc))
        {
            if (text.Any(c => c > 0xFF)) throw new InvalidDataException("_codecs.encode: text is not latin-1.");
            return Encoding.Latin1.GetBytes(text);
        }
        if (args.Count == 1 && args.Items[0] is string ascii) return Encoding.UTF8.GetBytes(ascii);
        throw new InvalidDataException("_codecs.encode is only accepted as encode(text, 'latin1').");
    }

    private static bool IsLatin1(string encoding)
        => new[] { "latin1", "latin-1", "iso-8859-1" }.Any(e => e.Equals(encoding, StringComparison.OrdinalIgnoreCase));

    private static byte[] NewBytes(PyTuple args, PyGlobal g)
    {
        // bytes() / bytearray(b'…') / bytearray('latin-1 text', 'latin-1'), as protocols 2–4 write them.
        if (args.Count == 0) return [];
        if (args.Count == 1 && args.Items[0] is byte[] b) return b;
        if (args.Count == 2 && args.Items[0] is string) return Encode(args);
        throw new InvalidDataException($"{g.FullName} is only accepted with bytes or (text, 'latin-1').");
    }

    private static PyTuple NewSize(PyTuple args)
    {
        if (args.Count == 1 && args.Items[0] is PyTuple t) return t;
        if (args.Count == 1 && args.Items[0] is PyList l) return new PyTuple([.. l.Items]);
        throw new InvalidDataException("torch.Size expects one tuple or list of ints.");
    }

    private static string NewDevice(PyTuple args)
    {
        // torch.device('cuda', 0) pickles as ('cuda', 0); keep the familiar text form.
        if (args.Count == 1 && args.Items[0] is string s) return s;
        if (args.Count == 2 && args.Items[0] is string type && PyValues.AsLong(args.Items[1]) is long index) return $"{type}:{index}";
        throw new InvalidDataException("torch.device expects (type) or (type, index).");
    }

    private static string Describe(object callable) => callable switch
    {
        PyGlobal g => g.FullName,
        _ => "a " + PyValues.TypeName(callable),
    };
}
