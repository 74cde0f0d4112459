using Derain.Tensors.Memory;

namespace Derain.Tensors.Tests.Core;

public class MemoryTests
{
    [Fact]
    public void Scope_disposes_what_it_created_and_keeps_what_escapes()
    {
        var outside = Tensor.Ones(new Shape(3));
        Tensor inner, kept;
        using (TensorScope.Begin())
        {
            inner = outside * 2.0;
            kept = outside + 1.0;
            TensorScope.Keep(kept);
        }
        Assert.True(inner.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.False(outside.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => inner.ToArray());
        Assert.Equal([2f, 2f, 2f], kept.ToArray());
    }

    [Fact]
    public void Disposed_buffers_are_reused_for_the_same_size()
    {
        long before = BufferPool.Reuses;
        for (int i = 0; i < 5; i++)
        {
            using var scope = TensorScope.Begin();
            _ = Tensor.Zeros(new Shape(4099, 3)) + 1.0;
        }
        Assert.True(BufferPool.Reuses - before >= 4);
    }

    /// <summary>
    /// Beyond <see cref="BufferPool.CapacityBytes"/> the pool still keeps returned buffers up to the high-water mark of
    /// rented bytes, so a working set larger than the capacity is found again (the same arrays) instead of being dropped
    /// to the GC. The length is unique to this test, so no other test takes these buffers.
    /// </summary>
    [Fact]
    public void Buffers_beyond_the_capacity_are_kept_up_to_the_high_water_mark()
    {
        const int length = 1_000_003;
        long capacity = BufferPool.CapacityBytes;
        try
        {
            BufferPool.CapacityBytes = 0;
            var rented = Enumerable.Range(0, 3).Select(_ => BufferPool.Rent(DType.Float32, length)).ToArray();
            foreach (var a in rented) BufferPool.Return(DType.Float32, a);
            var again = Enumerable.Range(0, 3).Select(_ => BufferPool.Rent(DType.Float32, length)).ToArray();
            Assert.All(again, a => Assert.Contains(rented, r => ReferenceEquals(r, a)));
            foreach (var a in again) BufferPool.Return(DType.Float32, a);
        }
        finally
        {
            BufferPool.CapacityBytes = capacity;
        }
    }

    [Fact]
    public void A_view_keeps_the_buffer_alive_after_its_base_is_disposed()
    {
        var a = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2);
        var v = a.Reshape(4);
        a.Dispose();
        Assert.Equal([1f, 2f, 3f, 4f], v.ToArray());
    }

    [Fact]
    public void Parameter_gradients_survive_the_step_scope()
    {
        var w = Tensor.FromArray([1f, 2f], 2).RequireGrad();
        using (TensorScope.Begin())
        {
            var y = w * w;
            y.Backward(Tensor.Ones(y.Shape));
        }
        Assert.Equal([2f, 4f], w.Grad!.ToArray());
    }
}
