using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Derain.NN.Checkpoints.TensorFlow;

/// <summary>
/// Finds a TensorFlow V2 checkpoint's prefix (…/model.ckpt) from what a user may point at: the prefix itself,
/// its .index file, one of its .data-NNNNN-of-NNNNN shards, or a directory holding either a `checkpoint`
/// state file (text protobuf whose model_checkpoint_path names the latest prefix) or exactly one *.index.
/// </summary>
internal static partial class CheckpointPaths
{
    /// <summary>Name of the state file TensorFlow's Saver writes beside its checkpoints.</summary>
    public const string StateFileName = "checkpoint";

    [GeneratedRegex(@"^(?<prefix>.+)\.data-\d{5}-of-\d{5}$")]
    private static partial Regex DataShardPattern();

    [GeneratedRegex(@"^\s*model_checkpoint_path\s*:\s*""(?<path>(?:[^""\\]|\\.)*)""\s*$", RegexOptions.Multiline)]
    private static partial Regex ModelCheckpointPathPattern();

    /// <summary>The .index file of a prefix.</summary>
    public static string IndexPath(string prefix) => prefix + ".index";

    /// <summary>The data shard <paramref name="shard"/> of <paramref name="count"/> (TensorFlow numbers them from 0, five digits).</summary>
    public static string DataPath(string prefix, int shard, int count)
        => string.Create(CultureInfo.InvariantCulture, $"{prefix}.data-{shard:D5}-of-{count:D5}");

    /// <summary>The prefix for <paramref name="path"/>, or an exception saying what was looked for.</summary>
    public static string Resolve(string path)
        => TryResolve(path, out string? prefix, out string? problem) ? prefix! : throw new FileNotFoundException(problem, path);

    /// <summary>The prefix for <paramref name="path"/> when it names an existing checkpoint index.</summary>
    public static bool TryResolve(string path, out string? prefix, out string? problem)
    {
        prefix = null;
        problem = null;
        if (string.IsNullOrEmpty(path)) { problem = "No checkpoint path given."; return false; }
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) return TryResolveDirectory(full, out prefix, out problem);

        string? candidate = null;
        if (full.EndsWith(".index", StringComparison.Ordinal) && File.Exists(full)) candidate = full[..^".index".Length];
        else if (DataShardPattern().Match(full) is { Success: true } m) candidate = m.Groups["prefix"].Value;
        else candidate = full;

        if (File.Exists(IndexPath(candidate))) { prefix = candidate; return true; }
        problem = $"No TensorFlow checkpoint at {path}: expected {IndexPath(candidate)} (give the prefix such as …/model.ckpt, its .index file, or the folder holding it).";
        return false;
    }

    private static bool TryResolveDirectory(string dir, out string? prefix, out string? problem)
    {
        prefix = null;
        problem = null;
        string state = Path.Combine(dir, StateFileName);
        if (File.Exists(state))
        {
            string? named = ReadModelCheckpointPath(state);
            if (named is null) { problem = $"{state} names no model_checkpoint_path."; return false; }
            // Saver writes paths relative to the state file's folder, or absolute ones.
            string candidate = Path.GetFullPath(named, dir);
            if (File.Exists(IndexPath(candidate))) { prefix = candidate; return true; }
            problem = $"{state} names {named}, but {IndexPath(candidate)} does not exist.";
            return false;
        }
        var indexes = Directory.GetFiles(dir, "*.index");
        if (indexes.Length == 1) { prefix = indexes[0][..^".index".Length]; return true; }
        problem = indexes.Length == 0
            ? $"{dir} holds no *.index file and no '{StateFileName}' file."
            : $"{dir} holds {indexes.Length} checkpoints ({string.Join(", ", indexes.Select(Path.GetFileName).Order(StringComparer.Ordinal))}) and no '{StateFileName}' file naming one; give the prefix.";
        return false;
    }

    /// <summary>The model_checkpoint_path value of a `checkpoint` state file, unescaped, or null.</summary>
    public static string? ReadModelCheckpointPath(string stateFile)
    {
        var m = ModelCheckpointPathPattern().Match(File.ReadAllText(stateFile));
        return m.Success ? UnescapeTextProtoString(m.Groups["path"].Value) : null;
    }

    // Text-format protobuf strings use C escapes, and Python's writer escapes every non-ASCII byte of the
    // UTF-8 path as octal (\303\251), so the escapes are decoded to bytes and the bytes as UTF-8.
    private static string UnescapeTextProtoString(string s)
    {
        var bytes = new List<byte>(s.Length);
        int i = 0;
        while (i < s.Length)
        {
            int escape = s.IndexOf('\\', i);
            int runEnd = escape < 0 || escape == s.Length - 1 ? s.Length : escape;
            bytes.AddRange(Encoding.UTF8.GetBytes(s[i..runEnd]));
            if (runEnd == s.Length) break;
            i = escape + 1;
            char c = s[i];
            if (c is >= '0' and <= '7')
            {
                int value = 0;
                for (int digits = 0; digits < 3 && i < s.Length && s[i] is >= '0' and <= '7'; digits++, i++) value = value * 8 + (s[i] - '0');
                bytes.Add((byte)value);
            }
            else if (c == 'x' && i + 2 < s.Length && byte.TryParse(s.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte hex))
            {
                bytes.Add(hex);
                i += 3;
            }
            else
            {
                string plain = c switch { 'n' => "\n", 't' => "\t", 'r' => "\r", _ => c.ToString() };
                bytes.AddRange(Encoding.UTF8.GetBytes(plain));
                i++;
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
