using System.Diagnostics;
using System.Globalization;
using Derain.Data.Loading;
using Derain.Data.Synthesis;
using Derain.NN.Modules;
using Derain.NN.Optim;
using Derain.Pipelines.Training.Config;
using Derain.Pipelines.Training.Data;
using Derain.Pipelines.Training.Logging;
using Derain.Pipelines.Training.Networks;
using Derain.Pipelines.Training.Plotting;
using Derain.Tensors;
using Derain.Tensors.Autograd;

namespace Derain.Pipelines.Training;

/// <summary>How a <see cref="Trainer.Run"/> ended.</summary>
public enum TrainingStatus
{
    /// <summary>All <c>train.total_iter</c> iterations are done.</summary>
    Completed,

    /// <summary>Cancelled (Ctrl+C): a checkpoint of the last finished iteration was saved.</summary>
    Interrupted,

    /// <summary>The checkpoint resumed from had already reached <c>train.total_iter</c>; nothing was run.</summary>
    AlreadyComplete,
}

/// <summary>The outcome of a run.</summary>
/// <param name="Status">How it ended.</param>
/// <param name="Iteration">Completed iterations.</param>
/// <param name="ExperimentDirectory">The experiment's folder.</param>
/// <param name="Checkpoint">The newest checkpoint folder, if any.</param>
/// <param name="BestScore">The best validation PSNR (or SSIM when PSNR is not measured) so far.</param>
/// <param name="BestIteration">Where <paramref name="BestScore"/> was measured.</param>
/// <param name="SecondsPerIteration">Mean wall time of the iterations this run made (validation included), or NaN.</param>
public sealed record TrainingResult(TrainingStatus Status, long Iteration, string ExperimentDirectory, string? Checkpoint,
    double? BestScore, long? BestIteration, double SecondsPerIteration);

/// <summary>
/// Trains a network from an <see cref="ExperimentConfig"/> (BasicSR's train loop): renders missing datasets, builds
/// the network from the seed, Adam and the schedule, then per iteration takes a batch from the network's own kind of
/// set (<see cref="ITrainableNetwork"/>: EEVRSR's streak clips, MGID's time-lapse pairs) and runs forward, loss,
/// backward, optional gradient clipping, the update and the network's end-of-step bookkeeping (MGID's memory) inside
/// one <see cref="TensorScope"/> so memory stays flat. Every <c>logger.print_freq</c> iterations it logs the loss terms
/// averaged since the last entry; every <c>val.freq</c> and at the end it validates on the held-out set in eval mode
/// without gradients and keeps the best and last weights in <c>models/</c>; every
/// <c>logger.save_checkpoint_freq</c>, at the end and on cancellation it writes a checkpoint (<see cref="CheckpointStore"/>).
/// Everything that decides the next iteration — weights, BatchNorm statistics, optimiser moments and step counts,
/// loader position, the log's running averages, the best score — is in the checkpoint, so a resumed run continues
/// bit for bit as if it had never stopped (with the same number of threads).
/// </summary>
public sealed partial class Trainer
{
    /// <summary>The model file written at every checkpoint and at the end.</summary>
    public const string LastModel = "last.safetensors";

    /// <summary>The model file of the best validation score.</summary>
    public const string BestModel = "best.safetensors";

    /// <summary>The plot of loss and validation curves, in the experiment folder.</summary>
    public const string PlotFile = "plot.png";

    private readonly ExperimentConfig _config;
    private readonly ITrainingReporter _reporter;
    private readonly Func<ExperimentConfig, Generator, ITrainableNetwork> _networkFactory;

    /// <param name="config">The experiment.</param>
    /// <param name="reporter">Console output (none when null).</param>
    /// <param name="network">Builds the network from the config and the initialisation generator; by default the one
    /// <c>network.type</c> names.</param>
    public Trainer(ExperimentConfig config, ITrainingReporter? reporter = null, Func<ExperimentConfig, Generator, ITrainableNetwork>? network = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _reporter = reporter ?? SilentReporter.Instance;
        _networkFactory = network ?? DefaultNetwork;
    }

