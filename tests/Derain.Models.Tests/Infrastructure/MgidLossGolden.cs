using Derain.Tensors.Serialization;

namespace Derain.Models.Tests.Infrastructure;

/// <summary>
/// The BSW-loss and k-means golden vectors in Fixtures/mgid_loss, made by tools/golden/mgid_loss.py (an independent
/// PyTorch/numpy implementation from the spec, float64 references on float32-representable inputs).
/// </summary>
public static class MgidLossGolden
{
    public static Dictionary<string, NpyArray> Load(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "mgid_loss", name + ".npz");
        if (!File.Exists(path))
            throw new FileNotFoundException($"MGID loss golden fixture {name}.npz is missing; regenerate with /usr/bin/python3 tools/golden/mgid_loss.py.", path);
        return Npy.ReadNpz(path);
    }
}
