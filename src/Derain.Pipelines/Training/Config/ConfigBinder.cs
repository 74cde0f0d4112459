using System.Globalization;
using System.Reflection;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace Derain.Pipelines.Training.Config;

/// <summary>
/// Binds a YAML tree onto configuration classes by their constructors: each mapping key is the snake_case name of
/// a constructor parameter, each value converts to the parameter's type (text, whole numbers, numbers, true/false,
/// lists, nested sections; a section with a static <c>Variants</c> table picks its class by its <c>type</c> key).
/// Unknown keys, missing required keys, values of the wrong kind and values a constructor rejects all become one
/// <see cref="ConfigException"/> naming the file, line, full key and the fix.
/// </summary>
internal sealed class ConfigBinder(string file, IReadOnlySet<YamlNode> overridden)
{
    public object? Bind(Type type, YamlNode node, string path)
    {
        var nullable = Nullable.GetUnderlyingType(type);
        if (IsNull(node))
        {
            if (nullable is not null || !type.IsValueType) return null;
            throw Error(node, path, $"is empty; give {Describe(type)}");
        }
        type = nullable ?? type;
        if (type == typeof(string)) return Scalar(node, path, type);
        if (type == typeof(bool))
        {
            string v = Scalar(node, path, type);
            return v switch
            {
                "true" or "True" or "TRUE" => true,
                "false" or "False" or "FALSE" => false,
                _ => throw Error(node, path, $"'{v}' is not true or false"),
            };
        }
        if (type == typeof(int) || type == typeof(long) || type == typeof(ulong)) return WholeNumber(node, path, type);
        if (type == typeof(double))
        {
            string v = Scalar(node, path, type);
            if (!double.TryParse(v.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !double.IsFinite(d))
                throw Error(node, path, $"'{v}' is not a number; write e.g. 0.5 or 1.0e-4");
            return d;
        }
        if (ListElement(type) is Type element) return BindList(element, node, path);
        if (type.IsClass) return BindSection(type, node, path);
        throw new InvalidOperationException($"The configuration binder cannot bind {type.Name} ({path}).");
    }

