using System.Numerics;

namespace Derain.NN.Checkpoints.PyTorch.Pickle;

// The object model an unpickled checkpoint becomes. Python values map onto plain CLR values where one fits
// (str → string, int → long or BigInteger, float → double, bool → bool, bytes → byte[]); containers keep
// Python's reference semantics (the memo shares them) and dicts keep insertion order. Nothing here ever runs
// Python code: classes become inert records.

/// <summary>Python's None.</summary>
internal sealed class PyNone
{
    public static readonly PyNone Instance = new();

    private PyNone() { }

    public override string ToString() => "None";
}

/// <summary>A Python list.</summary>
internal sealed class PyList(List<object> items)
{
    public PyList() : this([]) { }

    public List<object> Items { get; } = items;
}

/// <summary>A Python tuple (immutable once built).</summary>
internal sealed class PyTuple(object[] items)
{
    public static readonly PyTuple Empty = new([]);

    public object[] Items { get; } = items;

    public int Count => Items.Length;
}

/// <summary>A Python set or frozenset (kept as a list: only its members are ever looked at).</summary>
internal sealed class PySet(List<object> items)
{
    public List<object> Items { get; } = items;
}

/// <summary>
/// A class or function named by GLOBAL / STACK_GLOBAL and accepted by <see cref="PickleGlobals"/>.
/// <paramref name="Module"/> and <paramref name="Name"/> are spelled as in the file (for messages).
/// </summary>
internal sealed record PyGlobal(string Module, string Name, GlobalKind Kind)
{
    public string FullName => $"{Module}.{Name}";

    /// <summary>The element type, for torch.*Storage classes and torch dtype objects.</summary>
    public StoredElementType? ElementType { get; init; }
}

/// <summary>What an accepted global may be used for.</summary>
internal enum GlobalKind
{
    /// <summary>A callable Derain reimplements harmlessly (REDUCE applies it to its arguments).</summary>
    Callable,
    /// <summary>A torch.*Storage class: appears in persistent ids, never called.</summary>
    StorageType,
    /// <summary>A torch dtype object such as torch.float16: a plain value.</summary>
    TorchDType,
    /// <summary>A model (or harmless data) class: NEWOBJ makes an inert <see cref="PyObject"/>; never called.</summary>
    InertClass,
}

/// <summary>
/// An instance of an inert class (an nn.Module, a user model, argparse.Namespace, a numpy scalar …): the
/// class name, the constructor arguments as written, and the state BUILD gave it. No Python code ran.
/// </summary>
internal sealed class PyObject(PyGlobal type, PyTuple arguments)
{
    public PyGlobal Type { get; } = type;

    public PyTuple Arguments { get; } = arguments;

    /// <summary>The BUILD state: usually the instance __dict__ as a <see cref="PyDict"/>.</summary>
    public object? State { get; set; }

    /// <summary>The __dict__ part of the state (BUILD may give a dict or a (dict, slots) tuple).</summary>
    public PyDict? StateDict => State switch
    {
        PyDict d => d,
        PyTuple { Count: 2 } t when t.Items[0] is PyDict d => d,
        _ => null,
    };

    public override string ToString() => $"<{Type.FullName} object>";
}

/// <summary>Helpers on the model's scalar values.</summary>
internal static class PyValues
{
    /// <summary>A Python int as long, or null when it is not an int or does not fit.</summary>
    public static long? AsLong(object value) => value switch
    {
        long l => l,
        BigInteger b when b >= long.MinValue && b <= long.MaxValue => (long)b,
        _ => null,
    };

    /// <summary>A short description of a value's Python type, for error messages.</summary>
    public static string TypeName(object value) => value switch
    {
        string => "str",
        long or BigInteger => "int",
        double => "float",
        bool => "bool",
        byte[] => "bytes",
        PyNone => "None",
        PyList => "list",
        PyTuple => "tuple",
        PyDict => "dict",
        PySet => "set",
        PyGlobal g => g.FullName,
        PyObject o => o.Type.FullName + " object",
        TorchStorage => "storage",
        TorchTensorRef => "tensor",
        _ => value.GetType().Name,
    };
}
