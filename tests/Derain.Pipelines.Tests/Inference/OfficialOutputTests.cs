using Derain.Data.Imaging;
using Derain.Models.Eevrsr;
using Derain.NN.Tests.Infrastructure;
using Derain.Pipelines.Inference;
using Derain.Pipelines.Tests.Infrastructure;
using Derain.Tensors.Serialization;

namespace Derain.Pipelines.Tests.Inference;

/// <summary>
/// The whole run pipeline against the official test code's result on real rain: ../shared/fixtures/eevrsr holds, for
/// frames 1…5 of clip r1 cropped to rows 100:164 and columns 200:296 (decoded by libjpeg-turbo, as Derain's JPEG
/// codec does), the official network's float luma <c>Y_out</c> and its 8-bit RGB <c>rgb_u8</c> for the centre frame,
/// made by an independent re-implementation of test_main.py. The crop is written as a PNG frame folder and run
/// through <see cref="VideoRestoration"/> exactly as <c>derain run --format npy|png</c> does.
/// </summary>
public sealed class OfficialOutputTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<EevrsrVariant, string> Variants => new()
    {
        { EevrsrVariant.All, "tiny_r1_64x96_all.npz" },
        { EevrsrVariant.DerainOnly, "tiny_r1_64x96_derain_only.npz" },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void CentreFrameMatchesTheOfficialOutput(EevrsrVariant variant, string fixtureName)
    {
        var fixture = Npy.ReadNpz(Path.Combine(SharedData.Root, "fixtures", "eevrsr", fixtureName));
        string input = _temp.Combine("crop");
        Directory.CreateDirectory(input);
        for (int k = 1; k <= 5; k++)
        {
            var frame = ImageFile.Read(Path.Combine(RealRain.Clip("eevrsr_r1"), $"{k:D5}.jpg"));
            ImageFile.Write(Path.Combine(input, $"{k:D5}.png"), RealRain.Crop(frame, 100, 200, 64, 96));
        }

        // The network input: Pillow's Y / 255 (float64, then float32) must equal the fixture's bit for bit.
        var yIn = fixture["Y_in"].Data;
        for (int k = 0; k < 5; k++)
        {
            var luma = LumaFrame.FromImage(ImageFile.Read(Path.Combine(input, $"{k + 1:D5}.png")), "f").Luma;
            for (int i = 0; i < luma.Length; i++) Assert.Equal((float)yIn[k * luma.Length + i], luma[i]);
        }

        var restorer = LumaRestorer.ForEevrsr(RealRain.Net(variant));
        var npy = VideoRestoration.Run(restorer, input, _temp.Combine("npy"), OutputFormat.Npy);
        var png = VideoRestoration.Run(restorer, input, _temp.Combine("png"), OutputFormat.Png);
        Assert.Equal(5, npy.Frames);
        Assert.Equal(5, png.Frames);

        // Float luma of the centre frame (the only one the official code outputs for a 5-frame clip).
        var y = Npy.Read(Path.Combine(npy.Output, "00003_y.npy"));
        Assert.Equal([64, 96], y.Shape);
        Assert.Equal("<f4", y.Descr);
        var expectedY = fixture["Y_out"].Data;
        double worst = y.Data.Zip(expectedY, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-4, $"centre luma differs from the official output by up to {worst:E2}");

        // The 8-bit result, byte for byte (Pillow's tables, round half to even).
        var rgb = ImageFile.Read(Path.Combine(png.Output, "00003.png")).ToBytes();
        var expectedRgb = fixture["rgb_u8"].Data;
        int differing = 0;
        for (int i = 0; i < rgb.Length / 3; i++)
            if (rgb[3 * i] != expectedRgb[3 * i] || rgb[3 * i + 1] != expectedRgb[3 * i + 1] || rgb[3 * i + 2] != expectedRgb[3 * i + 2])
                differing++;
        Assert.True(differing == 0, $"{differing} of {rgb.Length / 3} pixels differ from the official 8-bit output (worst luma difference {worst:E2})");

        // The float RGB is the JFIF inverse of the float luma and the centre chroma; rounded, it is within one code of the 8-bit result.
        var rgbFloat = Npy.Read(Path.Combine(npy.Output, "00003.npy"));
        Assert.Equal([64, 96, 3], rgbFloat.Shape);
        for (int i = 0; i < rgb.Length; i++)
            Assert.InRange(Math.Abs(Math.Clamp(Math.Round(rgbFloat.Data[i] * 255), 0, 255) - rgb[i]), 0, 1);
    }
}
