using Derain.Data.Imaging;
using Derain.Data.Metrics;
using Derain.Data.Video;
using Derain.Tensors.Kernels;

namespace Derain.Data.Evaluation;

/// <summary>
/// Scores a folder of restored results against a folder of ground truth, matched by name: images by file stem,
/// or videos — frame folders (frames matched by stem) or video files (frames matched by position).
/// </summary>
public static class FolderEvaluation
{
    public static EvaluationReport Evaluate(string predictionFolder, string groundTruthFolder, MetricOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        DatasetEntry.RequireFolder(predictionFolder, "prediction");
        DatasetEntry.RequireFolder(groundTruthFolder, "ground-truth");
        var predictions = DatasetEntry.List(predictionFolder, "prediction");
        var truths = DatasetEntry.List(groundTruthFolder, "ground-truth");
        bool videos = KindOf(truths, groundTruthFolder, "ground-truth");
        if (KindOf(predictions, predictionFolder, "prediction") != videos)
            throw new EvaluationException(videos
                ? $"The ground truth in {groundTruthFolder} is videos but {predictionFolder} holds images."
                : $"The ground truth in {groundTruthFolder} is images but {predictionFolder} holds videos.");
        CheckSameNames(predictions.Select(e => e.Name), truths.Select(e => e.Name), predictionFolder, groundTruthFolder, videos ? "videos" : "images");

        var byName = predictions.ToDictionary(e => e.Name);
        var items = new List<EvaluationItem>();
        if (videos)
        {
            foreach (var truth in truths)
                items.Add(EvaluateVideo(byName[truth.Name], truth, options));
        }
        else
        {
            var pairs = truths.Select(t => (Prediction: byName[t.Name].Path, Truth: t.Path)).ToList();
            var scores = ScorePairs(pairs, options);
            items.AddRange(truths.Select((t, i) => new EvaluationItem(t.Name, 1, scores[i])));
        }
        return new EvaluationReport(options, videos, items, Mean(items.Select(i => i.Score)));
    }

    private static bool KindOf(List<DatasetEntry> entries, string folder, string role)
    {
        bool anyVideo = entries.Any(e => e.IsVideo), anyImage = entries.Any(e => !e.IsVideo);
        if (anyVideo && anyImage)
            throw new EvaluationException($"The {role} folder {folder} mixes images with videos (subfolders or video files); keep one kind per folder.");
        return anyVideo;
    }

