using Derain.Models.Eevrsr;

namespace Derain.Pipelines.Inference;

/// <summary>
/// The EEVRSR models <c>derain run --model</c> names, and where their weights come from: <c>--weights</c> (an official
/// TensorFlow checkpoint prefix or folder, or a .safetensors) or, for <c>eevrsr</c>, Derain's own trained model at
/// <see cref="DefaultModelPath"/> in the repository.
/// </summary>
public static class EevrsrModels
{
    /// <summary>Motion compensation + de-raining (the official EEVRSR_all network).</summary>
    public const string Full = "eevrsr";

    /// <summary>The de-raining sub-net on unaligned frames (the official EEVRSR_derain_only network).</summary>
    public const string DerainOnly = "eevrsr-derain-only";

    /// <summary>The names <c>--model</c> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = [Full, DerainOnly];

    /// <summary>Derain's default EEVRSR weights, relative to the repository root.</summary>
    public static string DefaultModelPath { get; } = Path.Combine("models", "eevrsr", "eevrsr-derain.safetensors");

    /// <summary>The variant a model name stands for.</summary>
    public static EevrsrVariant Variant(string model) => model.ToLowerInvariant() switch
    {
        Full => EevrsrVariant.All,
        DerainOnly => EevrsrVariant.DerainOnly,
        _ => throw new InferenceException($"unknown model '{model}'; use one of {string.Join(", ", Names)}"),
    };

    /// <summary>
    /// Loads <paramref name="model"/> from <paramref name="weights"/>, or from the default model when it is null.
    /// Every failure is an <see cref="InferenceException"/> that names the file and what to pass instead.
    /// </summary>
    /// <param name="model"><see cref="Full"/> or <see cref="DerainOnly"/>.</param>
    /// <param name="weights">A checkpoint path, or null for the default model.</param>
    /// <param name="repositoryRoot">Where to look for the default model; null: the repository this program runs from.</param>
    public static EevrsrNet Load(string model, string? weights, string? repositoryRoot = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var variant = Variant(model);
        weights ??= DefaultWeights(variant, repositoryRoot ?? FindRepositoryRoot());
        if (!File.Exists(weights) && !Directory.Exists(weights) && !File.Exists(weights + ".index"))
            throw new InferenceException($"weights {weights} not found: pass an EEVRSR checkpoint (the official model.ckpt prefix or its folder, or a .safetensors)");

        EevrsrNet net;
        try
        {
            net = EevrsrCheckpoint.Load(weights);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new InferenceException($"cannot use {weights} as EEVRSR weights: {e.Message}", e);
        }
        if (net.Variant != variant)
        {
            string holds = net.Variant == EevrsrVariant.All
                ? "the full EEVRSR network (motion compensation + de-raining)"
                : "only EEVRSR's de-raining sub-net (no motion compensation)";
            throw new InferenceException($"{weights} holds {holds}; run it with --model {(net.Variant == EevrsrVariant.All ? Full : DerainOnly)}");
        }
        return net;
    }

    /// <summary>The folder holding Derain.slnx above this program, or null when it runs outside a repository.</summary>
    public static string? FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Derain.slnx"))) return dir.FullName;
        return null;
    }

    private static string DefaultWeights(EevrsrVariant variant, string? root)
    {
        if (variant == EevrsrVariant.DerainOnly)
            throw new InferenceException($"--model {DerainOnly} has no default weights: pass --weights with the official EEVRSR_derain_only checkpoint (GitHub ShirleyGxd/EEVRSR, final_model/)");
        string? path = root is null ? null : Path.Combine(root, DefaultModelPath);
        if (path is null || !File.Exists(path))
            throw new InferenceException(
                $"Derain's default EEVRSR model ({DefaultModelPath}) is not {(root is null ? "available outside the repository" : $"in {root}")}; " +
                "pass --weights with an EEVRSR checkpoint, e.g. the official EEVRSR_all/model.ckpt (GitHub ShirleyGxd/EEVRSR, final_model/) or a .safetensors");
        return path;
    }
}
