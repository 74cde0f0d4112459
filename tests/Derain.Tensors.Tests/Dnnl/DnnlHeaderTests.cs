using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Derain.Tensors.Kernels.Dnnl.Native;

namespace Derain.Tensors.Tests.Dnnl;

/// <summary>A fact that needs gcc and the oneDNN 2.x headers (libdnnl-dev); skipped with the reason when either is missing.</summary>
public sealed class NativeToolchainFactAttribute : FactAttribute
{
    public const string Header = "/usr/include/oneapi/dnnl/dnnl_types.h";

    public NativeToolchainFactAttribute()
    {
        if (DnnlHeaderTests.FindGcc() is null)
            Skip = "gcc not found on PATH: cannot compile the oneDNN header check (tools/setup-deps.sh does not install compilers).";
        else if (!File.Exists(Header))
            Skip = $"{Header} not found: install libdnnl-dev (tools/setup-deps.sh does).";
    }
}

/// <summary>
/// The interop layer hand-declares oneDNN 2.6's structs, enums and #defines; a wrong offset or value would
/// corrupt memory or call the wrong primitive silently. This test compiles a C program against the installed
/// headers that prints sizeof/offsetof and every constant, and compares each with the C# declaration. It also
/// checks, by reflection, that every enum member, struct field and constant declared in the Native namespace
/// is covered, so a new declaration cannot skip the check.
/// </summary>
public class DnnlHeaderTests
{
    private sealed record Entry(string CExpression, long Expected, string What);

    private readonly List<Entry> _entries = [];
    private readonly HashSet<string> _covered = [];

    [NativeToolchainFact]
    public void Declarations_match_the_installed_oneDNN_headers()
    {
        Declare();
        AssertEverythingDeclaredIsCovered();
        var actual = CompileAndRun();
        Assert.Equal(_entries.Count, actual.Count);
        var mismatches = new List<string>();
        for (int i = 0; i < _entries.Count; i++)
            if (_entries[i].Expected != actual[i])
                mismatches.Add($"{_entries[i].What}: C# {_entries[i].Expected}, C ({_entries[i].CExpression}) {actual[i]}");
        Assert.True(mismatches.Count == 0, "Interop declarations differ from the headers:\n" + string.Join("\n", mismatches));
    }

