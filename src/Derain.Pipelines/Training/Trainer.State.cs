using System.Globalization;
using System.Text.Json;
using Derain.Data.Loading;
using Derain.NN.Checkpoints;
using Derain.NN.Training;
using Derain.Pipelines.Training.Config;
using Derain.Tensors;

namespace Derain.Pipelines.Training;

public sealed partial class Trainer
{
    private sealed partial class Session
    {
        // Keys of TrainingState.Values.
        private const string LoaderEpoch = "loader.epoch", LoaderBatch = "loader.batch", Scheduler = "scheduler", Window = "log.window",
            BestScore = "best.score", BestIteration = "best.iteration", InitGenerator = "init";

        /// <summary>The settings a checkpoint only makes sense with: changing one breaks the run it continues.</summary>
        private IEnumerable<(string Key, string Value)> Fingerprint()
        {
            yield return ("network", $"{_config.Network.Type}/{_config.Network.Variant}");
            yield return ("seed", _config.Seed.ToString(CultureInfo.InvariantCulture));
            yield return ("train.batch_size", _config.Train.BatchSize.ToString(CultureInfo.InvariantCulture));
        }

        private void SaveCheckpoint()
        {
            var state = new TrainingState { Iteration = _iteration, Optimizer = _optimizer.GetState() };
            state.Generators[InitGenerator] = _initGenerator.GetState();
            var position = _loader.Position;
            state.Values[LoaderEpoch] = position.Epoch.ToString(CultureInfo.InvariantCulture);
            state.Values[LoaderBatch] = position.Batch.ToString(CultureInfo.InvariantCulture);
            state.Values[Scheduler] = _scheduleText;
            state.Values["train.patch_size"] = _config.Train.PatchSize.ToString(CultureInfo.InvariantCulture);
            state.Values[Window] = _window.Save();
            if (_bestScore is double best)
            {
                state.Values[BestScore] = best.ToString("R", CultureInfo.InvariantCulture);
                state.Values[BestIteration] = _bestIteration!.Value.ToString(CultureInfo.InvariantCulture);
            }
            foreach (var (key, value) in Fingerprint()) state.Values["config." + key] = value;
            _lastCheckpoint = _store.Save(_network.Module, state);
            _savedIteration = _iteration;
            _network.SaveWeights(Path.Combine(_directory, "models", LastModel), ModelMetadata(null));
            _reporter.Message($"saved checkpoint {Path.GetRelativePath(_directory, _lastCheckpoint)} (iteration {_iteration})");
        }

        /// <summary>Continues from the first usable checkpoint of <paramref name="candidates"/>, or starts afresh when there are none.</summary>
        private void Restore(List<string> candidates)
        {
            if (candidates.Count == 0)
            {
                string start = "from scratch";
                if (_config.Path.PretrainNetwork is string pretrain)
                {
                    string file = _config.Resolve(pretrain);
                    if (!File.Exists(file))
                        throw new ConfigException($"path.pretrain_network: {file} does not exist; give the weights to start from (a file derain run takes for {_config.Network.Type}), or remove the key to start from random weights");
                    _network.LoadPretrained(file);
                    start = $"from the weights {file}";
                }
                _reporter.Message(string.Create(CultureInfo.InvariantCulture,
                    $"starting {_config.Name} {start}: {_config.Network.Type}{(_config.Network.Type == "eevrsr" ? $" ({_config.Network.Variant})" : "")}, {_network.Module.ParameterCount(trainableOnly: true):N0} trainable parameters, " +
                    $"{_loader.BatchesPerEpoch} batches per epoch, {_validation.Count} validation clips"));
                return;
            }
            var problems = new List<string>();
            foreach (var dir in candidates)
            {
                try
                {
                    Load(dir);
                    var p = _loader.Position;
                    _reporter.Message(string.Create(CultureInfo.InvariantCulture,
                        $"resuming from {dir}: iteration {_iteration}, epoch {p.Epoch} batch {p.Batch}"));
                    return;
                }
                catch (InvalidDataException e) when (candidates.Count > 1)
                {
                    // path.resume: auto — a damaged newest checkpoint should not cost the older ones.
                    problems.Add(e.Message);
                    _reporter.Message($"skipping {dir}: {e.Message}");
                }
            }
            throw new InvalidDataException($"No checkpoint of {_config.ExperimentDirectory} could be read ({string.Join("; ", problems)}); set path.resume: none and a new name: to start over.");
        }

