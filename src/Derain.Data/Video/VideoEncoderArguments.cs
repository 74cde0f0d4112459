namespace Derain.Data.Video;

/// <summary>The ffmpeg command line for <see cref="VideoWriter"/>: raw RGB from stdin, the chosen codec, optional audio.</summary>
internal static class VideoEncoderArguments
{
    // Audio codecs each container takes by stream copy; anything else is re-encoded.
    private static readonly string[] Mp4Audio = ["aac", "mp3", "ac3", "eac3", "alac"];
    private static readonly string[] AviAudio = ["mp3", "ac3", "pcm_s16le", "pcm_u8"];

    public static List<string> Build(string extension, int width, int height, FrameRate rate, VideoWriterOptions options, string targetForMessages)
    {
        var (muxer, lossless) = (extension, options.Codec) switch
        {
            (".mp4" or ".m4v", VideoCodec.H264) => ("mp4", false),
            (".mov", VideoCodec.H264) => ("mov", false),
            (".mkv", _) => ("matroska", options.Codec == VideoCodec.Lossless),
            (".avi", _) => ("avi", options.Codec == VideoCodec.Lossless),
            (".mp4" or ".m4v" or ".mov", VideoCodec.Lossless) =>
                throw new VideoException(targetForMessages, "lossless (FFV1) video needs a .mkv or .avi file"),
            _ => throw new VideoException(targetForMessages, $"unsupported video extension '{extension}' (use .mp4, .mov, .mkv or .avi)"),
        };
        if (options.SixteenBit && !lossless)
            throw new VideoException(targetForMessages, "16-bit frames need the lossless codec (H.264 here is 8-bit 4:2:0)");
        if (options.Crf is < 0 or > 51) throw new ArgumentOutOfRangeException(nameof(options), options.Crf, "CRF is 0..51");

        var args = new List<string>
        {
            "-nostdin", "-v", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", options.SixteenBit ? "rgb48le" : "rgb24",
            "-s", $"{width}x{height}", "-framerate", rate.ToString(), "-i", "pipe:0",
        };
        string? audio = options.AudioFrom is { } source ? VideoProbe.AudioCodec(source) : null;
        if (audio is not null) args.AddRange(["-i", FfmpegTools.FileUrl(options.AudioFrom!)]);
        args.AddRange(["-map", "0:v:0"]);
        if (audio is not null) args.AddRange(["-map", "1:a:0"]);

        if (lossless)
        {
            // FFV1 stores RGB itself (bgr0 / rgb48 are reorderings), so frames come back bit for bit.
            args.AddRange(["-c:v", "ffv1", "-level", "3", "-g", "1", "-pix_fmt", options.SixteenBit ? "rgb48le" : "bgr0"]);
        }
        else
        {
            // Convert with the BT.709 matrix and say so in the stream: left untagged, players guess BT.601 for SD
            // and BT.709 for HD, and a wrong guess shifts colours.
            args.AddRange([
                "-c:v", "libx264", "-preset", options.Preset, "-crf", options.Crf.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p",
                "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
            ]);
            if (muxer is "mp4" or "mov") args.AddRange(["-movflags", "+faststart"]);
        }

        if (audio is not null)
        {
            bool copy = muxer switch
            {
                "matroska" => true,
                "avi" => AviAudio.Contains(audio),
                "mov" => Mp4Audio.Contains(audio) || audio.StartsWith("pcm_", StringComparison.Ordinal),
                _ => Mp4Audio.Contains(audio),
            };
            args.AddRange(copy ? ["-c:a", "copy"] : muxer == "avi" ? ["-c:a", "pcm_s16le"] : ["-c:a", "aac", "-b:a", "192k"]);
        }
        args.AddRange(["-f", muxer]);
        return args;
    }
}
