using Derain.NN.Checkpoints;
using Derain.NN.Checkpoints.PyTorch;
using Derain.NN.Checkpoints.PyTorch.Pickle;

namespace Derain.NN.Tests.Checkpoints;

/// <summary>Naming rules on small object graphs built directly (the fixtures cover the usual layouts).</summary>
public class StateDictNamingTests
{
    private static readonly TorchStorage Storage = new("0", StoredElementType.Float32, 4);

    private static TorchTensorRef T() => TorchTensorRef.Create(Storage, 0, [2], [1]);

    private static PyDict Dict(params (object Key, object Value)[] items)
    {
        var d = new PyDict();
        foreach (var (k, v) in items) d.Set(k, v);
        return d;
    }

    private static List<string> Names(object root, PyTorchNaming naming = PyTorchNaming.StateDict)
        => StateDictNaming.Apply(root, StateDictWalker.Walk(root), naming).Tensors.Select(t => t.Name).ToList();

    [Fact]
    public void Wrapper_is_not_dropped_when_that_would_merge_two_tensors()
        => Assert.Equal(["state_dict.w", "w"], Names(Dict(("state_dict", Dict(("w", T()))), ("w", T()))));

    [Fact]
    public void Nested_wrappers_and_the_DataParallel_prefix_are_all_dropped()
        => Assert.Equal(["conv.weight", "optimizer.0"],
            Names(Dict(("model", Dict(("state_dict", Dict(("module.conv.weight", T()))))), ("optimizer", new PyList([T()])))));

    [Fact]
    public void Module_prefix_is_kept_unless_every_state_dict_name_has_it()
        => Assert.Equal(["module.a", "b"], Names(Dict(("module.a", T()), ("b", T()))));

    [Fact]
    public void Colliding_names_stay_addressable()
        => Assert.Equal(["1", "1#2"], Names(Dict((1L, T()), ("1", T()))));

    [Fact]
    public void Python_key_equality_merges_1_and_True_as_Python_does()
    {
        var d = Dict((1L, T()), (true, T()));
        Assert.Equal(1, d.Count);
    }

    [Fact]
    public void Cycles_do_not_loop()
    {
        var list = new PyList();
        list.Items.Add(list);
        list.Items.Add(T());
        Assert.Equal(["1"], Names(list));
    }

    [Fact]
    public void Shared_tensors_are_listed_under_each_name()
    {
        var t = T();
        Assert.Equal(["a", "b"], Names(Dict(("a", t), ("b", t))));
    }

    [Fact]
    public void Non_module_objects_are_walked_through_their_attributes()
    {
        var o = new PyObject(new PyGlobal("argparse", "Namespace", GlobalKind.InertClass), PyTuple.Empty) { State = Dict(("w", T())) };
        Assert.Equal(["args.w"], Names(Dict(("args", o))));
    }

    [Fact]
    public void Deep_nesting_is_refused()
    {
        object node = T();
        for (int i = 0; i < StateDictWalker.MaxDepth + 5; i++) node = new PyList([node]);
        Assert.Contains("nested more than", Assert.Throws<InvalidDataException>(() => StateDictWalker.Walk(node)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1L, 1L, "negative")]
    [InlineData(0L, -1L, "negative")]
    [InlineData(3L, 1L, "outside")]
    [InlineData(0L, long.MaxValue, "overflow")]
    public void Views_outside_their_storage_are_refused(long offset, long stride, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => TorchTensorRef.Create(Storage, offset, [2, 3], [stride, 1]));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_and_expanded_views_are_accepted()
    {
        Assert.Equal(0, TorchTensorRef.Create(Storage, 4, [0, 3], [3, 1]).NumElements);
        Assert.Equal(1000, TorchTensorRef.Create(Storage, 3, [10, 100], [0, 0]).NumElements);
    }
}
