namespace Derain.Data.Tests.Infrastructure;

/// <summary>A measurement that only runs when DERAIN_BENCH=1: it takes seconds and its numbers are for people, not asserts.</summary>
internal sealed class BenchmarkFactAttribute : FactAttribute
{
    public BenchmarkFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("DERAIN_BENCH") != "1") Skip = "set DERAIN_BENCH=1 to measure";
    }
}
