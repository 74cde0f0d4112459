using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Derain.Data.Video;

/// <summary>Reads a video file's streams with ffprobe (JSON output) into a <see cref="VideoInfo"/>.</summary>
internal static class VideoProbe
{
    /// <summary>The video stream ffmpeg should decode (its absolute index) and what is known about it.</summary>
    public static (VideoInfo Info, int StreamIndex) Probe(string path)
    {
        using var doc = RunFfprobe(path);
        var streams = Streams(doc);
        var video = streams.FirstOrDefault(IsPicture);
        if (video.ValueKind != JsonValueKind.Object)
            throw new VideoException(path, "has no video stream");
        var audio = streams.FirstOrDefault(x => Text(x, "codec_type") == "audio");

        int width = Int(video, "width") ?? 0, height = Int(video, "height") ?? 0;
        if (width <= 0 || height <= 0) throw new VideoException(path, "video stream has no frame size (unsupported or damaged codec data)");
        if (Math.Abs(Rotation(video)) % 180 == 90) (width, height) = (height, width);

        var nominal = Rate(Text(video, "r_frame_rate"));
        var average = Rate(Text(video, "avg_frame_rate"));
        // r_frame_rate is the exact rate of constant-rate video; when the average differs the timing is variable
        // (phone footage) and the nominal value is only a timebase, so the average describes it better.
        bool variable = nominal is { } n && average is { } a && Math.Abs(n.PerSecond - a.PerSecond) > 0.01 * a.PerSecond;
        var rate = (variable ? average : nominal ?? average)
            ?? throw new VideoException(path, "has no frame rate (a still image?)");

        var format = doc.RootElement.TryGetProperty("format", out var f) ? f : default;
        double? seconds = Double(video, "duration") ?? (format.ValueKind == JsonValueKind.Object ? Double(format, "duration") : null);
        var info = new VideoInfo
        {
            Source = path,
            Width = width,
            Height = height,
            FrameRate = rate,
            VariableFrameRate = variable,
            FrameCount = Int(video, "nb_frames") is > 0 and var count ? count : TagCount(video),
            Duration = seconds is > 0 ? TimeSpan.FromSeconds(seconds.Value) : null,
            Codec = Text(video, "codec_name") ?? "",
            AudioCodec = audio.ValueKind == JsonValueKind.Object ? Text(audio, "codec_name") ?? "unknown" : null,
        };
        return (info, Int(video, "index") ?? 0);
    }

    /// <summary>The codec of the first audio stream in <paramref name="path"/>, or null when it has none.</summary>
    public static string? AudioCodec(string path)
    {
        using var doc = RunFfprobe(path);
        var audio = Streams(doc).FirstOrDefault(x => Text(x, "codec_type") == "audio");
        return audio.ValueKind == JsonValueKind.Object ? Text(audio, "codec_name") ?? "unknown" : null;
    }

    private static JsonDocument RunFfprobe(string path)
    {
        if (Directory.Exists(path)) throw new VideoException(path, "is a folder; open it as a frame folder");
        if (!File.Exists(path)) throw new VideoException(path, "file not found");
        if (new FileInfo(path).Length == 0) throw new VideoException(path, "file is empty");

        using var process = Process.Start(FfmpegTools.StartInfo(FfmpegTools.Ffprobe,
            ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", FfmpegTools.FileUrl(path)], redirectInput: false))
            ?? throw new VideoException(path, "ffprobe could not be started");
        var stderr = new StderrCollector(process);
        var json = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new VideoException(path, $"cannot be read as a video (ffprobe: {FfmpegTools.Summarise(stderr.Text)})");
        return JsonDocument.Parse(json);
    }

    private static List<JsonElement> Streams(JsonDocument doc)
        => doc.RootElement.TryGetProperty("streams", out var s) ? s.EnumerateArray().ToList() : [];

    /// <summary>A video stream that is not cover art (attached pictures also show up as video streams).</summary>
    private static bool IsPicture(JsonElement stream)
        => Text(stream, "codec_type") == "video" &&
           !(stream.TryGetProperty("disposition", out var d) && d.TryGetProperty("attached_pic", out var p) && p.GetInt32() == 1);

    /// <summary>Display rotation in degrees: the display-matrix side data (ffmpeg 5+) or the older "rotate" tag.</summary>
    private static int Rotation(JsonElement stream)
    {
        if (stream.TryGetProperty("side_data_list", out var list))
            foreach (var item in list.EnumerateArray())
                if (item.TryGetProperty("rotation", out var r) && r.TryGetDouble(out var deg)) return (int)Math.Round(deg);
        if (stream.TryGetProperty("tags", out var tags) && Int(tags, "rotate") is { } rotate) return rotate;
        return 0;
    }

    /// <summary>mkvmerge records the count in a NUMBER_OF_FRAMES tag (sometimes with a language suffix).</summary>
    private static int? TagCount(JsonElement stream)
    {
        if (!stream.TryGetProperty("tags", out var tags)) return null;
        foreach (var tag in tags.EnumerateObject())
            if (tag.Name.StartsWith("NUMBER_OF_FRAMES", StringComparison.OrdinalIgnoreCase) &&
                int.TryParse(tag.Value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0)
                return n;
        return null;
    }

    private static FrameRate? Rate(string? text) => FrameRate.TryParse(text, out var r) ? r : null;

    private static string? Text(JsonElement e, string name)
        => e.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText() : null;

    private static int? Int(JsonElement e, string name)
        => int.TryParse(Text(e, name), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v : null;

    private static double? Double(JsonElement e, string name)
        => double.TryParse(Text(e, name), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : null;
}
