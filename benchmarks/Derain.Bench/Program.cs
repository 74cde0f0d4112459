namespace Derain.Bench;

/// <summary>Side-by-side benchmarks (see ./bench). Suites are added per issue.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("usage: ./bench ops [--json FILE]");
        return args.Length == 0 ? 2 : 1;
    }
}