    private void Declare()
    {
        Value("DNNL_VERSION_MAJOR", 2, "header major version (the interop layer is written for 2.x)");

        Enum<DnnlStatus>("Success", "dnnl_success");
        Enum<DnnlStatus>("OutOfMemory", "dnnl_out_of_memory");
        Enum<DnnlStatus>("InvalidArguments", "dnnl_invalid_arguments");
        Enum<DnnlStatus>("Unimplemented", "dnnl_unimplemented");
        Enum<DnnlStatus>("IteratorEnds", "dnnl_iterator_ends");
        Enum<DnnlStatus>("RuntimeError", "dnnl_runtime_error");
        Enum<DnnlStatus>("NotRequired", "dnnl_not_required");

        Enum<DnnlDataType>("Undef", "dnnl_data_type_undef");
        Enum<DnnlDataType>("F32", "dnnl_f32");

        Enum<DnnlFormatKind>("Undef", "dnnl_format_kind_undef");
        Enum<DnnlFormatKind>("Any", "dnnl_format_kind_any");
        Enum<DnnlFormatKind>("Blocked", "dnnl_blocked");

        Enum<DnnlFormatTag>("Undef", "dnnl_format_tag_undef");
        Enum<DnnlFormatTag>("Any", "dnnl_format_tag_any");
        Enum<DnnlFormatTag>("A", "dnnl_a");
        Enum<DnnlFormatTag>("Ab", "dnnl_ab");
        Enum<DnnlFormatTag>("Abc", "dnnl_abc");
        Enum<DnnlFormatTag>("Abcd", "dnnl_abcd");
        Enum<DnnlFormatTag>("Abcde", "dnnl_abcde");
        Enum<DnnlFormatTag>("Abcdef", "dnnl_abcdef");
        Enum<DnnlFormatTag>("Acdb", "dnnl_acdb");
        Enum<DnnlFormatTag>("ABcd16b", "dnnl_aBcd16b");

        Enum<DnnlPropKind>("Undef", "dnnl_prop_kind_undef");
        Enum<DnnlPropKind>("ForwardTraining", "dnnl_forward_training");
        Enum<DnnlPropKind>("ForwardInference", "dnnl_forward_inference");
        Enum<DnnlPropKind>("BackwardData", "dnnl_backward_data");
        Enum<DnnlPropKind>("BackwardWeights", "dnnl_backward_weights");

        Enum<DnnlAlgKind>("Undef", "dnnl_alg_kind_undef");
        Enum<DnnlAlgKind>("ConvolutionDirect", "dnnl_convolution_direct");
        Enum<DnnlAlgKind>("ConvolutionWinograd", "dnnl_convolution_winograd");
        Enum<DnnlAlgKind>("ConvolutionAuto", "dnnl_convolution_auto");

        Enum<DnnlPrimitiveKind>("Undefined", "dnnl_undefined_primitive");
        Enum<DnnlPrimitiveKind>("Reorder", "dnnl_reorder");
        Enum<DnnlPrimitiveKind>("Convolution", "dnnl_convolution");
        Enum<DnnlPrimitiveKind>("Matmul", "dnnl_matmul");

        Enum<DnnlQuery>("Undef", "dnnl_query_undef");
        Enum<DnnlQuery>("ImplInfoStr", "dnnl_query_impl_info_str");
        Enum<DnnlQuery>("SrcMd", "dnnl_query_src_md");
        Enum<DnnlQuery>("DiffSrcMd", "dnnl_query_diff_src_md");
        Enum<DnnlQuery>("WeightsMd", "dnnl_query_weights_md");
        Enum<DnnlQuery>("DiffWeightsMd", "dnnl_query_diff_weights_md");
        Enum<DnnlQuery>("DstMd", "dnnl_query_dst_md");
        Enum<DnnlQuery>("DiffDstMd", "dnnl_query_diff_dst_md");
        Enum<DnnlQuery>("ScratchpadMd", "dnnl_query_scratchpad_md");

        Enum<DnnlEngineKind>("Any", "dnnl_any_engine");
        Enum<DnnlEngineKind>("Cpu", "dnnl_cpu");

        Enum<DnnlStreamFlags>("InOrder", "dnnl_stream_in_order");

        Enum<DnnlScratchpadMode>("Library", "dnnl_scratchpad_mode_library");
        Enum<DnnlScratchpadMode>("User", "dnnl_scratchpad_mode_user");

        Const("ArgSrc", "DNNL_ARG_SRC");
        Const("ArgDst", "DNNL_ARG_DST");
        Const("ArgWeights", "DNNL_ARG_WEIGHTS");
        Const("ArgBias", "DNNL_ARG_BIAS");
        Const("ArgScratchpad", "DNNL_ARG_SCRATCHPAD");
        Const("ArgDiffSrc", "DNNL_ARG_DIFF_SRC");
        Const("ArgDiffDst", "DNNL_ARG_DIFF_DST");
        Const("ArgDiffWeights", "DNNL_ARG_DIFF_WEIGHTS");
        Const("ArgDiffBias", "DNNL_ARG_DIFF_BIAS");
        Const("ArgFrom", "DNNL_ARG_FROM");
        Const("ArgTo", "DNNL_ARG_TO");
        Const("MaxNdims", "DNNL_MAX_NDIMS");
        Const("RuntimeOmp", "DNNL_RUNTIME_OMP");

        Struct<DnnlDims>("dnnl_dims_t");
        Struct<DnnlBlockingDesc>("dnnl_blocking_desc_t",
            ("Strides", "strides"), ("InnerNblks", "inner_nblks"), ("InnerBlks", "inner_blks"), ("InnerIdxs", "inner_idxs"));
        Struct<DnnlMemoryExtraDesc>("dnnl_memory_extra_desc_t",
            ("Flags", "flags"), ("CompensationMask", "compensation_mask"), ("ScaleAdjust", "scale_adjust"),
            ("AsymmCompensationMask", "asymm_compensation_mask"));
        Struct<DnnlMemoryDesc>("dnnl_memory_desc_t",
            ("Ndims", "ndims"), ("Dims", "dims"), ("DataType", "data_type"), ("PaddedDims", "padded_dims"),
            ("PaddedOffsets", "padded_offsets"), ("Offset0", "offset0"), ("FormatKind", "format_kind"),
            ("Blocking", "format_desc.blocking"), ("Extra", "extra"));
        Value("sizeof(((dnnl_memory_desc_t *)0)->format_desc)", Unsafe.SizeOf<DnnlBlockingDesc>(),
            "format_desc union size (declared through its blocking member)");
        Struct<DnnlConvolutionDesc>("dnnl_convolution_desc_t",
            ("PrimitiveKind", "primitive_kind"), ("PropKind", "prop_kind"), ("AlgKind", "alg_kind"),
            ("SrcDesc", "src_desc"), ("DiffSrcDesc", "diff_src_desc"), ("WeightsDesc", "weights_desc"),
            ("DiffWeightsDesc", "diff_weights_desc"), ("BiasDesc", "bias_desc"), ("DiffBiasDesc", "diff_bias_desc"),
            ("DstDesc", "dst_desc"), ("DiffDstDesc", "diff_dst_desc"), ("Strides", "strides"), ("Dilates", "dilates"),
            ("PaddingL", "padding[0]"), ("PaddingR", "padding[1]"), ("AccumDataType", "accum_data_type"));
        Struct<DnnlMatmulDesc>("dnnl_matmul_desc_t",
            ("PrimitiveKind", "primitive_kind"), ("SrcDesc", "src_desc"), ("WeightsDesc", "weights_desc"),
            ("BiasDesc", "bias_desc"), ("DstDesc", "dst_desc"), ("AccumDataType", "accum_data_type"));
        Struct<DnnlExecArg>("dnnl_exec_arg_t", ("Arg", "arg"), ("Memory", "memory"));
        Struct<DnnlVersion>("dnnl_version_t",
            ("Major", "major"), ("Minor", "minor"), ("Patch", "patch"), ("Hash", "hash"),
            ("CpuRuntime", "cpu_runtime"), ("GpuRuntime", "gpu_runtime"));
        // Enums are passed by value as C enums: all are int-sized in the C ABI.
        Value("sizeof(dnnl_status_t)", Unsafe.SizeOf<DnnlStatus>(), "enum size");
    }

