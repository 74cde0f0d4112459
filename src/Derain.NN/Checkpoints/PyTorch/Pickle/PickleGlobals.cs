using System.Text.RegularExpressions;

namespace Derain.NN.Checkpoints.PyTorch.Pickle;

/// <summary>
/// The security boundary of the unpickler: which globals (GLOBAL / STACK_GLOBAL) a checkpoint may name.
/// <list type="bullet">
/// <item>A short allow-list of callables Derain reimplements without running Python (OrderedDict, set,
/// torch's tensor rebuild functions, torch.Size, torch.device, numpy scalars for values in metadata).</item>
/// <item>torch.*Storage classes and torch dtype objects, which are plain values.</item>
/// <item>Model classes (torch.nn.* and user modules) and a few harmless data classes, which become inert
/// records: NEWOBJ creates a <see cref="PyObject"/> and BUILD stores its state; they are never called.</item>
/// </list>
/// Everything else is refused by name: os/posix/subprocess, builtins (eval, exec, getattr, __import__ …), the
/// rest of the standard library (<see cref="ForbiddenModules"/>), and torch outside torch.nn.
/// </summary>
internal static partial class PickleGlobals
{
    private static readonly HashSet<string> Callables = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "builtins.set", "builtins.frozenset", "builtins.bytes", "builtins.bytearray",
        // Protocol 2 writes Python 3 bytes as _codecs.encode(latin-1 text, 'latin1').
        "_codecs.encode",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch.Size",
        "torch.device",
        // numpy scalars and arrays in metadata (mmcv keeps e.g. best_score as numpy.float64): inert records.
        "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
        "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
        "numpy.dtype",
    };

    /// <summary>Data classes outside the model namespaces that are safe as inert records.</summary>
    private static readonly HashSet<string> InertDataClasses = new(StringComparer.Ordinal)
    {
        "argparse.Namespace", // training scripts often save their parsed arguments
        "numpy.ndarray",
    };

    private static readonly Dictionary<string, StoredElementType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = StoredElementType.Float32,
        ["DoubleStorage"] = StoredElementType.Float64,
        ["HalfStorage"] = StoredElementType.Float16,
        ["BFloat16Storage"] = StoredElementType.BFloat16,
        ["LongStorage"] = StoredElementType.Int64,
        ["IntStorage"] = StoredElementType.Int32,
        ["ShortStorage"] = StoredElementType.Int16,
        ["CharStorage"] = StoredElementType.Int8,
        ["ByteStorage"] = StoredElementType.UInt8,
        ["BoolStorage"] = StoredElementType.Bool,
    };

    private static readonly Dictionary<string, StoredElementType> DTypes = new(StringComparer.Ordinal)
    {
        ["float32"] = StoredElementType.Float32, ["float"] = StoredElementType.Float32,
        ["float64"] = StoredElementType.Float64, ["double"] = StoredElementType.Float64,
        ["float16"] = StoredElementType.Float16, ["half"] = StoredElementType.Float16,
        ["bfloat16"] = StoredElementType.BFloat16,
        ["int64"] = StoredElementType.Int64, ["long"] = StoredElementType.Int64,
        ["int32"] = StoredElementType.Int32, ["int"] = StoredElementType.Int32,
        ["int16"] = StoredElementType.Int16, ["short"] = StoredElementType.Int16,
        ["int8"] = StoredElementType.Int8,
        ["uint8"] = StoredElementType.UInt8,
        ["bool"] = StoredElementType.Bool,
    };

    /// <summary>Resolves a global named in a pickle, or throws <see cref="InvalidDataException"/> naming it.</summary>
    public static PyGlobal Resolve(string module, string name)
    {
        string written = $"{module}.{name}";
        if (!DottedName().IsMatch(module) || !DottedName().IsMatch(name))
            throw new InvalidDataException($"the global '{Printable(written)}' is not a valid Python name; refused.");
        string canonical = $"{Canonical(module)}.{name}";

        if (Callables.Contains(canonical)) return new PyGlobal(module, name, GlobalKind.Callable);
        if (InertDataClasses.Contains(canonical)) return new PyGlobal(module, name, GlobalKind.InertClass);
        if (module == "torch")
        {
            if (StorageTypes.TryGetValue(name, out var st)) return new PyGlobal(module, name, GlobalKind.StorageType) { ElementType = st };
            if (DTypes.TryGetValue(name, out var dt)) return new PyGlobal(module, name, GlobalKind.TorchDType) { ElementType = dt };
            if (name.EndsWith("Storage", StringComparison.Ordinal))
                throw new InvalidDataException($"the storage type {written} is not supported (supported: {string.Join(", ", StorageTypes.Keys.Select(k => "torch." + k))}).");
        }
        if (canonical == "torch.storage._load_from_bytes")
            throw new InvalidDataException($"{written} is refused: this file holds storages pickled by pickle.dump rather than torch.save; re-save the checkpoint with torch.save.");
        if (IsModelModule(module)) return new PyGlobal(module, name, GlobalKind.InertClass);
        throw new InvalidDataException($"the global {written} is not allowed in a checkpoint (only PyTorch tensor rebuilders, storages, OrderedDict and model classes are); the file may be malicious and was not loaded.");
    }

    /// <summary>
    /// Model classes: torch.nn.* and any module outside the standard library, torch and the other forbidden
    /// packages (user architectures live in their own packages, or in __main__).
    /// </summary>
    private static bool IsModelModule(string module)
    {
        if (module == "torch.nn" || module.StartsWith("torch.nn.", StringComparison.Ordinal)) return true;
        string top = module.Split('.')[0];
        return top != "torch" && !ForbiddenModules.TopLevel.Contains(top);
    }

    // Protocol 2 spells Python 3's builtins the Python 2 way.
    private static string Canonical(string module) => module switch
    {
        "__builtin__" => "builtins",
        "copy_reg" => "copyreg",
        _ => module,
    };

    private static string Printable(string s)
        => new(s.Take(80).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")]
    private static partial Regex DottedName();
}
