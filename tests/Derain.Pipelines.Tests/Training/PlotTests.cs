using Derain.Data.Imaging;
using Derain.Pipelines.Tests.Infrastructure;
using Derain.Pipelines.Training.Logging;
using Derain.Pipelines.Training.Plotting;

namespace Derain.Pipelines.Tests.Training;

/// <summary>
/// The plot read back from its PNG: properties of the drawing that follow from what was plotted, not a checksum of
/// an earlier output — an exponentially decaying loss is a straight falling line on a log axis (and a linearly
/// falling one is not), rising PSNR rises, iterations are spaced evenly.
/// </summary>
public sealed class PlotTests
{
    private static List<LogEntry> Entries(Func<int, double> loss, Func<int, double> psnr, int count = 40, int every = 50)
    {
        var entries = new List<LogEntry>();
        for (int i = 1; i <= count; i++)
        {
            entries.Add(new LogEntry(LogEntry.Train, i * every).Add("epoch", 0).Add("lr", 1e-4).Add("loss", loss(i)));
            if (i % 5 == 0) entries.Add(new LogEntry(LogEntry.Validation, i * every).Add("psnr", psnr(i)));
        }
        return entries;
    }

    private static Image WriteAndRead(TempFolder dir, List<LogEntry> entries)
    {
        string path = dir["plot.png"];
        TrainingPlot.Write(path, entries, "test run", "Y");
        return ImageFile.Read(path);
    }

