using Derain.NN.Tests.Infrastructure;

namespace Derain.NN.Tests.Checkpoints.TensorFlow;

/// <summary>The official EEVRSR checkpoints in ../shared and copies of them for tests that damage files.</summary>
internal static class EevrsrCheckpoints
{
    public const string All = "EEVRSR_all";
    public const string DerainOnly = "EEVRSR_derain_only";

    /// <summary>The folder holding one official checkpoint.</summary>
    public static string Folder(string name) => SharedData.DataPath("weights", "eevrsr", name);

    /// <summary>The prefix (…/model.ckpt) of one official checkpoint.</summary>
    public static string Prefix(string name) => Path.Combine(Folder(name), "model.ckpt");

    /// <summary>Copies a checkpoint's files into a fresh temporary folder under a chosen prefix name.</summary>
    public static TempFolder CopyTo(string name, string prefixName = "model.ckpt")
    {
        var temp = new TempFolder();
        foreach (var file in Directory.GetFiles(Folder(name), "model.ckpt.*"))
        {
            string suffix = Path.GetFileName(file)["model.ckpt".Length..];
            string target = Path.Combine(temp.Path, prefixName + suffix);
            File.Copy(file, target);
            File.SetAttributes(target, FileAttributes.Normal); // the shared originals are read-only
        }
        return temp;
    }
}

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "derain-tfckpt-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
