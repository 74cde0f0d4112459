namespace Derain.Pipelines.Tests.Infrastructure;

/// <summary>
/// Tests that measure the process's managed heap run alone: tests of other classes run in parallel by default and
/// would otherwise allocate into the measurement.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryCollection
{
    public const string Name = "managed-heap measurements";
}
