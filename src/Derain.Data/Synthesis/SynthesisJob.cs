using System.Diagnostics;
using Derain.Data.Imaging;
using Derain.Tensors;

namespace Derain.Data.Synthesis;

/// <summary>What a finished run wrote.</summary>
public sealed record SynthesisSummary(string Output, IReadOnlyList<SourceRecord> Sources, long Frames, TimeSpan Elapsed);

/// <summary>One source as rendered (recorded in the manifest).</summary>
public sealed record SourceRecord(string Name, string Path, SourceType Type, int Frames, int Width, int Height, double WindDegrees);

/// <summary>
/// Runs <c>derain synth</c>: finds the sources, renders every frame, writes the label folders, the manifest and
/// the contact sheet into a hidden folder and moves it into place when everything is written. Each source draws
/// its own seed from the run's seed in source order, so a set rebuilds bit for bit from the same request.
/// </summary>
public static class SynthesisJob
{
    private const int ContactRows = 6, TimeLapseContactFrames = 4;

    public static SynthesisSummary Run(SynthesisRequest request, IProgress<SynthesisProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.EffectiveOptions;
        options.Validate();
        var sources = SynthesisSource.Find(request.Input, request.Kind);
        var clock = Stopwatch.StartNew();
        using var output = new OutputFolder(request.Output);

        int photoFrames = request.Frames ?? (request.Kind == SynthesisKind.TimeLapse ? SynthesisRequest.DefaultTimeLapseFrames : SynthesisRequest.DefaultPhotoFrames);
        long? expected = 0;
        foreach (var s in sources)
        {
            int? n = request.Kind == SynthesisKind.TimeLapse ? photoFrames : SourceFrames.Count(s, request.Frames, photoFrames);
            expected = n is int k && expected is long e ? e + k : null;
        }

        var master = new Generator(request.Seed);
        var sheet = new ContactSheet(request.ContactTileWidth, request.Kind == SynthesisKind.TimeLapse
            ? [DatasetLayout.Clean, .. Enumerable.Repeat(DatasetLayout.Rainy, TimeLapseContactFrames)]
            : request.Kind.Folders());
        var records = new List<SourceRecord>();
        long done = 0;
        for (int i = 0; i < sources.Count; i++)
        {
            var source = sources[i];
            ulong seed = master.NextSeed();
            void Report()
            {
                done++;
                progress?.Report(new SynthesisProgress(source.Name, i, sources.Count, done, expected));
            }
            var record = request.Kind == SynthesisKind.TimeLapse
                ? WriteTimeLapse(source, options, seed, photoFrames, output.Temporary, sheet, Report, cancel)
                : WriteVideo(source, request.Kind, options, seed, request.Frames, photoFrames, output.Temporary, sheet, Report, cancel);
            records.Add(record);
        }

        var (planes, width, height) = sheet.Render();
        ImageFile.Write(Path.Combine(output.Temporary, DatasetLayout.ContactSheet), new Image(3, height, width, planes));
        SynthesisManifest.Write(Path.Combine(output.Temporary, DatasetLayout.Manifest), request, options, records);
        output.Commit();
        return new SynthesisSummary(output.Final, records, done, clock.Elapsed);
    }

    /// <summary>VRDS and streak-pair sets: temporally coherent rain over one video.</summary>
    private static SourceRecord WriteVideo(SynthesisSource source, SynthesisKind kind, RainOptions options, ulong seed, int? limit, int photoFrames,
        string root, ContactSheet sheet, Action report, CancellationToken cancel)
    {
        var folders = kind.Folders();
        using var writer = new FrameWriter(root, source.Name, folders);
        RainRenderer? renderer = null;
        int index = 0;
        foreach (var clean in SourceFrames.Read(source, limit, photoFrames))
        {
            cancel.ThrowIfCancellationRequested();
            renderer ??= new RainRenderer(options, clean.Width, clean.Height, seed);
            if (clean.Width != renderer.Width || clean.Height != renderer.Height)
                throw new InvalidDataException($"'{source.Path}' changes size at frame {index}: {clean.Width}×{clean.Height}, not {renderer.Width}×{renderer.Height}.");
            var frame = renderer.Render(clean.Data);
            if (index == 0 && sheet.Rows < ContactRows)
                sheet.AddRow(folders.Select(f => FrameWriter.Label(frame, f)).Select(image => (image.Data, image.Channels)), frame.Width, frame.Height);
            writer.Write(frame, index++);
            report();
        }
        writer.Flush();
        return new SourceRecord(source.Name, source.Path, source.Type, index, renderer!.Width, renderer.Height, renderer.WindDegrees);
    }

    /// <summary>Time-lapse sets: one still scene, every frame's rain (wind, streaks, drops) independent.</summary>
    private static SourceRecord WriteTimeLapse(SynthesisSource source, RainOptions options, ulong seed, int frames,
        string root, ContactSheet sheet, Action report, CancellationToken cancel)
    {
        var scene = SourceFrames.First(source);
        int w = scene.Width, h = scene.Height;
        var rng = new Generator(seed);
        var camera = new TimeLapseCamera(scene.Data, w, h, options);
        var folders = SynthesisKind.TimeLapse.Folders();
        using var writer = new FrameWriter(root, source.Name, folders);
        var row = new List<(float[], int)>();
        double wind = 0;
        for (int index = 0; index < frames; index++)
        {
            cancel.ThrowIfCancellationRequested();
            var clean = camera.Next(rng);
            var renderer = new RainRenderer(options, w, h, rng.NextSeed());
            var frame = renderer.Render(clean);
            if (index == 0) { row.Add((frame.Clean, 3)); wind = renderer.WindDegrees; }
            if (index < TimeLapseContactFrames) row.Add((frame.Rainy, 3));
            writer.Write(frame, index);
            report();
        }
        writer.Flush();
        if (sheet.Rows < ContactRows) sheet.AddRow(row, w, h);
        return new SourceRecord(source.Name, source.Path, source.Type, frames, w, h, wind);
    }
}
