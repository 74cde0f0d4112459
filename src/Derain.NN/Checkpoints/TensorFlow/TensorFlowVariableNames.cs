using System.Text.RegularExpressions;

namespace Derain.NN.Checkpoints.TensorFlow;

/// <summary>
/// Tells model variables from the training state that TensorFlow 1.x checkpoints carry alongside them:
/// AdamOptimizer's two slots per trainable variable (<c>…/Adam</c>, <c>…/Adam_1</c>) and its bias-correction
/// accumulators (<c>beta1_power</c>, <c>beta2_power</c>, with <c>_N</c> suffixes when a graph has several
/// optimizers), the step counter (<c>global_step</c>), and the bookkeeping that a zero-debiased moving average
/// (BatchNorm statistics updated by assign_moving_average(zero_debias=True)) keeps under the averaged
/// variable's name (<c>…/biased</c>, <c>…/local_step</c>). What is left is what inference needs.
/// Step counters are not always called global_step (a step made with an unnamed tf.Variable(0) is saved as
/// <c>Variable</c>), so the entry overload also counts every integer scalar as training state: in a float
/// network such a tensor can only be a counter.
/// </summary>
public static partial class TensorFlowVariableNames
{
    [GeneratedRegex(@"^beta[12]_power(_\d+)?$")]
    private static partial Regex PowerAccumulator();

    [GeneratedRegex(@"^Adam(_\d+)?$")]
    private static partial Regex AdamSlot();

    /// <summary>True for optimizer slots and accumulators, step counters and moving-average bookkeeping.</summary>
    public static bool IsTrainingState(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int slash = name.LastIndexOf('/');
        string last = name[(slash + 1)..];
        if (slash >= 0 && AdamSlot().IsMatch(last)) return true;
        if (last is "biased" or "local_step" && slash >= 0) return true;
        return PowerAccumulator().IsMatch(last) || last == "global_step";
    }

    /// <summary>The name rules, plus: an integer scalar (DT_INT32 or DT_INT64) is a counter.</summary>
    public static bool IsTrainingState(CheckpointEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        bool integerScalar = entry.Shape.Length == 0 && entry.StoredDType is "DT_INT32" or "DT_INT64";
        return integerScalar || IsTrainingState(entry.Name);
    }

    /// <summary>True for variables a model needs at inference (weights, biases, BatchNorm parameters and statistics).</summary>
    public static bool IsModelVariable(CheckpointEntry entry) => !IsTrainingState(entry);
}
