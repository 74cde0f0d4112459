using Derain.NN.Checkpoints;
using Derain.NN.Checkpoints.TensorFlow;
using Derain.Tensors;

namespace Derain.NN.Tests.Checkpoints.TensorFlow;

/// <summary>
/// Reads the official EEVRSR checkpoints and compares what they hold with what the official network
/// definition creates (<see cref="EevrsrOfficialLayout"/>) and with the parameter counts in
/// docs/networks/eevrsr.md. Every tensor read also passes the file's own CRC-32C.
/// </summary>
public sealed class EevrsrCheckpointTests
{
    private const int DerainTrainableTotal = 54_409;
    private const int DerainStatisticsTotal = 1_260;
    private const int MotionCompensationTotal = 121_896;

    [Theory]
    [InlineData(EevrsrCheckpoints.All, 387, 128)]
    [InlineData(EevrsrCheckpoints.DerainOnly, 261, 86)]
    public void Opens_with_the_documented_variable_counts(string name, int entries, int modelVariables)
    {
        using var ck = TensorFlowCheckpoint.Open(EevrsrCheckpoints.Prefix(name));
        Assert.Equal("tensorflow-v2", ck.Format);
        Assert.Equal(1, ck.NumShards);
        Assert.Equal(entries, ck.Entries.Count);
        Assert.Equal(modelVariables, ck.ModelVariables.Count);
        Assert.Equal(ck.Entries.Count, ck.Entries.Select(e => e.Name).Distinct().Count());
    }

    [Theory]
    [InlineData(EevrsrCheckpoints.All)]
    [InlineData(EevrsrCheckpoints.DerainOnly)]
    public void Derain_subnet_matches_the_official_definition_and_parameter_counts(string name)
    {
        using var ck = TensorFlowCheckpoint.Open(EevrsrCheckpoints.Prefix(name));
        var trainable = EevrsrOfficialLayout.DerainTrainable();
        var statistics = EevrsrOfficialLayout.DerainStatistics();
        var expected = trainable.Concat(statistics).ToDictionary();
        var actual = ck.ModelVariables.Where(e => e.Name.StartsWith("DerainNet/", StringComparison.Ordinal)).ToList();

        AssertSameVariables(expected, actual);
        Assert.All(actual, e => Assert.Equal("DT_FLOAT", e.StoredDType));
        Assert.Equal(DerainTrainableTotal, actual.Where(e => trainable.ContainsKey(e.Name)).Sum(e => e.NumElements));
        Assert.Equal(DerainStatisticsTotal, actual.Where(e => statistics.ContainsKey(e.Name)).Sum(e => e.NumElements));
    }

    [Fact]
    public void Motion_compensation_subnet_matches_the_official_definition_and_parameter_count()
    {
        using var ck = TensorFlowCheckpoint.Open(EevrsrCheckpoints.Prefix(EevrsrCheckpoints.All));
        var actual = ck.ModelVariables.Where(e => e.Name.StartsWith("MCNet/", StringComparison.Ordinal)).ToList();
        AssertSameVariables(EevrsrOfficialLayout.MotionCompensation(), actual);
        Assert.Equal(MotionCompensationTotal, actual.Sum(e => e.NumElements));
        // Nothing else is a model variable: the two sub-nets are the whole network.
        Assert.Equal(ck.ModelVariables.Count, actual.Count + ck.ModelVariables.Count(e => e.Name.StartsWith("DerainNet/", StringComparison.Ordinal)));
    }

    [Fact]
    public void Derain_only_checkpoint_has_no_motion_compensation()
    {
        using var ck = TensorFlowCheckpoint.Open(EevrsrCheckpoints.Prefix(EevrsrCheckpoints.DerainOnly));
        Assert.DoesNotContain(ck.Entries, e => e.Name.StartsWith("MCNet/", StringComparison.Ordinal));
    }

