using Derain.Data.Tests.Infrastructure;

namespace Derain.Data.Tests.Video;

/// <summary>Tiny test clips made with ffmpeg's lavfi sources (testsrc2 picture, sine-tone audio).</summary>
internal static class Clips
{
    /// <summary>A clip of <paramref name="frames"/> frames at 30000/1001 with a 440 Hz tone; extra args go before the output.</summary>
    public static string Make(TempDir dir, string name, int frames = 12, string size = "96x64", string rate = "30000/1001",
        bool audio = true, params string[] codecArgs)
    {
        var path = dir.File(name);
        var args = new List<string> { "-f", "lavfi", "-i", $"testsrc2=size={size}:rate={rate}" };
        if (audio) args.AddRange(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]);
        args.AddRange(["-frames:v", frames.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (audio) args.AddRange(["-shortest"]);
        args.AddRange(codecArgs);
        args.Add(path);
        Tool.Ffmpeg([.. args]);
        return path;
    }

    /// <summary>H.264 + AAC in MP4 with the index at the front (as a camera or web export writes it).</summary>
    public static string Mp4(TempDir dir, string name = "clip.mp4", int frames = 12, bool audio = true, bool faststart = true)
        => Make(dir, name, frames, audio: audio, codecArgs: ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            .. audio ? new[] { "-c:a", "aac" } : [], .. faststart ? new[] { "-movflags", "+faststart" } : []]);
}
