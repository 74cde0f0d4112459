using Derain.NN.Tests.Infrastructure;

namespace Derain.Pipelines.Tests.Infrastructure;

/// <summary>Paths inside the repository the tests run from (the folder holding Derain.slnx).</summary>
public static class Repository
{
    /// <summary>The repository root: ../shared's sibling that holds Derain.slnx.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A file under configs/.</summary>
    public static string Config(string name) => Path.Combine(Root, "configs", name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Derain.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No folder above {AppContext.BaseDirectory} holds Derain.slnx (shared data: {SharedData.Root}).");
    }
}
