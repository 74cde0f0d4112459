namespace Derain.Data.Metrics;

/// <summary>The convention and the border (pixels removed from each side before both metrics, BasicSR's crop_border).</summary>
public sealed record MetricOptions(MetricConvention Convention = MetricConvention.Rgb, int CropBorder = 0)
{
    public override string ToString() => $"{Convention.Name()}, crop {CropBorder}";
}
