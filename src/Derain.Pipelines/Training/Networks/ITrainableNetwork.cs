using Derain.Data.Loading;
using Derain.Data.Synthesis;
using Derain.NN.Modules;
using Derain.NN.Optim;
using Derain.Pipelines.Training.Config;
using Derain.Pipelines.Training.Data;
using Derain.Tensors;

namespace Derain.Pipelines.Training.Networks;

/// <summary>
/// What the trainer needs from a network (BasicSR's split between an "arch" and the "model" that trains it): the
/// module whose parameters and buffers are trained and checkpointed, the kind of dataset it learns from, the loss of
/// one loader batch, the held-out scores, and the deliverable weights. The trainer owns everything else — loader,
/// optimiser, schedule, checkpoints, log, plot — and so stays the same for every network.
/// </summary>
public interface ITrainableNetwork
{
    /// <summary>The network; its state dict (weights, BatchNorm statistics and any other buffers, e.g. MGID's memory
    /// items) is what checkpoints and the delivered weights hold, so a resumed run continues with all of it.</summary>
    Module Module { get; }

    /// <summary>The layout of its training and validation sets, as <c>derain synth --kind</c> writes them (and renders
    /// them when a <c>synthesize:</c> block asks).</summary>
    SynthesisKind DataKind { get; }

    /// <summary>Names of the loss terms <see cref="Loss"/> reports besides the total (log columns, e.g. loss_rest).</summary>
    IReadOnlyList<string> TermNames { get; }

    /// <summary>The training samples under <paramref name="root"/> (before the loader's crop and flips).</summary>
    IDataset OpenTrainingSet(string root);

    /// <summary>The held-out set under <paramref name="root"/>, measured as <paramref name="val"/> says.</summary>
    IValidationSet OpenValidationSet(string root, ValConfig val);

    /// <summary>The training loss of one batch; the caller runs backward on <see cref="NetworkLoss.Total"/>.</summary>
    NetworkLoss Loss(Batch batch);

    /// <summary>The optimiser's parameter groups (per-group rate multipliers, frozen spans); by default one group of every
    /// trainable parameter at the scheduled rate.</summary>
    IReadOnlyList<ParamGroup> ParameterGroups() => [new ParamGroup(Module.Parameters().Where(p => p.RequiresGrad))];

    /// <summary>Called before the forward pass of iteration <paramref name="iteration"/> (0-based): the place to switch
    /// parts of the network between frozen and trained (ViMP-Net's fix_iter).</summary>
    void StepStarting(long iteration)
    {
    }

    /// <summary>Called after the optimiser step, still inside the step's tensor scope: state the network carries from
    /// one iteration to the next without learning it (MGID's memory update) is committed here.</summary>
    void StepCompleted()
    {
    }

    /// <summary>
    /// Replaces the freshly initialised weights by those of <paramref name="path"/> (<c>path.pretrain_network</c>), read
    /// with the same loader as <c>derain run</c>; <see cref="InvalidDataException"/> naming the difference when the file
    /// holds another network or other widths.
    /// </summary>
    void LoadPretrained(string path);

    /// <summary>Writes the weights as the deliverable <c>.safetensors</c> with <paramref name="metadata"/>.</summary>
    void SaveWeights(string path, IReadOnlyDictionary<string, string> metadata);
}

/// <summary>One batch's loss: the differentiable total and each reported term's value, in <see cref="ITrainableNetwork.TermNames"/> order.</summary>
public sealed record NetworkLoss(Tensor Total, IReadOnlyList<double> Terms);
