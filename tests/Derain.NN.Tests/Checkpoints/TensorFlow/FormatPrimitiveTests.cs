using Derain.NN.Checkpoints;
using Derain.NN.Checkpoints.TensorFlow;

namespace Derain.NN.Tests.Checkpoints.TensorFlow;

/// <summary>Checksums, element decoding and name rules against published reference values.</summary>
public sealed class FormatPrimitiveTests
{
    [Theory]
    // The CRC-32C check value from the CRC catalogue, and the iSCSI (RFC 3720, B.4) vectors.
    [InlineData("313233343536373839", 0xE3069283u)]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000", 0x8A9136AAu)]
    [InlineData("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", 0x62A8AB43u)]
    [InlineData("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", 0x46DD794Eu)]
    [InlineData("", 0u)]
    public void Crc32C_matches_published_check_values(string hex, uint expected)
        => Assert.Equal(expected, MaskedCrc32C.Compute(Convert.FromHexString(hex)));

    [Theory]
    [InlineData(0u)]
    [InlineData(0xE3069283u)]
    [InlineData(0xFFFFFFFFu)]
    public void Mask_is_rotate_right_15_plus_delta_and_unmask_inverts_it(uint crc)
    {
        uint expected = unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u);
        Assert.Equal(expected, MaskedCrc32C.Mask(crc));
        Assert.Equal(crc, MaskedCrc32C.Unmask(MaskedCrc32C.Mask(crc)));
    }

    [Theory]
    // IEEE 754 binary16: 1.0, -2.0, 65504 (largest), 2^-24 (smallest subnormal), +inf.
    [InlineData(TensorFlowDataType.Half, "003C", 1.0f)]
    [InlineData(TensorFlowDataType.Half, "00C0", -2.0f)]
    [InlineData(TensorFlowDataType.Half, "FF7B", 65504f)]
    [InlineData(TensorFlowDataType.Half, "0100", 5.9604645e-8f)]
    [InlineData(TensorFlowDataType.Half, "007C", float.PositiveInfinity)]
    // bfloat16 is the high half of a float32: 0x3F80 = 1.0, 0xC049 ≈ -3.140625, 0x7F7F = 3.3895314e38.
    [InlineData(TensorFlowDataType.BFloat16, "803F", 1.0f)]
    [InlineData(TensorFlowDataType.BFloat16, "49C0", -3.140625f)]
    [InlineData(TensorFlowDataType.BFloat16, "7F7F", 3.3895314e38f)]
    [InlineData(TensorFlowDataType.Float, "0000C03F", 1.5f)]
    [InlineData(TensorFlowDataType.Double, "000000000000F8BF", -1.5f)]
    [InlineData(TensorFlowDataType.Int32, "FEFFFFFF", -2f)]
    [InlineData(TensorFlowDataType.Int64, "80B5010000000000", 112000f)]
    [InlineData(TensorFlowDataType.UInt8, "FF", 255f)]
    [InlineData(TensorFlowDataType.Int8, "FF", -1f)]
    [InlineData(TensorFlowDataType.Bool, "01", 1f)]
    public void Elements_decode_little_endian_to_float32(TensorFlowDataType type, string hex, float expected)
    {
        var result = new float[1];
        ElementDecoder.ToFloat32(type, Convert.FromHexString(hex), result);
        Assert.Equal(expected, result[0]);
    }

    [Theory]
    [InlineData(TensorFlowDataType.String)]
    [InlineData(TensorFlowDataType.Complex64)]
    [InlineData(TensorFlowDataType.QInt8)]
    [InlineData(TensorFlowDataType.Resource)]
    public void Types_without_a_float32_value_are_refused(TensorFlowDataType type)
    {
        Assert.Equal(0, TensorFlowDataTypes.ConvertibleElementSize(type));
        Assert.Throws<NotSupportedException>(() => ElementDecoder.ToFloat32(type, new byte[8], new float[1]));
    }

    [Theory]
    [InlineData(TensorFlowDataType.Float, "DT_FLOAT")]
    [InlineData(TensorFlowDataType.BFloat16, "DT_BFLOAT16")]
    [InlineData(TensorFlowDataType.Half, "DT_HALF")]
    [InlineData(TensorFlowDataType.Int64, "DT_INT64")]
    [InlineData((TensorFlowDataType)99, "DT_UNKNOWN_99")]
    public void Dtype_names_are_tensorflows(TensorFlowDataType type, string name)
        => Assert.Equal(name, TensorFlowDataTypes.Name(type));

    [Theory]
    [InlineData("MCNet/Large/a1/weights/Adam", true)]
    [InlineData("MCNet/Large/a1/weights/Adam_1", true)]
    [InlineData("beta1_power", true)]
    [InlineData("beta2_power_1", true)]
    [InlineData("global_step", true)]
    [InlineData("S/S/moving_mean/biased", true)]
    [InlineData("S/S/moving_mean/local_step", true)]
    [InlineData("DerainNet/DerainNet_BN1/beta", false)]
    [InlineData("DerainNet/DerainNet_BN1/moving_variance", false)]
    [InlineData("Adam", false)]
    [InlineData("net/Adamant", false)]
    public void Training_state_is_recognised_by_name(string name, bool trainingState)
        => Assert.Equal(trainingState, TensorFlowVariableNames.IsTrainingState(name));

    [Fact]
    public void Integer_scalars_are_counters_but_float_scalars_and_integer_arrays_are_not()
    {
        Assert.True(TensorFlowVariableNames.IsTrainingState(new CheckpointEntry("Variable", [], "DT_INT32")));
        Assert.True(TensorFlowVariableNames.IsTrainingState(new CheckpointEntry("step", [], "DT_INT64")));
        Assert.False(TensorFlowVariableNames.IsTrainingState(new CheckpointEntry("scale", [], "DT_FLOAT")));
        Assert.False(TensorFlowVariableNames.IsTrainingState(new CheckpointEntry("table", [4], "DT_INT32")));
    }
}