    /// <summary>The networks <c>network.type</c> can name.</summary>
    public static ITrainableNetwork DefaultNetwork(ExperimentConfig config, Generator generator) => config.Network.Type switch
    {
        "eevrsr" => EevrsrTraining.FromConfig(config, generator),
        "mgid" => MgidTraining.FromConfig(config, generator),
        "vimpnet" => VimpnetTraining.FromConfig(config, generator),
        _ => throw new ConfigException($"network.type: unknown network '{config.Network.Type}'"),
    };

    /// <summary>Runs (or continues) the experiment until <c>train.total_iter</c> or until <paramref name="cancel"/> fires.</summary>
    public TrainingResult Run(CancellationToken cancel = default)
    {
        string dir = _config.ExperimentDirectory;
        Directory.CreateDirectory(dir);
        Directory.CreateDirectory(Path.Combine(dir, "models"));
        var store = new CheckpointStore(Path.Combine(dir, "checkpoints"));
        var candidates = ResumeCandidates(store);

        // One seed for everything: the first draw initialises the weights, the second seeds the data stream.
        var master = new Generator(_config.Seed);
        var initGenerator = new Generator(master.NextUInt64());
        ulong dataSeed = master.NextUInt64();
        var network = _networkFactory(_config, initGenerator);

        string trainRoot = _config.Resolve(_config.Datasets.Train.Root), valRoot = _config.Resolve(_config.Datasets.Val.Root);
        DatasetPreparation.Ensure("datasets.train", trainRoot, _config.Datasets.Train.Synthesize, network.DataKind, _config.Resolve, _reporter.Message, cancel);
        DatasetPreparation.Ensure("datasets.val", valRoot, _config.Datasets.Val.Synthesize, network.DataKind, _config.Resolve, _reporter.Message, cancel);

        using var session = new Session(this, network, initGenerator, dataSeed, trainRoot, valRoot, dir, store);
        return session.Execute(candidates, cancel);
    }

    /// <summary>Checkpoint folders to try, in order, as <c>path.resume</c> says.</summary>
    private List<string> ResumeCandidates(CheckpointStore store)
    {
        string resume = _config.Path.Resume;
        var existing = store.List();
        switch (resume)
        {
            case "none":
                if (existing.Count > 0)
                    throw new ConfigException(
                        $"path.resume: none, but {_config.ExperimentDirectory} already holds checkpoints (latest: iteration {existing[0].Iteration}); " +
                        "use resume: auto to continue it, or another name: to start a new experiment");
                return [];
            case "auto":
                return existing.Select(c => c.Path).ToList();
            default:
                return [CheckpointStore.Locate(_config.Resolve(resume))];
        }
    }

    /// <summary>The state of one run: network, optimiser, data, log; disposed at the end.</summary>
    private sealed partial class Session : IDisposable
    {
        private readonly ExperimentConfig _config;
        private readonly ITrainingReporter _reporter;
        private readonly string _directory;
        private readonly CheckpointStore _store;
        private readonly Generator _initGenerator;
        private readonly ITrainableNetwork _network;
        private readonly IReadOnlyList<Parameter> _parameters;
        private readonly Optimizer _optimizer;
        private readonly ILrSchedule _schedule;
        private readonly string _scheduleText;
        private readonly DataLoader _loader;
        private readonly IValidationSet _validation;
        private readonly TrainingLog _log;
        private readonly LossWindow _window;
        private long _iteration, _savedIteration = -1;
        private double? _bestScore;
        private long? _bestIteration;
        private string? _lastCheckpoint;

