using Derain.NN.Checkpoints;
using Derain.NN.Checkpoints.SafeTensors;
using Derain.Tensors;

namespace Derain.Models.Eevrsr;

/// <summary>
/// Loads EEVRSR weights from the official TensorFlow checkpoints (by variable name, conv kernels transposed from
/// TF's [kh, kw, in, out] to [out, in, kh, kw]) or from a .safetensors — either Derain's own state-dict names or the
/// TF names kept by <c>derain weights convert</c>. The variant follows from the file: motion-compensation weights
/// present → <see cref="EevrsrVariant.All"/>. Only variables the official test code restores are used (the Adam
/// slots and counters are ignored); the BatchNorm EMA bookkeeping is loaded when present so that fine-tuning
/// continues the official moving averages.
/// </summary>
public static class EevrsrCheckpoint
{
    /// <summary>Metadata key naming the network in Derain's own files.</summary>
    public const string ArchitectureKey = "architecture";

    /// <summary>Loads a network from <paramref name="path"/>; <see cref="InvalidDataException"/> naming the problem when it is not EEVRSR.</summary>
    public static EevrsrNet Load(string path)
    {
        using var reader = Checkpoint.Open(path);
        var names = reader.Entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        bool tfNames = names.Contains(TfName("derain.conv1.weight"));
        bool ownNames = names.Contains("derain.conv1.weight");
        if (!tfNames && !ownNames)
            throw new InvalidDataException(
                $"{path} is not an EEVRSR checkpoint: it has neither DerainNet/DerainNet_conv1/W (official TensorFlow) nor derain.conv1.weight (Derain). " +
                "Use the official EEVRSR_all or EEVRSR_derain_only checkpoint, or a .safetensors written by derain train.");
        var variant = names.Contains(tfNames ? TfName("mc.large.a1.conv.weight") : "mc.large.a1.conv.weight") ? EevrsrVariant.All : EevrsrVariant.DerainOnly;
        var net = new EevrsrNet(variant, new Generator(0));
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, buffer) in net.StateDict())
            {
                string source = tfNames ? TfName(name) : name;
                if (names.Contains(source))
                {
                    var t = reader.Read(source);
                    state[name] = tfNames && t.Rank == 4 ? TransposeKernel(t) : t;
                }
                else if (tfNames && IsEmaBookkeeping(name))
                {
                    state[name] = DefaultBookkeeping(name, reader);
                }
                else
                {
                    throw new InvalidDataException($"{path} is missing {source} needed by EEVRSR ({variant}); the file is incomplete or belongs to another network.");
                }
            }
            var result = net.LoadStateDict(state, strict: false);
            if (result.ShapeMismatches.Count > 0)
                throw new InvalidDataException($"{path} does not match EEVRSR's shapes: {string.Join(", ", result.ShapeMismatches)}.");
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
        net.Eval();
        return net;
    }

    /// <summary>Writes the network's state dict (Derain names) to a .safetensors file via a temporary file.</summary>
    public static void Save(EevrsrNet net, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { [ArchitectureKey] = $"eevrsr-{(net.Variant == EevrsrVariant.All ? "all" : "derain-only")}" };
        SafeTensorsWriter.Write(path, net.StateDict().Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value)), meta);
    }

    /// <summary>[kh, kw, in, out] → [out, in, kh, kw].</summary>
    private static Tensor TransposeKernel(Tensor t)
    {
        using (t) return Ops.Clone(Ops.Permute(t, 3, 2, 0, 1));
    }

    private static bool IsEmaBookkeeping(string name) =>
        name.EndsWith(".biased_mean", StringComparison.Ordinal) || name.EndsWith(".biased_variance", StringComparison.Ordinal) || name.EndsWith(".ema_steps", StringComparison.Ordinal);

    /// <summary>
    /// When a TF file lacks the accumulators (e.g. a converted file without training state), the moving statistics
    /// are taken as fully debiased: accumulator = moving value and a step count large enough that 1 − decay^step = 1.
    /// </summary>
    private static Tensor DefaultBookkeeping(string name, ICheckpointReader reader)
    {
        string stem = name[..name.LastIndexOf('.')];
        if (name.EndsWith(".ema_steps", StringComparison.Ordinal)) return Tensor.Full(new Shape(), 1e6f);
        string moving = TfName(stem + (name.EndsWith("_mean", StringComparison.Ordinal) ? ".moving_mean" : ".moving_variance"));
        return reader.Read(moving);
    }

    /// <summary>The official TF variable name of a Derain state-dict entry.</summary>
    public static string TfName(string name)
    {
        var parts = name.Split('.');
        if (parts[0] == "mc")
        {
            // mc.large.a1.conv.weight → MCNet/Large/a1/weights; mc.large.a1.prelu.weight → …/PReLU/alphas; mc.large.a5.bias → …/a5/biases
            string stage = parts[1] switch { "large" => "Large", "x4" => "X4", "x2" => "X2", _ => parts[1] };
            string leaf = parts[^2] == "prelu" ? "PReLU/alphas" : parts[^1] == "weight" ? "weights" : "biases";
            return $"MCNet/{stage}/{parts[2]}/{leaf}";
        }
        // derain.*: scopes repeat the block name, as the official variable_scope(name=scope+'_…') calls produce.
        string scope = parts[1] switch
        {
            "dense" => $"DerainNet/DerainNet_DenseBlock/DerainNet_DenseBlock_Dense_B_Layer{parts[2][5..]}/DerainNet_DenseBlock_Dense_B_Layer{parts[2][5..]}_{DenseChild(parts[3])}",
            _ => $"DerainNet/DerainNet_{parts[1].ToUpperInvariant().Replace("CONV", "conv", StringComparison.Ordinal)}",
        };
        return scope + "/" + parts[^1] switch
        {
            "weight" => scope.Contains("_BN", StringComparison.Ordinal) ? "gamma" : "W",
            "bias" => scope.Contains("_BN", StringComparison.Ordinal) ? "beta" : "b",
            "moving_mean" => "moving_mean",
            "moving_variance" => "moving_variance",
            "biased_mean" => $"{scope}/moving_mean/biased",
            "biased_variance" => $"{scope}/moving_variance/biased",
            "ema_steps" => $"{scope}/moving_mean/local_step",
            var other => other,
        };
    }

    private static string DenseChild(string child) => child switch
    {
        "bn1" => "BN1",
        "bn2" => "BN2",
        _ => child, // conv1x1, conv3x3
    };
}
