using System.Globalization;
using Derain.Data.Synthesis;
using Derain.Pipelines.Training.Config;
using Derain.Tensors;

namespace Derain.Pipelines.Training.Data;

/// <summary>
/// Makes sure a dataset folder exists before training: a missing one is rendered from its <c>synthesize:</c> block
/// with <c>derain synth</c> in the network's kind (streaks for EEVRSR, timelapse for MGID), one run per source, each seeded by the next draw of a generator seeded
/// with the block's seed (so the set rebuilds bit for bit), into a hidden staging folder that is renamed into place
/// only when every source is written. Each source's manifest and contact sheet are kept under <c>synthesis/</c>.
/// </summary>
public static class DatasetPreparation
{
    /// <summary>Where the per-source manifests and contact sheets of a rendered set go.</summary>
    public const string SynthesisFolder = "synthesis";

    /// <param name="key">The config key of the set (<c>datasets.train</c>), for messages.</param>
    /// <param name="root">The set's folder (absolute).</param>
    /// <param name="synthesize">How to render it, or null when it must already exist.</param>
    /// <param name="kind">The layout the network reads (<c>derain synth --kind</c>).</param>
    /// <param name="resolve">Turns a source path from the config into an absolute path.</param>
    /// <param name="report">Receives one line per step.</param>
    /// <param name="cancel">Stops between frames; nothing is left behind.</param>
    public static void Ensure(string key, string root, SynthesizeConfig? synthesize, SynthesisKind kind, Func<string, string> resolve,
        Action<string> report, CancellationToken cancel = default)
    {
        if (Directory.Exists(root)) return;
        if (synthesize is null)
            throw new ConfigException(
                $"{key}.root: {root} does not exist; make it with `derain synth --kind {kind.Name()} --input {(kind == SynthesisKind.TimeLapse ? "PHOTOS" : "CLIPS")} --output {root}`, or add a {key}.synthesize block to render it");
        string parent = Path.GetDirectoryName(root) ?? throw new ConfigException($"{key}.root: {root} has no parent folder");
        Directory.CreateDirectory(parent);
        string staging = Path.Combine(parent, $".{Path.GetFileName(root)}.train-partial");
        // Only this method creates folders of that name: a leftover is an interrupted earlier attempt.
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        string frames = synthesize.Frames is int f ? $", at most {f} frames per video" : "";
        report(string.Create(CultureInfo.InvariantCulture,
            $"{key}: {root} does not exist; rendering it from {synthesize.Sources.Count} source(s) ({kind.Name()}, preset {synthesize.Preset}, seed {synthesize.Seed}{frames})"));
        try
        {
            string set = Path.Combine(staging, "set");
            Directory.CreateDirectory(Path.Combine(set, SynthesisFolder));
            var seeds = new Generator(synthesize.Seed);
            for (int k = 0; k < synthesize.Sources.Count; k++)
            {
                cancel.ThrowIfCancellationRequested();
                string source = resolve(synthesize.Sources[k]);
                string part = Path.Combine(staging, $"part{k}");
                var request = SynthesisRequest.Create(source, part, kind.Name(), synthesize.Preset, seeds.NextUInt64(), synthesize.Frames, synthesize.Set);
                var summary = SynthesisJob.Run(request, null, cancel);
                Merge(part, set, k, source, kind);
                report(string.Create(CultureInfo.InvariantCulture,
                    $"  {synthesize.Sources[k]}: {summary.Sources.Count} video(s), {summary.Frames} frames in {summary.Elapsed.TotalSeconds:F1} s"));
            }
            Directory.Move(set, root);
            report($"{key}: wrote {root}");
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Moves one source's label folders into the combined set; two sources giving the same video name is an error.</summary>
    private static void Merge(string part, string set, int index, string source, SynthesisKind kind)
    {
        foreach (var folder in kind.Folders())
        {
            string from = Path.Combine(part, folder);
            if (!Directory.Exists(from)) continue;
            string to = Path.Combine(set, folder);
            Directory.CreateDirectory(to);
            foreach (var video in Directory.EnumerateDirectories(from))
            {
                string target = Path.Combine(to, Path.GetFileName(video));
                if (Directory.Exists(target))
                    throw new ConfigException(
                        $"synthesize.sources: two sources give a video named '{Path.GetFileName(video)}' (the second is {source}); rename one of them or list it once");
                Directory.Move(video, target);
            }
        }
        string manifest = Path.Combine(part, DatasetLayout.Manifest);
        if (File.Exists(manifest)) File.Move(manifest, Path.Combine(set, SynthesisFolder, $"{index:D2}-{DatasetLayout.Manifest}"));
        string sheet = Path.Combine(part, DatasetLayout.ContactSheet);
        if (File.Exists(sheet)) File.Move(sheet, Path.Combine(set, SynthesisFolder, $"{index:D2}-{DatasetLayout.ContactSheet}"));
    }
}