        public Session(Trainer owner, ITrainableNetwork network, Generator initGenerator, ulong dataSeed, string trainRoot, string valRoot,
            string directory, CheckpointStore store)
        {
            _config = owner._config;
            _reporter = owner._reporter;
            _directory = directory;
            _store = store;
            _initGenerator = initGenerator;
            _network = network;
            _network.Module.Train();
            var groups = _network.ParameterGroups();
            _parameters = groups.SelectMany(g => g.Parameters).ToList();
            var opt = _config.Train.Optimizer;
            _optimizer = opt.Type == "adamw"
                ? new AdamW(groups, opt.Lr, opt.Betas[0], opt.Betas[1], opt.Eps, opt.WeightDecay)
                : new Adam(groups, opt.Lr, opt.Betas[0], opt.Betas[1], opt.Eps, opt.WeightDecay);
            _schedule = _config.Train.Scheduler.Build(_config.Train.TotalIter);
            _scheduleText = _config.Train.Scheduler.Describe(_config.Train.TotalIter);

            var train = _config.Datasets.Train;
            var dataset = _network.OpenTrainingSet(trainRoot);
            if (train.Resize is int side) dataset = new ResizedDataset(dataset, side, side);
            _loader = new DataLoader(dataset,
                new DataLoaderOptions
                {
                    BatchSize = _config.Train.BatchSize, Shuffle = true, DropLast = true, Seed = dataSeed,
                    Workers = train.Workers, Prefetch = train.Prefetch,
                },
                new AugmentationOptions
                {
                    CropSize = _config.Train.PatchSize, HorizontalFlip = train.UseHflip, VerticalFlip = train.UseVflip, Transpose = train.UseTranspose,
                });
            _validation = _network.OpenValidationSet(valRoot, _config.Val);
            _window = new LossWindow(_network.TermNames.Count + 1);
            _log = new TrainingLog(directory, Columns(_network.TermNames));
        }

        public void Dispose()
        {
            _loader.Dispose();
            _log.Dispose();
        }

        public TrainingResult Execute(List<string> candidates, CancellationToken cancel)
        {
            Restore(candidates);
            long total = _config.Train.TotalIter;
            if (_iteration >= total)
            {
                _reporter.Message($"the checkpoint is at iteration {_iteration}, train.total_iter is {total}: nothing to do (raise total_iter to train on)");
                return Result(TrainingStatus.AlreadyComplete, double.NaN);
            }
            _log.Open(_iteration);
            var clock = Stopwatch.StartNew();
            long startIteration = _iteration;
            double SecondsPerIteration() => _iteration > startIteration ? clock.Elapsed.TotalSeconds / (_iteration - startIteration) : double.NaN;

            while (_iteration < total)
            {
                Batch batch;
                try
                {
                    cancel.ThrowIfCancellationRequested();
                    batch = _loader.Next(cancel);
                }
                catch (OperationCanceledException)
                {
                    return Interrupt(SecondsPerIteration());
                }
                int epoch;
                using (batch)
                {
                    epoch = batch.Position.Epoch;
                    Step(batch);
                }
                _iteration++;
                bool last = _iteration == total;
                if (_iteration % _config.Logger.PrintFreq == 0 || last) LogTrain(epoch, SecondsPerIteration());
                if (_iteration % _config.Val.Freq == 0 || last) Validate();
                if (_iteration % _config.Logger.SaveCheckpointFreq == 0 || last) SaveCheckpoint();
            }
            string best = _bestIteration is long b ? $", best {Path.Combine(_directory, "models", BestModel)} (iteration {b})" : "";
            _reporter.Message($"done: {total} iterations; {Path.Combine(_directory, "models", LastModel)}{best}");
            return Result(TrainingStatus.Completed, SecondsPerIteration());
        }

        /// <summary>One optimiser step on <paramref name="batch"/>, everything it allocates released at the end.</summary>
        private void Step(Batch batch)
        {
            using var scope = TensorScope.Begin();
            double lr = _schedule.LearningRate(_config.Train.Optimizer.Lr, _iteration);
            _optimizer.Lr = lr;
            _network.StepStarting(_iteration);
            var loss = _network.Loss(batch);
            double total = loss.Total.Item();
            if (!double.IsFinite(total))
                throw new TrainingDivergedException(
                    $"the loss is {total} at iteration {_iteration + 1}: training diverged. Lower train.optimizer.lr or set train.grad_clip, " +
                    $"then resume from the last checkpoint{(_lastCheckpoint is null ? "" : $" ({_lastCheckpoint})")} with path.resume.");
            loss.Total.Backward();
            if (_config.Train.GradClip is double clip) GradClip.ClipByGlobalNorm(_parameters, clip);
            _optimizer.Step();
            _optimizer.ZeroGrad();
            _network.StepCompleted();
            _window.Add(lr, total, loss.Terms);
        }

