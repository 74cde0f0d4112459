using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Derain.Data.Evaluation;
using Derain.Data.Imaging;
using Derain.Data.Metrics;
using Derain.Data.Video;
using Spectre.Console;

namespace Derain.Cli.Commands;

/// <summary>
/// <c>derain eval --pred DIR --gt DIR</c>: PSNR/SSIM of restored images or videos against ground truth, in a
/// named convention, as a table with the mean; optionally also as JSON and CSV.
/// </summary>
public static class EvalCommand
{
    /// <summary>The command; output and errors go to the given consoles (the terminal's by default).</summary>
    public static Command Create(IAnsiConsole? output = null, IAnsiConsole? errors = null)
    {
        var pred = new Option<DirectoryInfo>("--pred") { Description = "Folder of restored images, or of videos (frame folders or video files).", Required = true };
        var gt = new Option<DirectoryInfo>("--gt") { Description = "Folder of ground truth, laid out like --pred; pairs are matched by file stem.", Required = true };
        var convention = new Option<string>("--convention")
        {
            Description = "rgb (KAIR/VRDS), y (MATLAB rgb2ycbcr luma) or y-full (OpenCV full-range luma).",
            DefaultValueFactory = _ => "rgb",
        };
        convention.AcceptOnlyFromAmong("rgb", "y", "y-full");
        var crop = new Option<int>("--crop") { Description = "Pixels removed from each side before measuring.", DefaultValueFactory = _ => 0 };
        crop.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 0) r.AddError("--crop cannot be negative.");
        });
        var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON to this file." };
        var csv = new Option<FileInfo?>("--csv") { Description = "Also write the results as CSV to this file." };

        var command = new Command("eval", "Measure PSNR and SSIM of restored images or videos against ground truth.")
        {
            pred, gt, convention, crop, json, csv,
        };
        command.SetAction(parse =>
        {
            var console = output ?? AnsiConsole.Console;
            var options = new MetricOptions(MetricConventions.Parse(parse.GetValue(convention)!), parse.GetValue(crop));
            return CliErrors.Run(errors, () =>
            {
                var report = FolderEvaluation.Evaluate(parse.GetRequiredValue(pred).FullName, parse.GetRequiredValue(gt).FullName, options);
                Render(console, report);
                if (parse.GetValue(json) is { } jsonFile) WriteJson(jsonFile.FullName, report);
                if (parse.GetValue(csv) is { } csvFile) WriteCsv(csvFile.FullName, report);
                return 0;
            });
        });
        return command;
    }

    private static void Render(IAnsiConsole console, EvaluationReport report)
    {
        var convention = report.Options.Convention;
        console.MarkupLine($"Convention: [bold]{convention.Name()}[/] — {Markup.Escape(convention.Describe())}; crop {report.Options.CropBorder}");
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn(report.Unit);
        if (report.Videos) table.AddColumn(new TableColumn("frames").RightAligned());
        table.AddColumn(new TableColumn("PSNR (dB)").RightAligned());
        table.AddColumn(new TableColumn("SSIM").RightAligned());
        foreach (var item in report.Items)
            table.AddRow(Row(Markup.Escape(item.Name), item.Frames, item.Score, report.Videos));
        table.AddEmptyRow();
        table.AddRow(Row($"[bold]mean of {report.Items.Count} {report.Unit}{(report.Items.Count == 1 ? "" : "s")}[/]", report.TotalFrames, report.Mean, report.Videos));
        console.Write(table);
        if (report.Videos) console.MarkupLine("[grey]Each video is the mean of its frames; the overall mean weighs videos equally (VRDS protocol).[/]");
    }

    private static string[] Row(string name, int frames, QualityScore score, bool videos)
        => videos
            ? [name, frames.ToString(CultureInfo.InvariantCulture), FormatPsnr(score.Psnr), FormatSsim(score.Ssim)]
            : [name, FormatPsnr(score.Psnr), FormatSsim(score.Ssim)];

    private static string FormatPsnr(double psnr) => double.IsPositiveInfinity(psnr) ? "inf" : psnr.ToString("F3", CultureInfo.InvariantCulture);

    private static string FormatSsim(double ssim) => ssim.ToString("F4", CultureInfo.InvariantCulture);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // Identical images have infinite PSNR; JSON has no infinity, so it is written as the string "Infinity".
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static void WriteJson(string path, EvaluationReport report)
    {
        var document = new
        {
            convention = report.Options.Convention.Name(),
            conventionDescription = report.Options.Convention.Describe(),
            crop = report.Options.CropBorder,
            unit = report.Unit,
            averaging = report.Videos ? "per video (mean of frames), then mean of videos" : "mean of images",
            items = report.Items.Select(i => new { name = i.Name, frames = i.Frames, psnr = i.Score.Psnr, ssim = i.Score.Ssim }),
            mean = new { psnr = report.Mean.Psnr, ssim = report.Mean.Ssim, count = report.Items.Count, frames = report.TotalFrames },
        };
        File.WriteAllText(path, JsonSerializer.Serialize(document, JsonOptions) + "\n");
    }

    private static void WriteCsv(string path, EvaluationReport report)
    {
        var csv = new StringBuilder();
        csv.AppendLine("name,frames,psnr,ssim,convention,crop");
        foreach (var i in report.Items) csv.AppendLine(CsvRow(i.Name, i.Frames, i.Score, report.Options));
        csv.AppendLine(CsvRow("(mean)", report.TotalFrames, report.Mean, report.Options));
        File.WriteAllText(path, csv.ToString());
    }

    private static string CsvRow(string name, int frames, QualityScore score, MetricOptions options)
    {
        var quoted = name.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : name;
        return string.Join(',', quoted, frames.ToString(CultureInfo.InvariantCulture), score.Psnr.ToString("R", CultureInfo.InvariantCulture),
            score.Ssim.ToString("R", CultureInfo.InvariantCulture), options.Convention.Name(), options.CropBorder.ToString(CultureInfo.InvariantCulture));
    }
}
