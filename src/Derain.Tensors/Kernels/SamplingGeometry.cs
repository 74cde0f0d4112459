namespace Derain.Tensors.Kernels;

/// <summary>
/// Sizes and options of one 4-D grid_sample: input [N, Channels, InH, InW], grid [N, OutH, OutW, 2] holding
/// normalised (x, y) in [−1, 1], output [N, Channels, OutH, OutW].
/// </summary>
public sealed record GridSampleGeometry(
    int N, int Channels, int InH, int InW, int OutH, int OutW,
    GridSampleMode Mode, GridSamplePadding Padding, bool AlignCorners);

/// <summary>
/// Sizes and options of one 4-D interpolate over <paramref name="Planes"/> = N·C independent planes
/// [InH, InW] → [OutH, OutW]. <paramref name="ScaleH"/>/<paramref name="ScaleW"/> are the user's scale factors
/// when PyTorch would pass them to its kernel (a scale factor given and recompute_scale_factor not set); they
/// then map coordinates as 1/scale instead of in/out (ignored with align_corners).
/// </summary>
public sealed record InterpolateGeometry(
    int Planes, int InH, int InW, int OutH, int OutW,
    InterpolateMode Mode, bool AlignCorners, double? ScaleH, double? ScaleW);
