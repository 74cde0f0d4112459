namespace Derain.Data.Synthesis;

/// <summary>
/// Draws the drops of one frame into a <see cref="DropLayer"/>: each drop's outline (irregular circle with a
/// sliding tail), and inside it the scene as the drop refracts it (<see cref="DropOptics"/>), mixed with the dark
/// interior the rim reflects. Drops are composited "over" in list order; bands of rows run in parallel and each
/// visits its drops in that order, so the result does not depend on the thread count.
/// </summary>
internal static class DropRasterizer
{
    private const int BandRows = 16;

    /// <summary>Draws <paramref name="drops"/> refracting <paramref name="scene"/> (focal length <paramref name="focal"/> px) into <paramref name="layer"/>; <paramref name="interior"/> is the colour the rim reflects (the inside of the car or housing).</summary>
    public static void Render(IReadOnlyList<Raindrop> drops, BlurredBackground scene, double focal, ReadOnlySpan<float> interior, DropLayer layer)
    {
        layer.Clear();
        if (drops.Count == 0) return;
        var optics = new DropOptics[drops.Count];
        for (int i = 0; i < drops.Count; i++) optics[i] = new DropOptics(drops[i].Radius, drops[i].ContactAngle, focal);
        float ir = interior[0], ig = interior[1], ib = interior[2];

        int bands = (layer.CanvasHeight + BandRows - 1) / BandRows;
        var perBand = new List<int>[bands];
        for (int b = 0; b < bands; b++) perBand[b] = [];
        for (int i = 0; i < drops.Count; i++)
        {
            var (top, bottom) = CanvasRows(drops[i], layer);
            if (bottom < 0 || top >= layer.CanvasHeight) continue;
            for (int b = Math.Max(0, top) / BandRows; b <= Math.Min(layer.CanvasHeight - 1, bottom) / BandRows; b++) perBand[b].Add(i);
            double reach = drops[i].Reach + 1;
            layer.Mark(top, bottom, (int)Math.Floor(drops[i].X - reach) + layer.Pad, (int)Math.Ceiling(drops[i].X + reach) + layer.Pad);
        }

        Parallel.For(0, bands, SynthesisParallel.Options, b =>
        {
            int y0 = b * BandRows, y1 = Math.Min(layer.CanvasHeight, y0 + BandRows);
            foreach (int i in perBand[b]) Draw(drops[i], optics[i], scene, ir, ig, ib, layer, y0, y1);
        });
    }

    private static (int Top, int Bottom) CanvasRows(Raindrop d, DropLayer layer)
    {
        double reach = d.Reach + 1;
        return ((int)Math.Floor(d.Y - reach) + layer.Pad, (int)Math.Ceiling(d.Y + reach) + layer.Pad);
    }

    private static void Draw(Raindrop d, DropOptics optics, BlurredBackground scene, float ir, float ig, float ib, DropLayer layer, int y0, int y1)
    {
        float cx = (float)d.X, cy = (float)d.Y, radius = (float)d.Radius;
        float h2 = (float)d.H2, h3 = (float)d.H3, tail = (float)d.Tail;
        float c2 = MathF.Cos((float)d.P2), s2 = MathF.Sin((float)d.P2), c3 = MathF.Cos((float)d.P3), s3 = MathF.Sin((float)d.P3);
        float tailStretch = 1f / ((1 + tail) * (1 + tail));
        double reach = d.Reach + 1;
        int pad = layer.Pad, cw = layer.CanvasWidth;
        int xa = Math.Max(0, (int)Math.Floor(d.X - reach) + pad), xb = Math.Min(cw - 1, (int)Math.Ceiling(d.X + reach) + pad);
        var (top, bottom) = CanvasRows(d, layer);
        int ya = Math.Max(y0, top), yb = Math.Min(y1 - 1, bottom);
        float[] alpha = layer.Alpha, red = layer.Color[0], green = layer.Color[1], blue = layer.Color[2];

        for (int y = ya; y <= yb; y++)
        {
            float dy = y - pad - cy;
            int row = y * cw;
            for (int x = xa; x <= xb; x++)
            {
                float dx = x - pad - cx;
                float dist = MathF.Sqrt(dx * dx + dy * dy);
                float c = dist > 1e-4f ? dx / dist : 1f, s = dist > 1e-4f ? dy / dist : 0f;
                // Outline radius at this angle: cos(kθ + P) by angle addition, cos 2θ = c² − s², cos 3θ = 4c³ − 3c.
                float cos2 = c * c - s * s, sin2 = 2 * s * c;
                float cos3 = c * (4 * c * c - 3), sin3 = s * (3 - 4 * s * s);
                float outline = radius * (1 + h2 * (cos2 * c2 - sin2 * s2) + h3 * (cos3 * c3 - sin3 * s3));
                if (s < 0) outline /= MathF.Sqrt(c * c + s * s * tailStretch); // the upper half stretches into the tail
                float cover = Math.Clamp(outline - dist + 0.5f, 0f, 1f);
                if (cover <= 0f) continue;

                float rho = MathF.Min(dist / outline, 1f);
                float k = optics.Scale(rho) * rho * radius;
                scene.Sample(cx + k * c, cy + k * s, out float r, out float g, out float b);
                float t = optics.Transmission(rho);
                r = t * r + (1 - t) * ir;
                g = t * g + (1 - t) * ig;
                b = t * b + (1 - t) * ib;

                int i = row + x;
                float keep = 1 - cover;
                alpha[i] = cover + alpha[i] * keep;
                red[i] = cover * r + red[i] * keep;
                green[i] = cover * g + green[i] * keep;
                blue[i] = cover * b + blue[i] * keep;
            }
        }
    }
}
