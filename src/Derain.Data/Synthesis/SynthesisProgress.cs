namespace Derain.Data.Synthesis;

/// <summary>Where a synthesis run is, reported after every written frame.</summary>
/// <param name="Source">Name of the video or scene being rendered.</param>
/// <param name="SourceIndex">Its position among the sources (0-based).</param>
/// <param name="SourceCount">Number of sources.</param>
/// <param name="FramesDone">Frames written so far, all sources together.</param>
/// <param name="FramesExpected">Frames the run will write when every count is known in advance, else null.</param>
public readonly record struct SynthesisProgress(string Source, int SourceIndex, int SourceCount, long FramesDone, long? FramesExpected);
