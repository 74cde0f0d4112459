using System.Numerics;

namespace Derain.Data.Imaging;

/// <summary>
/// <see cref="Image.ToByte"/> over a contiguous run of samples, on <see cref="Vector{T}"/> lanes with the scalar
/// rule for the tail; both give identical bytes (tested over every tail length and the special values).
/// </summary>
internal static class SampleQuantizer
{
    public static void ToBytes(ReadOnlySpan<float> source, Span<byte> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination is shorter than source", nameof(destination));
        int i = 0;
        // One byte vector is built from four float vectors.
        int block = Vector<byte>.Count;
        if (Vector.IsHardwareAccelerated && Vector<float>.Count * 4 == block)
        {
            int lanes = Vector<float>.Count;
            for (; i <= source.Length - block; i += block)
            {
                var a = Quantise(new Vector<float>(source[i..]));
                var b = Quantise(new Vector<float>(source[(i + lanes)..]));
                var c = Quantise(new Vector<float>(source[(i + 2 * lanes)..]));
                var d = Quantise(new Vector<float>(source[(i + 3 * lanes)..]));
                Vector.Narrow(Vector.Narrow(a, b), Vector.Narrow(c, d)).CopyTo(destination[i..]);
            }
        }
        for (; i < source.Length; i++) destination[i] = Image.ToByte(source[i]);
    }

    /// <summary>clamp(v·255, 0, 255) rounded half to even, NaN as 0, as 32-bit lanes ready for narrowing.</summary>
    private static Vector<uint> Quantise(Vector<float> v)
    {
        var scaled = v * new Vector<float>(255f);
        scaled = Vector.ConditionalSelect(Vector.Equals(scaled, scaled), scaled, Vector<float>.Zero); // NaN → 0
        scaled = Vector.Min(Vector.Max(scaled, Vector<float>.Zero), new Vector<float>(255f));
        return Vector.AsVectorUInt32(Vector.ConvertToInt32(Vector.Round(scaled))); // Round: ties to even
    }
}
