namespace Derain.Data.Synthesis;

/// <summary>
/// A box-downsampled copy of the frame for the drops to refract. A drop shrinks the scene around it by an
/// order of magnitude, so each of its pixels sees a patch of many scene pixels; sampling this pre-filtered copy
/// bilinearly averages that patch instead of aliasing it.
/// </summary>
internal sealed class BlurredBackground
{
    private readonly float[] _planes;
    private readonly int _factor, _w, _h;

    /// <summary>Downsamples an RGB frame (planes [3, <paramref name="height"/>, <paramref name="width"/>]) by <paramref name="factor"/>.</summary>
    public BlurredBackground(ReadOnlySpan<float> rgb, int width, int height, int factor)
    {
        _factor = Math.Max(1, factor);
        _w = (width + _factor - 1) / _factor;
        _h = (height + _factor - 1) / _factor;
        _planes = new float[3 * _w * _h];
        int plane = width * height;
        for (int c = 0; c < 3; c++)
        {
            var src = rgb.Slice(c * plane, plane);
            var dst = _planes.AsSpan(c * _w * _h, _w * _h);
            for (int by = 0; by < _h; by++)
            {
                int y0 = by * _factor, y1 = Math.Min(height, y0 + _factor);
                for (int bx = 0; bx < _w; bx++)
                {
                    int x0 = bx * _factor, x1 = Math.Min(width, x0 + _factor);
                    float sum = 0;
                    for (int y = y0; y < y1; y++)
                        for (int x = x0; x < x1; x++) sum += src[y * width + x];
                    dst[by * _w + bx] = sum / ((y1 - y0) * (x1 - x0));
                }
            }
        }
    }

    /// <summary>Bilinear sample at full-resolution coordinates (pixel centres at integers), clamped at the border.</summary>
    public void Sample(float x, float y, out float r, out float g, out float b)
    {
        float fx = Math.Clamp((x - 0.5f * (_factor - 1)) / _factor, 0f, _w - 1);
        float fy = Math.Clamp((y - 0.5f * (_factor - 1)) / _factor, 0f, _h - 1);
        int x0 = Math.Min((int)fx, _w - 1), y0 = Math.Min((int)fy, _h - 1);
        int x1 = Math.Min(x0 + 1, _w - 1), y1 = Math.Min(y0 + 1, _h - 1);
        float ax = fx - x0, ay = fy - y0;
        int plane = _w * _h;
        int i00 = y0 * _w + x0, i01 = y0 * _w + x1, i10 = y1 * _w + x0, i11 = y1 * _w + x1;
        float w00 = (1 - ax) * (1 - ay), w01 = ax * (1 - ay), w10 = (1 - ax) * ay, w11 = ax * ay;
        var p = _planes;
        r = w00 * p[i00] + w01 * p[i01] + w10 * p[i10] + w11 * p[i11];
        g = w00 * p[plane + i00] + w01 * p[plane + i01] + w10 * p[plane + i10] + w11 * p[plane + i11];
        b = w00 * p[2 * plane + i00] + w01 * p[2 * plane + i01] + w10 * p[2 * plane + i10] + w11 * p[2 * plane + i11];
    }
}
