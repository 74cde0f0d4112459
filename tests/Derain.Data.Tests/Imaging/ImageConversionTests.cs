using Derain.Data.Imaging;
using Derain.Tensors;

namespace Derain.Data.Tests.Imaging;

public sealed class ImageConversionTests
{
    [Fact]
    public void EveryByteSurvivesFloatAndBack()
    {
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var image = Image.FromBytes(bytes, 1, 16, 16);
        for (int k = 0; k < 256; k++) Assert.Equal(k / 255f, image.Data[k]); // torchvision's to_tensor: div(255)
        Assert.Equal(bytes, image.ToBytes());
    }

    [Theory]
    [InlineData(0.5f / 255, 0)]     // 0.5 → 0 (ties to even)
    [InlineData(1.5f / 255, 2)]     // 1.5 → 2
    [InlineData(2.5f / 255, 2)]     // 2.5 → 2
    [InlineData(-0.2f, 0)]
    [InlineData(1.7f, 255)]
    [InlineData(float.NaN, 0)]
    [InlineData(float.PositiveInfinity, 255)]
    [InlineData(0.49999f, 127)]     // 127.497…
    [InlineData(0.5f, 128)]         // 127.5 → 128 (even)
    public void QuantisationRoundsHalfToEvenAndClamps(float value, int expected)
    {
        Assert.Equal(expected, Image.ToByte(value));
    }

    [Fact]
    public void SixteenBitQuantisationRoundTripsEveryCode()
    {
        var words = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
        var image = Image.FromUInt16(words, 1, 256, 256);
        var back = new ushort[words.Length];
        image.CopyToUInt16(back);
        Assert.Equal(words, back);
    }

    [Fact]
    public void InterleavedLayoutBecomesPlanes()
    {
        byte[] rgb = [10, 20, 30, 40, 50, 60]; // two pixels
        var image = Image.FromBytes(rgb, 3, 1, 2);
        Assert.Equal([10 / 255f, 40 / 255f], image.Plane(0).ToArray());
        Assert.Equal([30 / 255f, 60 / 255f], image.Plane(2).ToArray());
    }

    [Fact]
    public void TensorRoundTripInBothChannelOrders()
    {
        var image = Image.FromBytes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 3, 2, 2);
        using var rgb = image.ToTensor();
        Assert.Equal(new Shape(3, 2, 2), rgb.Shape);
        Assert.Equal(image.Data, rgb.ToArray());

        using var bgr = image.ToTensor(ChannelOrder.Bgr, batch: true);
        Assert.Equal(new Shape(1, 3, 2, 2), bgr.Shape);
        Assert.Equal(image.Plane(2).ToArray(), bgr.ToArray()[..4]); // blue first
        Assert.Equal(image.Data, Image.FromTensor(bgr, ChannelOrder.Bgr).Data);
        Assert.Equal(image.Data, Image.FromTensor(rgb).Data);
    }

    [Fact]
    public void BgrKeepsAlphaLast()
    {
        var rgba = Image.FromBytes([1, 2, 3, 200], 4, 1, 1);
        using var t = rgba.ToTensor(ChannelOrder.Bgr);
        Assert.Equal([3 / 255f, 2 / 255f, 1 / 255f, 200 / 255f], t.ToArray());
    }

    [Fact]
    public void FromTensorKeepsOutOfRangeValuesUntilQuantised()
    {
        using var t = Tensor.FromArray([-0.5f, 1.5f, 0.25f], 1, 1, 3);
        var image = Image.FromTensor(t);
        Assert.Equal(-0.5f, image.Data[0]);
        Assert.Equal([0, 255, 64], image.ToBytes());
    }

    [Fact]
    public void FromFloat64Tensor()
    {
        using var t = Tensor.FromArray([0.0, 0.5, 1.0], 1, 1, 1, 3);
        Assert.Equal([0, 128, 255], Image.FromTensor(t).ToBytes());
    }

    [Theory]
    [InlineData(new[] { 3, 4 })]
    [InlineData(new[] { 2, 3, 4, 4 })]
    [InlineData(new[] { 5, 4, 4 })]
    public void FromTensorRejectsOtherShapes(int[] shape)
    {
        using var t = Tensor.Zeros(new Shape(shape));
        var e = Assert.Throws<ArgumentException>(() => Image.FromTensor(t));
        Assert.Contains("[C,H,W]", e.Message);
    }

    [Fact]
    public void ToRgbRepeatsGrayAndDropsAlpha()
    {
        var ga = Image.FromBytes([7, 255, 9, 0], 2, 1, 2);
        var rgb = ga.ToRgb();
        Assert.Equal([7, 7, 7, 9, 9, 9], rgb.ToBytes());
    }
}
