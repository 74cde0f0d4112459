using Derain.NN.Checkpoints;
using Derain.NN.Checkpoints.SafeTensors;
using Derain.Tensors;

namespace Derain.Models.Mgid;

/// <summary>
/// Loads MGID weights from
/// <list type="bullet">
/// <item>what the official Train.py saves: <c>torch.save({'model': convAE.state_dict() (or the pickled module itself),
/// 'optimizer', 'scheduler', 'memory_items', 'args'})</c> — read by the safe .pth reader, which never runs the pickle
/// (argparse.Namespace and model classes become inert records); the optimiser and scheduler state are ignored;</item>
/// <item>a plain state dict (.pth), with or without <c>memory_items</c> beside it;</item>
/// <item>Derain's .safetensors (<see cref="Save"/>): the state dict and <c>memory_items</c>.</item>
/// </list>
/// The state dict sits at the root or under one wrapper (e.g. <c>model.</c>); <c>memory_items</c> at the root or under the
/// same wrapper. Without memory items the memory is what Train.py starts from, normalize(rand(20, 64)) (seed 0 here),
/// and the out parameter of <see cref="Load(string, out bool)"/> says so: such a network is not the trained one.
/// </summary>
public static class MgidCheckpoint
{
    /// <summary>Metadata key naming the network in Derain's own files.</summary>
    public const string ArchitectureKey = "architecture";

    /// <summary>The architecture value Derain writes for MGID.</summary>
    public const string Architecture = "mgid";

    private const string Anchor = "encoder.moduleConv1.0.weight";
    /// <summary>The state-dict name of the memory items (a buffer beside the official convAE weights).</summary>
    public const string MemoryName = "memory_items";

    /// <summary>Loads a network (evaluation mode) from <paramref name="path"/>; <see cref="InvalidDataException"/> naming the problem when it is not MGID.</summary>
    public static MgidNet Load(string path) => Load(path, out _);

    /// <inheritdoc cref="Load(string)"/>
    /// <param name="path">A .pth/.pt or .safetensors file.</param>
    /// <param name="memoryFromFile">False when the file holds no memory items (the memory is then Train.py's random start).</param>
    public static MgidNet Load(string path, out bool memoryFromFile)
    {
        using var reader = Checkpoint.Open(path);
        var names = reader.Entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        var anchor = reader.Entries.FirstOrDefault(e => e.Name == Anchor || e.Name.EndsWith("." + Anchor, StringComparison.Ordinal));
        if (anchor is null)
            throw new InvalidDataException(
                $"{path} is not an MGID checkpoint: it has no {Anchor} (the official convAE state dict). " +
                "Use a checkpoint saved by the official MGID Train.py (model_NNNNN.pth), a convAE state dict, or a .safetensors written by Derain for MGID.");
        string prefix = anchor.Name[..^Anchor.Length];

        var net = new MgidNet(new Generator(0));
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, _) in net.StateDict())
            {
                if (name == MemoryName) continue;
                if (!names.Contains(prefix + name))
                    throw new InvalidDataException($"{path} is missing {prefix + name} needed by MGID's convAE; the file is incomplete or belongs to another network.");
                state[name] = reader.Read(prefix + name);
            }
            string? memory = names.Contains(prefix + MemoryName) ? prefix + MemoryName : names.Contains(MemoryName) ? MemoryName : null;
            memoryFromFile = memory is not null;
            if (memory is not null) state[MemoryName] = reader.Read(memory);
            var result = net.LoadStateDict(state, strict: false);
            if (result.ShapeMismatches.Count > 0)
                throw new InvalidDataException(
                    $"{path} does not match MGID convAE(3, {MgidNet.MemorySize}, {MgidNet.FeatureDim}, {MgidNet.FeatureDim}): {string.Join("; ", result.ShapeMismatches)}.");
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
        net.Eval();
        return net;
    }

    /// <summary>Writes the state dict (official names) and memory_items to a .safetensors file, atomically.</summary>
    public static void Save(MgidNet net, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { [ArchitectureKey] = Architecture };
        SafeTensorsWriter.Write(path, net.StateDict().Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value)), meta);
    }
}
