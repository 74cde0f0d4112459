using Derain.NN.Checkpoints.PyTorch;

namespace Derain.NN.Tests.Checkpoints;

/// <summary>
/// Malicious and damaged files must be refused with an <see cref="InvalidDataException"/> that names the file
/// and the problem, without executing anything and without allocating what they declare.
/// </summary>
public class HostileCheckpointTests
{
    /// <summary>The file the hostile pickles would create if their payload ever ran (see the fixture script).</summary>
    private const string Marker = "/tmp/derain_checkpoint_fixture_pwned";

    public static TheoryData<string> Cases => new()
    {
        "hostile_os_system", "hostile_stack_global", "hostile_eval", "hostile_huge_storage", "hostile_view_outside",
        "hostile_long_string", "hostile_deep_lists", "hostile_mark_bomb", "hostile_laughs", "truncated_zip", "truncated_legacy",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Is_refused_with_a_message_naming_the_file_and_the_problem(string name)
    {
        File.Delete(Marker);
        string path = CheckpointFixtures.Pth(name);
        var e = Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.Open(path).Dispose());
        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
        foreach (var word in CheckpointFixtures.Manifest("pth", name).GetProperty("error_contains").EnumerateArray())
            Assert.Contains(word.GetString()!, e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Marker), "the hostile payload ran");
    }

    [Fact]
    public void Code_execution_globals_are_named_and_never_run()
    {
        File.Delete(Marker);
        var e = Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.Open(CheckpointFixtures.Pth("hostile_os_system")));
        Assert.Contains("the global posix.system is not allowed", e.Message, StringComparison.Ordinal);
        Assert.Contains("archive/data.pkl", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Marker));
    }
}
