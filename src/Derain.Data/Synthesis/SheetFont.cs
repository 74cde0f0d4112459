namespace Derain.Data.Synthesis;

/// <summary>
/// A 5×7 pixel font with just the characters of the label folder names, so a contact sheet can head its columns
/// without a font library.
/// </summary>
internal static class SheetFont
{
    public const int GlyphWidth = 5, GlyphHeight = 7;

    private static readonly Dictionary<char, string[]> Glyphs = new()
    {
        ['0'] = [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
        ['1'] = ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
        ['a'] = [".....", ".....", ".###.", "....#", ".####", "#...#", ".####"],
        ['d'] = ["....#", "....#", ".####", "#...#", "#...#", "#...#", ".####"],
        ['e'] = [".....", ".....", ".###.", "#...#", "#####", "#....", ".###."],
        ['g'] = [".....", ".####", "#...#", "#...#", ".####", "....#", ".###."],
        ['k'] = ["#....", "#....", "#..#.", "#.#..", "##...", "#.#..", "#..#."],
        ['l'] = [".##..", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."],
        ['m'] = [".....", ".....", "##.#.", "#.#.#", "#.#.#", "#.#.#", "#.#.#"],
        ['o'] = [".....", ".....", ".###.", "#...#", "#...#", "#...#", ".###."],
        ['p'] = [".....", "####.", "#...#", "#...#", "####.", "#....", "#...."],
        ['q'] = [".....", ".####", "#...#", "#...#", ".####", "....#", "....#"],
        ['r'] = [".....", ".....", "#.##.", "##..#", "#....", "#....", "#...."],
        ['s'] = [".....", ".....", ".####", "#....", ".###.", "....#", "####."],
        ['t'] = ["..#..", "..#..", "#####", "..#..", "..#..", "..#..", "...##"],
    };

    /// <summary>Width in pixels of <paramref name="text"/> drawn at <paramref name="scale"/>.</summary>
    public static int Measure(string text, int scale) => text.Length * (GlyphWidth + 1) * scale - scale;

    /// <summary>
    /// Draws <paramref name="text"/> into RGB planes of a <paramref name="width"/>×<paramref name="height"/> image
    /// with its top-left corner at (<paramref name="left"/>, <paramref name="top"/>); characters without a glyph are left blank.
    /// </summary>
    public static void Draw(float[] planes, int width, int height, string text, int left, int top, int scale, float value)
    {
        for (int k = 0; k < text.Length; k++)
        {
            if (!Glyphs.TryGetValue(text[k], out var rows)) continue;
            int x0 = left + k * (GlyphWidth + 1) * scale;
            for (int gy = 0; gy < GlyphHeight; gy++)
                for (int gx = 0; gx < GlyphWidth; gx++)
                {
                    if (rows[gy][gx] != '#') continue;
                    for (int sy = 0; sy < scale; sy++)
                        for (int sx = 0; sx < scale; sx++)
                        {
                            int x = x0 + gx * scale + sx, y = top + gy * scale + sy;
                            if ((uint)x >= (uint)width || (uint)y >= (uint)height) continue;
                            for (int c = 0; c < 3; c++) planes[c * width * height + y * width + x] = value;
                        }
                }
        }
    }
}