    /// <summary>
    /// The PSNR panel names what validation scored (ViMP-Net: RGB, the others: Y): drawing the same log with the two
    /// names differs only in the rows of that panel's title, above the panel (whose plot area starts at row 432) and
    /// below the loss panel's axis labels.
    /// </summary>
    [Fact]
    public void PsnrPanelNamesTheValidationChannel()
    {
        var entries = Entries(i => 1.0 / i, i => 25 + 0.1 * i);
        var luma = TrainingPlot.Render(entries, "run", "Y").ToImage();
        var rgb = TrainingPlot.Render(entries, "run", "RGB").ToImage();
        var rows = Enumerable.Range(0, luma.Height)
            .Where(y => Enumerable.Range(0, 3).Any(c => Enumerable.Range(0, luma.Width)
                .Any(x => luma.Data[c * luma.PlaneSize + y * luma.Width + x] != rgb.Data[c * rgb.PlaneSize + y * rgb.Width + x])))
            .ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, y => Assert.InRange(y, 380, 431));
    }

    /// <summary>For each column holding pixels of <paramref name="color"/> in rows [top, bottom), the mean row.</summary>
    private static List<(double X, double Y)> Curve(Image image, (byte R, byte G, byte B) color, int top, int bottom)
    {
        var points = new List<(double, double)>();
        int plane = image.PlaneSize;
        for (int x = 0; x < image.Width; x++)
        {
            double sum = 0;
            int n = 0;
            for (int y = top; y < bottom; y++)
            {
                int i = y * image.Width + x;
                if (Byte(image.Data[i]) == color.R && Byte(image.Data[plane + i]) == color.G && Byte(image.Data[2 * plane + i]) == color.B)
                {
                    sum += y;
                    n++;
                }
            }
            if (n > 0) points.Add((x, sum / n));
        }
        return points;
    }

    private static int Byte(float v) => (int)Math.Round(v * 255);

    /// <summary>Slope and the largest distance of a point from the least-squares line.</summary>
    private static (double Slope, double WorstResidual) Fit(List<(double X, double Y)> points)
    {
        double mx = points.Average(p => p.X), my = points.Average(p => p.Y);
        double slope = points.Sum(p => (p.X - mx) * (p.Y - my)) / points.Sum(p => (p.X - mx) * (p.X - mx));
        return (slope, points.Max(p => Math.Abs(p.Y - (my + slope * (p.X - mx)))));
    }

    private static (byte, byte, byte) Of(Rgb c) => (c.R, c.G, c.B);

    [Fact]
    public void Exponential_decay_is_a_straight_falling_line_on_the_log_axis()
    {
        using var dir = new TempFolder();
        var image = WriteAndRead(dir, Entries(i => 0.5 * Math.Pow(0.9, i), i => 20 + 0.25 * i));
        Assert.Equal((TrainingPlot.Width, TrainingPlot.Height, 3), (image.Width, image.Height, image.Channels));

        var loss = Curve(image, Of(TrainingPlot.LossColor), 0, image.Height / 2);
        Assert.True(loss.Count > TrainingPlot.Width / 2, $"the loss curve spans {loss.Count} columns");
        var (slope, worst) = Fit(loss);
        Assert.True(slope > 0.05, $"slope {slope}: a falling loss goes down the image"); // rows grow downwards
        Assert.True(worst < 3, $"the curve strays {worst} px from a straight line");

        var psnr = Curve(image, Of(TrainingPlot.PsnrColor), image.Height / 2, image.Height);
        Assert.True(psnr.Count > TrainingPlot.Width / 2, $"the PSNR curve spans {psnr.Count} columns");
        var (psnrSlope, psnrWorst) = Fit(psnr);
        Assert.True(psnrSlope < -0.05, $"slope {psnrSlope}: a rising PSNR goes up the image");
        Assert.True(psnrWorst < 5, $"the PSNR curve strays {psnrWorst} px from a straight line"); // markers widen it
    }

    [Fact]
    public void Linear_decay_bends_on_the_log_axis()
    {
        using var dir = new TempFolder();
        var image = WriteAndRead(dir, Entries(i => 1.0 - 0.024 * i, i => 20));
        var (_, worst) = Fit(Curve(image, Of(TrainingPlot.LossColor), 0, image.Height / 2));
        Assert.True(worst > 10, $"a loss falling linearly from 0.98 to 0.04 should curve on a log axis; it strays only {worst} px");
    }

    [Fact]
    public void Iterations_are_spaced_evenly_and_the_panels_share_the_axis()
    {
        using var dir = new TempFolder();
        // Validation at iterations 250, 500, …, 2000 with a constant PSNR: the markers are evenly spaced columns
        // at the same horizontal positions as the loss curve's samples.
        var image = WriteAndRead(dir, Entries(i => Math.Pow(0.95, i), i => 25));
        var markers = Curve(image, Of(TrainingPlot.PsnrColor), image.Height / 2, image.Height);
        var lossColumns = Curve(image, Of(TrainingPlot.LossColor), 0, image.Height / 2).Select(p => p.X).ToList();
        Assert.InRange(markers.Max(p => p.Y) - markers.Min(p => p.Y), 0, 1); // a flat line
        // Linear in iterations: 250 sits 200/1950 of the way from the first loss sample (50) to the last (2000).
        double expected = lossColumns.Min() + 200.0 / 1950 * (lossColumns.Max() - lossColumns.Min());
        Assert.InRange(markers.Min(p => p.X), expected - 5, expected + 1); // the marker's left edge
        Assert.InRange(markers.Max(p => p.X), lossColumns.Max() - 4, lossColumns.Max() + 4);
    }

    [Fact]
    public void Axes_and_labels_are_drawn_in_ink_on_a_white_background()
    {
        using var dir = new TempFolder();
        var image = WriteAndRead(dir, Entries(i => 1.0 / i, i => 20 + i));
        int plane = image.PlaneSize, white = 0, ink = 0;
        for (int i = 0; i < plane; i++)
        {
            var px = (Byte(image.Data[i]), Byte(image.Data[plane + i]), Byte(image.Data[2 * plane + i]));
            if (px == (255, 255, 255)) white++;
            if (px == Of(TrainingPlot.Ink)) ink++;
        }
        Assert.True(white > plane / 2, $"{white} of {plane} pixels are background");
        Assert.True(ink > 3000, $"{ink} ink pixels: frames, ticks and text"); // two frames alone are ~2,600 px
        // The left margin holds the tick labels: ink there, outside every panel.
        int marginInk = 0;
        for (int y = 0; y < image.Height; y++)
            for (int x = 40; x < 90; x++)
                if ((Byte(image.Data[y * image.Width + x]), Byte(image.Data[plane + y * image.Width + x]), Byte(image.Data[2 * plane + y * image.Width + x])) == Of(TrainingPlot.Ink))
                    marginInk++;
        Assert.True(marginInk > 200, $"{marginInk} ink pixels in the tick-label margin");
    }

    [Fact]
    public void A_legend_too_wide_for_the_title_line_moves_into_the_panel_and_a_short_one_stays_on_it()
    {
        // MGID's log: the total and five terms. On the title line their names would run into "training loss (log
        // scale)"; the PSNR panel's two names fit beside its title.
        using var dir = new TempFolder();
        string[] terms = ["loss_pixel", "loss_tex", "loss_same", "loss_gather", "loss_bsw"];
        var entries = new List<LogEntry>();
        for (int i = 1; i <= 40; i++)
        {
            var e = new LogEntry(LogEntry.Train, i * 10).Add("epoch", 0).Add("lr", 1e-4).Add("loss", 1.0 / i);
            foreach (var (t, k) in terms.Select((t, k) => (t, k))) e.Add(t, (k + 1) * 0.01 / i);
            entries.Add(e);
            if (i % 10 == 0) entries.Add(new LogEntry(LogEntry.Validation, i * 10).Add("psnr", 25 + i * 0.01).Add("input_psnr", 24.0));
        }
        string path = dir["plot.png"];
        TrainingPlot.Write(path, entries, "mgid", "Y");
        var image = ImageFile.Read(path);
        int plane = image.PlaneSize;
        (int, int, int) At(int x, int y) => (Byte(image.Data[y * image.Width + x]), Byte(image.Data[plane + y * image.Width + x]), Byte(image.Data[2 * plane + y * image.Width + x]));
        int Count(int top, int bottom, int left, Func<(int, int, int), bool> match)
        {
            int n = 0;
            for (int y = top; y < bottom; y++)
                for (int x = left; x < image.Width; x++)
                    if (match(At(x, y))) n++;
            return n;
        }
        var swatches = TrainingPlot.TermColors.Select(Of).Select(c => ((int)c.Item1, (int)c.Item2, (int)c.Item3)).ToHashSet();
        // The loss panel's frame starts at row 64; its title line is rows 40–53, the title itself ends left of x 400.
        Assert.Equal(0, Count(0, 64, 0, swatches.Contains));
        Assert.Equal(0, Count(40, 54, image.Width / 2, px => px == Of(TrainingPlot.Ink)));
        Assert.True(Count(64, 140, image.Width / 2, swatches.Contains) >= 5 * 100, "five term swatches inside the loss panel's upper right");
        // The PSNR panel (frame from row 432): "PSNR" and "rainy input" on its title line, right of the middle.
        Assert.True(Count(408, 422, image.Width / 2, px => px == Of(TrainingPlot.PsnrColor)) >= 100, "the PSNR swatch on the title line");
    }

    [Fact]
    public void One_validation_still_shows_the_rainy_input_reference()
    {
        using var dir = new TempFolder();
        var entries = Entries(i => 1.0 / i, i => 20, count: 10);
        entries.RemoveAll(e => e.Kind == LogEntry.Validation);
        entries.Add(new LogEntry(LogEntry.Validation, 250).Add("psnr", 27.0).Add("input_psnr", 28.0));
        var image = WriteAndRead(dir, entries);
        // Rows below the PSNR panel's title line (the legend's swatch sits on it).
        var reference = Curve(image, Of(TrainingPlot.InputColor), 432, image.Height);
        Assert.True(reference.Count >= 20, $"the input reference spans {reference.Count} columns");
        var marker = Curve(image, Of(TrainingPlot.PsnrColor), 432, image.Height);
        Assert.True(reference.Average(p => p.Y) < marker.Average(p => p.Y), "28 dB is drawn above 27 dB");
    }

    [Fact]
    public void An_empty_log_still_makes_a_plot()
    {
        using var dir = new TempFolder();
        var image = WriteAndRead(dir, []);
        Assert.Equal(TrainingPlot.Width, image.Width);
        Assert.Empty(Curve(image, Of(TrainingPlot.LossColor), 0, image.Height));
    }

    [Fact]
    public void Every_glyph_is_five_by_seven_and_the_labels_need_no_missing_one()
    {
        foreach (char c in PlotFont.Characters)
        {
            var g = PlotFont.Glyph(c)!;
            Assert.Equal(PlotFont.GlyphHeight, g.Count);
            Assert.All(g, row => Assert.Matches("^[.#]{5}$", row));
        }
        foreach (string label in new[] { "training loss (log scale)", "validation PSNR on Y (dB)", "iteration", "rainy input", "loss_rest", "eevrsr_streaks", "1e-3", "20k", "no data yet" })
            Assert.All(label, c => Assert.NotNull(PlotFont.Glyph(c)));
    }
}
