using System.Numerics;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// The four pixels around a real sample position (y, x) of an h×w image, in pixel units (0 = centre of the
/// first pixel), with their bilinear weights. Corners outside the image are switched off (weight 0, not in
/// <see cref="Inside"/>): the zero padding of torchvision's deform_conv2d bilinear_interpolate and of
/// grid_sample padding_mode='zeros'. A position with y ≤ −1 or y ≥ h (likewise x) therefore reads 0, as both
/// define it, and the derivatives below are the ones torchvision's get_coordinate_weight and grid_sample's
/// backward use (one-sided at integer positions, from the floor corner).
/// </summary>
internal struct Corners<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Pixel indices y·w + x of (y0, x0), (y0, x0+1), (y0+1, x0), (y0+1, x0+1); 0 for corners outside.</summary>
    public int P00, P01, P10, P11;

    /// <summary>Bilinear weights of the corners; 0 for corners outside.</summary>
    public T W00, W01, W10, W11;

    /// <summary>Fractional offsets y − y0 and x − x0 (for the derivatives w.r.t. the position).</summary>
    public T Ly, Lx;

    /// <summary>Bit i set when corner i (00, 01, 10, 11) lies inside the image.</summary>
    public int Inside;

    /// <summary>All four corners inside.</summary>
    public const int All = 15;

    /// <summary>Bilinear corners of (y, x); positions are computed in double so float32 inputs lose nothing.</summary>
    public static Corners<T> Bilinear(double y, double x, int h, int w)
    {
        var c = default(Corners<T>);
        double fy = Math.Floor(y), fx = Math.Floor(x);
        // Also rejects NaN and values too large for int: such samples read zero padding.
        if (!(fy > -2 && fy < h && fx > -2 && fx < w)) return c;
        int y0 = (int)fy, x0 = (int)fx;
        double ly = y - fy, lx = x - fx, hy = 1 - ly, hx = 1 - lx;
        bool top = y0 >= 0, bottom = y0 + 1 < h, left = x0 >= 0, right = x0 + 1 < w;
        c.Ly = T.CreateTruncating(ly);
        c.Lx = T.CreateTruncating(lx);
        int row0 = y0 * w, row1 = row0 + w;
        if (top && left) { c.P00 = row0 + x0; c.W00 = T.CreateTruncating(hy * hx); c.Inside |= 1; }
        if (top && right) { c.P01 = row0 + x0 + 1; c.W01 = T.CreateTruncating(hy * lx); c.Inside |= 2; }
        if (bottom && left) { c.P10 = row1 + x0; c.W10 = T.CreateTruncating(ly * hx); c.Inside |= 4; }
        if (bottom && right) { c.P11 = row1 + x0 + 1; c.W11 = T.CreateTruncating(ly * lx); c.Inside |= 8; }
        return c;
    }

    /// <summary>
    /// The nearest pixel of (y, x) as a single corner of weight 1 (grid_sample mode='nearest': std::nearbyint,
    /// ties to even), switched off outside the image.
    /// </summary>
    public static Corners<T> Nearest(double y, double x, int h, int w)
    {
        var c = default(Corners<T>);
        double ry = Math.Round(y, MidpointRounding.ToEven), rx = Math.Round(x, MidpointRounding.ToEven);
        if (!(ry >= 0 && ry < h && rx >= 0 && rx < w)) return c;
        c.P00 = (int)ry * w + (int)rx;
        c.W00 = T.One;
        c.Inside = 1;
        return c;
    }

    /// <summary>∂/∂y of the bilinear sample given the per-corner values (or value·gradient sums) s.</summary>
    public readonly T DerivativeY(T s00, T s01, T s10, T s11) => (T.One - Lx) * (s10 - s00) + Lx * (s11 - s01);

    /// <summary>∂/∂x of the bilinear sample given the per-corner values (or value·gradient sums) s.</summary>
    public readonly T DerivativeX(T s00, T s01, T s10, T s11) => (T.One - Ly) * (s01 - s00) + Ly * (s11 - s10);

    /// <summary>The bilinear sample given the per-corner values s (weights of outside corners are 0).</summary>
    public readonly T Value(T s00, T s01, T s10, T s11) => W00 * s00 + W01 * s01 + W10 * s10 + W11 * s11;
}