        /// <summary>Reads everything first and applies it only when all of it is readable and fits.</summary>
        private void Load(string dir)
        {
            var state = TrainingState.Load(Path.Combine(dir, CheckpointStore.StateFile));
            foreach (var (key, value) in Fingerprint())
            {
                if (state.Values.TryGetValue("config." + key, out var saved) && saved != value)
                    throw new ConfigException(
                        $"{key}: the checkpoint {dir} was trained with {saved}, this experiment says {value}. Set it back to {saved} to continue, " +
                        "or choose another name: (or path.resume: none) to start a new run");
            }
            if (state.Optimizer is null) throw new InvalidDataException($"{dir}: the training state has no optimiser state.");
            int epoch = int.Parse(Value(state, dir, LoaderEpoch), CultureInfo.InvariantCulture);
            int batch = int.Parse(Value(state, dir, LoaderBatch), CultureInfo.InvariantCulture);
            var window = Value(state, dir, Window);

            Dictionary<string, Tensor> weights;
            using (var reader = Checkpoint.Open(Path.Combine(dir, CheckpointStore.WeightsFile)))
                weights = reader.ReadAll();
            try
            {
                _network.Module.LoadStateDict(weights, strict: true);
            }
            finally
            {
                foreach (var t in weights.Values) t.Dispose();
            }
            _optimizer.SetState(state.Optimizer);
            if (state.Generators.TryGetValue(InitGenerator, out var init)) _initGenerator.SetState(init);
            if (batch >= _loader.BatchesPerEpoch)
                throw new ConfigException(
                    $"datasets.train.root: the checkpoint {dir} continues at batch {batch} of an epoch, but the training set now has {_loader.BatchesPerEpoch} batches per epoch; " +
                    "train on the set the run started with, or start a new run");
            _loader.Seek(new LoaderPosition(epoch, batch));
            _window.Restore(window);
            _iteration = state.Iteration;
            _savedIteration = _iteration;
            _lastCheckpoint = dir;
            if (state.Values.TryGetValue(BestScore, out var best))
            {
                _bestScore = double.Parse(best, CultureInfo.InvariantCulture);
                _bestIteration = long.Parse(state.Values[BestIteration], CultureInfo.InvariantCulture);
            }
            if (state.Values.TryGetValue(Scheduler, out var schedule) && schedule != _scheduleText)
                _reporter.Message($"note: the schedule changed since the checkpoint (was {schedule}; now {_scheduleText}); continuing with the new one");
            if (state.Values.TryGetValue("train.patch_size", out var patch) && patch != _config.Train.PatchSize.ToString(CultureInfo.InvariantCulture))
                _reporter.Message($"note: train.patch_size changed since the checkpoint (was {patch}); the run continues with {_config.Train.PatchSize}");
        }

        private static string Value(TrainingState state, string dir, string key)
            => state.Values.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{dir}: the training state lacks '{key}'; it was not written by derain train.");
    }

    /// <summary>
    /// Sums of the loss and its terms since the last <c>train</c> log entry, so the entry holds their mean; kept in
    /// checkpoints (as round-trip text) so an entry that straddles a resume averages the same iterations.
    /// </summary>
    private sealed class LossWindow(int values)
    {
        private double[] _sums = new double[values];
        private long _count;
        private double _lr;

        public void Add(double lr, double total, IReadOnlyList<double> terms)
        {
            _lr = lr;
            _sums[0] += total;
            for (int i = 0; i < terms.Count; i++) _sums[i + 1] += terms[i];
            _count++;
        }

        /// <summary>The last learning rate and the means, then starts a new window.</summary>
        public (double Lr, double[] Means) Take()
        {
            var means = _sums.Select(s => s / _count).ToArray();
            Array.Clear(_sums);
            _count = 0;
            return (_lr, means);
        }

        public string Save() => JsonSerializer.Serialize(new[] { _count.ToString(CultureInfo.InvariantCulture), _lr.ToString("R", CultureInfo.InvariantCulture) }
            .Concat(_sums.Select(s => s.ToString("R", CultureInfo.InvariantCulture))).ToArray());

        public void Restore(string text)
        {
            var parts = JsonSerializer.Deserialize<string[]>(text) ?? [];
            if (parts.Length != _sums.Length + 2) throw new InvalidDataException($"The checkpoint's log window has {parts.Length - 2} terms, this network logs {_sums.Length}.");
            _count = long.Parse(parts[0], CultureInfo.InvariantCulture);
            _lr = double.Parse(parts[1], CultureInfo.InvariantCulture);
            _sums = parts.Skip(2).Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        }
    }
}
