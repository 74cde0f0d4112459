using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Derain.Pipelines.Training.Config;

/// <summary>
/// Reads experiment files. Overrides in BasicSR's <c>--force_yml</c> manner (<c>train.total_iter=20</c>, the value
/// written as YAML) are applied to the tree before it is bound, so they are checked like the file itself.
/// </summary>
public static class ExperimentFile
{
    /// <summary>Reads <paramref name="path"/>; relative paths inside it are taken from its folder.</summary>
    /// <exception cref="ConfigException">The file is missing, is not YAML, or a key or value is wrong.</exception>
    public static ExperimentConfig Load(string path, IEnumerable<string>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new ConfigException($"{path}: no such file; give the path of an experiment file, e.g. configs/eevrsr.yaml");
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot be read ({e.Message})");
        }
        var config = Parse(text, path, overrides);
        config.BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        config.SourceFile = path;
        return config;
    }

    /// <summary>Binds YAML text; <paramref name="fileName"/> only labels messages. Relative paths stay relative to the working directory.</summary>
    public static ExperimentConfig Parse(string yaml, string fileName = "config", IEnumerable<string>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var root = ReadTree(yaml, fileName);
        if (root is not YamlMappingNode map)
            throw new ConfigException($"{fileName}: an experiment file is a YAML mapping (name:, datasets:, network:, train:, val:, …)");
        var overridden = new HashSet<YamlNode>();
        foreach (var assignment in overrides ?? []) Apply(map, assignment, fileName, overridden);
        return (ExperimentConfig)new ConfigBinder(fileName, overridden).Bind(typeof(ExperimentConfig), map, "")!;
    }

    private static YamlNode? ReadTree(string yaml, string fileName)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new ConfigException($"{fileName}:{e.Start.Line}: not valid YAML ({e.Message.Trim()})");
        }
        return stream.Documents.Count switch
        {
            0 => throw new ConfigException($"{fileName}: the file is empty; see configs/eevrsr.yaml for an example"),
            1 => stream.Documents[0].RootNode,
            _ => throw new ConfigException($"{fileName}: holds {stream.Documents.Count} YAML documents; keep one experiment per file"),
        };
    }

    /// <summary>Sets <c>a.b.c=value</c> in the tree, creating sections that are missing.</summary>
    private static void Apply(YamlMappingNode root, string assignment, string fileName, HashSet<YamlNode> overridden)
    {
        int eq = assignment.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0) throw new ConfigException($"--set {assignment}: write key.path=value, e.g. train.total_iter=20");
        string[] keys = assignment[..eq].Trim().Split('.');
        if (keys.Any(k => k.Length == 0)) throw new ConfigException($"--set {assignment}: '{assignment[..eq]}' is not a key path; write e.g. train.total_iter=20");
        YamlNode value;
        try
        {
            value = ReadTree("v: " + assignment[(eq + 1)..], fileName) is YamlMappingNode m ? m.Children[new YamlScalarNode("v")] : new YamlScalarNode("");
        }
        catch (ConfigException)
        {
            throw new ConfigException($"--set {assignment}: the value is not valid YAML");
        }
        Mark(value, overridden);
        var map = root;
        for (int i = 0; i < keys.Length - 1; i++)
        {
            var key = new YamlScalarNode(keys[i]);
            if (!map.Children.TryGetValue(key, out var child))
            {
                child = new YamlMappingNode();
                map.Children[key] = child;
                overridden.Add(child);
            }
            map = child as YamlMappingNode
                ?? throw new ConfigException($"--set {assignment}: {string.Join('.', keys[..(i + 1)])} is a value, not a section");
        }
        map.Children[new YamlScalarNode(keys[^1])] = value;
    }

    private static void Mark(YamlNode node, HashSet<YamlNode> overridden)
    {
        overridden.Add(node);
        foreach (var child in node.AllNodes) overridden.Add(child);
    }
}