    private static void CheckSameNames(IEnumerable<string> predicted, IEnumerable<string> truth, string predictionPlace, string truthPlace, string what)
    {
        var p = predicted.ToHashSet();
        var t = truth.ToHashSet();
        var missing = t.Where(n => !p.Contains(n)).Order(NaturalOrder.Instance).ToList();
        var extra = p.Where(n => !t.Contains(n)).Order(NaturalOrder.Instance).ToList();
        if (missing.Count == 0 && extra.Count == 0) return;
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"{missing.Count} of the ground-truth {what} in {truthPlace} have no prediction in {predictionPlace}: {List(missing)}");
        if (extra.Count > 0) parts.Add($"{extra.Count} predicted {what} in {predictionPlace} have no ground truth in {truthPlace}: {List(extra)}");
        throw new EvaluationException("Names do not match (pairs are matched by file stem). " + string.Join(". ", parts) + ".");
    }

    private static string List(List<string> names) => string.Join(", ", names.Take(10)) + (names.Count > 10 ? $", … ({names.Count - 10} more)" : "");

    private static EvaluationItem EvaluateVideo(DatasetEntry prediction, DatasetEntry truth, MetricOptions options)
    {
        if (prediction.Kind == EntryKind.FrameFolder && truth.Kind == EntryKind.FrameFolder)
        {
            // Frames matched by stem, and read in parallel since each is an independent file.
            var predFrames = FrameFiles(prediction.Path);
            var truthFrames = FrameFiles(truth.Path);
            if (predFrames.Count != truthFrames.Count)
                throw new EvaluationException($"Video '{truth.Name}': the prediction has {predFrames.Count} frames but the ground truth has {truthFrames.Count}.");
            CheckSameNames(predFrames.Keys, truthFrames.Keys, prediction.Path, truth.Path, "frames");
            var order = truthFrames.Keys.Order(NaturalOrder.Instance).ToList();
            var scores = ScorePairs(order.Select(n => (predFrames[n], truthFrames[n])).ToList(), options);
            return new EvaluationItem(truth.Name, scores.Length, Mean(scores));
        }
        return EvaluateStreams(prediction, truth, options);
    }

    /// <summary>Frame-by-frame over two readers (a video file on at least one side): frames match by position.</summary>
    private static EvaluationItem EvaluateStreams(DatasetEntry prediction, DatasetEntry truth, MetricOptions options)
    {
        using var pred = VideoReader.Open(prediction.Path);
        using var gt = VideoReader.Open(truth.Path);
        if (pred.Info.FrameCount is int pc && gt.Info.FrameCount is int tc && pc != tc)
            throw new EvaluationException($"Video '{truth.Name}': the prediction has {pc} frames but the ground truth has {tc}.");
        if (pred.Info.Width != gt.Info.Width || pred.Info.Height != gt.Info.Height)
            throw new EvaluationException($"Video '{truth.Name}': the prediction is {pred.Info.Width}×{pred.Info.Height} but the ground truth is {gt.Info.Width}×{gt.Info.Height}.");
        var scores = new List<QualityScore>();
        while (true)
        {
            var a = pred.ReadFrame();
            var b = gt.ReadFrame();
            if (a is null && b is null) break;
            if (a is null || b is null)
                throw new EvaluationException($"Video '{truth.Name}': the prediction has {pred.FramesRead} frames but the ground truth has {gt.FramesRead}{(b is null ? "" : " or more")}" +
                                              (a is null && pred.Shortfall is { } s ? $" ({s})" : b is null && gt.Shortfall is { } g ? $" ({g})" : "") + ".");
            scores.Add(QualityMetrics.Evaluate(a, b, options));
        }
        return new EvaluationItem(truth.Name, scores.Count, Mean(scores));
    }

    private static Dictionary<string, string> FrameFiles(string folder)
    {
        var files = Directory.EnumerateFiles(folder).Where(f => ImageFile.HasImageExtension(f) && !Path.GetFileName(f).StartsWith('.')).ToList();
        if (files.Count == 0) throw new EvaluationException($"The frame folder {folder} has no PNG or JPEG frames.");
        var duplicate = files.GroupBy(f => Path.GetFileNameWithoutExtension(f)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new EvaluationException($"The frame folder {folder} has several frames named '{duplicate.Key}'.");
        return files.ToDictionary(f => Path.GetFileNameWithoutExtension(f));
    }

    /// <summary>Reads and scores independent image pairs on the configured number of threads; results keep the input order.</summary>
    private static QualityScore[] ScorePairs(List<(string Prediction, string Truth)> pairs, MetricOptions options)
    {
        var scores = new QualityScore[pairs.Count];
        try
        {
            Parallel.For(0, pairs.Count, new ParallelOptions { MaxDegreeOfParallelism = KernelBackend.Threads }, i => scores[i] = ScorePair(pairs[i].Prediction, pairs[i].Truth, options));
        }
        catch (AggregateException e)
        {
            // Report one problem as itself (a bad file, a size mismatch) rather than as a bundle.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return scores;
    }

    private static QualityScore ScorePair(string p, string t, MetricOptions options)
    {
        var prediction = ImageFile.Read(p);
        var truth = ImageFile.Read(t);
        if (prediction.Width != truth.Width || prediction.Height != truth.Height)
            throw new EvaluationException($"{p} is {prediction.Width}×{prediction.Height} but {t} is {truth.Width}×{truth.Height}.");
        if (prediction.ColorChannels != truth.ColorChannels)
            throw new EvaluationException($"{p} has {prediction.ColorChannels} colour channel(s) but {t} has {truth.ColorChannels}.");
        return QualityMetrics.Evaluate(prediction, truth, options);
    }

    private static QualityScore Mean(IEnumerable<QualityScore> scores) => QualityScore.Mean(scores);
}
