namespace Derain.Tensors.Kernels.Dnnl;

/// <summary>A oneDNN call returned an error status.</summary>
public sealed class DnnlException : Exception
{
    /// <summary>The C function that failed, e.g. "dnnl_primitive_desc_create".</summary>
    public string Call { get; }

    /// <summary>The dnnl_status_t name, e.g. "dnnl_unimplemented".</summary>
    public string Status { get; }

    /// <summary>Creates the exception for <paramref name="call"/> failing with <paramref name="status"/>.</summary>
    public DnnlException(string call, string status, string? context = null)
        : base($"oneDNN call {call} failed with {status}{(context is null ? "" : " (" + context + ")")}.")
    {
        Call = call;
        Status = status;
    }

    public DnnlException() : this("unknown", "unknown") { }

    public DnnlException(string message) : base(message) { Call = "unknown"; Status = "unknown"; }

    public DnnlException(string message, Exception innerException) : base(message, innerException) { Call = "unknown"; Status = "unknown"; }
}
