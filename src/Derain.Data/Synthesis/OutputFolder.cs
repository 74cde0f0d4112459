namespace Derain.Data.Synthesis;

/// <summary>
/// Builds a dataset in a hidden sibling folder and moves it into place only when complete, so an interrupted or
/// failed run never leaves a folder that looks like a finished set.
/// </summary>
internal sealed class OutputFolder : IDisposable
{
    private readonly string _final;
    private bool _committed;

    public OutputFolder(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        _final = Path.GetFullPath(path);
        if (File.Exists(_final)) throw new SynthesisException($"Output '{path}' is a file; give a folder to create.");
        if (Directory.Exists(_final) && Directory.EnumerateFileSystemEntries(_final).Any())
            throw new SynthesisException($"Output folder '{path}' already exists and is not empty; choose a new folder.");
        string parent = Path.GetDirectoryName(_final) ?? throw new SynthesisException($"Output '{path}' has no parent folder.");
        if (!Directory.Exists(parent)) throw new SynthesisException($"The folder '{parent}' that should hold the output does not exist.");
        Temporary = Path.Combine(parent, $".{Path.GetFileName(_final)}.synth-partial");
        // A leftover from an interrupted run carries this name only because synth made it.
        if (Directory.Exists(Temporary)) Directory.Delete(Temporary, recursive: true);
        Directory.CreateDirectory(Temporary);
    }

    /// <summary>Where files are written until <see cref="Commit"/>.</summary>
    public string Temporary { get; }

    /// <summary>The final folder.</summary>
    public string Final => _final;

    /// <summary>Moves the finished set into place.</summary>
    public void Commit()
    {
        if (Directory.Exists(_final)) Directory.Delete(_final); // empty, checked at the start
        Directory.Move(Temporary, _final);
        _committed = true;
    }

    /// <summary>Removes the unfinished set unless it was committed.</summary>
    public void Dispose()
    {
        if (!_committed && Directory.Exists(Temporary))
        {
            try { Directory.Delete(Temporary, recursive: true); }
            catch (IOException) { } // best effort: the hidden folder is harmless and the next run replaces it
            catch (UnauthorizedAccessException) { }
        }
    }
}
