using Derain.Cli.Commands;
using Derain.Data.Imaging;
using Derain.Models.Vimpnet;
using Derain.NN.Checkpoints.SafeTensors;
using Derain.NN.Tests.Infrastructure;
using Derain.Tensors;
using Spectre.Console;

namespace Derain.Cli.Tests.Commands;

/// <summary><c>derain run</c> in-process: a run on a real-rain crop with the official weights, and every error a user can cause.</summary>
public sealed class RunCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("derain-run-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Weights(string name) => Path.Combine(SharedData.DataPath("weights", "eevrsr", name), "model.ckpt");

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        IAnsiConsole Console(TextWriter w)
        {
            var c = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(w), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
            c.Profile.Width = 400; // messages hold paths; keep each on one line
            return c;
        }
        int code = RunCommand.Create(Console(output), Console(errors)).Parse(args).Invoke();
        return (code, output.ToString(), errors.ToString());
    }

    /// <summary>Frames 1…5 of real clip r1, cropped to 96×64, as a PNG frame folder.</summary>
    private string RainyCrop()
    {
        string folder = Path.Combine(_dir, "rain");
        Directory.CreateDirectory(folder);
        for (int k = 1; k <= 5; k++)
        {
            var frame = ImageFile.Read(Path.Combine(SharedData.DataPath("real_rain", "video", "eevrsr_r1"), $"{k:D5}.jpg"));
            var crop = new Image(3, 64, 96);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 64; y++)
                    frame.Plane(c).Slice((100 + y) * frame.Width + 200, 96).CopyTo(crop.Plane(c).Slice(y * 96, 96));
            ImageFile.Write(Path.Combine(folder, $"{k:D5}.png"), crop);
        }
        return folder;
    }

    /// <summary>A user error: exit code 1 and one "error: …" line holding <paramref name="expected"/>, no stack trace.</summary>
    private static void AssertUserError((int Code, string Out, string Err) result, string expected)
    {
        Assert.Equal(1, result.Code);
        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", result.Err);
    }

    [Fact]
    public void OfficialWeightsOnAFrameFolderWriteEveryFrame()
    {
        string output = Path.Combine(_dir, "derained");
        var (code, text, err) = Run("--weights", Weights("EEVRSR_all"), "--input", RainyCrop(), "--output", output);
        Assert.True(code == 0, err);
        Assert.Contains("frame 5/5:", text); // plain progress when the console is not a terminal
        Assert.Contains($"wrote {output} (png): 5 frames of 96×64", text);
        Assert.Equal(["00001.png", "00002.png", "00003.png", "00004.png", "00005.png"],
            Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void MissingEmptyAndCorruptInputs()
    {
        string weights = Weights("EEVRSR_all");
        AssertUserError(Run("-w", weights, "-i", Path.Combine(_dir, "nothing"), "-o", Path.Combine(_dir, "o")), "does not exist");

        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        AssertUserError(Run("-w", weights, "-i", empty, "-o", Path.Combine(_dir, "o")), "contains no PNG or JPEG frames");

        string broken = Directory.CreateDirectory(Path.Combine(_dir, "broken")).FullName;
        File.WriteAllText(Path.Combine(broken, "00001.png"), "not a picture");
        AssertUserError(Run("-w", weights, "-i", broken, "-o", Path.Combine(_dir, "o")), "00001.png");

        string video = Path.Combine(_dir, "broken.mp4");
        File.WriteAllBytes(video, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 31 + 7))]);
        AssertUserError(Run("-w", weights, "-i", video, "-o", Path.Combine(_dir, "o.mp4")), "broken.mp4");

        // Nothing was left behind by the failed runs.
        Assert.Equal(["broken", "broken.mp4", "empty"], Directory.EnumerateFileSystemEntries(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void WrongOrMissingWeights()
    {
        string input = RainyCrop(), output = Path.Combine(_dir, "o");
        AssertUserError(Run("-w", Path.Combine(_dir, "none.ckpt"), "-i", input, "-o", output), "not found");
        AssertUserError(Run("-w", Weights("EEVRSR_derain_only"), "-i", input, "-o", output), "--model eevrsr-derain-only");
        AssertUserError(Run("-m", "eevrsr-derain-only", "-i", input, "-o", output), "--weights");

        string foreign = Path.Combine(_dir, "vimpnet.safetensors");
        using (var w = Tensor.Ones(new Shape(8, 3, 3, 3)))
            SafeTensorsWriter.Write(foreign, [new KeyValuePair<string, Tensor>("conv_first.weight", w)]);
        AssertUserError(Run("-w", foreign, "-i", input, "-o", output), "not an EEVRSR checkpoint");
        Assert.False(Directory.Exists(output));
    }

    /// <summary>ViMP-Net's own user errors: no default model yet, foreign weights, options of other models.</summary>
    [Fact]
    public void VimpnetWeightsAndOptions()
    {
        string input = RainyCrop(), output = Path.Combine(_dir, "o");
        AssertUserError(Run("-m", "vimpnet", "-i", input, "-o", output), "--model vimpnet needs weights");
        string foreign = Path.Combine(_dir, "eevrsr.safetensors");
        using (var w = Tensor.Ones(new Shape(8, 3, 3, 3)))
            SafeTensorsWriter.Write(foreign, [new KeyValuePair<string, Tensor>("conv_first.weight", w)]);
        // This message lists what the file holds and is longer than the test console's 400 columns, so it wraps.
        var foreignRun = Run("-m", "vimpnet", "-w", foreign, "-i", input, "-o", output);
        Assert.Equal(1, foreignRun.Code);
        Assert.StartsWith("error: cannot use", foreignRun.Err);
        Assert.Contains("not a ViMP-Net checkpoint", foreignRun.Err);
        Assert.DoesNotContain("   at ", foreignRun.Err);
        AssertUserError(Run("-m", "vimpnet", "-w", foreign, "-i", input, "-o", output, "--tile", "128"), "--tile and --tile-overlap apply to --model mgid only");
        AssertUserError(Run("-w", Weights("EEVRSR_all"), "-i", input, "-o", output, "--save-masks"), "--save-masks applies to --model vimpnet only");
        AssertUserError(Run("-m", "vimpnet", "-w", foreign, "-i", Path.Combine(input, "00001.png"), "-o", output), "single image, but ViMP-Net restores video");
        Assert.False(Directory.Exists(output));
    }

    /// <summary>A reduced-width ViMP-Net as derain train exports it runs with the widths its file records; a file whose
    /// width metadata contradicts its tensors is refused with the difference listed.</summary>
    [Fact]
    public void VimpnetReducedWidthWeights()
    {
        string input = RainyCrop(), output = Path.Combine(_dir, "derained");
        var net = new VimpnetNet(new Generator(3), new VimpnetOptions(MidChannels: 8, NumBlocks: 1, TransformerChannels: 16, TransformerHidden: 8, MinSize: 64));
        string weights = Path.Combine(_dir, "reduced.safetensors");
        VimpnetCheckpoint.Save(net, weights);
        var (code, text, err) = Run("-m", "vimpnet", "-w", weights, "-i", input, "-o", output);
        Assert.True(code == 0, err);
        Assert.Contains($"wrote {output} (png): 5 frames of 96×64", text);

        // The same tensors, but metadata claiming mid_channels 16.
        var tensors = new Dictionary<string, Tensor>();
        Dictionary<string, string> metadata;
        using (var file = SafeTensorsReader.Open(weights))
        {
            foreach (var e in file.Entries) tensors[e.Name] = file.Read(e.Name);
            metadata = new Dictionary<string, string>(file.Metadata) { [VimpnetCheckpoint.MidChannelsKey] = "16" };
        }
        SafeTensorsWriter.Write(weights, tensors, metadata);
        foreach (var t in tensors.Values) t.Dispose();
        var refused = Run("-m", "vimpnet", "-w", weights, "-i", input, "-o", Path.Combine(_dir, "o"));
        Assert.Equal(1, refused.Code);
        Assert.StartsWith($"error: cannot use {weights} as ViMP-Net weights: {weights} does not match ViMPNet(mid_channels=16, num_blocks=1)", refused.Err);
        // (the lines listing the differences are long and wrap in the test console; VimpnetCheckpoint's tests check them)
        Assert.DoesNotContain("   at ", refused.Err);
        Assert.False(Directory.Exists(Path.Combine(_dir, "o")));
    }

    [Fact]
    public void UnsupportedFormatsAndOutputs()
    {
        string input = RainyCrop(), weights = Weights("EEVRSR_all");
        var parse = RunCommand.Create().Parse(["-w", weights, "-i", input, "-o", Path.Combine(_dir, "o"), "--format", "gif"]);
        Assert.Contains(parse.Errors, e => e.Message.Contains("gif", StringComparison.Ordinal));
        parse = RunCommand.Create().Parse(["-i", input, "-o", Path.Combine(_dir, "o"), "--model", "vimpnet2"]);
        Assert.Contains(parse.Errors, e => e.Message.Contains("vimpnet2", StringComparison.Ordinal));

        AssertUserError(Run("-w", weights, "-i", input, "-o", Path.Combine(_dir, "o.mp4"), "--format", "png"), "looks like a video file");
        AssertUserError(Run("-w", weights, "-i", input, "-o", Path.Combine(_dir, "o"), "--format", "mp4"), "must end in .mp4");
        AssertUserError(Run("-w", weights, "-i", Path.Combine(input, "00001.png"), "-o", Path.Combine(_dir, "o")), "single image");
        AssertUserError(Run("-w", weights, "-i", input, "-o", input), "is the input itself");
    }
}
