namespace Derain.Pipelines.Training.Logging;

/// <summary>
/// One line of the training log: a <c>train</c> entry every <c>logger.print_freq</c> iterations (iter, epoch, lr, loss
/// and its terms averaged over the iterations since the previous entry, seconds per iteration, ETA) or a <c>val</c>
/// entry per validation (psnr, ssim, the rainy input's scores, clips, seconds). Values keep insertion order.
/// </summary>
public sealed class LogEntry(string kind, long iteration)
{
    public const string Train = "train", Validation = "val";

    /// <summary><see cref="Train"/> or <see cref="Validation"/>.</summary>
    public string Kind { get; } = kind;

    /// <summary>Completed iterations when the entry was made.</summary>
    public long Iteration { get; } = iteration;

    /// <summary>Named values (null: not a finite number, e.g. a diverged loss).</summary>
    public List<KeyValuePair<string, double?>> Values { get; } = [];

    public LogEntry Add(string name, double? value)
    {
        Values.Add(new(name, value is double d && double.IsFinite(d) ? d : null));
        return this;
    }

    /// <summary>The value named <paramref name="name"/>, or null.</summary>
    public double? this[string name] => Values.FirstOrDefault(v => v.Key == name).Value;
}
