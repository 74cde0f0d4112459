namespace Derain.Data.Synthesis;

/// <summary>
/// A grid of thumbnails for a quick look at a set: one row per video (its first frame in each label folder, in
/// the order of <see cref="SynthesisKinds.Folders"/>) or, for time-lapse sets, a scene's clean frame followed by
/// several of its rainy frames.
/// </summary>
internal sealed class ContactSheet
{
    private const int Gap = 4, FontScale = 2;
    private const float Background = 0.12f, Ink = 0.85f;
    private readonly int _tileWidth;
    private readonly IReadOnlyList<string> _headers;
    private readonly List<(List<float[]> Tiles, int Height)> _rows = [];

    /// <summary>A sheet of tiles <paramref name="tileWidth"/> pixels wide whose columns are headed by <paramref name="headers"/>.</summary>
    public ContactSheet(int tileWidth, IReadOnlyList<string> headers)
    {
        _tileWidth = tileWidth;
        _headers = headers;
    }

    private int HeaderHeight => SheetFont.GlyphHeight * FontScale + Gap;

    /// <summary>Rows added so far.</summary>
    public int Rows => _rows.Count;

    /// <summary>Adds a row of images of one size (planes [C, H, W], 1 or 3 channels).</summary>
    public void AddRow(IEnumerable<(float[] Planes, int Channels)> images, int width, int height)
    {
        int tileHeight = Math.Max(1, (int)Math.Round(_tileWidth * (double)height / width));
        var tiles = new List<float[]>();
        foreach (var (planes, channels) in images)
        {
            var small = Thumbnail.Resize(planes, channels, width, height, _tileWidth, tileHeight);
            if (channels == 1) small = [.. small, .. small, .. small];
            tiles.Add(small);
        }
        _rows.Add((tiles, tileHeight));
    }

    /// <summary>The sheet as RGB planes.</summary>
    public (float[] Planes, int Width, int Height) Render()
    {
        int columns = Math.Max(_headers.Count, _rows.Count == 0 ? 1 : _rows.Max(r => r.Tiles.Count));
        int width = Gap + columns * (_tileWidth + Gap);
        int height = Gap + HeaderHeight + _rows.Sum(r => r.Height + Gap);
        var planes = new float[3 * width * height];
        Array.Fill(planes, Background);
        for (int k = 0; k < _headers.Count; k++)
        {
            int left = Gap + k * (_tileWidth + Gap) + (_tileWidth - SheetFont.Measure(_headers[k], FontScale)) / 2;
            SheetFont.Draw(planes, width, height, _headers[k], left, Gap, FontScale, Ink);
        }
        int top = Gap + HeaderHeight;
        foreach (var (tiles, tileHeight) in _rows)
        {
            for (int k = 0; k < tiles.Count; k++)
            {
                int left = Gap + k * (_tileWidth + Gap);
                for (int c = 0; c < 3; c++)
                    for (int y = 0; y < tileHeight; y++)
                        tiles[k].AsSpan(c * _tileWidth * tileHeight + y * _tileWidth, _tileWidth)
                            .CopyTo(planes.AsSpan(c * width * height + (top + y) * width + left, _tileWidth));
            }
            top += tileHeight + Gap;
        }
        return (planes, width, height);
    }
}
