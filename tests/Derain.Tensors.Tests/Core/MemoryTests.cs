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
    /// Large buffers are blocks cut from shared slabs and merged back on return; whatever order blocks come and go in,
    /// two live blocks must never overlap. Each live block carries its own stamp at its first, middle and last element;
    /// after every rent or return all stamps are checked (a wrong split or merge would hand out memory another block
    /// still holds, and the new owner's stamp would overwrite it).
    /// </summary>
    [Fact]
    public void Slab_blocks_never_overlap_whatever_the_order_of_rents_and_returns()
    {
        var random = new Random(1);
        var live = new List<(float[] Array, int Offset, int Length, float Stamp)>();
        float nextStamp = 1;
        void CheckAll()
        {
            foreach (var (array, offset, length, stamp) in live)
            {
                Assert.Equal(stamp, array[offset]);
                Assert.Equal(stamp, array[offset + length / 2]);
                Assert.Equal(stamp, array[offset + length - 1]);
            }
        }
        try
        {
            for (int step = 0; step < 400; step++)
            {
                if (live.Count > 0 && (live.Count >= 12 || random.Next(2) == 0))
                {
                    int i = random.Next(live.Count);
                    var (array, offset, length, _) = live[i];
                    live.RemoveAt(i);
                    BufferPool.ReturnBlock(DType.Float32, array, offset, length);
                }
                else
                {
                    int length = BufferPool.BlockMinBytes / sizeof(float) + random.Next(3_000_000);
                    var array = (float[])BufferPool.RentBlock(DType.Float32, length, out int offset);
                    Assert.True(offset >= 0 && offset + length <= array.Length);
                    float stamp = nextStamp++;
                    array[offset] = array[offset + length / 2] = array[offset + length - 1] = stamp;
                    live.Add((array, offset, length, stamp));
                }
                CheckAll();
            }
        }
        finally
        {
            foreach (var (array, offset, length, _) in live) BufferPool.ReturnBlock(DType.Float32, array, offset, length);
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
