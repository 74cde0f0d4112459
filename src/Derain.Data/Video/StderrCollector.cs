using System.Diagnostics;
using System.Text;

namespace Derain.Data.Video;

/// <summary>
/// Drains a child process's stderr on a background task, keeping the last few kilobytes: an undrained pipe
/// would stall ffmpeg once its buffer fills, and only the end of the log explains a failure.
/// </summary>
internal sealed class StderrCollector
{
    private const int Keep = 8192;
    private readonly StringBuilder _text = new();
    private readonly Task _pump;

    public StderrCollector(Process process)
    {
        _pump = Task.Run(async () =>
        {
            var buffer = new char[1024];
            try
            {
                int n;
                while ((n = await process.StandardError.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                {
                    lock (_text)
                    {
                        _text.Append(buffer, 0, n);
                        if (_text.Length > 2 * Keep) _text.Remove(0, _text.Length - Keep);
                    }
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The process was ended and its pipe closed under us: what was read is all there is.
            }
        });
    }

    /// <summary>What was collected, after waiting (briefly) for the stream to close.</summary>
    public string Text
    {
        get
        {
            _pump.Wait(TimeSpan.FromSeconds(5));
            lock (_text) return _text.ToString();
        }
    }
}
