using System.Text.Json;
using Derain.Tensors.Serialization;

namespace Derain.NN.Tests.Checkpoints;

/// <summary>
/// The checkpoint fixtures made by tools/fixtures/make_pth_fixtures.py (run with /usr/bin/python3): each
/// case has the file, a JSON manifest (names, raw names, shapes, dtypes in file order, or the words a refusal
/// must contain) and an .npz of the values PyTorch itself holds.
/// </summary>
internal static class CheckpointFixtures
{
    public static string Dir(string group) => Path.Combine(AppContext.BaseDirectory, "Fixtures", group);

    public static string Pth(string name) => File(Path.Combine(Dir("pth"), name + ".pth"));

    public static string SafeTensors(string name) => File(Path.Combine(Dir("safetensors"), name + ".safetensors"));

    public static JsonElement Manifest(string group, string name)
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(File(Path.Combine(Dir(group), name + ".json"))));
        return doc.RootElement.Clone();
    }

    public static Dictionary<string, NpyArray> Values(string group, string name)
        => Npy.ReadNpz(File(Path.Combine(Dir(group), name + ".npz")));

    private static string File(string path)
        => System.IO.File.Exists(path) ? path
            : throw new FileNotFoundException($"Fixture {path} is missing; regenerate with /usr/bin/python3 tools/fixtures/make_pth_fixtures.py.", path);

    /// <summary>A fresh temporary directory, deleted when disposed.</summary>
    public sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("derain-ckpt-").FullName;

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