    private object WholeNumber(YamlNode node, string path, Type type)
    {
        string v = Scalar(node, path, type).Replace("_", "", StringComparison.Ordinal);
        // 1e5 is a common way to write a step count; accept it when it is exactly a whole number.
        decimal value;
        if (decimal.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var exact)) value = exact;
        else if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) && d == Math.Floor(d) && Math.Abs(d) < 1e18)
            value = (decimal)d;
        else throw Error(node, path, $"'{v}' is not a whole number; write e.g. 100000");
        try
        {
            if (type == typeof(int)) return (int)value;
            if (type == typeof(long)) return (long)value;
            return (ulong)value;
        }
        catch (OverflowException)
        {
            throw Error(node, path, $"{v} is out of range for {Describe(type)}");
        }
    }

    private object BindList(Type element, YamlNode node, string path)
    {
        if (node is not YamlSequenceNode seq) throw Error(node, path, $"must be a list, e.g. [a, b] or one '- item' per line, not '{Text(node)}'");
        var list = (System.Collections.IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
        for (int i = 0; i < seq.Children.Count; i++) list.Add(Bind(element, seq.Children[i], $"{path}[{i}]"));
        return list;
    }

    private object BindSection(Type type, YamlNode node, string path)
    {
        if (node is not YamlMappingNode map) throw Error(node, path, $"must be a section with the keys {KeyList(type)}, not '{Text(node)}'");
        var keys = new Dictionary<string, (YamlNode Key, YamlNode Value)>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Children)
        {
            string name = k is YamlScalarNode s ? s.Value ?? "" : throw Error(k, path, "has a key that is not plain text");
            keys[name] = (k, v);
        }

        if (type.IsAbstract) type = Variant(type, map, keys, path);
        var ctor = Constructor(type);
        var parameters = ctor.GetParameters();
        var byKey = parameters.ToDictionary(p => SnakeCase(p.Name!), StringComparer.Ordinal);
        foreach (var (name, (keyNode, _)) in keys)
            if (!byKey.ContainsKey(name))
                throw Error(keyNode, Join(path, name), $"is not a known key{Suggest(name, byKey.Keys)}; {(path.Length == 0 ? "the top level" : path)} takes {string.Join(", ", byKey.Keys)}");

        var args = new object?[parameters.Length];
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            string key = SnakeCase(p.Name!);
            if (keys.TryGetValue(key, out var entry)) args[i] = Bind(p.ParameterType, entry.Value, Join(path, key));
            else if (p.HasDefaultValue) args[i] = p.DefaultValue;
            else throw Error(map, Join(path, key), $"is missing; add it ({Describe(p.ParameterType)})");
        }
        try
        {
            return ctor.Invoke(args);
        }
        catch (TargetInvocationException e) when (e.InnerException is ConfigValueException v)
        {
            YamlNode at = keys.TryGetValue(v.Key, out var entry) ? entry.Value : map;
            throw Error(at, Join(path, v.Key), v.Message);
        }
    }

    /// <summary>The class a <c>type</c> key selects from the abstract section's static <c>Variants</c> table.</summary>
    private Type Variant(Type type, YamlMappingNode map, Dictionary<string, (YamlNode Key, YamlNode Value)> keys, string path)
    {
        var table = (IReadOnlyDictionary<string, Type>?)type.GetProperty("Variants", BindingFlags.Public | BindingFlags.Static)?.GetValue(null)
            ?? throw new InvalidOperationException($"{type.Name} is abstract but has no Variants table.");
        if (!keys.Remove("type", out var typeEntry))
            throw Error(map, Join(path, "type"), $"is missing; add it (one of {string.Join(", ", table.Keys)})");
        string name = Scalar(typeEntry.Value, Join(path, "type"), typeof(string));
        return table.TryGetValue(name, out var chosen)
            ? chosen
            : throw Error(typeEntry.Value, Join(path, "type"), $"unknown type '{name}'{Suggest(name, table.Keys)}; use one of {string.Join(", ", table.Keys)}");
    }

    private static ConstructorInfo Constructor(Type type)
        => type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();

    private string Scalar(YamlNode node, string path, Type type)
        => node is YamlScalarNode s ? s.Value ?? "" : throw Error(node, path, $"must be {Describe(type)}, not a {(node is YamlSequenceNode ? "list" : "section")}");

    private static bool IsNull(YamlNode node)
        => node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private ConfigException Error(YamlNode node, string path, string problem)
    {
        string where = overridden.Contains(node) || node.Start.Line == 0 ? $"{file} (--set)" : $"{file}:{node.Start.Line}";
        return new ConfigException($"{where}: {(path.Length == 0 ? "the file" : path)}: {problem}");
    }

    private static string Join(string path, string key) => key.Length == 0 ? path : path.Length == 0 ? key : $"{path}.{key}";

    private static string Text(YamlNode node) => node switch
    {
        YamlScalarNode s => s.Value ?? "",
        YamlSequenceNode => "a list",
        _ => "a section",
    };

    private static Type? ListElement(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        if (!type.IsGenericType) return null;
        var def = type.GetGenericTypeDefinition();
        return def == typeof(IReadOnlyList<>) || def == typeof(IList<>) || def == typeof(List<>) || def == typeof(IEnumerable<>)
            ? type.GetGenericArguments()[0] : null;
    }

    private static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return "a text value";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(int) || type == typeof(long)) return "a whole number";
        if (type == typeof(ulong)) return "a whole number ≥ 0";
        if (type == typeof(double)) return "a number";
        if (ListElement(type) is Type e) return $"a list of {Describe(e).Replace("a ", "", StringComparison.Ordinal)}s";
        return $"a section with the keys {KeyList(type)}";
    }

    private static string KeyList(Type type)
    {
        if (type.IsAbstract && type.GetProperty("Variants", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is IReadOnlyDictionary<string, Type> table)
            return $"type ({string.Join(", ", table.Keys)}) and that type's keys";
        return string.Join(", ", Constructor(type).GetParameters().Select(p => SnakeCase(p.Name!)));
    }

    /// <summary>totalIter → total_iter.</summary>
    internal static string SnakeCase(string name)
    {
        var sb = new StringBuilder();
        foreach (char c in name)
        {
            if (char.IsUpper(c)) sb.Append('_').Append(char.ToLowerInvariant(c));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>" (did you mean total_iter?)" for a near miss: another spelling of the same words, or a typo.</summary>
    private static string Suggest(string given, IEnumerable<string> valid)
    {
        string normal = SnakeCase(given).Replace('-', '_').ToLowerInvariant();
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var v in valid)
        {
            int d = v == normal ? 0 : Distance(normal, v);
            if (d < bestDistance) { best = v; bestDistance = d; }
        }
        return best is not null && bestDistance <= Math.Max(2, given.Length / 4) ? $" (did you mean {best}?)" : "";
    }

    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
