using System.Globalization;
using Derain.NN.Modules;
using Derain.NN.Training;

namespace Derain.Pipelines.Training;

/// <summary>
/// The checkpoints of one experiment: <c>checkpoints/iter_00001000/</c> holding <c>model.safetensors</c> (the
/// network's state dict: weights and BatchNorm statistics) and <c>training_state.safetensors</c>
/// (<see cref="TrainingState"/>: iteration, optimiser moments, generators, loader position, schedule). Both files
/// are written into a hidden folder that is renamed to its final name only when both are on disk, so a run killed
/// at any moment — even with kill -9 while saving — leaves every <c>iter_*</c> folder complete.
/// </summary>
public sealed class CheckpointStore
{
    public const string WeightsFile = "model.safetensors", StateFile = "training_state.safetensors";
    private const string Prefix = "iter_", PartialPrefix = ".partial-", OldPrefix = ".replaced-";

    public CheckpointStore(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
        // Leftovers of a save interrupted before its rename; only this class makes folders with these names.
        foreach (var dir in System.IO.Directory.EnumerateDirectories(directory))
        {
            string name = Path.GetFileName(dir);
            if (name.StartsWith(PartialPrefix, StringComparison.Ordinal) || name.StartsWith(OldPrefix, StringComparison.Ordinal))
                System.IO.Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The <c>checkpoints</c> folder.</summary>
    public string Directory { get; }

    /// <summary>Writes a checkpoint for <paramref name="state"/>'s iteration and returns its folder.</summary>
    public string Save(Module model, TrainingState state)
    {
        string final = Path.Combine(Directory, Name(state.Iteration));
        string partial = Path.Combine(Directory, $"{PartialPrefix}{Name(state.Iteration)}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(partial);
        try
        {
            TrainingState.SaveCheckpoint(model, Path.Combine(partial, WeightsFile), state, Path.Combine(partial, StateFile));
            if (System.IO.Directory.Exists(final))
            {
                // Saving the same iteration again (a resumed run): move the old one aside first, so one complete
                // folder of that name exists at every moment but the instant of the rename.
                string old = Path.Combine(Directory, $"{OldPrefix}{Guid.NewGuid():N}");
                System.IO.Directory.Move(final, old);
                System.IO.Directory.Move(partial, final);
                System.IO.Directory.Delete(old, recursive: true);
            }
            else
            {
                System.IO.Directory.Move(partial, final);
            }
            return final;
        }
        finally
        {
            if (System.IO.Directory.Exists(partial)) System.IO.Directory.Delete(partial, recursive: true);
        }
    }

    /// <summary>Complete checkpoints, newest first.</summary>
    public IReadOnlyList<(long Iteration, string Path)> List()
    {
        var found = new List<(long, string)>();
        foreach (var dir in System.IO.Directory.EnumerateDirectories(Directory))
        {
            string name = Path.GetFileName(dir);
            if (!name.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            if (!long.TryParse(name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long iteration)) continue;
            if (File.Exists(Path.Combine(dir, WeightsFile)) && File.Exists(Path.Combine(dir, StateFile))) found.Add((iteration, dir));
        }
        return found.OrderByDescending(c => c.Item1).ToList();
    }

    /// <summary>
    /// The checkpoint folder a <c>path.resume</c> value names: the folder itself or either file in it.
    /// </summary>
    public static string Locate(string path)
    {
        string dir = File.Exists(path) ? Path.GetDirectoryName(Path.GetFullPath(path))! : path;
        if (!System.IO.Directory.Exists(dir))
            throw new FileNotFoundException($"path.resume: {path} does not exist; give a checkpoint folder (…/checkpoints/iter_00001000), auto or none.");
        foreach (var file in new[] { WeightsFile, StateFile })
            if (!File.Exists(Path.Combine(dir, file)))
                throw new FileNotFoundException($"path.resume: {dir} has no {file}; give a checkpoint folder written by derain train (…/checkpoints/iter_00001000).");
        return dir;
    }

    private static string Name(long iteration) => Prefix + iteration.ToString("D8", CultureInfo.InvariantCulture);
}
