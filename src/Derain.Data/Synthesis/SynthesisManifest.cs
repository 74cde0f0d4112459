using System.Text.Json;

namespace Derain.Data.Synthesis;

/// <summary>
/// <c>synthesis.json</c>: the kind, preset, seed, every parameter and each source with its frame count and wind,
/// so a set documents itself and can be rebuilt (same request, same bytes).
/// </summary>
internal static class SynthesisManifest
{
    public static void Write(string path, SynthesisRequest request, RainOptions options, IReadOnlyList<SourceRecord> sources)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("generator", "derain synth");
        json.WriteString("kind", request.Kind.Name());
        json.WriteString("preset", RainPresets.Names[(int)request.Preset]);
        json.WriteString("seed", request.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (request.Frames is int frames) json.WriteNumber("frames", frames);
        json.WriteString("input", Path.GetFullPath(request.Input));
        json.WriteStartObject("options");
        foreach (var key in RainOptionKeys.All) json.WriteString(key.Name, key.Get(options));
        json.WriteEndObject();
        json.WriteStartArray("folders");
        foreach (var folder in request.Kind.Folders()) json.WriteStringValue(folder);
        json.WriteEndArray();
        json.WriteStartArray("sources");
        foreach (var s in sources)
        {
            json.WriteStartObject();
            json.WriteString("name", s.Name);
            json.WriteString("path", Path.GetFullPath(s.Path));
            json.WriteString("type", s.Type.ToString());
            json.WriteNumber("frames", s.Frames);
            json.WriteNumber("width", s.Width);
            json.WriteNumber("height", s.Height);
            json.WriteNumber("windDegrees", Math.Round(s.WindDegrees, 3));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
