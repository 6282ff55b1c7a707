namespace Multinoulli;

/// <summary>
/// Options of <see cref="CrossEntropy"/>. With all defaults the loss is the mean of −log softmax(zᵢ)_yᵢ.
/// For per-row losses (no reduction) use the <c>RowLosses</c> methods.
/// </summary>
public sealed record CrossEntropyOptions
{
    private readonly double _labelSmoothing;
    private readonly double[]? _classWeights;
    private readonly int _maxDegreeOfParallelism = -1;

    /// <summary>The defaults: mean reduction, no weights, no ignored label, no smoothing, no masking, all cores.</summary>
    public static CrossEntropyOptions Default { get; } = new();

    /// <summary>Mean (the default) or sum.</summary>
    public Reduction Reduction { get; init; } = Reduction.Mean;

    /// <summary>
    /// One non-negative, finite weight a class, or null for all ones. A row's loss is −Σⱼ wⱼ tⱼ log pⱼ, so with an
    /// integer label y it is w_y times the unweighted loss. The length must equal the number of classes.
    /// </summary>
    /// <exception cref="ArgumentException">A weight is negative, infinite or NaN.</exception>
    public double[]? ClassWeights
    {
        get => _classWeights;
        init
        {
            if (value is not null)
                for (int i = 0; i < value.Length; i++)
                    if (!(value[i] >= 0 && double.IsFinite(value[i])))
                        throw new ArgumentException($"Class weight {i} is {value[i]}; weights must be finite and non-negative.", nameof(ClassWeights));
            _classWeights = value;
        }
    }

    /// <summary>Rows whose label equals this value add no loss, get a zero gradient and do not count in the mean. Null (the default): none.</summary>
    public int? IgnoreLabel { get; init; }

    /// <summary>
    /// ε in [0, 1): the target becomes (1 − ε)·target + ε·uniform. The uniform part covers every class, or with
    /// <see cref="Masked"/> only the classes whose logit is not −∞ (without masking, a −∞ logit then makes the
    /// loss +∞, which is the true value). Default 0. Against integer labels, without class weights or masking, the
    /// smoothed loss and gradient cost about what the plain ones do: the uniform part only adds a constant to the
    /// gradient. With weights or masking, or with soft targets, the target's sums are taken as the row is read and
    /// the gradient written in a second pass, as soft targets alone take it; on [512 × 32000] that costs about
    /// twice a label.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside [0, 1).</exception>
    public double LabelSmoothing
    {
        get => _labelSmoothing;
        init
        {
            if (!(value >= 0 && value < 1))
                ThrowHelper.OutOfRange(nameof(LabelSmoothing), value, "Label smoothing must lie in [0, 1).");
            _labelSmoothing = value;
        }
    }

    /// <summary>
    /// Treats −∞ logits as masked classes: a row whose every logit is −∞ adds loss 0 and gets a zero gradient
    /// (instead of NaN), and smoothing spreads only over unmasked classes. Default false.
    /// </summary>
    public bool Masked { get; init; }

    /// <summary>
    /// The most threads a call may use; −1 (the default) means every core. Small batches run on the calling
    /// thread whatever this says. When a batch has fewer rows than threads, a row of at least 131,072 classes
    /// is itself split over the threads (labels or soft targets, with or without smoothing, loss alone or with
    /// its gradient), so its loss and gradient may differ from one thread's in the last bits (both within the
    /// documented accuracy). Otherwise results
    /// do not depend on it: per-row losses are reduced in row order. The other threads are the library's own
    /// (one per core beyond the first), which spin for up to a millisecond after a call in case another follows,
    /// then sleep.
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
