using Derain.Cli.Commands;
using Derain.Data.Imaging;
using Derain.Data.Tests.Infrastructure;
using Spectre.Console;

namespace Derain.Data.Tests.Synthesis;

/// <summary><c>derain synth</c> run in-process: a run on a real clip, and the errors a user can cause.</summary>
public sealed class SynthCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (int Code, string Output, string Errors) Run(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        IAnsiConsole Console(TextWriter w)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Out = new AnsiConsoleOutput(w),
            });
            console.Profile.Width = 400; // messages are long paths; keep each on one line
            return console;
        }
        int code = SynthCommand.Create(Console(output), Console(errors)).Parse(args).Invoke();
        return (code, output.ToString(), errors.ToString());
    }

    private string Photo()
    {
        var path = _dir.File("photo.png");
        ImageFile.Write(path, new Image(3, 72, 128, SynthTestFrames.Scene(128, 72)));
        return path;
    }

    [Fact]
    public void MixedPresetOnAMitClipWritesAVrdsSet()
    {
        var clip = TestPaths.SharedData("clean/clips/udacity_solidWhiteRight.mp4");
        var output = Path.Combine(_dir.Path, "set");
        var (code, text, errors) = Run("--input", clip, "--output", output, "--preset", "mixed", "--frames", "2", "--seed", "5");
        Assert.True(code == 0, errors);
        Assert.Contains("1 video, 2 frames", text);
        var lq = ImageFile.Read(Path.Combine(output, "lq", "udacity_solidWhiteRight", "00000001.png"));
        Assert.Equal((960, 540), (lq.Width, lq.Height));
        var mask = ImageFile.Read(Path.Combine(output, "01drop", "udacity_solidWhiteRight", "00000001.png"));
        Assert.Contains(mask.Data, v => v == 1f);
    }

    [Fact]
    public void AMissingInputIsOneLineNamingIt()
    {
        var (code, _, errors) = Run("--input", _dir.File("nowhere.mp4"), "--output", _dir.File("out"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: Input", errors);
        Assert.Contains("nowhere.mp4' does not exist", errors);
        Assert.False(Directory.Exists(_dir.File("out")));
    }

    [Fact]
    public void AnInputThatIsNeitherVideoNorImageIsRefused()
    {
        var notes = _dir.File("notes.txt");
        File.WriteAllText(notes, "rain");
        var (code, _, errors) = Run("-i", notes, "-o", _dir.File("out"));
        Assert.Equal(1, code);
        Assert.Contains("neither a video", errors);
    }

    [Fact]
    public void AnEmptyInputFolderIsRefused()
    {
        var (code, _, errors) = Run("-i", _dir.Folder("empty"), "-o", _dir.File("out"));
        Assert.Equal(1, code);
        Assert.Contains("holds no images, video files or frame folders", errors);
    }

    [Fact]
    public void UnknownKeysListTheKnownOnes()
    {
        var (code, _, errors) = Run("-i", Photo(), "-o", _dir.File("out"), "--set", "streaks.colour=red");
        Assert.Equal(1, code);
        Assert.Contains("Unknown key 'streaks.colour'", errors);
        Assert.Contains("streaks.density", errors);
        Assert.Contains("drops.blur", errors);
    }

    [Theory]
    [InlineData("streaks.density=lots", "streaks.density: 'lots' is not a number")]
    [InlineData("streaks.layers=2.5", "streaks.layers: '2.5' is not a whole number")]
    [InlineData("drops.blur=100", "drops.blur must be between 0 and 40")]
    [InlineData("drops.radius-max=2", "drops.radius-max must be at least drops.radius-min")]
    [InlineData("wind", "'wind' is not key=value")]
    public void BadValuesAreExplained(string assignment, string expected)
    {
        var (code, _, errors) = Run("-i", Photo(), "-o", _dir.File("out"), "--set", assignment);
        Assert.Equal(1, code);
        Assert.Contains(expected, errors);
    }

    [Theory]
    [InlineData("--preset", "drizzle", "Unknown preset 'drizzle'")]
    [InlineData("--kind", "rain100", "Unknown kind 'rain100'")]
    [InlineData("--frames", "0", "frames must be at least 1")]
    public void BadChoicesAreExplained(string option, string value, string expected)
    {
        var (code, _, errors) = Run("-i", Photo(), "-o", _dir.File("out"), option, value);
        Assert.Equal(1, code);
        Assert.Contains(expected, errors);
    }

    [Fact]
    public void AnOutputFolderWithFilesIsLeftAlone()
    {
        var output = _dir.Folder("taken");
        File.WriteAllText(Path.Combine(output, "keep.txt"), "mine");
        var (code, _, errors) = Run("-i", Photo(), "-o", output, "--frames", "1");
        Assert.Equal(1, code);
        Assert.Contains("already exists and is not empty", errors);
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(output).Select(Path.GetFileName));
    }

    [Fact]
    public void KeysAreListedWithThePresetValues()
    {
        var (code, text, _) = Run("keys", "--preset", "heavy");
        Assert.Equal(0, code);
        var line = text.Split('\n').Single(l => l.Contains("veil.density", StringComparison.Ordinal));
        var heavy = Derain.Data.Synthesis.RainPresets.Get(Derain.Data.Synthesis.RainPreset.Heavy);
        Assert.Contains(heavy.VeilDensity.ToString(System.Globalization.CultureInfo.InvariantCulture), line);
    }
}
