namespace Derain.Bench;

/// <summary>Side-by-side benchmarks (see ./bench). Suites are added per issue.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "probe-dnnl") return DnnlProbe.Run(args[1..]);
        Console.Error.WriteLine("usage: ./bench ops [--json FILE] | probe-dnnl [--torch] [--reps N]");
        return args.Length == 0 ? 2 : 1;
    }
}
