namespace Derain.Data.Synthesis;

/// <summary>Area-averaging downscale for contact-sheet thumbnails (planes [C, H, W]).</summary>
internal static class Thumbnail
{
    /// <summary>Scales <paramref name="planes"/> to <paramref name="outWidth"/>×<paramref name="outHeight"/>, averaging the source pixels each output pixel covers.</summary>
    public static float[] Resize(float[] planes, int channels, int width, int height, int outWidth, int outHeight)
    {
        var output = new float[channels * outWidth * outHeight];
        for (int c = 0; c < channels; c++)
        {
            for (int oy = 0; oy < outHeight; oy++)
            {
                int y0 = oy * height / outHeight, y1 = Math.Max(y0 + 1, (oy + 1) * height / outHeight);
                for (int ox = 0; ox < outWidth; ox++)
                {
                    int x0 = ox * width / outWidth, x1 = Math.Max(x0 + 1, (ox + 1) * width / outWidth);
                    float sum = 0;
                    for (int y = y0; y < y1; y++)
                        for (int x = x0; x < x1; x++) sum += planes[c * width * height + y * width + x];
                    output[c * outWidth * outHeight + oy * outWidth + ox] = sum / ((y1 - y0) * (x1 - x0));
                }
            }
        }
        return output;
    }
}
