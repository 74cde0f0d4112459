namespace Derain.NN.Tests.Checkpoints.TensorFlow;

/// <summary>
/// The variables EEVRSR's official network definition creates, derived here independently of the checkpoint
/// files from ShirleyGxd/EEVRSR test_code/net_final.py (derain_net, warp_img) and utils.py (Conv2D,
/// BatchNorm, DenseBlock, Dense_B_Layer), with the layer libraries' naming conventions:
/// <list type="bullet">
/// <item>utils.Conv2D(name): variables <c>name/W</c> [kh, kw, in, out] and <c>name/b</c> [out].</item>
/// <item>utils.BatchNorm(name): trainable <c>beta</c>, <c>gamma</c> and non-trainable <c>moving_mean</c>,
/// <c>moving_variance</c>, each [channels].</item>
/// <item>slim.conv2d(scope): <c>scope/weights</c> [kh, kw, in, out] and <c>scope/biases</c> [out]; its
/// activation tflearn.activations.prelu adds <c>scope/PReLU/alphas</c> [out] (per channel).</item>
/// </list>
/// Nested tf.variable_scope names join with '/'.
/// </summary>
internal static class EevrsrOfficialLayout
{
    private const int GrowthK = 12;
    private const int DenseLayers = 6;

    /// <summary>De-raining sub-net (scope DerainNet), trainable variables.</summary>
    public static Dictionary<string, int[]> DerainTrainable() => Derain(statistics: false);

    /// <summary>De-raining sub-net BatchNorm moving statistics.</summary>
    public static Dictionary<string, int[]> DerainStatistics() => Derain(statistics: true);

    /// <summary>Motion-compensation sub-net (scope MCNet), all trainable.</summary>
    public static Dictionary<string, int[]> MotionCompensation()
    {
        var v = new Dictionary<string, int[]>();
        void Slim(string scope, int k, int cin, int cout, bool prelu = true)
        {
            v[$"MCNet/{scope}/weights"] = [k, k, cin, cout];
            v[$"MCNet/{scope}/biases"] = [cout];
            if (prelu) v[$"MCNet/{scope}/PReLU/alphas"] = [cout];
        }
        // 'Large': cat(target, neighbour) has 2 channels; a5 is tanh (no PReLU).
        Slim("Large/a1", 7, 2, 24); Slim("Large/a2", 5, 24, 24); Slim("Large/a3", 7, 24, 24); Slim("Large/a4", 5, 24, 24);
        Slim("Large/a5", 3, 24, 32, prelu: false);
        // 'X4' and 'X2': cat(inputs 2, flow 2, warped 1) = 5 channels.
        Slim("X4/b1", 5, 5, 24); Slim("X4/b2", 3, 24, 24); Slim("X4/b3", 5, 24, 24); Slim("X4/b4", 3, 24, 24);
        Slim("X4/b5", 3, 24, 32, prelu: false);
        Slim("X2/c1", 5, 5, 24); Slim("X2/c2", 3, 24, 24); Slim("X2/c3", 3, 24, 24); Slim("X2/c4", 3, 24, 24);
        Slim("X2/c5", 3, 24, 8, prelu: false);
        return v;
    }

    private static Dictionary<string, int[]> Derain(bool statistics)
    {
        var v = new Dictionary<string, int[]>();
        void Conv(string scope, int kh, int kw, int cin, int cout)
        {
            if (statistics) return;
            v[scope + "/W"] = [kh, kw, cin, cout];
            v[scope + "/b"] = [cout];
        }
        void Bn(string scope, int c)
        {
            foreach (var n in statistics ? new[] { "moving_mean", "moving_variance" } : ["beta", "gamma"])
                v[$"{scope}/{n}"] = [c];
        }
        const string s = "DerainNet";
        Conv($"{s}/{s}_conv1", 7, 7, 5, 2 * GrowthK);
        string block = $"{s}_DenseBlock";
        int inChannels = 2 * GrowthK;
        for (int i = 1; i <= DenseLayers; i++)
        {
            string layer = $"{block}_Dense_B_Layer{i}";
            string scope = $"{s}/{block}/{layer}";
            Bn($"{scope}/{layer}_BN1", inChannels);
            Conv($"{scope}/{layer}_conv1x1", 1, 1, inChannels, 4 * GrowthK);
            Bn($"{scope}/{layer}_BN2", 4 * GrowthK);
            Conv($"{scope}/{layer}_conv3x3", 3, 3, 4 * GrowthK, GrowthK);
            inChannels += GrowthK;
        }
        Bn($"{s}/{s}_BN1", GrowthK);
        Conv($"{s}/{s}_conv2", 1, 1, GrowthK, GrowthK / 2);
        Bn($"{s}/{s}_BN2", GrowthK / 2);
        Conv($"{s}/{s}_conv3", 5, 5, GrowthK / 2, 1);
        return v;
    }
}
