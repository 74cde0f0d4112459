using System.Globalization;
using System.Text.Json;
using Derain.NN.Checkpoints.SafeTensors;
using Derain.NN.Modules;
using Derain.NN.Optim;
using Derain.Tensors;

namespace Derain.NN.Training;

/// <summary>
/// What a training run needs besides its weights to resume exactly: the iteration, the optimiser's moments
/// and per-parameter step counts, the state of every named random generator (data order, augmentation,
/// dropout), extra non-parameter tensors (e.g. MGID's memory items) and free-form values (schedule name,
/// best validation score). Stored as a safetensors file: tensors for the arrays, the header's metadata for
/// the rest. Written atomically, so a run killed while saving leaves the previous checkpoint intact.
/// </summary>
public sealed class TrainingState
{
    private const string FormatTag = "derain-training-state/1";

    /// <summary>Completed iterations.</summary>
    public long Iteration { get; set; }

    /// <summary>The optimiser's state (moments, steps).</summary>
    public OptimizerState? Optimizer { get; set; }

    /// <summary>Named generator states (see <see cref="Generator.GetState"/>).</summary>
    public Dictionary<string, ulong[]> Generators { get; } = [];

    /// <summary>Non-parameter tensors to restore (copied on save).</summary>
    public Dictionary<string, float[]> Arrays { get; } = [];

    /// <summary>Shapes of <see cref="Arrays"/> entries.</summary>
    public Dictionary<string, int[]> ArrayShapes { get; } = [];

    /// <summary>Free-form values (strings) kept with the state.</summary>
    public Dictionary<string, string> Values { get; } = [];

    /// <summary>Keeps a copy of a tensor's values under <paramref name="name"/>.</summary>
    public void SetArray(string name, Tensor t)
    {
        Arrays[name] = t.ToArray();
        ArrayShapes[name] = t.Shape.ToArray();
    }

    /// <summary>Writes weights and state of a run: <paramref name="weightsPath"/> (.safetensors of the model's state dict) and <paramref name="statePath"/>.</summary>
    public static void SaveCheckpoint(Module model, string weightsPath, TrainingState state, string statePath)
    {
        SafeTensorsWriter.Write(weightsPath, model.StateDict().Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value)));
        state.Save(statePath);
    }

    /// <summary>Saves to <paramref name="path"/> (temp file, then rename).</summary>
    public void Save(string path)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        var meta = new Dictionary<string, string>
        {
            ["format"] = FormatTag,
            ["iteration"] = Iteration.ToString(CultureInfo.InvariantCulture),
            ["values"] = JsonSerializer.Serialize(Values),
            ["generators"] = JsonSerializer.Serialize(Generators.ToDictionary(kv => kv.Key, kv => kv.Value.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray())),
        };
        if (Optimizer is not null)
        {
            meta["optimizer.step"] = Optimizer.StepCount.ToString(CultureInfo.InvariantCulture);
            meta["optimizer.param_steps"] = JsonSerializer.Serialize(Optimizer.ParamSteps);
            foreach (var (k, v) in Optimizer.Arrays)
                tensors.Add(new("optimizer." + k, Tensor.Wrap(v, v.Length)));
        }
        foreach (var (k, v) in Arrays)
            tensors.Add(new("array." + k, Tensor.Wrap(v, ArrayShapes[k])));
        SafeTensorsWriter.Write(path, tensors, meta);
    }

    /// <summary>Loads a state written by <see cref="Save"/>; a file of another kind is a clear error.</summary>
    public static TrainingState Load(string path)
    {
        using var reader = SafeTensorsReader.Open(path);
        if (!reader.Metadata.TryGetValue("format", out var format) || format != FormatTag)
            throw new InvalidDataException($"{path} is not a Derain training-state file (expected format {FormatTag}).");
        var state = new TrainingState { Iteration = long.Parse(Required(reader, path, "iteration"), CultureInfo.InvariantCulture) };
        foreach (var (k, v) in JsonSerializer.Deserialize<Dictionary<string, string>>(Required(reader, path, "values")) ?? [])
            state.Values[k] = v;
        foreach (var (k, v) in JsonSerializer.Deserialize<Dictionary<string, string[]>>(Required(reader, path, "generators")) ?? [])
            state.Generators[k] = v.Select(x => ulong.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        if (reader.Metadata.TryGetValue("optimizer.step", out var step))
        {
            var arrays = new Dictionary<string, float[]>();
            foreach (var e in reader.Entries.Where(e => e.Name.StartsWith("optimizer.", StringComparison.Ordinal)))
                arrays[e.Name["optimizer.".Length..]] = reader.Read(e.Name).ToArray();
            var paramSteps = JsonSerializer.Deserialize<Dictionary<string, long>>(Required(reader, path, "optimizer.param_steps")) ?? [];
            state.Optimizer = new OptimizerState(long.Parse(step, CultureInfo.InvariantCulture), paramSteps, arrays);
        }
        foreach (var e in reader.Entries.Where(e => e.Name.StartsWith("array.", StringComparison.Ordinal)))
        {
            var name = e.Name["array.".Length..];
            state.Arrays[name] = reader.Read(e.Name).ToArray();
            state.ArrayShapes[name] = e.Shape;
        }
        return state;
    }

    private static string Required(SafeTensorsReader reader, string path, string key)
        => reader.Metadata.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{path}: training state lacks '{key}'.");
}
