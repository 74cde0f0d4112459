using Derain.Data.Imaging;

namespace Derain.Data.Tests.Imaging;

public sealed class SampleQuantizerTests
{
    /// <summary>The vector path and the scalar rule agree for every tail length and the awkward values.</summary>
    [Fact]
    public void VectorPathMatchesScalarRule()
    {
        float[] special = [float.NaN, float.NegativeInfinity, float.PositiveInfinity, -0f, 0f, 1f, -1e-9f, 1.0000001f,
            0.5f / 255, 1.5f / 255, 2.5f / 255, 254.5f / 255, 0.5f, 0.49999997f];
        var rng = new Random(7);
        for (int n = 0; n <= 200; n++)
        {
            var values = new float[n];
            for (int i = 0; i < n; i++)
                values[i] = i % 5 == 0 ? special[rng.Next(special.Length)] : (float)(rng.NextDouble() * 1.4 - 0.2);
            var bytes = new byte[n];
            SampleQuantizer.ToBytes(values, bytes);
            for (int i = 0; i < n; i++) Assert.True(Image.ToByte(values[i]) == bytes[i], $"length {n}, index {i}: {values[i]:R}");
        }
    }

    [Fact]
    public void TiesRoundToEven()
    {
        var ties = Enumerable.Range(0, 255).Select(k => (k + 0.5f) / 255f).ToArray();
        var bytes = new byte[ties.Length];
        SampleQuantizer.ToBytes(ties, bytes);
        for (int k = 0; k < ties.Length; k++)
        {
            float scaled = ties[k] * 255f;
            if (scaled != k + 0.5f) continue; // not an exact tie in float32
            Assert.Equal(k % 2 == 0 ? k : k + 1, bytes[k]);
        }
    }
}
