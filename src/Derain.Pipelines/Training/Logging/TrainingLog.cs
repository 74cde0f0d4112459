using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Derain.Pipelines.Training.Logging;

/// <summary>
/// <c>log.jsonl</c> (one JSON object per entry, the record the run resumes from) and <c>log.csv</c> (the same entries
/// as a table: kind, iter, then every column, empty where an entry has no value). Numbers are written so they read
/// back bit for bit. Opening for a run that resumes at iteration k keeps the entries up to k and drops the rest (and a
/// line cut short by a kill), rewriting both files through temporary files, so the log of a resumed run is the log
/// an uninterrupted run writes.
/// </summary>
public sealed class TrainingLog : IDisposable
{
    public const string JsonFile = "log.jsonl", CsvFile = "log.csv";

    private readonly string _jsonPath, _csvPath;
    private readonly IReadOnlyList<string> _columns;
    private readonly List<LogEntry> _entries = [];
    private StreamWriter? _json, _csv;

    /// <param name="directory">The experiment folder.</param>
    /// <param name="columns">The CSV columns after kind and iter, in order.</param>
    public TrainingLog(string directory, IReadOnlyList<string> columns)
    {
        _jsonPath = Path.Combine(directory, JsonFile);
        _csvPath = Path.Combine(directory, CsvFile);
        _columns = columns;
    }

    /// <summary>The entries so far (those kept on opening, then those appended).</summary>
    public IReadOnlyList<LogEntry> Entries => _entries;

    /// <summary>Keeps the existing entries with iteration ≤ <paramref name="keepUpTo"/> (none when starting afresh) and opens for appending.</summary>
    public void Open(long keepUpTo)
    {
        _entries.Clear();
        if (keepUpTo > 0) _entries.AddRange(Read(_jsonPath).Where(e => e.Iteration <= keepUpTo));
        var json = new StringBuilder();
        var csv = new StringBuilder().Append(CsvHeader()).Append('\n');
        foreach (var e in _entries)
        {
            json.Append(ToJson(e)).Append('\n');
            csv.Append(ToCsv(e)).Append('\n');
        }
        Replace(_jsonPath, json.ToString());
        Replace(_csvPath, csv.ToString());
        _json = Append(_jsonPath);
        _csv = Append(_csvPath);
    }

    /// <summary>Writes an entry to both files and flushes them.</summary>
    public void Write(LogEntry entry)
    {
        if (_json is null || _csv is null) throw new InvalidOperationException("Open the log first.");
        _entries.Add(entry);
        _json.Write(ToJson(entry) + "\n");
        _csv.Write(ToCsv(entry) + "\n");
        _json.Flush();
        _csv.Flush();
    }

    public void Dispose()
    {
        _json?.Dispose();
        _csv?.Dispose();
        _json = _csv = null;
    }

    /// <summary>Reads a <c>log.jsonl</c>; lines that are not complete entries (a write cut short) are skipped.</summary>
    public static List<LogEntry> Read(string path)
    {
        var entries = new List<LogEntry>();
        if (!File.Exists(path)) return entries;
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line[^1] != '}') continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                var entry = new LogEntry(root.GetProperty("kind").GetString()!, root.GetProperty("iter").GetInt64());
                foreach (var p in root.EnumerateObject())
                {
                    if (p.Name is "kind" or "iter") continue;
                    entry.Add(p.Name, p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() : null);
                }
                entries.Add(entry);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // A partial or foreign line: not part of the record.
            }
        }
        return entries;
    }

    private string CsvHeader() => "kind,iter," + string.Join(',', _columns);

    private string ToCsv(LogEntry e)
    {
        var sb = new StringBuilder().Append(e.Kind).Append(',').Append(e.Iteration.ToString(CultureInfo.InvariantCulture));
        foreach (var c in _columns)
        {
            sb.Append(',');
            if (e[c] is double v) sb.Append(v.ToString("R", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    private static string ToJson(LogEntry e)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", e.Kind);
            w.WriteNumber("iter", e.Iteration);
            foreach (var (k, v) in e.Values)
            {
                if (v is double d) w.WriteNumber(k, d);
                else w.WriteNull(k);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Replace(string path, string text)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }

    private static StreamWriter Append(string path)
        => new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
}
