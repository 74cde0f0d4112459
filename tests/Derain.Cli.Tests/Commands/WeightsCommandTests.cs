using System.CommandLine;
using Derain.Cli.Commands;
using Derain.NN.Checkpoints;
using Derain.NN.Tests.Infrastructure;
using Spectre.Console;

namespace Derain.Cli.Tests.Commands;

/// <summary><c>derain weights</c> run in-process on the official EEVRSR checkpoint.</summary>
public sealed class WeightsCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("derain-weights-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        IAnsiConsole Console(TextWriter w)
        {
            var c = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(w), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
            c.Profile.Width = 160;
            return c;
        }
        int code = WeightsCommand.Create(Console(output), Console(errors)).Parse(args).Invoke();
        return (code, output.ToString(), errors.ToString());
    }

    private static string Eevrsr => SharedData.DataPath("weights", "eevrsr", "EEVRSR_all");

    [Fact]
    public void Inspect_lists_the_model_variables_and_the_published_parameter_total()
    {
        var (code, output, _) = Run("inspect", Eevrsr);
        Assert.Equal(0, code);
        // 54,409 de-raining + 1,260 BN statistics + 121,896 motion compensation (eevrsr.md).
        Assert.Contains("tensorflow-v2: 128 tensors, 177,565 elements", output);
        Assert.Contains("MCNet/X4/b5/weights", output);
        Assert.Contains("[3, 3, 24, 32]", output);
        Assert.Contains("--all", output);
    }

    [Fact]
    public void Convert_writes_safetensors_with_identical_values()
    {
        string outFile = Path.Combine(_dir, "eevrsr.safetensors");
        var (code, _, err) = Run("convert", Eevrsr, outFile);
        Assert.True(code == 0, err);
        using var original = Checkpoint.Open(Eevrsr);
        using var converted = Checkpoint.Open(outFile);
        Assert.Equal("safetensors", converted.Format);
        Assert.Equal(128, converted.Entries.Count);
        foreach (var e in converted.Entries)
            Assert.Equal(original.Read(e.Name).ToArray(), converted.Read(e.Name).ToArray());
    }

    [Fact]
    public void User_errors_are_one_line_and_exit_code_one()
    {
        var (code, _, err) = Run("inspect", Path.Combine(_dir, "missing.pth"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", err);
        Assert.Contains("missing.pth", err);
        Assert.DoesNotContain("   at ", err);

        (code, _, err) = Run("convert", Eevrsr, Path.Combine(_dir, "out.bin"));
        Assert.Equal(1, code);
        Assert.Contains(".safetensors", err);
        Assert.False(File.Exists(Path.Combine(_dir, "out.bin")));
    }
}
