namespace Derain.Pipelines.Tests.Infrastructure;

/// <summary>A test of a minute or more (whole clips through the official network): runs only with DERAIN_LONG=1.</summary>
internal sealed class LongFactAttribute : FactAttribute
{
    public LongFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("DERAIN_LONG") != "1") Skip = "takes minutes on 2 cores: set DERAIN_LONG=1 to run";
    }
}

/// <inheritdoc cref="LongFactAttribute"/>
internal sealed class LongTheoryAttribute : TheoryAttribute
{
    public LongTheoryAttribute()
    {
        if (Environment.GetEnvironmentVariable("DERAIN_LONG") != "1") Skip = "takes minutes on 2 cores: set DERAIN_LONG=1 to run";
    }
}