        private void LogTrain(int epoch, double secondsPerIteration)
        {
            var (lr, means) = _window.Take();
            var entry = new LogEntry(LogEntry.Train, _iteration).Add("epoch", epoch).Add("lr", lr).Add("loss", means[0]);
            for (int i = 0; i < _network.TermNames.Count; i++) entry.Add(_network.TermNames[i], means[i + 1]);
            entry.Add("s_per_iter", secondsPerIteration).Add("eta_s", secondsPerIteration * (_config.Train.TotalIter - _iteration));
            _log.Write(entry);
            _reporter.Train(entry, _config.Train.TotalIter);
        }

        private void Validate()
        {
            var clock = Stopwatch.StartNew();
            var module = _network.Module;
            module.Eval();
            (Derain.Data.Metrics.QualityScore Restored, Derain.Data.Metrics.QualityScore Input) scores;
            try
            {
                using var noGrad = GradMode.NoGrad();
                scores = _validation.Evaluate();
            }
            finally
            {
                module.Train();
            }
            var metrics = _config.Val.Metrics;
            var entry = new LogEntry(LogEntry.Validation, _iteration);
            if (metrics.Contains("psnr")) entry.Add("psnr", scores.Restored.Psnr);
            if (metrics.Contains("ssim")) entry.Add("ssim", scores.Restored.Ssim);
            if (metrics.Contains("psnr")) entry.Add("input_psnr", scores.Input.Psnr);
            if (metrics.Contains("ssim")) entry.Add("input_ssim", scores.Input.Ssim);
            entry.Add("val_clips", _validation.Count).Add("val_s", clock.Elapsed.TotalSeconds);
            double score = metrics.Contains("psnr") ? scores.Restored.Psnr : scores.Restored.Ssim;
            bool best = _bestScore is not double b || score > b;
            if (best)
            {
                _bestScore = score;
                _bestIteration = _iteration;
                _network.SaveWeights(Path.Combine(_directory, "models", BestModel), ModelMetadata(scores.Restored));
            }
            _log.Write(entry);
            _reporter.Validation(entry, best);
            WritePlot();
        }

        private Dictionary<string, string> ModelMetadata(Derain.Data.Metrics.QualityScore? score)
        {
            var meta = new Dictionary<string, string>
            {
                ["experiment"] = _config.Name,
                ["iteration"] = _iteration.ToString(CultureInfo.InvariantCulture),
                ["seed"] = _config.Seed.ToString(CultureInfo.InvariantCulture),
            };
            if (score is { } s)
            {
                meta["val_psnr_y"] = s.Psnr.ToString("R", CultureInfo.InvariantCulture);
                meta["val_ssim_y"] = s.Ssim.ToString("R", CultureInfo.InvariantCulture);
            }
            return meta;
        }

        private void WritePlot() => TrainingPlot.Write(Path.Combine(_directory, PlotFile), _log.Entries, _config.Name, _config.Network.ValidationChannel);

        private TrainingResult Interrupt(double secondsPerIteration)
        {
            if (_iteration > 0 && _iteration != _savedIteration) SaveCheckpoint();
            if (_log.Entries.Count > 0) WritePlot();
            _reporter.Message(_lastCheckpoint is null
                ? "interrupted before the first iteration; nothing to save"
                : $"interrupted at iteration {_iteration}; checkpoint {_lastCheckpoint}. Run the same command to continue (path.resume: auto).");
            return Result(TrainingStatus.Interrupted, secondsPerIteration);
        }

        private TrainingResult Result(TrainingStatus status, double secondsPerIteration)
            => new(status, _iteration, _directory, _lastCheckpoint, _bestScore, _bestIteration, secondsPerIteration);

        private static List<string> Columns(IReadOnlyList<string> terms)
            => ["epoch", "lr", "loss", .. terms, "s_per_iter", "eta_s", "psnr", "ssim", "input_psnr", "input_ssim", "val_clips", "val_s"];
    }
}

/// <summary>The loss became NaN or infinite; the message says what to change and where to resume from.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
