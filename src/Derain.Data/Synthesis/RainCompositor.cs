using System.Numerics;

namespace Derain.Data.Synthesis;

/// <summary>
/// Puts a frame together, back to front as the light travels: scene → rain volume (streaks and veil) → drops on
/// the glass → camera.
/// <list type="bullet">
/// <item>Drops (Qian et al. 2018): drop = B·(1 − α) + (α·R), with α and α·R already defocused.</item>
/// <item>Rain volume (Garg &amp; Nayar 2007): a pixel sees rain for β of the exposure and the background for the
/// rest, I = (1 − β)·I_b + β·E, so rain is semi-transparent and brightens dark backgrounds most. Streaks (βs, seen
/// only where no drop hides them) and veil (v, with airlight A) combine as independent occluders:
/// 1 − β = (1 − βs(1 − α))(1 − v), radiance βs·E + (1 − βs)·v·A.</item>
/// </list>
/// Because drops hide the streaks behind them and refract the already veiled scene, the whole can be written as
/// rain over the drops-only frame: rainy = (1 − β)·drop + radiance, the form ViMP-Net's two stages undo.
/// β is the streak map. Where it would quantise to zero it is set to exactly zero, so an 8-bit map reading 0
/// means the rainy pixel equals the drops-only pixel; drop coverage below half a grey level is likewise cut to
/// zero, so with the default mask threshold every pixel outside the drop mask keeps the clean value.
/// </summary>
internal static class RainCompositor
{
    /// <summary>Half an 8-bit grey level: smaller β or drop coverage is cut to zero.</summary>
    public const float MinBeta = 0.5f / 255;

    public readonly record struct Inputs(
        float[] Clean, float[] DropAlpha, float[][] DropColor, float[] StreakBeta, float[] Veil,
        float[] Radiance, float[] Airlight, float MaskThreshold);

    public readonly record struct Outputs(float[] DropsOnly, float[] Rainy, float[] Mask, float[] StreakMap);

    public static void Compose(in Inputs input, in Outputs output, int width, int height)
    {
        var inp = input;
        var outp = output;
        Parallel.For(0, height, SynthesisParallel.Options, y => ComposeRow(inp, outp, y * width, width, width * height));
    }

    private static void ComposeRow(in Inputs inp, in Outputs outp, int start, int count, int plane)
    {
        int i = start, end = start + count;
        if (Vector.IsHardwareAccelerated)
        {
            int n = Vector<float>.Count;
            var one = Vector<float>.One;
            var zero = Vector<float>.Zero;
            var minBeta = new Vector<float>(MinBeta);
            var threshold = new Vector<float>(inp.MaskThreshold);
            Span<Vector<float>> e = [new(inp.Radiance[0]), new(inp.Radiance[1]), new(inp.Radiance[2])];
            Span<Vector<float>> air = [new(inp.Airlight[0]), new(inp.Airlight[1]), new(inp.Airlight[2])];
            for (; i <= end - n; i += n)
            {
                var a = new Vector<float>(inp.DropAlpha, i);
                var wet = Vector.GreaterThanOrEqual(a, minBeta);
                a = Vector.ConditionalSelect(wet, a, zero);
                var streak = new Vector<float>(inp.StreakBeta, i) * (one - a);
                var veil = new Vector<float>(inp.Veil, i);
                var clear = (one - streak) * (one - veil);
                var beta = one - clear;
                var keep = Vector.GreaterThanOrEqual(beta, minBeta);
                beta = Vector.ConditionalSelect(keep, beta, zero);
                streak = Vector.ConditionalSelect(keep, streak, zero);
                veil = Vector.ConditionalSelect(keep, veil, zero);
                var open = one - beta;
                var veilShare = (one - streak) * veil;
                for (int c = 0; c < 3; c++)
                {
                    int j = c * plane + i;
                    var drop = Vector.Min(one, Vector.Max(zero, new Vector<float>(inp.Clean, j) * (one - a) + Vector.ConditionalSelect(wet, new Vector<float>(inp.DropColor[c], i), zero)));
                    drop.CopyTo(outp.DropsOnly, j);
                    var rainy = Vector.Min(one, Vector.Max(zero, open * drop + streak * e[c] + veilShare * air[c]));
                    rainy.CopyTo(outp.Rainy, j);
                }
                Vector.ConditionalSelect(Vector.GreaterThanOrEqual(a, threshold), one, zero).CopyTo(outp.Mask, i);
                beta.CopyTo(outp.StreakMap, i);
            }
        }
        for (; i < end; i++)
        {
            float a = inp.DropAlpha[i];
            bool wet = a >= MinBeta;
            if (!wet) a = 0;
            float streak = inp.StreakBeta[i] * (1 - a);
            float veil = inp.Veil[i];
            float beta = 1 - (1 - streak) * (1 - veil);
            if (!(beta >= MinBeta)) beta = streak = veil = 0;
            float open = 1 - beta, veilShare = (1 - streak) * veil;
            for (int c = 0; c < 3; c++)
            {
                int j = c * plane + i;
                float drop = MathF.Min(1, MathF.Max(0, inp.Clean[j] * (1 - a) + (wet ? inp.DropColor[c][i] : 0)));
                outp.DropsOnly[j] = drop;
                outp.Rainy[j] = MathF.Min(1, MathF.Max(0, open * drop + streak * inp.Radiance[c] + veilShare * inp.Airlight[c]));
            }
            outp.Mask[i] = a >= inp.MaskThreshold ? 1 : 0;
            outp.StreakMap[i] = beta;
        }
    }
}
