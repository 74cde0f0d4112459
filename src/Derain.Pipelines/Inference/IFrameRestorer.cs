using Derain.Data.Imaging;

namespace Derain.Pipelines.Inference;

/// <summary>A decoded input frame and the stem its outputs are named after.</summary>
public sealed record NamedImage(Image Image, string Name);

/// <summary>
/// A network as <c>derain run</c> drives it: decoded frames in (in order), restored frames out (in the same order).
/// A video network may hold a few frames back to see their neighbours (<see cref="LumaRestorer"/>); a single-image
/// network restores each frame on its own (<see cref="MgidRestorer"/>).
/// </summary>
public interface IFrameRestorer
{
    /// <summary>The network's name in messages (e.g. EEVRSR, MGID).</summary>
    string ModelName { get; }

    /// <summary>True when each output needs neighbouring frames, so that a single image cannot be restored.</summary>
    bool NeedsNeighbours { get; }

    /// <summary>Every frame of <paramref name="frames"/>, restored, in order; frames are consumed lazily (streaming).</summary>
    IEnumerable<IRestoredFrame> RestoreAll(IEnumerable<NamedImage> frames);
}

/// <summary>One restored frame as the output sinks need it.</summary>
public interface IRestoredFrame
{
    /// <summary>The stem the outputs are named after.</summary>
    string Name { get; }

    int Width { get; }

    int Height { get; }

    /// <summary>The 8-bit result, as the network's official code would save it.</summary>
    Image ToImage();

    /// <summary>The float result on the [0, 1] scale, unrounded (writing it as a 16-bit PNG clamps it).</summary>
    Image ToFloatImage();

    /// <summary>Writes the network's float outputs as NumPy arrays named after <paramref name="stem"/> (a path without extension).</summary>
    void WriteNpy(string stem);
}
