using System.Diagnostics;
using System.Runtime.InteropServices;
using Derain.Data.Imaging;

namespace Derain.Data.Video;

/// <summary>
/// Decodes a video file with an ffmpeg child process writing raw rgb24 (or rgb48le) frames to a pipe; one frame
/// buffer is reused, so memory does not grow with the length of the video.
/// </summary>
internal sealed class FfmpegVideoReader : VideoReader
{
    private readonly string _path;
    private readonly bool _sixteen;
    private readonly Process _process;
    private readonly StderrCollector _stderr;
    private readonly Stream _stdout;
    private readonly byte[] _frame;
    private bool _ended;

    public FfmpegVideoReader(string path, VideoReadOptions options)
    {
        _path = path;
        _sixteen = options.SixteenBit;
        (Info, int stream) = VideoProbe.Probe(path);
        _frame = new byte[checked(Info.Width * Info.Height * 3 * (_sixteen ? 2 : 1))];
        string[] args =
        [
            "-nostdin", "-v", "error", "-i", FfmpegTools.FileUrl(path),
            "-map", $"0:{stream}", "-an", "-sn", "-dn",
            // Every decoded frame exactly once: no duplication or dropping to fit a constant output rate.
            "-fps_mode", "passthrough",
            "-f", "rawvideo", "-pix_fmt", _sixteen ? "rgb48le" : "rgb24", "pipe:1",
        ];
        _process = Process.Start(FfmpegTools.StartInfo(FfmpegTools.Ffmpeg, args, redirectInput: false))
            ?? throw new VideoException(path, "ffmpeg could not be started");
        _stderr = new StderrCollector(_process);
        _stdout = _process.StandardOutput.BaseStream;
    }

    public override VideoInfo Info { get; }

    public override string DecoderMessages => _ended ? _stderr.Text : "";

    public override Image? ReadFrame()
    {
        if (_ended) return null;
        int got = _stdout.ReadAtLeast(_frame, _frame.Length, throwOnEndOfStream: false);
        if (got < _frame.Length)
        {
            End(got);
            return null;
        }
        FramesRead++;
        return _sixteen
            ? Image.FromUInt16(MemoryMarshal.Cast<byte, ushort>(_frame.AsSpan()), 3, Info.Height, Info.Width)
            : Image.FromBytes(_frame, 3, Info.Height, Info.Width);
    }

    private void End(int partialBytes)
    {
        _ended = true;
        _process.WaitForExit();
        var log = _stderr.Text;
        if (_process.ExitCode != 0 && FramesRead == 0)
            throw new VideoException(_path, $"could not be decoded (ffmpeg: {FfmpegTools.Summarise(log)})");

        var problems = new List<string>();
        if (_process.ExitCode != 0)
            problems.Add($"ffmpeg stopped with an error after {FramesRead} frames: {FfmpegTools.Summarise(log)}");
        else if (Info.FrameCount is int listed && FramesRead < listed)
            problems.Add($"decoded {FramesRead} of the {listed} frames the file lists, so it is probably truncated" +
                         (log.Length > 0 ? $" (ffmpeg: {FfmpegTools.Summarise(log)})" : ""));
        if (partialBytes > 0) problems.Add("the last frame was cut off and dropped");
        Shortfall = problems.Count == 0 ? null : string.Join("; ", problems);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        if (!_process.HasExited)
        {
            // Stopped early by the caller: end our own ffmpeg child rather than decode the rest.
            try { _process.Kill(); } catch (InvalidOperationException) { }
            _process.WaitForExit();
        }
        _stdout.Dispose();
        _process.Dispose();
    }
}
