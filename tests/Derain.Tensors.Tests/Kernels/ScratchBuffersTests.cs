using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors.Tests.Kernels;

public class ScratchBuffersTests
{
    [Fact]
    public unsafe void Buffers_are_aligned_reused_and_never_shared_while_rented()
    {
        nint first, second;
        using (var a = ScratchBuffers.Rent<float>(1000))
        {
            first = (nint)a.Pointer<float>();
            Assert.Equal(0, first % 64);
            using var nested = ScratchBuffers.Rent<float>(1000);
            second = (nint)nested.Pointer<float>();
            Assert.NotEqual(first, second);
            Assert.Equal(0, second % 64);
        }
        using var again = ScratchBuffers.Rent<double>(300);   // fits in either returned buffer
        Assert.Contains((nint)again.Pointer<double>(), new[] { first, second });
        // The whole requested range is usable.
        new Span<double>(again.Pointer<double>(), 300).Fill(1.0);
    }
}
