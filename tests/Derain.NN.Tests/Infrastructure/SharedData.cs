namespace Derain.NN.Tests.Infrastructure;

/// <summary>
/// The shared data folder that sits beside the repository (../shared, relative to the folder holding
/// Derain.slnx): official weights and test clips that may not be committed. CI has it in the same place.
/// Tests that need it fail, rather than skip, when it is missing, so a broken checkout cannot pass silently.
/// </summary>
public static class SharedData
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>Absolute path of ../shared.</summary>
    public static string Root => RootPath.Value;

    /// <summary>A path under ../shared/data; throws naming it when it does not exist.</summary>
    public static string DataPath(params string[] parts)
    {
        string path = Path.Combine([Root, "data", .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"Shared test data is missing: {path}. Tests expect the shared folder beside the repository (../shared).", path);
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Derain.slnx"))) continue;
            string shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
            if (!Directory.Exists(shared))
                throw new DirectoryNotFoundException($"The repository root is {dir.FullName}, but {shared} does not exist.");
            return shared;
        }
        throw new DirectoryNotFoundException($"No folder above {AppContext.BaseDirectory} holds Derain.slnx, so ../shared cannot be located.");
    }
}
