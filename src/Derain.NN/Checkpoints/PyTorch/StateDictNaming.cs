using Derain.NN.Checkpoints.PyTorch.Pickle;

namespace Derain.NN.Checkpoints.PyTorch;

/// <summary>How <see cref="PyTorchCheckpoint"/> names tensors.</summary>
public enum PyTorchNaming
{
    /// <summary>
    /// Model-parameter names: the keys a state_dict() would have. The wrapper around the state dict is dropped
    /// (the first of <c>state_dict</c>, <c>params_ema</c>, <c>params</c>, <c>model_state_dict</c>, <c>model</c>,
    /// <c>net</c> that holds tensors, repeatedly, at dict levels that hold no tensors themselves), and then a
    /// <c>module.</c> prefix shared by every one of those names (nn.DataParallel) is dropped too. Tensors
    /// elsewhere in the file (optimizer state, the other of params/params_ema) keep their full dotted path.
    /// </summary>
    StateDict,

    /// <summary>The full dotted path from the file's root object, e.g. <c>state_dict.generator.conv.weight</c>.</summary>
    Raw,
}

/// <summary>A tensor with the name a reader reports and its full dotted path.</summary>
internal sealed record NamedTensor(string Name, string RawName, TorchTensorRef Tensor);

/// <summary>The outcome of naming: the tensors, the wrapper path that was dropped, and whether module. was.</summary>
internal sealed record NamingResult(List<NamedTensor> Tensors, string StateDictPath, bool StrippedDataParallelPrefix);

/// <summary>Turns the walker's paths into reader names (see <see cref="PyTorchNaming"/>).</summary>
internal static class StateDictNaming
{
    /// <summary>Keys under which training code stores the state dict, most specific first.</summary>
    public static readonly string[] WrapperKeys = ["state_dict", "params_ema", "params", "model_state_dict", "model", "net"];

    private const string DataParallelPrefix = "module.";

    public static NamingResult Apply(object root, List<TensorPath> paths, PyTorchNaming naming)
    {
        var raw = paths.Select(p => p.Joined).ToList();
        if (naming == PyTorchNaming.Raw) return Result(paths, raw, raw, "", false);

        var prefix = SelectStateDict(root, paths);
        var names = new List<string>(raw);
        var selected = new List<int>();
        for (int i = 0; i < paths.Count; i++)
        {
            if (!StartsWith(paths[i].Segments, prefix)) continue;
            selected.Add(i);
            names[i] = string.Join('.', paths[i].Segments.Skip(prefix.Count));
        }
        // Dropping the wrapper must not merge two tensors under one name; if it would, keep full paths.
        if (DistinctCount(names) < DistinctCount(raw))
        {
            names = new List<string>(raw);
            prefix = [];
        }

        bool stripped = false;
        if (selected.Count > 0 && selected.All(i => names[i].StartsWith(DataParallelPrefix, StringComparison.Ordinal)))
        {
            var candidate = new List<string>(names);
            foreach (int i in selected) candidate[i] = names[i][DataParallelPrefix.Length..];
            if (DistinctCount(candidate) == DistinctCount(names) && selected.All(i => candidate[i].Length > 0))
            {
                names = candidate;
                stripped = true;
            }
        }
        return Result(paths, names, raw, string.Join('.', prefix), stripped);
    }

    /// <summary>
    /// Follows wrapper keys down from the root while the current level is a dict holding no tensors directly
    /// (a level that does is the state dict itself).
    /// </summary>
    private static List<string> SelectStateDict(object root, List<TensorPath> paths)
    {
        var prefix = new List<string>();
        object node = root;
        for (int level = 0; level < 4 && node is PyDict dict; level++)
        {
            if (dict.Items.Any(kv => kv.Value is TorchTensorRef)) break;
            string? key = null;
            foreach (var k in WrapperKeys)
            {
                if (!dict.TryGet(k, out var value) || value is TorchTensorRef) continue;
                var candidate = new List<string>(prefix) { k };
                if (paths.Any(p => p.Segments.Count > candidate.Count && StartsWith(p.Segments, candidate)))
                {
                    key = k;
                    node = value;
                    break;
                }
            }
            if (key is null) break;
            prefix.Add(key);
        }
        return prefix;
    }

    private static bool StartsWith(IReadOnlyList<string> segments, List<string> prefix)
    {
        if (segments.Count < prefix.Count) return false;
        for (int i = 0; i < prefix.Count; i++)
            if (!string.Equals(segments[i], prefix[i], StringComparison.Ordinal)) return false;
        return true;
    }

    private static int DistinctCount(List<string> names) => names.Distinct(StringComparer.Ordinal).Count();

    /// <summary>
    /// Builds the result; names that still collide (e.g. a dict with both key 1 and key '1') get #2, #3 …
    /// so every tensor stays addressable.
    /// </summary>
    private static NamingResult Result(List<TensorPath> paths, List<string> names, List<string> raw, string prefix, bool stripped)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var used = new HashSet<string>(names, StringComparer.Ordinal);
        var list = new List<NamedTensor>(paths.Count);
        for (int i = 0; i < paths.Count; i++)
        {
            string name = names[i];
            if (seen.TryGetValue(name, out int n))
            {
                string unique;
                do unique = $"{name}#{++n}"; while (used.Contains(unique));
                seen[name] = n;
                used.Add(unique);
                name = unique;
            }
            else seen[name] = 1;
            list.Add(new NamedTensor(name, raw[i], paths[i].Tensor));
        }
        return new NamingResult(list, prefix, stripped);
    }
}
