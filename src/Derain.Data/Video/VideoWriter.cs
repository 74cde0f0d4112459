using System.Diagnostics;
using System.Runtime.InteropServices;
using Derain.Data.Imaging;

namespace Derain.Data.Video;

/// <summary>
/// Encodes frames with an ffmpeg child process fed raw RGB over a pipe. Output goes to a hidden temporary file
/// beside the target and is renamed into place only by <see cref="Complete"/>, after ffmpeg has finished
/// cleanly: a crash, an error or a writer disposed without <see cref="Complete"/> leaves no file that looks whole.
/// </summary>
public sealed class VideoWriter : IDisposable
{
    private readonly string _path;
    private readonly string _temp;
    private readonly VideoWriterOptions _options;
    private readonly Process _process;
    private readonly StderrCollector _stderr;
    private readonly Stream _stdin;
    private readonly byte[] _buffer;
    private bool _finished;

    private VideoWriter(string path, int width, int height, FrameRate rate, VideoWriterOptions options)
    {
        _path = Path.GetFullPath(path);
        _options = options;
        Width = width;
        Height = height;
        FrameRate = rate;
        (OutputWidth, OutputHeight) = options.Codec == VideoCodec.Lossless ? (width, height) : (Even(width), Even(height));
        _buffer = new byte[checked(OutputWidth * OutputHeight * 3 * (options.SixteenBit ? 2 : 1))];

        var folder = Path.GetDirectoryName(_path)!;
        if (!Directory.Exists(folder)) throw new VideoException(path, $"folder {folder} does not exist");
        var extension = Path.GetExtension(_path).ToLowerInvariant();
        _temp = Path.Combine(folder, $".{Path.GetFileNameWithoutExtension(_path)}.{Guid.NewGuid():N}.partial{extension}");

        var args = VideoEncoderArguments.Build(extension, OutputWidth, OutputHeight, rate, options, _path);
        args.Add(FfmpegTools.FileUrl(_temp));
        _process = Process.Start(FfmpegTools.StartInfo(FfmpegTools.Ffmpeg, args, redirectInput: true))
            ?? throw new VideoException(path, "ffmpeg could not be started");
        _stderr = new StderrCollector(_process);
        _stdin = _process.StandardInput.BaseStream;
    }

    /// <summary>Starts writing <paramref name="path"/> (.mp4, .mov, .mkv or .avi; lossless needs .mkv or .avi).</summary>
    public static VideoWriter Create(string path, int width, int height, FrameRate frameRate, VideoWriterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (width < 1 || height < 1) throw new ArgumentException($"A video needs a positive frame size, not {width}×{height}.");
        return new VideoWriter(path, width, height, frameRate, options ?? new VideoWriterOptions());
    }

    /// <summary>Frame size the writer accepts.</summary>
    public int Width { get; }

    public int Height { get; }

    /// <summary>Frame size in the file: H.264 needs even sizes (see <see cref="OddSizeHandling"/>).</summary>
    public int OutputWidth { get; }

    public int OutputHeight { get; }

    public FrameRate FrameRate { get; }

    public int FramesWritten { get; private set; }

    /// <summary>Appends a frame (gray is repeated into RGB, alpha dropped; samples clamped and rounded to the output depth).</summary>
    public void Write(Image frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ObjectDisposedException.ThrowIf(_finished, this);
        if (frame.Width != Width || frame.Height != Height)
            throw new ArgumentException($"Frame {FramesWritten} is {frame.Width}×{frame.Height}; this video is {Width}×{Height}.", nameof(frame));
        var rgb = frame.AsRgb();
        if (_options.SixteenBit) Pack(rgb, MemoryMarshal.Cast<byte, ushort>(_buffer.AsSpan()), Image.ToUInt16);
        else Pack(rgb, _buffer.AsSpan(), Image.ToByte);
        try
        {
            _stdin.Write(_buffer);
        }
        catch (IOException e)
        {
            throw Fail("ffmpeg stopped accepting frames", e);
        }
        FramesWritten++;
    }

    /// <summary>Finishes encoding and moves the finished file into place; throws (and leaves no output) if ffmpeg failed.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (FramesWritten == 0) throw Fail("no frames were written", null);
        try
        {
            _stdin.Close();
        }
        catch (IOException e)
        {
            throw Fail("ffmpeg stopped before the end", e);
        }
        _process.WaitForExit();
        if (_process.ExitCode != 0) throw Fail($"ffmpeg failed (exit code {_process.ExitCode})", null);
        _finished = true;
        _ = _stderr.Text; // let the log pump finish before the process object goes
        _process.Dispose();
        File.Move(_temp, _path, overwrite: true);
    }

    /// <summary>Without a prior <see cref="Complete"/>, stops ffmpeg and deletes the partial output.</summary>
    public void Dispose()
    {
        if (_finished) return;
        _finished = true;
        Abort();
    }

    private VideoException Fail(string what, Exception? inner)
    {
        _finished = true;
        var log = Abort();
        return new VideoException(_path, log.Length > 0 ? $"{what} (ffmpeg: {FfmpegTools.Summarise(log)})" : what, inner);
    }

    /// <summary>Ends our ffmpeg child if it still runs, deletes the partial file and returns ffmpeg's log.</summary>
    private string Abort()
    {
        try { _stdin.Dispose(); } catch (IOException) { }
        if (!_process.HasExited)
        {
            try { _process.Kill(); } catch (InvalidOperationException) { }
        }
        _process.WaitForExit();
        var log = _stderr.Text;
        _process.Dispose();
        File.Delete(_temp);
        return log;
    }

    /// <summary>Interleaves into the output frame, repeating or dropping the edge column/row for an even size.</summary>
    private void Pack<T>(Image rgb, Span<T> output, Func<float, T> quantise)
    {
        int w = Width, ow = OutputWidth, oh = OutputHeight, plane = rgb.PlaneSize;
        var data = rgb.Data;
        for (int y = 0; y < oh; y++)
        {
            int sy = Math.Min(y, Height - 1);
            var row = output.Slice(y * ow * 3, ow * 3);
            for (int x = 0; x < ow; x++)
            {
                int s = sy * w + Math.Min(x, w - 1);
                row[3 * x] = quantise(data[s]);
                row[3 * x + 1] = quantise(data[plane + s]);
                row[3 * x + 2] = quantise(data[2 * plane + s]);
            }
        }
    }

    private int Even(int size) => size % 2 == 0 ? size : _options.OddSize == OddSizeHandling.Crop && size > 1 ? size - 1 : size + 1;
}
