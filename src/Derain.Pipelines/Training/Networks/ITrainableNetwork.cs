using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.Pipelines.Training.Networks;

/// <summary>
/// What the trainer needs from a video de-raining network (BasicSR's split between an "arch" and the "model" that
/// trains it): the module whose parameters and buffers are trained and checkpointed, the training loss of a batch,
/// and the prediction used for validation. Inputs are luma clips [N, T, H, W] on the [0, 1] scale; the target and
/// the prediction are the clean centre frame [N, 1, H, W].
/// </summary>
public interface ITrainableNetwork
{
    /// <summary>The network; its state dict is what checkpoints and the delivered weights hold.</summary>
    Module Module { get; }

    /// <summary>Frames per input clip (T); the target is the centre one.</summary>
    int ClipLength { get; }

    /// <summary>Input height and width must be multiples of this.</summary>
    int SizeMultiple { get; }

    /// <summary>Names of the loss terms <see cref="Loss"/> reports besides the total (log columns, e.g. loss_rest).</summary>
    IReadOnlyList<string> TermNames { get; }

    /// <summary>The training loss of one batch; the caller runs backward on <see cref="NetworkLoss.Total"/>.</summary>
    NetworkLoss Loss(Tensor frames, Tensor target);

    /// <summary>The restored centre frames (validation; the caller sets eval mode and disables gradients).</summary>
    Tensor Predict(Tensor frames);

    /// <summary>Writes the weights as the deliverable <c>.safetensors</c> with <paramref name="metadata"/>.</summary>
    void SaveWeights(string path, IReadOnlyDictionary<string, string> metadata);
}

/// <summary>One batch's loss: the differentiable total and each reported term's value, in <see cref="ITrainableNetwork.TermNames"/> order.</summary>
public sealed record NetworkLoss(Tensor Total, IReadOnlyList<double> Terms);
