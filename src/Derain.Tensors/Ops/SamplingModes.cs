namespace Derain.Tensors;

/// <summary>How <see cref="Ops.GridSample"/> reads between pixels (torch.nn.functional.grid_sample mode).</summary>
public enum GridSampleMode
{
    /// <summary>mode='bilinear': weighted sum of the four neighbouring pixels.</summary>
    Bilinear,

    /// <summary>mode='nearest': the nearest pixel, ties rounded to even (std::nearbyint); no gradient w.r.t. the grid.</summary>
    Nearest,
}

/// <summary>What <see cref="Ops.GridSample"/> reads outside the image (torch.nn.functional.grid_sample padding_mode).</summary>
public enum GridSamplePadding
{
    /// <summary>padding_mode='zeros': pixels outside the image are 0.</summary>
    Zeros,

    /// <summary>padding_mode='border': sample coordinates are clamped into the image first.</summary>
    Border,
}

/// <summary>The resampling filter of <see cref="Ops.Interpolate(Tensor, int, int, InterpolateMode, bool)"/> (torch.nn.functional.interpolate mode).</summary>
public enum InterpolateMode
{
    /// <summary>mode='bilinear': two taps per axis.</summary>
    Bilinear,

    /// <summary>mode='bicubic': Keys cubic convolution with A = −0.75, four taps per axis clamped to the border.</summary>
    Bicubic,
}
