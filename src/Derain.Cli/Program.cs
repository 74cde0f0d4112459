using System.CommandLine;
using Derain.Tensors.Kernels;

namespace Derain.Cli;

/// <summary>The <c>derain</c> command line. Verbs arrive with the issues that build them (run, demo, eval, synth, train, weights).</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Derain removes rain streaks and raindrops from videos and images (ViMP-Net, MGID, EEVRSR).");
        var info = new Command("info", "Show the compute backend and thread count Derain will use on this machine.");
        info.SetAction(_ =>
        {
            Console.WriteLine($"backend: {KernelBackend.Float32.Name}");
            Console.WriteLine($"threads: {KernelBackend.Threads}");
            return 0;
        });
        root.Subcommands.Add(info);
        root.Subcommands.Add(Commands.WeightsCommand.Create());
        root.Subcommands.Add(Commands.EvalCommand.Create());
        root.Subcommands.Add(Commands.SynthCommand.Create());
        root.Subcommands.Add(Commands.DemoCommand.Create());
        root.Subcommands.Add(Commands.RunCommand.Create());
        root.Subcommands.Add(Commands.TrainCommand.Create());
        if (args.Length == 0) args = ["--help"];
        return root.Parse(args).Invoke();
    }
}
