using System.Globalization;
using System.Numerics;
using Derain.NN.Checkpoints.PyTorch.Pickle;

namespace Derain.NN.Checkpoints.PyTorch;

/// <summary>A tensor found in a checkpoint's object graph, with the keys leading to it from the root.</summary>
internal sealed record TensorPath(IReadOnlyList<string> Segments, TorchTensorRef Tensor)
{
    public string Joined => string.Join('.', Segments);
}

/// <summary>
/// Finds every tensor in an unpickled checkpoint, in file order, with the path of keys that leads to it:
/// dict keys, list/tuple indices, object attributes, and for whole pickled nn.Modules the names PyTorch's
/// state_dict() gives (parameters, then persistent buffers, then submodules, from _parameters, _buffers and
/// _modules). The graph may share objects (the pickle memo), so paths are counted first with memoisation:
/// a "billion laughs" graph with astronomically many paths is refused before any is listed.
/// </summary>
internal sealed class StateDictWalker
{
    /// <summary>Deepest nesting walked (CPython itself cannot pickle deeper than about 1000).</summary>
    public const int MaxDepth = 200;

    /// <summary>Most tensor paths accepted (models have thousands of tensors, not millions).</summary>
    public const long MaxTensorPaths = 1_000_000;

    private readonly Dictionary<object, long> _pathCounts = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<object> _onPath = new(ReferenceEqualityComparer.Instance);

    /// <summary>The tensors reachable from <paramref name="root"/>, in file order.</summary>
    public static List<TensorPath> Walk(object root)
    {
        var w = new StateDictWalker();
        long total = w.CountPaths(root, 0);
        if (total > MaxTensorPaths)
            throw new InvalidDataException($"the object graph leads to more than {MaxTensorPaths} tensor paths (shared references nested to absurd depth: a pickle bomb?); refused.");
        var found = new List<TensorPath>();
        w.Emit(root, [], found, 0);
        return found;
    }

    /// <summary>Number of tensor paths below <paramref name="node"/>, saturating just above the limit.</summary>
    public long CountPaths(object node, int depth)
    {
        if (node is TorchTensorRef) return 1;
        if (!IsContainer(node)) return 0;
        if (_pathCounts.TryGetValue(node, out long known)) return known;
        if (depth > MaxDepth)
            throw new InvalidDataException($"containers are nested more than {MaxDepth} levels deep (nesting bomb?); refused.");
        if (!_onPath.Add(node)) return 0; // a cycle contributes no new paths
        long total = 0;
        foreach (var (_, child) in Children(node))
            total = Math.Min(MaxTensorPaths + 1, total + CountPaths(child, depth + 1));
        _onPath.Remove(node);
        _pathCounts[node] = total;
        return total;
    }

    private void Emit(object node, List<string> segments, List<TensorPath> found, int depth)
    {
        if (node is TorchTensorRef t)
        {
            if (found.Count >= MaxTensorPaths)
                throw new InvalidDataException($"more than {MaxTensorPaths} tensor paths; refused.");
            found.Add(new TensorPath([.. segments], t));
            return;
        }
        if (!IsContainer(node) || depth > MaxDepth || !_onPath.Add(node)) return;
        foreach (var (segment, child) in Children(node))
        {
            if (child is not TorchTensorRef && _pathCounts.TryGetValue(child, out long n) && n == 0) continue;
            segments.Add(segment);
            Emit(child, segments, found, depth + 1);
            segments.RemoveAt(segments.Count - 1);
        }
        _onPath.Remove(node);
    }

    private static bool IsContainer(object node) => node is PyDict or PyList or PyTuple or PySet or PyObject;

    /// <summary>The named children that can lead to tensors.</summary>
    internal static IEnumerable<(string Segment, object Child)> Children(object node)
    {
        switch (node)
        {
            case PyDict d:
                foreach (var kv in d.Items) yield return (KeyText(kv.Key), kv.Value);
                break;
            case PyList l:
                for (int i = 0; i < l.Items.Count; i++) yield return (Index(i), l.Items[i]);
                break;
            case PyTuple t:
                for (int i = 0; i < t.Count; i++) yield return (Index(i), t.Items[i]);
                break;
            case PySet s:
                for (int i = 0; i < s.Items.Count; i++) yield return (Index(i), s.Items[i]);
                break;
            case PyObject o when IsModule(o, out var state):
                foreach (var c in ModuleChildren(state)) yield return c;
                break;
            case PyObject o when o.StateDict is { } attributes:
                foreach (var kv in attributes.Items) yield return (KeyText(kv.Key), kv.Value);
                break;
            case PyObject o:
                // No state: values passed to __new__ (namedtuples keep their fields there).
                for (int i = 0; i < o.Arguments.Count; i++) yield return (Index(i), o.Arguments.Items[i]);
                break;
        }
    }

    /// <summary>An nn.Module: its instance dict has the _parameters OrderedDict every Module has.</summary>
    internal static bool IsModule(PyObject o, out PyDict state)
    {
        state = o.StateDict!;
        return state is not null && state.TryGet("_parameters", out var p) && p is PyDict;
    }

    /// <summary>nn.Module.state_dict()'s order: parameters, persistent buffers, then submodules.</summary>
    private static IEnumerable<(string, object)> ModuleChildren(PyDict state)
    {
        if (state.TryGet("_parameters", out var p) && p is PyDict parameters)
            foreach (var kv in parameters.Items)
                if (kv.Value is TorchTensorRef) yield return (KeyText(kv.Key), kv.Value);
        var nonPersistent = new HashSet<string>(StringComparer.Ordinal);
        if (state.TryGet("_non_persistent_buffers_set", out var np) && np is PySet set)
            foreach (var name in set.Items.OfType<string>()) nonPersistent.Add(name);
        if (state.TryGet("_buffers", out var b) && b is PyDict buffers)
            foreach (var kv in buffers.Items)
                if (kv.Value is TorchTensorRef && !nonPersistent.Contains(KeyText(kv.Key))) yield return (KeyText(kv.Key), kv.Value);
        if (state.TryGet("_modules", out var m) && m is PyDict modules)
            foreach (var kv in modules.Items)
                if (kv.Value is PyObject) yield return (KeyText(kv.Key), kv.Value);
    }

    private static string Index(int i) => i.ToString(CultureInfo.InvariantCulture);

    /// <summary>A dict key as a name segment: str as is, numbers in Python's spelling.</summary>
    internal static string KeyText(object key) => key switch
    {
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        BigInteger b => b.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "True" : "False",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => "<" + PyValues.TypeName(key) + ">",
    };
}
