using Derain.Models.Vimpnet;

namespace Derain.Pipelines.Inference;

/// <summary>
/// Where <c>derain run --model vimpnet</c> gets its weights: <c>--weights</c> (the authors' MMEditing <c>.pth</c>, a
/// plain state dict or a Derain <c>.safetensors</c>, see <see cref="VimpnetCheckpoint"/>) or Derain's default ViMP-Net
/// model at <see cref="DefaultModelPath"/> in the repository.
/// </summary>
public static class VimpnetModels
{
    /// <summary>The <c>--model</c> name.</summary>
    public const string Name = "vimpnet";

    /// <summary>Derain's default ViMP-Net weights, relative to the repository root.</summary>
    public static string DefaultModelPath { get; } = Path.Combine("models", "vimpnet", "vimpnet-derain.safetensors");

    private const string Kinds = "the authors' MMEditing checkpoint (.pth with generator.* tensors), a ViMPNet state dict, or a .safetensors";

    /// <summary>
    /// Loads ViMP-Net (evaluation mode) from <paramref name="weights"/>, or from the default model when it is null.
    /// Every failure is an <see cref="InferenceException"/> naming the file and what to pass instead.
    /// </summary>
    /// <param name="weights">A checkpoint path, or null for the default model.</param>
    /// <param name="repositoryRoot">Where to look for the default model; null: the repository this program runs from.</param>
    public static VimpnetNet Load(string? weights, string? repositoryRoot = null)
    {
        if (weights is null)
        {
            string? root = repositoryRoot ?? EevrsrModels.FindRepositoryRoot();
            string? path = root is null ? null : Path.Combine(root, DefaultModelPath);
            if (path is null || !File.Exists(path))
                throw new InferenceException(
                    $"--model vimpnet needs weights: Derain's default ViMP-Net model ({DefaultModelPath}) is not {(root is null ? "available outside the repository" : $"in {root}")}; " +
                    $"pass --weights with {Kinds}");
            weights = path;
        }
        if (!File.Exists(weights))
            throw new InferenceException($"weights {weights} not found: pass {Kinds}");
        try
        {
            return VimpnetCheckpoint.Load(weights);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException or UnauthorizedAccessException or ArgumentException or KeyNotFoundException)
        {
            throw new InferenceException($"cannot use {weights} as ViMP-Net weights: {e.Message}", e);
        }
    }
}
