using System.Buffers.Binary;
using System.Numerics;

namespace Derain.NN.Checkpoints.TensorFlow;

/// <summary>
/// CRC-32C (Castagnoli) as LevelDB and TensorFlow store it: the standard checksum (initial value and final
/// xor 0xFFFFFFFF) "masked" by rotating right 15 bits and adding 0xa282ead8. Masking exists because a CRC of
/// data that itself embeds CRCs is weak; both the table blocks and the bundle entries store masked values.
/// The per-step work is <see cref="BitOperations.Crc32C(uint, ulong)"/>, which uses the CPU's CRC32C
/// instruction where there is one.
/// </summary>
internal static class MaskedCrc32C
{
    private const uint MaskDelta = 0xa282ead8;

    /// <summary>Starts a running checksum.</summary>
    public static uint Begin() => 0xFFFFFFFF;

    /// <summary>Feeds <paramref name="data"/> into a running checksum started by <see cref="Begin"/>.</summary>
    public static uint Update(uint state, ReadOnlySpan<byte> data)
    {
        // Eight bytes per step as a little-endian word, which is the order the CRC consumes bytes in.
        while (data.Length >= 8)
        {
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data) state = BitOperations.Crc32C(state, b);
        return state;
    }

    /// <summary>Finishes a running checksum: the plain CRC-32C value.</summary>
    public static uint End(uint state) => ~state;

    /// <summary>The plain CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => End(Update(Begin(), data));

    /// <summary>The stored ("masked") form of a CRC.</summary>
    public static uint Mask(uint crc) => BitOperations.RotateRight(crc, 15) + MaskDelta;

    /// <summary>The plain CRC from its stored form.</summary>
    public static uint Unmask(uint masked) => BitOperations.RotateLeft(masked - MaskDelta, 15);
}
