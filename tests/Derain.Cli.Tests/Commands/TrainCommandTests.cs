using System.Diagnostics;
using System.Text;
using Derain.Cli.Commands;
using Derain.NN.Checkpoints;
using Derain.Pipelines.Training;
using Derain.Pipelines.Training.Logging;
using Spectre.Console;

namespace Derain.Cli.Tests.Commands;

/// <summary>The repository the tests run from (the folder holding Derain.slnx; ../shared sits beside it).</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Derain.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No folder above {AppContext.BaseDirectory} holds Derain.slnx.");
    }
}

/// <summary>
/// The tiny experiment (configs/eevrsr-tiny.yaml, 16 iterations, a checkpoint every 4) run through the built
/// <c>derain</c> executable in child processes, once without interruption (shared by the tests), to compare with.
/// </summary>
public sealed class TinyRuns : IDisposable
{
    public TinyRuns()
    {
        Straight = TrainProcess.Start(this, "straight");
        Straight.WaitForExit();
        Assert.True(Straight.ExitCode == 0, Straight.Output);
    }

    public string Folder { get; } = Directory.CreateTempSubdirectory("derain-train-cli-").FullName;

    public TrainProcess Straight { get; }

    public string Experiment(string name) => Path.Combine(Folder, name, "eevrsr_tiny");

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

/// <summary><c>dotnet derain.dll train --config configs/eevrsr-tiny.yaml …</c> with its output collected.</summary>
public sealed class TrainProcess
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private TrainProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { lock (_output) if (e.Data is not null) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_output) if (e.Data is not null) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static TrainProcess Start(TinyRuns runs, string experiments)
    {
        string root = Repository.Root;
        // Started through coreutils' `env --default-signal=INT`, which execs in place (same PID): a job a
        // non-interactive shell starts in the background (`./test &`) inherits SIGINT as ignored (SigIgn in
        // /proc/PID/status), the .NET runtime keeps an inherited ignore for SIGINT, and the Ctrl+C test's signal
        // would then never arrive (seen once by a helper: the run simply finished its 16 iterations).
        var info = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            "--default-signal=INT", Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            Path.Combine(AppContext.BaseDirectory, "derain.dll"), "train", "--config", Path.Combine(root, "configs", "eevrsr-tiny.yaml"), "--set",
            $"datasets.train.root={Path.Combine(runs.Folder, "train")}", $"datasets.val.root={Path.Combine(runs.Folder, "val")}",
            $"path.experiments={Path.Combine(runs.Folder, experiments)}", "train.total_iter=16",
        }) info.ArgumentList.Add(a);
        return new TrainProcess(Process.Start(info)!);
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public void WaitForExit()
    {
        if (!_process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"derain train did not finish in 5 minutes:\n{Output}");
        }
        _process.WaitForExit(); // drains the output
    }

    /// <summary>SIGKILL: no handler runs, files are left exactly as they were at that instant.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: false);

    /// <summary>Waits (polling every few milliseconds) until <paramref name="condition"/> holds or the process ends.</summary>
    public bool WaitUntil(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (_process.HasExited || clock.Elapsed > TimeSpan.FromMinutes(5)) return false;
            Thread.Sleep(5);
        }
        return true;
    }
}

