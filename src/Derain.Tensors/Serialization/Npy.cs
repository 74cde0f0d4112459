using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace Derain.Tensors.Serialization;

/// <summary>An array read from a NumPy .npy file: its shape and values (converted to double).</summary>
public sealed record NpyArray(int[] Shape, double[] Data, string Descr)
{
    /// <summary>The values as a float32 tensor.</summary>
    public Tensor ToTensor() => Tensor.FromArray(Data.Select(v => (float)v).ToArray(), Shape);

    /// <summary>The values as a float64 tensor.</summary>
    public Tensor ToDoubleTensor() => Tensor.FromArray(Data, Shape);
}

/// <summary>
/// Reads and writes NumPy .npy (format 1.0–3.0) and .npz files: little-endian float16/32/64, int32/64,
/// uint8 and bool, C order. Used for golden vectors, parity fixtures and the <c>npy</c> output format.
/// </summary>
public static partial class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads one .npy file.</summary>
    public static NpyArray Read(string path)
    {
        using var f = File.OpenRead(path);
        return Read(f, path);
    }

    /// <summary>Reads every array of an .npz archive, by name without the .npy suffix.</summary>
    public static Dictionary<string, NpyArray> ReadNpz(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var result = new Dictionary<string, NpyArray>();
        foreach (var e in zip.Entries)
        {
            if (!e.Name.EndsWith(".npy", StringComparison.Ordinal)) continue;
            using var s = e.Open();
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            ms.Position = 0;
            result[e.FullName[..^4]] = Read(ms, $"{path}:{e.FullName}");
        }
        return result;
    }

    /// <summary>Reads one .npy array from a stream.</summary>
    public static NpyArray Read(Stream s, string name)
    {
        var br = new BinaryReader(s);
        var magic = br.ReadBytes(6);
        if (!magic.AsSpan().SequenceEqual(Magic)) throw new InvalidDataException($"{name} is not a .npy file (bad magic).");
        byte major = br.ReadByte();
        br.ReadByte();
        int headerLen = major == 1 ? br.ReadUInt16() : (int)br.ReadUInt32();
        if (headerLen <= 0 || headerLen > 1 << 20) throw new InvalidDataException($"{name}: implausible .npy header length {headerLen}.");
        string header = Encoding.Latin1.GetString(br.ReadBytes(headerLen));
        var descr = DescrRegex().Match(header).Groups[1].Value;
        if (FortranRegex().IsMatch(header)) throw new InvalidDataException($"{name}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray.");
        var shapeText = ShapeRegex().Match(header).Groups[1].Value;
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        long count = 1;
        foreach (var d in shape) count *= d;
        var data = new double[count];
        switch (descr)
        {
            case "<f4": for (long i = 0; i < count; i++) data[i] = br.ReadSingle(); break;
            case "<f8": for (long i = 0; i < count; i++) data[i] = br.ReadDouble(); break;
            case "<f2": for (long i = 0; i < count; i++) data[i] = (double)br.ReadHalf(); break;
            case "<i4": for (long i = 0; i < count; i++) data[i] = br.ReadInt32(); break;
            case "<i8": for (long i = 0; i < count; i++) data[i] = br.ReadInt64(); break;
            case "|u1": case "|b1": for (long i = 0; i < count; i++) data[i] = br.ReadByte(); break;
            default: throw new InvalidDataException($"{name}: unsupported dtype '{descr}'.");
        }
        return new NpyArray(shape, data, descr);
    }

    /// <summary>Writes a float32 .npy file (to a temp file, then renamed, so a partial file never appears).</summary>
    public static void Write(string path, ReadOnlySpan<float> data, params int[] shape)
    {
        var tmp = path + ".tmp";
        using (var f = File.Create(tmp))
        {
            var bw = new BinaryWriter(f);
            WriteHeader(bw, "<f4", shape);
            foreach (var v in data) bw.Write(v);
        }
        File.Move(tmp, path, overwrite: true);
    }

    private static void WriteHeader(BinaryWriter bw, string descr, int[] shape)
    {
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        int total = 10 + dict.Length + 1;
        int pad = (64 - total % 64) % 64;
        dict = dict + new string(' ', pad) + "\n";
        bw.Write(Magic);
        bw.Write((byte)1);
        bw.Write((byte)0);
        bw.Write((ushort)dict.Length);
        bw.Write(Encoding.Latin1.GetBytes(dict));
    }

    [GeneratedRegex(@"'descr':\s*'([^']+)'")]
    private static partial Regex DescrRegex();
    [GeneratedRegex(@"'fortran_order':\s*True")]
    private static partial Regex FortranRegex();
    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