    private void Value(string cExpression, long expected, string what) => _entries.Add(new(cExpression, expected, what));

    private void Enum<TEnum>(string member, string cName) where TEnum : struct, System.Enum
    {
        var value = System.Enum.Parse<TEnum>(member);
        Value(cName, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture), $"{typeof(TEnum).Name}.{member}");
        _covered.Add($"{typeof(TEnum).Name}.{member}");
    }

    private void Const(string field, string cName)
    {
        var f = typeof(DnnlConst).GetField(field, BindingFlags.Public | BindingFlags.Static)
            ?? throw new InvalidOperationException($"DnnlConst.{field} does not exist.");
        Value(cName, Convert.ToInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture), $"DnnlConst.{field}");
        _covered.Add($"DnnlConst.{field}");
    }

    private void Struct<T>(string cType, params (string Field, string CField)[] fields) where T : struct
    {
        Value($"sizeof({cType})", Unsafe.SizeOf<T>(), $"sizeof {typeof(T).Name}");
        _covered.Add(typeof(T).Name);
        foreach (var (field, cField) in fields)
        {
            Value($"offsetof({cType}, {cField})", (long)Marshal.OffsetOf<T>(field), $"{typeof(T).Name}.{field} offset");
            _covered.Add($"{typeof(T).Name}.{field}");
        }
    }

    /// <summary>Every enum member, struct (and its fields, except an inline array's element) and DnnlConst constant in the Native namespace.</summary>
    private void AssertEverythingDeclaredIsCovered()
    {
        var missing = new List<string>();
        var types = typeof(DnnlConst).Assembly.GetTypes().Where(t => t.Namespace == typeof(DnnlConst).Namespace && !t.IsNested);
        foreach (var t in types)
        {
            if (t.IsEnum)
            {
                foreach (var name in System.Enum.GetNames(t))
                    if (!_covered.Contains($"{t.Name}.{name}")) missing.Add($"{t.Name}.{name}");
            }
            else if (t.IsValueType)
            {
                if (!_covered.Contains(t.Name)) missing.Add($"struct {t.Name}");
                if (t.GetCustomAttribute<InlineArrayAttribute>() is not null) continue;
                foreach (var f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                    if (!_covered.Contains($"{t.Name}.{f.Name}")) missing.Add($"{t.Name}.{f.Name}");
            }
            else if (t == typeof(DnnlConst))
            {
                foreach (var f in t.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral))
                    if (!_covered.Contains($"DnnlConst.{f.Name}")) missing.Add($"DnnlConst.{f.Name}");
            }
        }
        Assert.True(missing.Count == 0, "Declared but not checked against the headers: " + string.Join(", ", missing));
    }

    private List<long> CompileAndRun()
    {
        var dir = Directory.CreateTempSubdirectory("derain-dnnl-header-");
        try
        {
            var c = new StringBuilder();
            c.AppendLine("#include <stdio.h>");
            c.AppendLine("#include <stddef.h>");
            c.AppendLine("#include <oneapi/dnnl/dnnl.h>");
            c.AppendLine("#include <oneapi/dnnl/dnnl_version.h>");
            c.AppendLine("int main(void) {");
            foreach (var e in _entries) c.AppendLine($"    printf(\"%lld\\n\", (long long)({e.CExpression}));");
            c.AppendLine("    return 0;");
            c.AppendLine("}");
            string source = Path.Combine(dir.FullName, "check.c"), exe = Path.Combine(dir.FullName, "check");
            File.WriteAllText(source, c.ToString());
            var (rc, output, error) = Run(FindGcc()!, ["-std=c11", "-Wall", "-o", exe, source]);
            Assert.True(rc == 0, $"gcc failed ({rc}):\n{error}\n{output}");
            (rc, output, error) = Run(exe, []);
            Assert.True(rc == 0, $"header check program failed ({rc}): {error}");
            return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => long.Parse(l, System.Globalization.CultureInfo.InvariantCulture))];
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static (int Rc, string Output, string Error) Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill();
            throw new TimeoutException($"{file} did not finish in 2 minutes.");
        }
        return (p.ExitCode, stdout, stderr.Result);
    }

    /// <summary>gcc on PATH, or null.</summary>
    public static string? FindGcc()
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "gcc")).FirstOrDefault(File.Exists);
}