public sealed class TrainCommandTests(TinyRuns runs) : IClassFixture<TinyRuns>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("derain-train-cmd-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Every logged value except wall-clock timings, as exact bit patterns, one string per entry.</summary>
    private static List<string> Deterministic(string experiment)
        => TrainingLog.Read(Path.Combine(experiment, TrainingLog.JsonFile))
            .Select(e => $"{e.Kind} {e.Iteration}: " + string.Join(", ", e.Values
                .Where(v => v.Key is not ("s_per_iter" or "eta_s" or "val_s"))
                .Select(v => $"{v.Key}={(v.Value is double d ? BitConverter.DoubleToInt64Bits(d).ToString("x16") : "null")}")))
            .ToList();

    private static void SameWeights(string expected, string actual)
    {
        using var a = Checkpoint.Open(expected);
        using var b = Checkpoint.Open(actual);
        Assert.Equal(a.Entries.Select(e => e.Name), b.Entries.Select(e => e.Name));
        foreach (var e in a.Entries) Assert.True(a.Read(e.Name).ToArray().AsSpan().SequenceEqual(b.Read(e.Name).ToArray()), e.Name);
    }

    private void SameAsStraight(string experiment)
    {
        string straight = runs.Experiment("straight");
        var reference = Deterministic(straight);
        Assert.Equal(16 + 3, reference.Count); // every iteration, validation at 6, 12 and 16
        Assert.Equal(reference, Deterministic(experiment));
        SameWeights(Path.Combine(straight, "models", Trainer.LastModel), Path.Combine(experiment, "models", Trainer.LastModel));
    }

    [Fact]
    public void Killed_hard_after_the_first_checkpoint_and_resumed_it_logs_what_an_uninterrupted_run_logs()
    {
        var killed = TrainProcess.Start(runs, "killed");
        string experiment = runs.Experiment("killed");
        Assert.True(killed.WaitUntil(() => Directory.Exists(Path.Combine(experiment, "checkpoints", "iter_00000004"))), killed.Output);
        killed.KillHard();
        killed.WaitForExit();
        Assert.NotEqual(0, killed.ExitCode);
        Assert.False(Directory.Exists(Path.Combine(experiment, "checkpoints", "iter_00000016")), "the run finished before it could be killed");

        var resumed = TrainProcess.Start(runs, "killed");
        resumed.WaitForExit();
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Contains("resuming from", resumed.Output);
        SameAsStraight(experiment);
        Assert.Contains("s/iteration on average", runs.Straight.Output);
        Assert.Contains("iter  1/16  epoch 0  lr ", runs.Straight.Output);
        Assert.Contains("val  iter 16: PSNR ", runs.Straight.Output);
    }

    [Fact]
    public void Ctrl_c_saves_a_checkpoint_of_the_last_iteration_and_exits_130()
    {
        var run = TrainProcess.Start(runs, "interrupted");
        string experiment = runs.Experiment("interrupted");
        Assert.True(run.WaitUntil(() => run.Output.Contains("iter  5/16", StringComparison.Ordinal)), run.Output);
        using (var kill = Process.Start("kill", ["-INT", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        run.WaitForExit();
        Assert.True(run.ExitCode == 130, $"exit code {run.ExitCode}:\n{run.Output}");
        Assert.Contains("stopping: finishing this iteration and saving a checkpoint", run.Output);
        var line = run.Output.Split('\n').Single(l => l.StartsWith("interrupted at iteration ", StringComparison.Ordinal));
        int iteration = int.Parse(line["interrupted at iteration ".Length..line.IndexOf(';', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(iteration, 5, 15);
        Assert.True(Directory.Exists(Path.Combine(experiment, "checkpoints", $"iter_{iteration:D8}")), run.Output);

        var resumed = TrainProcess.Start(runs, "interrupted");
        resumed.WaitForExit();
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Contains($"iteration {iteration}, epoch", resumed.Output);
        SameAsStraight(experiment);
    }

    private (int Code, string Out, string Err) RunInProcess(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        IAnsiConsole Console(TextWriter w)
        {
            var c = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(w), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
            c.Profile.Width = 400;
            return c;
        }
        int code = TrainCommand.Create(Console(output), Console(errors)).Parse(args).Invoke();
        return (code, output.ToString(), errors.ToString());
    }

    [Fact]
    public void Mistakes_in_the_experiment_are_one_error_line_and_exit_code_one()
    {
        string config = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(config, File.ReadAllText(Path.Combine(Repository.Root, "configs", "eevrsr-tiny.yaml")).Replace("patch_size: 32", "patch_size: 30"));
        var (code, _, err) = RunInProcess("--config", config);
        Assert.Equal(1, code);
        Assert.Equal($"error: {config}:36: train.patch_size: 30 is not a positive multiple of 4 (the network halves the size twice); use e.g. 28", err.Trim());

        (code, _, err) = RunInProcess("--config", Path.Combine(_dir, "missing.yaml"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", err);
        Assert.Contains("missing.yaml: no such file", err);

        (code, _, err) = RunInProcess("--config", config, "--set", "train.patch_size=32", "datasets.train.root=" + Path.Combine(_dir, "none"),
            "datasets.train.synthesize=~", "path.experiments=" + _dir);
        Assert.Equal(1, code);
        Assert.Contains("datasets.train.root: ", err);
        Assert.Contains("does not exist; make it with `derain synth --kind streaks", err);
        Assert.DoesNotContain("   at ", err);
    }
}
