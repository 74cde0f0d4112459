using Derain.Data.Imaging;
using Derain.Pipelines.Training.Logging;

namespace Derain.Pipelines.Training.Plotting;

/// <summary>
/// <c>plot.png</c>: two panels over a shared iteration axis — the training loss and its terms (log scale, every
/// <c>loss*</c> column of the <c>train</c> entries) above, the validation PSNR (with the rainy input's PSNR dashed
/// for reference) below — drawn by hand with <see cref="Canvas"/> and <see cref="PlotFont"/> and written with the
/// repository's PNG writer. A legend appears when a panel shows more than one series.
/// </summary>
public static class TrainingPlot
{
    public const int Width = 1000, Height = 720;

    public static Rgb Background => Rgb.White;
    public static Rgb Ink { get; } = new(30, 30, 30);
    public static Rgb Grid { get; } = new(228, 228, 228);
    public static Rgb LossColor { get; } = new(31, 119, 180);
    public static Rgb PsnrColor { get; } = new(214, 39, 40);
    public static Rgb InputColor { get; } = new(128, 128, 128);

    /// <summary>Colours of the loss terms after the total, in column order.</summary>
    public static IReadOnlyList<Rgb> TermColors { get; } = [new(255, 127, 14), new(44, 160, 44), new(148, 103, 189), new(140, 86, 75), new(227, 119, 194), new(188, 189, 34)];

    private const int Scale = 2, Left = 100, Right = Width - 30;
    private static readonly (int Top, int Bottom) LossPanel = (64, 356), PsnrPanel = (432, Height - 72);

    /// <summary>Renders the log entries and writes the PNG (through a temporary file).</summary>
    /// <param name="path">The PNG to write.</param>
    /// <param name="entries">The training log.</param>
    /// <param name="title">The run's name, drawn at the top.</param>
    /// <param name="channel">What the validation PSNR was computed on ("Y" or "RGB"), named in that panel's title.</param>
    public static void Write(string path, IReadOnlyList<LogEntry> entries, string title, string channel)
        => ImageFile.Write(path, Render(entries, title, channel).ToImage());

    public static Canvas Render(IReadOnlyList<LogEntry> entries, string title, string channel)
    {
        var canvas = new Canvas(Width, Height, Background);
        PlotFont.Draw(canvas, title, Left, 16, Scale, Ink);
        var train = entries.Where(e => e.Kind == LogEntry.Train).ToList();
        var val = entries.Where(e => e.Kind == LogEntry.Validation).ToList();
        double maxIteration = Math.Max(1, entries.Count == 0 ? 1 : entries.Max(e => e.Iteration));
        var x = Axis.Linear(0, maxIteration, 8, Axis.FormatIterations);

        var terms = train.SelectMany(e => e.Values.Select(v => v.Key)).Where(k => k.StartsWith("loss_", StringComparison.Ordinal)).Distinct().ToList();
        var lossSeries = new List<Series> { new("loss", LossColor, Points(train, "loss", positiveOnly: true)) };
        for (int i = 0; i < terms.Count; i++)
            lossSeries.Add(new Series(terms[i], TermColors[i % TermColors.Count], Points(train, terms[i], positiveOnly: true)));
        lossSeries.RemoveAll(s => s.Points.Count == 0);
        var lossValues = lossSeries.SelectMany(s => s.Points.Select(p => p.Y)).ToList();
        Panel(canvas, LossPanel, x, lossValues.Count == 0 ? null : Axis.Log(lossValues.Min(), lossValues.Max()),
            "training loss (log scale)", "loss", lossSeries, markers: false);

        var psnrSeries = new List<Series> { new("PSNR", PsnrColor, Points(val, "psnr", positiveOnly: false)) };
        var input = Points(val, "input_psnr", positiveOnly: false);
        if (input.Count > 0) psnrSeries.Add(new Series("rainy input", InputColor, input, Dashed: true));
        psnrSeries.RemoveAll(s => s.Points.Count == 0);
        var psnrValues = psnrSeries.SelectMany(s => s.Points.Select(p => p.Y)).ToList();
        Panel(canvas, PsnrPanel, x, psnrValues.Count == 0 ? null : Axis.Linear(psnrValues.Min(), psnrValues.Max(), 5),
            $"validation PSNR on {channel} (dB)", "PSNR (dB)", psnrSeries, markers: true);

        const string xTitle = "iteration";
        PlotFont.Draw(canvas, xTitle, (Left + Right - PlotFont.Measure(xTitle, Scale)) / 2, Height - 28, Scale, Ink);
        return canvas;
    }

    private sealed record Series(string Name, Rgb Color, List<(double X, double Y)> Points, bool Dashed = false);

    private static List<(double X, double Y)> Points(List<LogEntry> entries, string key, bool positiveOnly)
        => entries.Where(e => e[key] is double v && (!positiveOnly || v > 0)).Select(e => ((double)e.Iteration, e[key]!.Value)).ToList();

