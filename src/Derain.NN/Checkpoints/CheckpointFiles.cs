namespace Derain.NN.Checkpoints;

/// <summary>File helpers shared by the checkpoint readers.</summary>
internal static class CheckpointFiles
{
    /// <summary>
    /// The first <paramref name="count"/> bytes of a file (fewer if it is shorter), for format detection.
    /// A missing file is a <see cref="FileNotFoundException"/> that names it.
    /// </summary>
    public static byte[] ReadHead(string path, int count)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(Directory.Exists(path)
                ? $"Checkpoint {path} is a directory, not a file."
                : $"Checkpoint file {path} does not exist.", path);
        using var f = File.OpenRead(path);
        var head = new byte[(int)Math.Min(count, f.Length)];
        f.ReadExactly(head);
        return head;
    }
}