    [Theory]
    // Written out by hand from net_final.py / utils.py, independently of EevrsrOfficialLayout.
    [InlineData("DerainNet/DerainNet_conv1/W", new[] { 7, 7, 5, 24 })]
    [InlineData("DerainNet/DerainNet_conv3/b", new[] { 1 })]
    [InlineData("DerainNet/DerainNet_conv2/W", new[] { 1, 1, 12, 6 })]
    [InlineData("DerainNet/DerainNet_DenseBlock/DerainNet_DenseBlock_Dense_B_Layer6/DerainNet_DenseBlock_Dense_B_Layer6_BN1/moving_variance", new[] { 84 })]
    [InlineData("DerainNet/DerainNet_DenseBlock/DerainNet_DenseBlock_Dense_B_Layer3/DerainNet_DenseBlock_Dense_B_Layer3_conv1x1/W", new[] { 1, 1, 48, 48 })]
    [InlineData("MCNet/Large/a1/weights", new[] { 7, 7, 2, 24 })]
    [InlineData("MCNet/Large/a5/weights", new[] { 3, 3, 24, 32 })]
    [InlineData("MCNet/X4/b1/PReLU/alphas", new[] { 24 })]
    [InlineData("MCNet/X2/c5/weights", new[] { 3, 3, 24, 8 })]
    public void Spot_checked_names_and_shapes(string name, int[] shape)
    {
        using var ck = TensorFlowCheckpoint.Open(EevrsrCheckpoints.Prefix(EevrsrCheckpoints.All));
        var entry = Assert.Single(ck.Entries, e => e.Name == name);
        Assert.Equal(shape, entry.Shape);
        using var t = ck.Read(name);
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(shape, t.Shape.ToArray());
    }

    [Theory]
    [InlineData(EevrsrCheckpoints.All)]
    [InlineData(EevrsrCheckpoints.DerainOnly)]
    public void Every_tensor_reads_with_its_listed_shape_and_passes_its_checksum(string name)
    {
        using var ck = TensorFlowCheckpoint.Open(EevrsrCheckpoints.Prefix(name));
        foreach (var e in ck.Entries)
        {
            using var t = ck.Read(e.Name);
            Assert.Equal(DType.Float32, t.DType);
            Assert.Equal(e.Shape, t.Shape.ToArray());
            Assert.All(t.ToDoubleArray(), v => Assert.True(double.IsFinite(v), $"{e.Name} holds {v}"));
        }
    }

    /// <summary>
    /// What is not a model variable is exactly TensorFlow 1.x training state, each piece where it must be:
    /// two Adam slots shaped like each trainable variable, zero-debias bookkeeping beside each BatchNorm
    /// statistic, the two Adam power accumulators and one integer step counter.
    /// </summary>
    [Theory]
    [InlineData(EevrsrCheckpoints.All)]
    [InlineData(EevrsrCheckpoints.DerainOnly)]
    public void Everything_else_is_the_expected_training_state(string name)
    {
        using var ck = TensorFlowCheckpoint.Open(EevrsrCheckpoints.Prefix(name));
        var byName = ck.Entries.ToDictionary(e => e.Name);
        var expected = new Dictionary<string, int[]>();
        foreach (var v in ck.ModelVariables)
        {
            if (v.Name.EndsWith("/moving_mean", StringComparison.Ordinal) || v.Name.EndsWith("/moving_variance", StringComparison.Ordinal))
            {
                // assign_moving_average(zero_debias=True) opens a variable scope named after the averaged
                // variable's full name inside the current one (the BatchNorm scope), hence the doubled path.
                string bookkeeping = v.Name[..(v.Name.LastIndexOf('/') + 1)] + v.Name;
                expected[bookkeeping + "/biased"] = v.Shape;
                expected[bookkeeping + "/local_step"] = [];
            }
            else
            {
                expected[v.Name + "/Adam"] = v.Shape;
                expected[v.Name + "/Adam_1"] = v.Shape;
            }
        }
        expected["beta1_power"] = [];
        expected["beta2_power"] = [];
        expected["Variable"] = [];
        var state = ck.Entries.Where(e => !TensorFlowVariableNames.IsModelVariable(e)).ToList();
        AssertSameVariables(expected, state);
        Assert.Equal("DT_INT32", byName["Variable"].StoredDType);
    }

