namespace Derain.Data.Synthesis;

/// <summary>
/// Renders streaks into a β map (Garg &amp; Nayar's fraction of the exposure during which rain covers a pixel).
/// Drops cover a pixel independently, so the pixel stays clear for Π(1 − βᵢ) of the exposure: β = 1 − Π(1 − βᵢ).
/// Rows are split into bands rendered in parallel; each band visits its streaks in their global order, so the
/// result does not depend on the thread count.
/// </summary>
internal static class StreakRasterizer
{
    private const int BandRows = 16;

    /// <summary>Fills <paramref name="beta"/> (row-major, <paramref name="width"/>×<paramref name="height"/>) with the streaks' β.</summary>
    public static void Render(IReadOnlyList<Streak> streaks, int width, int height, float[] beta)
    {
        if (beta.Length != width * height) throw new ArgumentException("β map size does not match the frame.", nameof(beta));
        int bands = (height + BandRows - 1) / BandRows;
        var perBand = new List<int>[bands];
        for (int b = 0; b < bands; b++) perBand[b] = [];
        for (int s = 0; s < streaks.Count; s++)
        {
            var (top, bottom) = streaks[s].RowRange();
            if (bottom < 0 || top >= height) continue;
            for (int b = Math.Max(0, top) / BandRows; b <= Math.Min(height - 1, bottom) / BandRows; b++) perBand[b].Add(s);
        }

        Parallel.For(0, bands, SynthesisParallel.Options, b =>
        {
            int y0 = b * BandRows, y1 = Math.Min(height, y0 + BandRows);
            var clear = beta.AsSpan(y0 * width, (y1 - y0) * width);
            clear.Fill(1f); // transmittance Π(1 − βᵢ) while drawing
            foreach (int s in perBand[b]) Draw(streaks[s], width, y0, y1, clear);
            for (int i = 0; i < clear.Length; i++) clear[i] = 1f - clear[i];
        });
    }

    private static void Draw(in Streak s, int width, int y0, int y1, Span<float> clear)
    {
        float h = s.HalfLength, half = s.HalfWidth, taper = s.EndTaper;
        float inv2Sigma2 = 1f / (2 * s.Sigma * s.Sigma);
        float dx = s.DirX, dy = s.DirY;
        var (top, bottom) = s.RowRange();
        int rowStart = Math.Max(y0, top), rowEnd = Math.Min(y1 - 1, bottom);
        for (int y = rowStart; y <= rowEnd; y++)
        {
            float ry = y - s.CenterY;
            // Solve |along| ≤ h and |across| ≤ half for u = x − cx on this row (along = u·dx + ry·dy, across = u·dy − ry·dx).
            float lo = float.NegativeInfinity, hi = float.PositiveInfinity;
            if (!Slab(dx, ry * dy, h, ref lo, ref hi) || !Slab(dy, -ry * dx, half, ref lo, ref hi)) continue;
            int xa = Math.Max(0, (int)MathF.Ceiling(s.CenterX + lo));
            int xb = Math.Min(width - 1, (int)MathF.Floor(s.CenterX + hi));
            var row = clear.Slice((y - y0) * width, width);
            for (int x = xa; x <= xb; x++)
            {
                float u = x - s.CenterX;
                float along = u * dx + ry * dy;
                float across = u * dy - ry * dx;
                float e = MathF.Min(1f, (h - MathF.Abs(along)) / taper);
                if (e <= 0f) continue;
                e = e * e * (3 - 2 * e);
                float ripple = 1f + s.RippleAmplitude * MathF.Sin(s.RippleFrequency * along + s.RipplePhase);
                float b = s.Peak * e * ripple * MathF.Exp(-across * across * inv2Sigma2);
                row[x] *= 1f - MathF.Min(b, 1f);
            }
        }
    }

    /// <summary>Narrows [lo, hi] to the u with |coefficient·u + offset| ≤ bound; false when empty.</summary>
    private static bool Slab(float coefficient, float offset, float bound, ref float lo, ref float hi)
    {
        if (MathF.Abs(coefficient) < 1e-6f) return MathF.Abs(offset) <= bound;
        float a = (-bound - offset) / coefficient, b = (bound - offset) / coefficient;
        if (a > b) (a, b) = (b, a);
        lo = MathF.Max(lo, a);
        hi = MathF.Min(hi, b);
        return lo <= hi;
    }
}