    private static void Panel(Canvas canvas, (int Top, int Bottom) panel, Axis x, Axis? y, string title, string yTitle, List<Series> series, bool markers)
    {
        var (top, bottom) = panel;
        PlotFont.Draw(canvas, title, Left, top - 24, Scale, Ink);
        PlotFont.DrawVertical(canvas, yTitle, 14, (top + bottom - PlotFont.Measure(yTitle, Scale)) / 2, Scale, Ink);
        int Px(double v) => (int)Math.Round(x.Map(v, Left, Right));
        foreach (var t in x.Ticks)
        {
            int px = Px(t.Value);
            canvas.Line(px, top, px, bottom, Grid);
            canvas.Line(px, bottom, px, bottom + 5, Ink);
            PlotFont.Draw(canvas, t.Label, px - PlotFont.Measure(t.Label, Scale) / 2, bottom + 10, Scale, Ink);
        }
        if (y is null)
        {
            const string none = "no data yet";
            PlotFont.Draw(canvas, none, (Left + Right - PlotFont.Measure(none, Scale)) / 2, (top + bottom) / 2, Scale, InputColor);
            canvas.Rectangle(Left, top, Right - Left + 1, bottom - top + 1, Ink);
            return;
        }
        int Py(double v) => (int)Math.Round(y.Map(v, bottom, top));
        foreach (var t in y.Ticks)
        {
            int py = Py(t.Value);
            if (t.Major) canvas.Line(Left, py, Right, py, Grid);
            canvas.Line(Left - (t.Major ? 6 : 3), py, Left, py, Ink);
            if (t.Label.Length > 0)
                PlotFont.Draw(canvas, t.Label, Left - 10 - PlotFont.Measure(t.Label, Scale), py - PlotFont.Height(Scale) / 2, Scale, Ink);
        }
        canvas.Rectangle(Left, top, Right - Left + 1, bottom - top + 1, Ink);
        // Drawn back to front so the total loss (and the PSNR) end up on top.
        foreach (var s in Enumerable.Reverse(series))
        {
            for (int i = 1; i < s.Points.Count; i++)
                canvas.Line(Px(s.Points[i - 1].X), Py(s.Points[i - 1].Y), Px(s.Points[i].X), Py(s.Points[i].Y), s.Color, width: 2, dash: s.Dashed ? 6 : 0);
            if (markers && !s.Dashed)
                foreach (var p in s.Points) canvas.Fill(Px(p.X) - 3, Py(p.Y) - 3, 7, 7, s.Color);
            if (s.Points.Count == 1 && !markers) canvas.Fill(Px(s.Points[0].X) - 2, Py(s.Points[0].Y) - 2, 5, 5, s.Color);
            // A reference line known at one validation only (a run validated once) would otherwise not show at all.
            if (s.Points.Count == 1 && markers && s.Dashed)
                canvas.Line(Px(s.Points[0].X) - 12, Py(s.Points[0].Y), Px(s.Points[0].X) + 12, Py(s.Points[0].Y), s.Color, width: 2);
        }
        if (series.Count > 1) Legend(canvas, series, Left + PlotFont.Measure(title, Scale) + 24, top);
    }

    /// <summary>
    /// Colour swatches and names, right-aligned on the panel's title line when they fit to the right of the title
    /// (<paramref name="titleEnd"/>); otherwise in right-aligned rows inside the panel's upper right corner, on a boxed
    /// background, so that names never run into the title (MGID logs five loss terms besides the total).
    /// </summary>
    private static void Legend(Canvas canvas, List<Series> series, int titleEnd, int top)
    {
        // A swatch 22 px before its name and 20 px between items (see DrawRow).
        static int ItemWidth(Series s) => PlotFont.Measure(s.Name, Scale) + 42;
        int total = series.Sum(ItemWidth) - 20;
        if (Right - total >= titleEnd)
        {
            DrawRow(canvas, series, top - 24);
            return;
        }
        const int rowHeight = 20, pad = 8;
        var rows = new List<List<Series>> { new() };
        int width = 0, widest = 0, limit = Right - Left - 2 * pad - 40;
        foreach (var s in series)
        {
            int w = ItemWidth(s);
            if (rows[^1].Count > 0 && width + w - 20 > limit)
            {
                rows.Add([]);
                width = 0;
            }
            rows[^1].Add(s);
            width += w;
            widest = Math.Max(widest, width - 20);
        }
        int boxLeft = Right - 6 - widest - 2 * pad, boxTop = top + 6, boxHeight = rows.Count * rowHeight + pad;
        canvas.Fill(boxLeft, boxTop, widest + 2 * pad, boxHeight, Background);
        canvas.Rectangle(boxLeft, boxTop, widest + 2 * pad, boxHeight, Grid);
        for (int r = 0; r < rows.Count; r++) DrawRow(canvas, rows[r], boxTop + pad + r * rowHeight, Right - 6 - pad);
    }

    /// <summary>One legend row, its last name ending at <paramref name="right"/>.</summary>
    private static void DrawRow(Canvas canvas, List<Series> series, int y, int right = Right)
    {
        int x = right;
        foreach (var s in Enumerable.Reverse(series))
        {
            x -= PlotFont.Measure(s.Name, Scale);
            PlotFont.Draw(canvas, s.Name, x, y, Scale, Ink);
            x -= 22;
            canvas.Fill(x, y + 2, 14, 10, s.Color);
            x -= 20;
        }
    }
}
