namespace Derain.Tensors.Tests.Sampling;

/// <summary>
/// Float64 inputs for finite-difference checks of the samplers. Bilinear sampling has kinks where a sample
/// crosses an integer pixel coordinate (and nearest sampling jumps at half-integers), so positions are drawn as
/// an integer plus a fraction in [0.15, 0.35] ∪ [0.65, 0.85]: central differences then never straddle a kink,
/// while the integer part still sends many samples outside the image.
/// </summary>
internal static class SamplingInputs
{
    /// <summary>An integer in [−range, range] plus a fraction away from 0 and ½.</summary>
    public static double AwayFromKinks(Generator g, int range)
    {
        double frac = 0.15 + 0.2 * g.NextDouble() + (g.NextDouble() < 0.5 ? 0 : 0.5);
        int whole = (int)Math.Floor(g.NextDouble() * (2 * range + 1)) - range;
        return whole + frac;
    }

    /// <summary>Deformable-conv offsets [shape] whose sample positions avoid integer coordinates.</summary>
    public static Tensor Offsets(ulong seed, int range, params int[] shape)
    {
        var g = new Generator(seed);
        var t = Tensor.Zeros(new Shape(shape), DType.Float64);
        var s = t.Span<double>();
        for (int i = 0; i < s.Length; i++) s[i] = AwayFromKinks(g, range);
        return t;
    }

    /// <summary>
    /// A grid [n, oh, ow, 2] of normalised (x, y) whose pixel positions (for an h×w input and the given
    /// align_corners) lie in about [−2, size + 1] and avoid integers and half-integers.
    /// </summary>
    public static Tensor Grid(ulong seed, int n, int oh, int ow, int h, int w, bool alignCorners)
    {
        var g = new Generator(seed);
        var t = Tensor.Zeros(new Shape(n, oh, ow, 2), DType.Float64);
        var s = t.Span<double>();
        for (int i = 0; i < s.Length; i++)
        {
            int size = i % 2 == 0 ? w : h;
            double pix = (size - 1) / 2.0 + AwayFromKinks(g, size / 2 + 2) - ((size - 1) % 2 == 0 ? 0 : 0.5);
            s[i] = alignCorners ? 2 * pix / (size - 1) - 1 : (2 * pix + 1) / size - 1;
        }
        return t;
    }
}
