using Derain.NN.Checkpoints;
using Derain.NN.Checkpoints.SafeTensors;
using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.Models.Vimpnet;

/// <summary>
/// Loads ViMP-Net weights, by the official ViMPNet state-dict names, from
/// <list type="bullet">
/// <item>an MMEditing checkpoint as the official code saves and releases it: <c>{'meta', 'state_dict':
/// {'generator.&lt;name&gt;', 'step_counter'}, 'optimizer'?}</c> — read by the safe .pth reader (the pickle is never
/// run); <c>generator.</c> is stripped and everything outside it (DrainNet's step_counter, optimiser state) ignored;</item>
/// <item>a plain ViMPNet state dict (.pth, also under a 'state_dict'/'params' wrapper or with nn.DataParallel's
/// <c>module.</c>);</item>
/// <item>Derain's .safetensors (<see cref="Save"/>).</item>
/// </list>
/// Loading is strict: a file with missing, unknown or wrong-shaped tensors is refused with one message listing them.
/// The two SPyNet normalisation constants (<c>spynet.mean</c>, <c>spynet.std</c>) may be absent. A file of another
/// network is refused by name. <see cref="LoadSpyNet"/> reads BasicVSR's pretrained SPyNet for initialising training.
/// </summary>
public static class VimpnetCheckpoint
{
    /// <summary>Metadata key naming the network in Derain's own files.</summary>
    public const string ArchitectureKey = "architecture";

    /// <summary>The architecture value Derain writes for ViMP-Net.</summary>
    public const string Architecture = "vimpnet";

    /// <summary>MMEditing's name for the network inside a restorer's state dict.</summary>
    public const string GeneratorPrefix = "generator.";

    /// <summary>Names only ViMP-Net's generator has (one of them must be present for a file to be taken as ViMP-Net).</summary>
    private static readonly string[] Anchors = ["Dual_Raindrop_gnostic_Transformer.", "deform_align.backward_1.", "S_mask_streak."];

    /// <summary>SPyNet's ImageNet normalisation buffers: constants of the constructor, optional in a file.</summary>
    private static readonly string[] OptionalConstants = ["spynet.mean", "spynet.std"];

    /// <summary>Metadata keys of the widths (<see cref="VimpnetOptions"/>) that <see cref="Save"/> writes and <see cref="Load"/> builds the network from.</summary>
    public const string MidChannelsKey = "mid_channels", NumBlocksKey = "num_blocks", TransformerChannelsKey = "transformer_channels",
        TransformerHiddenKey = "transformer_hidden", MinSizeKey = "min_size";

    /// <summary>
    /// A network (evaluation mode) with the weights of <paramref name="path"/>, built with the widths the file holds
    /// (<see cref="ReadOptions"/>): the official generator for the authors' checkpoints, a reduced one for a file Derain's
    /// trainer wrote for a reduced configuration.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not ViMP-Net, or does not match it exactly (the message lists every difference).</exception>
    public static VimpnetNet Load(string path)
    {
        using var file = Open(path);
        var net = new VimpnetNet(new Generator(0), OptionsOf(file));
        LoadInto(net, file);
        net.Eval();
        return net;
    }

    /// <summary>
    /// The widths of the network stored in <paramref name="path"/>: those of its metadata when Derain wrote it
    /// (<see cref="Save"/>), otherwise read from the tensor shapes — mid_channels from <c>feat_extract.0.weight</c>,
    /// num_blocks from the <c>backbone.backward_1.main.2.k</c> blocks, the transformer's channels and token width from
    /// <c>sc.bias_conv.weight</c> and <c>ss.embedding.weight</c>; a width whose tensor is absent, and min_size (no tensor
    /// carries it), keep the official value. <see cref="Load"/> then checks every tensor against the network built from them.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not ViMP-Net, its metadata is malformed, or it names widths no network can have.</exception>
    public static VimpnetOptions ReadOptions(string path)
    {
        using var file = Open(path);
        return OptionsOf(file);
    }

    /// <summary>Copies the weights of <paramref name="path"/> into <paramref name="net"/> (strict, see the class remarks).</summary>
    public static void LoadInto(VimpnetNet net, string path)
    {
        ArgumentNullException.ThrowIfNull(net);
        using var file = Open(path);
        LoadInto(net, file);
    }

    /// <summary>An open checkpoint with its ViMP-Net tensors by official name (MMEditing's <c>generator.</c> stripped).</summary>
    private sealed class OpenFile(string path, ICheckpointReader reader, bool mmedit, Dictionary<string, CheckpointEntry> entries) : IDisposable
    {
        public string Path { get; } = path;
        public ICheckpointReader Reader { get; } = reader;
        public bool Mmedit { get; } = mmedit;
        public Dictionary<string, CheckpointEntry> Entries { get; } = entries;
        public void Dispose() => Reader.Dispose();
    }

