using Derain.Data.Imaging;

namespace Derain.Data.Synthesis;

/// <summary>
/// Writes a rendered frame's label images for one source. PNG encoding costs about as much as rendering, so the
/// files of a frame are encoded in parallel and in the background while the next frame renders; the bytes do not
/// depend on that timing.
/// </summary>
internal sealed class FrameWriter : IDisposable
{
    private readonly string _root, _source;
    private readonly IReadOnlyList<string> _folders;
    private Task _pending = Task.CompletedTask;

    public FrameWriter(string root, string source, IReadOnlyList<string> folders)
    {
        _root = root;
        _source = source;
        _folders = folders;
        foreach (var folder in folders) Directory.CreateDirectory(Path.Combine(root, folder, source));
    }

    /// <summary>Queues frame <paramref name="index"/>, first waiting for the previous one (and rethrowing its error).</summary>
    public void Write(RainFrame frame, int index)
    {
        _pending.GetAwaiter().GetResult();
        var parallel = SynthesisParallel.Options;
        _pending = Task.Run(() => Parallel.ForEach(_folders, parallel, folder =>
            ImageFile.Write(DatasetLayout.FramePath(_root, folder, _source, index), Label(frame, folder))));
    }

    /// <summary>Waits for the last frame (and rethrows its error).</summary>
    public void Flush() => _pending.GetAwaiter().GetResult();

    /// <summary>
    /// Waits for a write still running when rendering stopped early (an error or cancellation), so the unfinished
    /// set can be removed without a writer racing the removal; that write's own error no longer matters.
    /// </summary>
    public void Dispose()
    {
        try { _pending.Wait(); }
        catch (AggregateException) { }
    }

    /// <summary>The image a label folder holds (planes are shared, not copied).</summary>
    public static Image Label(RainFrame f, string folder) => folder switch
    {
        DatasetLayout.Clean => new Image(3, f.Height, f.Width, f.Clean),
        DatasetLayout.Rainy => new Image(3, f.Height, f.Width, f.Rainy),
        DatasetLayout.DropsOnly => new Image(3, f.Height, f.Width, f.DropsOnly),
        DatasetLayout.DropMask => new Image(1, f.Height, f.Width, f.DropMask),
        DatasetLayout.StreakMap => new Image(1, f.Height, f.Width, f.StreakMap),
        _ => throw new ArgumentOutOfRangeException(nameof(folder), folder, "not a label folder"),
    };
}
