using System.Text.RegularExpressions;
using Derain.NN.Checkpoints.PyTorch;
using Derain.NN.Checkpoints.SafeTensors;

namespace Derain.NN.Checkpoints;

/// <summary>
/// Opens a checkpoint of any supported format, detected from the file's content rather than its name:
/// a zip archive or the legacy magic number → <see cref="PyTorchCheckpoint"/>; a safetensors header →
/// <see cref="SafeTensorsReader"/>; a TensorFlow checkpoint (a prefix whose .index file exists, the .index
/// file itself, or one of its .data-NNNNN-of-NNNNN shards) → the registered TensorFlow reader.
/// <para>
/// Extension point: formats implemented elsewhere in Derain.NN register themselves with
/// <see cref="RegisterFormat"/> from an implementation of the partial method
/// <c>RegisterFormatsDefinedElsewhere</c>, which the static constructor calls before the first Open; e.g. in
/// Checkpoints/TensorFlow/:
/// <code>
/// namespace Derain.NN.Checkpoints;
/// public static partial class Checkpoint
/// {
///     static partial void RegisterFormatsDefinedElsewhere()
///         => RegisterFormat(new("tensorflow-v2", IsTensorFlowCheckpointPath, TensorFlow.TensorFlowCheckpoint.Open));
/// }
/// </code>
/// Code outside the assembly (tests, plug-ins) may call <see cref="RegisterFormat"/> directly. Registered
/// formats are probed in registration order, before the built-in ones.
/// </para>
/// </summary>
public static partial class Checkpoint
{
    private const int HeadLength = 512;
    private static readonly Lock Gate = new();
    private static readonly List<CheckpointFormat> Registered = [];
    private static readonly byte[] Hdf5Signature = [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a];

    static Checkpoint() => RegisterFormatsDefinedElsewhere();

    /// <summary>Implemented (once) by a format's own file to register it; see the class remarks.</summary>
    static partial void RegisterFormatsDefinedElsewhere();

    /// <summary>Adds a format that <see cref="Open"/> probes before the built-in detection.</summary>
    public static void RegisterFormat(CheckpointFormat format)
    {
        ArgumentNullException.ThrowIfNull(format);
        lock (Gate)
        {
            if (Registered.Any(f => f.Name == format.Name))
                throw new InvalidOperationException($"A checkpoint format named {format.Name} is already registered.");
            Registered.Add(format);
        }
    }

    /// <summary>The registered formats' names, in probe order.</summary>
    public static IReadOnlyList<string> RegisteredFormats
    {
        get { lock (Gate) return Registered.Select(f => f.Name).ToList(); }
    }

    /// <summary>
    /// True for a TensorFlow checkpoint path: a prefix P with P.index beside it, P.index itself, or a shard
    /// P.data-00000-of-00001 whose P.index exists.
    /// </summary>
    public static bool IsTensorFlowCheckpointPath(string path)
    {
        if (string.IsNullOrEmpty(path)) return false;
        if (path.EndsWith(".index", StringComparison.Ordinal) && File.Exists(path)) return true;
        if (File.Exists(path + ".index")) return true;
        var shard = DataShard().Match(path);
        return shard.Success && File.Exists(shard.Groups[1].Value + ".index");
    }

    /// <summary>Opens a checkpoint, detecting its format from its content.</summary>
    /// <exception cref="FileNotFoundException">The path is not a file (nor a TensorFlow checkpoint prefix).</exception>
    /// <exception cref="InvalidDataException">Unknown format, truncated, malformed or refused as unsafe; the message names the file and the problem.</exception>
    /// <exception cref="NotSupportedException">A TensorFlow checkpoint while no TensorFlow reader is registered.</exception>
    public static ICheckpointReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckpointFormat[] formats;
        lock (Gate) formats = [.. Registered];
        foreach (var format in formats)
            if (format.Probe(path)) return format.Open(path);
        if (IsTensorFlowCheckpointPath(path))
            throw new NotSupportedException($"{path} is a TensorFlow checkpoint, but no TensorFlow checkpoint reader is registered (Checkpoint.RegisterFormat).");

        var head = CheckpointFiles.ReadHead(path, HeadLength);
        long length = new FileInfo(path).Length;
        if (PyTorchCheckpoint.HasSignature(head)) return PyTorchCheckpoint.Open(path);
        if (SafeTensorsReader.HasSignature(head, length)) return SafeTensorsReader.Open(path);
        throw new InvalidDataException($"{path}: {Unrecognised(head)}");
    }

    private static string Unrecognised(byte[] head)
    {
        if (head.Length == 0) return "the file is empty.";
        if (head.Length >= 262 && head.AsSpan(257, 5).SequenceEqual("ustar"u8))
            return "a tar archive: torch.save's format of PyTorch before 0.4 is not supported; re-save it with a current PyTorch.";
        if (head.AsSpan().StartsWith(Hdf5Signature)) return "an HDF5 file (Keras weights?); not a supported checkpoint format.";
        if (head[0] == 0x80) return "a plain Python pickle, not written by torch.save; not a supported checkpoint format.";
        string hex = Convert.ToHexString(head.AsSpan(0, Math.Min(8, head.Length)));
        return $"unknown checkpoint format (first bytes {hex}); supported: PyTorch .pth (zip or legacy), safetensors, and TensorFlow checkpoints when a reader is registered ({string.Join(", ", RegisteredFormats)}).";
    }

    [GeneratedRegex(@"^(.*)\.data-\d{5}-of-\d{5}$")]
    private static partial Regex DataShard();
}
