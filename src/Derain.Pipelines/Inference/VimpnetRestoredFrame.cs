using Derain.Data.Imaging;
using Derain.Tensors.Serialization;

namespace Derain.Pipelines.Inference;

/// <summary>A restored frame with further per-frame maps that <c>--save-masks</c> writes as videos or frame folders of their own.</summary>
public interface IHasSideOutputs
{
    /// <summary>The map written beside the output under <paramref name="suffix"/> (e.g. <c>_mask</c>), or null when the frame has none.</summary>
    IRestoredFrame? SideOutput(string suffix);
}

/// <summary>
/// A frame restored by ViMP-Net: the final output and, when the run keeps them, stage 1, the raindrop mask and the
/// streak map — float planes [C, H, W] on the [0, 1] scale, unclamped, averaged over the temporal windows and spatial
/// tiles that cover the frame (<see cref="VimpnetRestorer"/>).
/// </summary>
public sealed class VimpnetRestoredFrame : IRestoredFrame, IHasSideOutputs
{
    /// <summary>The suffix of the raindrop-mask outputs.</summary>
    public const string MaskSuffix = "_mask";

    /// <summary>The suffix of the streak-map outputs.</summary>
    public const string StreakSuffix = "_streak";

    /// <summary>The suffix of the stage-1 npy output.</summary>
    public const string Stage1Suffix = "_stage1";

    public VimpnetRestoredFrame(string name, int width, int height, float[] output, float[]? stage1 = null, float[]? dropMask = null, float[]? streakMap = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        int n = width * height;
        if (output.Length != 3 * n || (stage1 is not null && stage1.Length != 3 * n) || (dropMask is not null && dropMask.Length != n) || (streakMap is not null && streakMap.Length != n))
            throw new ArgumentException($"output planes do not match a {width}×{height} frame.");
        (Name, Width, Height, Output, Stage1, DropMask, StreakMap) = (name, width, height, output, stage1, dropMask, streakMap);
    }

    public string Name { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary>The final output, RGB planes [3, H, W].</summary>
    public float[] Output { get; }

    /// <summary>Stage 1 (input + the recurrent network's residual), RGB planes [3, H, W], when kept.</summary>
    public float[]? Stage1 { get; }

    /// <summary>The raindrop mask after its sigmoid, [H, W], when kept.</summary>
    public float[]? DropMask { get; }

    /// <summary>The streak-intensity map upsampled to full resolution (no activation), [H, W], when kept.</summary>
    public float[]? StreakMap { get; }

    /// <summary>8-bit RGB as the official tensor2img makes it: clamp to [0, 1], ×255, round half to even.</summary>
    public Image ToImage()
    {
        var rgb = new byte[Output.Length];
        int n = Width * Height;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                rgb[3 * i + c] = Image.ToByte(Output[c * n + i]);
        return Image.FromBytes(rgb, 3, Height, Width);
    }

    /// <inheritdoc/>
    public Image ToFloatImage() => new(3, Height, Width, (float[])Output.Clone());

    /// <summary>
    /// &lt;stem&gt;.npy: the final output, float32 [H, W, 3] RGB; with the maps kept also &lt;stem&gt;_stage1.npy
    /// [H, W, 3], &lt;stem&gt;_mask.npy and &lt;stem&gt;_streak.npy [H, W]; all on the [0, 1] scale, unclamped.
    /// </summary>
    public void WriteNpy(string stem)
    {
        int n = Width * Height;
        Npy.Write(stem + ".npy", RestoredFrame.Interleave(Output, n), Height, Width, 3);
        if (Stage1 is not null) Npy.Write(stem + Stage1Suffix + ".npy", RestoredFrame.Interleave(Stage1, n), Height, Width, 3);
        if (DropMask is not null) Npy.Write(stem + MaskSuffix + ".npy", DropMask, Height, Width);
        if (StreakMap is not null) Npy.Write(stem + StreakSuffix + ".npy", StreakMap, Height, Width);
    }

    /// <inheritdoc/>
    public IRestoredFrame? SideOutput(string suffix) => suffix switch
    {
        MaskSuffix when DropMask is not null => new MapFrame(Name, Width, Height, DropMask),
        StreakSuffix when StreakMap is not null => new MapFrame(Name, Width, Height, StreakMap),
        _ => null,
    };

    /// <summary>A one-channel map shown as grey: value v on [0, 1] → grey v (8-bit: clamped, ×255, rounded half to even).</summary>
    private sealed class MapFrame(string name, int width, int height, float[] map) : IRestoredFrame
    {
        public string Name => name;

        public int Width => width;

        public int Height => height;

        public Image ToImage()
        {
            var rgb = new byte[3 * map.Length];
            for (int i = 0; i < map.Length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = Image.ToByte(map[i]);
            return Image.FromBytes(rgb, 3, height, width);
        }

        public Image ToFloatImage() => new Image(1, height, width, (float[])map.Clone()).ToRgb();

        public void WriteNpy(string stem) => Npy.Write(stem + ".npy", map, height, width);
    }
}
