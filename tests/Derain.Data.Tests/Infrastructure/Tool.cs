using System.Diagnostics;

namespace Derain.Data.Tests.Infrastructure;

/// <summary>Runs an external program (ffmpeg, gcc) for test set-up and independent checks.</summary>
internal static class Tool
{
    /// <summary>Runs to completion; returns stdout as bytes; throws with stderr when the exit code is not 0.</summary>
    public static byte[] Run(string program, params string[] args)
    {
        var (code, stdout, stderr) = TryRun(program, args);
        if (code != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({code}): {stderr}");
        return stdout;
    }

    public static (int Code, byte[] Stdout, string Stderr) TryRun(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        using var ms = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(ms);
        p.WaitForExit();
        return (p.ExitCode, ms.ToArray(), err.Result);
    }

    /// <summary>ffmpeg quiet, overwriting.</summary>
    public static byte[] Ffmpeg(params string[] args) => Run("ffmpeg", ["-v", "error", "-nostdin", "-y", .. args]);

    /// <summary>ffmpeg's own decode of an image or video frame as packed RGB24 (or another raw pixel format).</summary>
    public static byte[] FfmpegDecode(string path, string pixelFormat = "rgb24", params string[] extra)
        => Ffmpeg(["-i", path, .. extra, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", pixelFormat, "-"]);
}
