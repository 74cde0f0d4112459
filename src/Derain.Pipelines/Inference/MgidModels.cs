using Derain.Models.Mgid;

namespace Derain.Pipelines.Inference;

/// <summary>
/// Where <c>derain run --model mgid</c> gets its weights: <c>--weights</c> (an official Train.py checkpoint, a convAE
/// state dict, or a .safetensors) or Derain's default MGID model at <see cref="DefaultModelPath"/> in the repository.
/// </summary>
public static class MgidModels
{
    /// <summary>The <c>--model</c> name.</summary>
    public const string Name = "mgid";

    /// <summary>Derain's default MGID weights, relative to the repository root.</summary>
    public static string DefaultModelPath { get; } = Path.Combine("models", "mgid", "mgid-derain.safetensors");

    /// <summary>
    /// Loads MGID from <paramref name="weights"/>, or from the default model when it is null. Every failure is an
    /// <see cref="InferenceException"/> naming the file and what to pass instead.
    /// </summary>
    /// <param name="weights">A checkpoint path, or null for the default model.</param>
    /// <param name="memoryFromFile">False when the file had no memory_items (the memory is then a random start).</param>
    /// <param name="repositoryRoot">Where to look for the default model; null: the repository this program runs from.</param>
    public static MgidNet Load(string? weights, out bool memoryFromFile, string? repositoryRoot = null)
    {
        if (weights is null)
        {
            string? root = repositoryRoot ?? EevrsrModels.FindRepositoryRoot();
            string? path = root is null ? null : Path.Combine(root, DefaultModelPath);
            if (path is null || !File.Exists(path))
                throw new InferenceException(
                    $"--model mgid needs weights: Derain's default MGID model ({DefaultModelPath}) is not {(root is null ? "available outside the repository" : $"in {root}")}; " +
                    "pass --weights with an MGID checkpoint (the official Train.py model_NNNNN.pth, a convAE state dict, or a .safetensors)");
            weights = path;
        }
        if (!File.Exists(weights) && !File.Exists(weights + ".index"))
            throw new InferenceException($"weights {weights} not found: pass an MGID checkpoint (the official Train.py model_NNNNN.pth, a convAE state dict, or a .safetensors)");
        try
        {
            return MgidCheckpoint.Load(weights, out memoryFromFile);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException or UnauthorizedAccessException or ArgumentException or KeyNotFoundException)
        {
            throw new InferenceException($"cannot use {weights} as MGID weights: {e.Message}", e);
        }
    }
}