    [Theory]
    [InlineData(EevrsrCheckpoints.All, 112_000)]
    [InlineData(EevrsrCheckpoints.DerainOnly, 82_000)]
    public void Step_counter_and_adam_accumulator_agree_with_the_documented_training_length(string name, int steps)
    {
        using var ck = TensorFlowCheckpoint.Open(EevrsrCheckpoints.Prefix(name));
        using var step = ck.Read("Variable");
        Assert.Equal(steps, step.ToDoubleArray()[0]);
        // Adam keeps beta2^(t+1) with beta2 = 0.999, multiplied in float32 once per step; for 112,000 steps
        // that underflows float32 to 0, for 82,000 it is about 2.34e-36 (float32 rounding drifts ~0.1 %).
        using var beta2 = ck.Read("beta2_power");
        double expected = Math.Pow(0.999, steps + 1);
        double actual = beta2.ToDoubleArray()[0];
        if (expected < float.Epsilon) Assert.Equal(0, actual);
        else Assert.InRange(actual / expected, 0.99, 1.01);
    }

    [Theory]
    [InlineData(EevrsrCheckpoints.All)]
    [InlineData(EevrsrCheckpoints.DerainOnly)]
    public void Values_have_the_properties_training_guarantees(string name)
    {
        using var ck = TensorFlowCheckpoint.Open(EevrsrCheckpoints.Prefix(name));
        foreach (var e in ck.Entries)
        {
            var values = ck.Read(e.Name).ToDoubleArray();
            // Variances and Adam's second-moment estimates cannot be negative; trained weights are not all zero.
            if (e.Name.EndsWith("/moving_variance", StringComparison.Ordinal))
                Assert.All(values, v => Assert.True(v > 0, $"{e.Name}: variance {v}"));
            if (e.Name.EndsWith("/Adam_1", StringComparison.Ordinal))
                Assert.All(values, v => Assert.True(v >= 0, $"{e.Name}: second moment {v}"));
            if (e.Name.EndsWith("/W", StringComparison.Ordinal) || e.Name.EndsWith("/weights", StringComparison.Ordinal))
                Assert.Contains(values, v => v != 0);
        }
    }

    [Fact]
    public void The_two_derain_subnets_were_trained_separately()
    {
        using var all = TensorFlowCheckpoint.Open(EevrsrCheckpoints.Prefix(EevrsrCheckpoints.All));
        using var only = TensorFlowCheckpoint.Open(EevrsrCheckpoints.Prefix(EevrsrCheckpoints.DerainOnly));
        const string name = "DerainNet/DerainNet_conv1/W";
        Assert.NotEqual(all.Read(name).ToDoubleArray(), only.Read(name).ToDoubleArray());
    }

    [Fact]
    public void Reading_an_unknown_name_says_so()
    {
        using var ck = TensorFlowCheckpoint.Open(EevrsrCheckpoints.Prefix(EevrsrCheckpoints.DerainOnly));
        var ex = Assert.Throws<KeyNotFoundException>(() => ck.Read("MCNet/Large/a1/weights"));
        Assert.Contains("MCNet/Large/a1/weights", ex.Message);
    }

    [Fact]
    public void Reading_after_dispose_throws()
    {
        var ck = TensorFlowCheckpoint.Open(EevrsrCheckpoints.Prefix(EevrsrCheckpoints.DerainOnly));
        ck.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ck.Read("DerainNet/DerainNet_conv3/b"));
    }

    private static void AssertSameVariables(Dictionary<string, int[]> expected, IReadOnlyCollection<CheckpointEntry> actual)
    {
        var actualByName = actual.ToDictionary(e => e.Name, e => e.Shape);
        var missing = expected.Keys.Except(actualByName.Keys).Order(StringComparer.Ordinal).ToList();
        var extra = actualByName.Keys.Except(expected.Keys).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"missing: [{string.Join(", ", missing)}]; unexpected: [{string.Join(", ", extra)}]");
        foreach (var (n, shape) in expected)
            Assert.True(shape.SequenceEqual(actualByName[n]), $"{n}: shape [{string.Join(",", actualByName[n])}], expected [{string.Join(",", shape)}]");
    }
}
