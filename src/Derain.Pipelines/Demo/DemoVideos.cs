using Derain.Data.Imaging;
using Derain.Data.Video;
using Derain.Pipelines.Training.Plotting;

namespace Derain.Pipelines.Demo;

/// <summary>The demo's videos: a frame folder as H.264, and two folders side by side with a caption over each half.</summary>
internal static class DemoVideos
{
    public static void Write(string path, string frames, FrameRate rate, CancellationToken cancel)
    {
        using var reader = VideoReader.Open(frames);
        VideoWriter? writer = null;
        try
        {
            foreach (var frame in reader.Frames())
            {
                cancel.ThrowIfCancellationRequested();
                writer ??= VideoWriter.Create(path, frame.Width, frame.Height, rate);
                writer.Write(frame);
            }
            writer?.Complete();
        }
        finally
        {
            writer?.Dispose();
        }
    }

    public static void WriteSideBySide(string path, string left, string right, FrameRate rate, string leftCaption, string rightCaption, CancellationToken cancel)
    {
        using var a = VideoReader.Open(left);
        using var b = VideoReader.Open(right);
        VideoWriter? writer = null;
        try
        {
            using var rightFrames = b.Frames().GetEnumerator();
            foreach (var l in a.Frames())
            {
                cancel.ThrowIfCancellationRequested();
                if (!rightFrames.MoveNext()) break;
                var r = rightFrames.Current;
                var frame = new Image(3, l.Height, l.Width * 2);
                for (int c = 0; c < 3; c++)
                {
                    var dst = frame.Plane(c);
                    var ls = l.ToRgb().Plane(c);
                    var rs = r.ToRgb().Plane(c);
                    for (int y = 0; y < l.Height; y++)
                    {
                        ls.Slice(y * l.Width, l.Width).CopyTo(dst.Slice(y * frame.Width, l.Width));
                        rs.Slice(y * l.Width, l.Width).CopyTo(dst.Slice(y * frame.Width + l.Width, l.Width));
                    }
                }
                Caption(frame, leftCaption, 0);
                Caption(frame, rightCaption, l.Width);
                writer ??= VideoWriter.Create(path, frame.Width, frame.Height, rate);
                writer.Write(frame);
            }
            writer?.Complete();
        }
        finally
        {
            writer?.Dispose();
        }
    }

    /// <summary>White text on a dark band at the top-left of the half starting at <paramref name="left"/>.</summary>
    private static void Caption(Image frame, string text, int left)
    {
        int scale = Math.Max(1, frame.Height / 180);
        int pad = 2 * scale, w = PlotFont.Measure(text, scale) + 2 * pad, h = PlotFont.Height(scale) + 2 * pad;
        var band = new Canvas(w, h, new Rgb(20, 20, 20));
        PlotFont.Draw(band, text, pad, pad, scale, Rgb.White);
        var pixels = band.ToImage();
        for (int c = 0; c < 3; c++)
        {
            var dst = frame.Plane(c);
            var src = pixels.Plane(c);
            for (int y = 0; y < Math.Min(h, frame.Height); y++)
                for (int x = 0; x < w && left + x < frame.Width; x++)
                    dst[y * frame.Width + left + x] = src[y * w + x];
        }
    }
}
