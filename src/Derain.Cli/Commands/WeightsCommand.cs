using System.CommandLine;
using System.Globalization;
using Derain.NN.Checkpoints;
using Derain.NN.Checkpoints.SafeTensors;
using Derain.NN.Checkpoints.TensorFlow;
using Derain.Tensors;
using Spectre.Console;

namespace Derain.Cli.Commands;

/// <summary>
/// <c>derain weights inspect FILE</c> lists every tensor of a checkpoint (PyTorch .pth, safetensors,
/// TensorFlow V2) with shape, stored dtype and totals; <c>derain weights convert IN OUT.safetensors</c> writes
/// one as Derain's safetensors weights.
/// </summary>
public static class WeightsCommand
{
    /// <summary>The command; output and errors go to the given consoles (the terminal's by default).</summary>
    public static Command Create(IAnsiConsole? output = null, IAnsiConsole? errors = null)
    {
        var console = output ?? AnsiConsole.Console;
        var weights = new Command("weights", "Inspect and convert checkpoints (PyTorch .pth/.pt, safetensors, TensorFlow checkpoint V2).");

        var file = new Argument<string>("FILE") { Description = "Checkpoint file, TensorFlow prefix (…/model.ckpt) or folder." };
        var all = new Option<bool>("--all") { Description = "TensorFlow: also list optimiser slots and counters, not only model variables." };
        var inspect = new Command("inspect", "List every tensor (name, shape, dtype) and parameter totals.") { file, all };
        inspect.SetAction(r => CliErrors.Run(errors, () => Inspect(console, r.GetValue(file)!, r.GetValue(all))));
        weights.Subcommands.Add(inspect);

        var input = new Argument<string>("IN") { Description = "Checkpoint to convert." };
        var outPath = new Argument<string>("OUT") { Description = "Output .safetensors file." };
        var strip = new Option<string?>("--strip") { Description = "Keep only tensors whose names start with P, without P (e.g. generator.)." };
        var prefix = new Option<string?>("--prefix") { Description = "Prepend P to every name written." };
        var convert = new Command("convert", "Convert a checkpoint to safetensors (float32).") { input, outPath, strip, prefix, all };
        convert.SetAction(r => CliErrors.Run(errors, () => Convert(console, r.GetValue(input)!, r.GetValue(outPath)!, r.GetValue(strip), r.GetValue(prefix), r.GetValue(all))));
        weights.Subcommands.Add(convert);
        return weights;
    }

    private static int Inspect(IAnsiConsole console, string path, bool all)
    {
        using var reader = Checkpoint.Open(path);
        var entries = Selected(reader, all, out bool filtered);
        var table = new Table().Border(TableBorder.Simple).AddColumn("name").AddColumn("shape").AddColumn("dtype").AddColumn(new TableColumn("elements").RightAligned());
        foreach (var e in entries)
            table.AddRow(Markup.Escape(e.Name), Markup.Escape("[" + string.Join(", ", e.Shape) + "]"), e.StoredDType, e.NumElements.ToString("N0", CultureInfo.InvariantCulture));
        console.Write(table);
        long total = entries.Sum(e => e.NumElements);
        console.WriteLine($"{reader.Format}: {entries.Count} tensors, {total.ToString("N0", CultureInfo.InvariantCulture)} elements");
        if (filtered)
            console.WriteLine($"({reader.Entries.Count - entries.Count} optimiser slots and counters not shown; --all lists them)");
        return 0;
    }

    private static int Convert(IAnsiConsole console, string inPath, string outPath, string? strip, string? prefix, bool all)
    {
        if (!outPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new CliException($"The output '{outPath}' must end in .safetensors.");
        ICheckpointReader reader = Checkpoint.Open(inPath);
        if (strip is not null) reader = reader.WithoutPrefix(strip);
        using (reader)
        {
            var entries = Selected(reader, all, out _);
            var tensors = entries.Select(e => new KeyValuePair<string, Tensor>((prefix ?? "") + e.Name, reader.Read(e.Name))).ToList();
            SafeTensorsWriter.Write(outPath, tensors, new Dictionary<string, string> { ["source"] = Path.GetFileName(inPath), ["source_format"] = reader.Format });
            console.WriteLine($"wrote {outPath}: {tensors.Count} tensors, {tensors.Sum(t => (long)t.Value.NumElements).ToString("N0", CultureInfo.InvariantCulture)} elements");
        }
        return 0;
    }

    /// <summary>All entries, or for TensorFlow the model variables unless <paramref name="all"/>.</summary>
    private static IReadOnlyList<CheckpointEntry> Selected(ICheckpointReader reader, bool all, out bool filtered)
    {
        filtered = false;
        if (all || reader is not TensorFlowCheckpoint tf) return reader.Entries;
        filtered = tf.ModelVariables.Count != tf.Entries.Count;
        return tf.ModelVariables;
    }
}
