namespace Derain.Data.Synthesis;

/// <summary>
/// A grid of thumbnails for a quick look at a set: one row per video (its first frame in each label folder, in
/// the order of <see cref="SynthesisKinds.Folders"/>) or, for time-lapse sets, a scene's clean frame followed by
/// several of its rainy frames.
/// </summary>
internal sealed class ContactSheet
{
    private const int Gap = 4;
    private const float Background = 0.12f;
    private readonly int _tileWidth;
    private readonly List<(List<float[]> Tiles, int Height)> _rows = [];

    public ContactSheet(int tileWidth) => _tileWidth = tileWidth;

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
        int columns = _rows.Max(r => r.Tiles.Count);
        int width = Gap + columns * (_tileWidth + Gap);
        int height = Gap + _rows.Sum(r => r.Height + Gap);
        var planes = new float[3 * width * height];
        Array.Fill(planes, Background);
        int top = Gap;
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
