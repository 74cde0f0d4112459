namespace Derain.Data.Tests.Infrastructure;

/// <summary>Locations the tests use: the repository root and the shared data folder beside it (../shared, as CI has it).</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The shared data folder (DERAIN_SHARED overrides ../shared).</summary>
    public static string Shared { get; } = Environment.GetEnvironmentVariable("DERAIN_SHARED") is { Length: > 0 } s
        ? s : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    /// <summary>A file under shared/data; fails with a clear message when the data folder is not there.</summary>
    public static string SharedData(string relative)
    {
        var path = Path.Combine(Shared, "data", relative);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new InvalidOperationException($"Test data {path} is missing: these tests need the shared data folder at {Shared} (or DERAIN_SHARED).");
        return path;
    }

    public static string Fixture(string relative) => Path.Combine(AppContext.BaseDirectory, "Fixtures", relative);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Derain.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"No Derain.slnx above {AppContext.BaseDirectory}.");
    }
}

/// <summary>A fresh temporary folder, deleted with everything in it on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "derain-data-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Folder(string name) => Directory.CreateDirectory(System.IO.Path.Combine(Path, name)).FullName;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
