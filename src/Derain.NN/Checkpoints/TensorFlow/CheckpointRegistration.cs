using Derain.NN.Checkpoints.TensorFlow;

namespace Derain.NN.Checkpoints;

public static partial class Checkpoint
{
    /// <summary>Registers the TensorFlow checkpoint V2 reader: a prefix, its .index, a data shard, or a folder holding one.</summary>
    static partial void RegisterFormatsDefinedElsewhere()
        => RegisterFormat(new(TensorFlowCheckpoint.FormatName,
            path => IsTensorFlowCheckpointPath(path) || TensorFlowCheckpoint.Probe(path),
            path => TensorFlowCheckpoint.Open(path)));
}
