namespace Multinoulli;

/// <summary>Options shared by the <see cref="Softmax"/> entry points. The defaults give the plain softmax.</summary>
public sealed record SoftmaxOptions
{
    private readonly double _temperature = 1;
    private readonly int _maxDegreeOfParallelism = -1;

    /// <summary>The defaults: temperature 1, no masking, all cores.</summary>
    public static SoftmaxOptions Default { get; } = new();

    /// <summary>
    /// T in softmax(z / T). Below 1 the distribution sharpens toward the arg max, above 1 it flattens toward
    /// uniform. Must be positive and finite. Default 1.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero, negative, infinite or NaN.</exception>
    public double Temperature
    {
        get => _temperature;
        init
        {
            if (!(value > 0 && double.IsFinite(value)))
                ThrowHelper.OutOfRange(nameof(Temperature), value, "The temperature must be positive and finite.");
            _temperature = value;
        }
    }

    /// <summary>
    /// Treats −∞ logits as masked-out classes. A row whose every logit is −∞ then gives all-zero probabilities,
    /// all −∞ log-probabilities, a −∞ smooth max and a zero gradient, instead of NaN (0/0). Rows with at least
    /// one class left are unaffected: a −∞ logit always has probability exactly 0. Default false.
    /// </summary>
    public bool Masked { get; init; }

    /// <summary>
    /// The most threads a batch call may use; −1 (the default) means every core. Small batches run on the
    /// calling thread whatever this says. When a batch (or a single distribution) has fewer rows than threads,
    /// every entry point (softmax, log-softmax, log-sum-exp, the smooth maximum and the backward passes) splits
    /// each row of at least 131,072 classes over the threads: its parts' sums then meet in another order, so its
    /// outputs may differ from one thread's in the last bits (both within the documented accuracy). Otherwise
    /// results do not depend on it. The other threads are the library's own (one per core beyond the first),
    /// which spin for up to a millisecond after a call in case another follows, then sleep.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is 0 or below −1.</exception>
    public int MaxDegreeOfParallelism
    {
        get => _maxDegreeOfParallelism;
        init
        {
            _maxDegreeOfParallelism = Kernels.RowParallel.CheckedDegree(value, nameof(MaxDegreeOfParallelism));
        }
    }
}
