using Derain.Tensors;

namespace Derain.Data.Loading;

/// <summary>Stacks samples into a batch; every sample must have the same keys with the same shapes.</summary>
internal static class BatchCollator
{
    public static Batch Stack(LoaderPosition position, IReadOnlyList<Sample> samples)
    {
        var first = samples[0];
        var keys = first.Keys.ToList();
        foreach (var s in samples)
        {
            if (s.Tensors.Count != keys.Count || keys.Any(k => !s.Tensors.ContainsKey(k)))
                throw new DatasetException($"Sample {s.Name} has keys {string.Join(", ", s.Keys)} but {first.Name} has {string.Join(", ", keys)}");
            foreach (var k in keys)
                if (s[k].Shape != first[k].Shape)
                    throw new DatasetException($"Cannot batch '{k}' of {s.Name} {s[k].Shape} with {first.Name} {first[k].Shape} (crop to a common size)");
        }
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var k in keys)
        {
            var shape = first[k].Shape;
            int n = shape.NumElements;
            var data = new float[n * samples.Count];
            for (int b = 0; b < samples.Count; b++) samples[b][k].Span<float>().CopyTo(data.AsSpan(b * n, n));
            tensors[k] = Tensor.Wrap(data, [samples.Count, .. shape.ToArray()]);
        }
        return new Batch(position, samples.Select(s => s.Name).ToList(), tensors);
    }
}