    private static OpenFile Open(string path)
    {
        var reader = Checkpoint.Open(path);
        try
        {
            bool mmedit = reader.Entries.Any(e => e.Name.StartsWith(GeneratorPrefix, StringComparison.Ordinal));
            var entries = new Dictionary<string, CheckpointEntry>(StringComparer.Ordinal);
            foreach (var e in reader.Entries)
            {
                if (!mmedit) entries[e.Name] = e;
                else if (e.Name.StartsWith(GeneratorPrefix, StringComparison.Ordinal)) entries[e.Name[GeneratorPrefix.Length..]] = e;
                // Outside generator.: DrainNet's step_counter buffer and optimiser state — training bookkeeping, not weights.
            }
            if (!entries.Keys.Any(k => Anchors.Any(a => k.StartsWith(a, StringComparison.Ordinal))))
                throw new InvalidDataException(
                    $"{path} is not a ViMP-Net checkpoint: it has no {string.Join(", ", Anchors.Select(a => (mmedit ? GeneratorPrefix : "") + a + "*"))} tensors " +
                    $"(it holds {reader.Entries.Count} tensors such as {string.Join(", ", reader.Entries.Take(3).Select(e => e.Name))}). " +
                    "Use the authors' MMEditing checkpoint of ViMP-Net (state_dict with generator.* names), a ViMPNet state dict, or a .safetensors written by Derain for ViMP-Net.");
            return new OpenFile(path, reader, mmedit, entries);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    private static VimpnetOptions OptionsOf(OpenFile file)
    {
        var official = VimpnetOptions.Official;
        var meta = file.Reader is SafeTensorsReader st ? st.Metadata : new Dictionary<string, string>();
        int? Meta(string key)
        {
            if (!meta.TryGetValue(key, out var text)) return null;
            if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int v))
                throw new InvalidDataException($"{file.Path}: metadata {key} is \"{text}\", not a whole number; re-export the model with derain train, or remove the key to take the widths from the tensor shapes.");
            return v;
        }
        int? Dim0(string name) => file.Entries.TryGetValue(name, out var e) && e.Shape.Length > 0 ? e.Shape[0] : null;
        const string backbone = "backbone.backward_1.main.2.", transformer = "Dual_Raindrop_gnostic_Transformer.";
        int blocks = file.Entries.Keys.Count(k => k.StartsWith(backbone, StringComparison.Ordinal) && k.EndsWith(".conv1.weight", StringComparison.Ordinal)
            && k.Count(ch => ch == '.') == 6);
        var options = new VimpnetOptions(
            Meta(MidChannelsKey) ?? Dim0("feat_extract.0.weight") ?? official.MidChannels,
            Meta(NumBlocksKey) ?? (blocks > 0 ? blocks : official.NumBlocks),
            Meta(TransformerChannelsKey) ?? Dim0(transformer + "sc.bias_conv.weight") ?? official.TransformerChannels,
            Meta(TransformerHiddenKey) ?? Dim0(transformer + "ss.embedding.weight") ?? official.TransformerHidden,
            Meta(MinSizeKey) ?? official.MinSize);
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{file.Path} describes a ViMP-Net no network can be built for ({Describe(options)}): {e.Message}", e);
        }
        return options;
    }

    /// <summary>The official constructor call for <paramref name="o"/>, plus the transformer widths (a Derain option).</summary>
    private static string Describe(VimpnetOptions o)
        => $"ViMPNet(mid_channels={o.MidChannels}, num_blocks={o.NumBlocks}) with a {o.TransformerChannels}-channel, {o.TransformerHidden}-wide transformer";

    private static void LoadInto(VimpnetNet net, OpenFile file)
    {
        var entries = file.Entries;
        var own = net.StateDict();
        var missing = own.Keys.Where(k => !entries.ContainsKey(k) && !OptionalConstants.Contains(k)).ToList();
        var unexpected = entries.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var wrongShape = entries.Where(kv => own.TryGetValue(kv.Key, out var t) && !t.Shape.ToArray().SequenceEqual(kv.Value.Shape))
            .Select(kv => $"{kv.Key}: file [{string.Join(", ", kv.Value.Shape)}], ViMP-Net {own[kv.Key].Shape}").ToList();
        var report = new StateDictLoadResult(missing, unexpected, wrongShape);
        if (!report.IsExact)
        {
            bool fromMetadata = file.Reader is SafeTensorsReader st && st.Metadata.ContainsKey(MidChannelsKey);
            throw new InvalidDataException(
                $"{file.Path} does not match {Describe(net.Options)} " +
                $"({(file.Mmedit ? "MMEditing checkpoint, generator.* tensors" : "state dict")}; names compared without the prefix" +
                $"{(fromMetadata ? "; widths from the file's metadata" : "")}):\n{report}\n" +
                (fromMetadata
                    ? "The file's width metadata does not describe its tensors; re-export the model with derain train, or remove the width keys to take the widths from the tensor shapes."
                    : "The file may come from a different version or configuration of the network."));
        }

        // One tensor at a time: a full checkpoint is 148 MB of float32, no need to hold it twice.
        foreach (var (name, entry) in entries)
        {
            using var t = file.Reader.Read(entry.Name);
            net.LoadStateDict(new Dictionary<string, Tensor> { [name] = t }, strict: false);
        }
    }

    /// <summary>
    /// Initialises <paramref name="net"/>'s SPyNet from a pretrained SPyNet checkpoint: BasicVSR's spynet_*.pth in
    /// MMEditing's layout (<c>basic_module.N.basic_module.M.conv.weight</c>, M = 0 … 4), BasicSR's
    /// (<c>basic_module.N.basic_module.{0,2,4,6,8}.weight</c>, under 'params'), either possibly behind a prefix (e.g. the
    /// <c>generator.spynet.</c> of a whole ViMP-Net checkpoint). Strict: all 60 tensors with their shapes; normalisation
    /// buffers in the file must be ImageNet's, as the network hard-codes them.
    /// </summary>
    public static void LoadSpyNet(VimpnetNet net, string path)
    {
        ArgumentNullException.ThrowIfNull(net);
        using var reader = Checkpoint.Open(path);
        const string mmAnchor = "basic_module.0.basic_module.0.conv.weight", srAnchor = "basic_module.0.basic_module.0.weight";
        var anchor = reader.Entries.FirstOrDefault(e => e.Name == mmAnchor || e.Name.EndsWith("." + mmAnchor, StringComparison.Ordinal));
        bool basicSr = false;
        if (anchor is null)
        {
            anchor = reader.Entries.FirstOrDefault(e => e.Name == srAnchor || e.Name.EndsWith("." + srAnchor, StringComparison.Ordinal));
            basicSr = anchor is not null;
        }
        if (anchor is null)
            throw new InvalidDataException(
                $"{path} is not a SPyNet checkpoint: it has no {mmAnchor} (MMEditing/BasicVSR) nor {srAnchor} (BasicSR). " +
                "Use BasicVSR's spynet_20210409-c6c1bd09.pth, BasicSR's spynet_sintel_final-*.pth, or a whole ViMP-Net checkpoint.");
        string prefix = anchor.Name[..^(basicSr ? srAnchor : mmAnchor).Length];
        var byName = reader.Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);

        var own = net.SpyNet.StateDict();
        var mapped = new Dictionary<string, string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var wrongShape = new List<string>();
        var known = new HashSet<string>(StringComparer.Ordinal) { prefix + "mean", prefix + "std" };
        foreach (var (name, t) in own)
        {
            if (name is "mean" or "std") continue;
            // name: basic_module.N.basic_module.M.conv.weight|bias
            var parts = name.Split('.');
            string source = prefix + (basicSr
                ? $"basic_module.{parts[1]}.basic_module.{2 * int.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture)}.{parts[5]}"
                : name);
            known.Add(source);
            if (!byName.TryGetValue(source, out var entry)) missing.Add(source);
            else if (!entry.Shape.SequenceEqual(t.Shape.ToArray())) wrongShape.Add($"{source}: file [{string.Join(", ", entry.Shape)}], SPyNet {t.Shape}");
            else mapped[name] = source;
        }
        // Within the prefix, anything else of SPyNet's is unknown (outside it, e.g. the rest of a ViMP-Net checkpoint, is not SPyNet's).
        var unexpected = reader.Entries.Select(e => e.Name)
            .Where(n => n.StartsWith(prefix + "basic_module.", StringComparison.Ordinal) && !known.Contains(n))
            .ToList();
        var report = new StateDictLoadResult(missing, unexpected, wrongShape);
        if (!report.IsExact)
            throw new InvalidDataException($"{path} does not match SPyNet (six levels of 7×7 convolutions 8→32→64→32→16→2):\n{report}");
        foreach (var (constant, buffer) in new[] { ("mean", net.SpyNet.Mean), ("std", net.SpyNet.Std) })
        {
            if (!byName.ContainsKey(prefix + constant)) continue;
            using var t = reader.Read(prefix + constant);
            var a = t.ToArray();
            var b = buffer.Data.ToArray();
            if (a.Length != b.Length || a.Zip(b).Any(p => Math.Abs(p.First - p.Second) > 1e-6))
                throw new InvalidDataException($"{path}: {prefix + constant} is [{string.Join(", ", a)}], but SPyNet here normalises with ImageNet's [{string.Join(", ", b)}].");
        }
        foreach (var (name, source) in mapped)
        {
            using var t = reader.Read(source);
            net.SpyNet.LoadStateDict(new Dictionary<string, Tensor> { [name] = t }, strict: false);
        }
    }

    /// <summary>Writes the state dict (official names) to a .safetensors file, atomically, with metadata naming the
    /// architecture and its widths (<see cref="VimpnetOptions"/>, so that <see cref="Load"/> rebuilds the same network).</summary>
    public static void Save(VimpnetNet net, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        var o = net.Options;
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            [ArchitectureKey] = Architecture,
            [MidChannelsKey] = Invariant(o.MidChannels),
            [NumBlocksKey] = Invariant(o.NumBlocks),
            [TransformerChannelsKey] = Invariant(o.TransformerChannels),
            [TransformerHiddenKey] = Invariant(o.TransformerHidden),
            [MinSizeKey] = Invariant(o.MinSize),
        };
        SafeTensorsWriter.Write(path, net.StateDict().Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value)), meta);
    }

    private static string Invariant(int v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
