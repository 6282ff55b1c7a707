namespace Multinoulli.Kernels;

/// <summary>What pass one learned about a row of logits.</summary>
internal enum RowKind : byte
{
    /// <summary>At least one finite logit, no +∞ and no NaN: the ordinary case.</summary>
    Finite,

    /// <summary>Every logit is −∞: there is no distribution (0/0), or, with masking, an all-zero one.</summary>
    AllMasked,

    /// <summary>At least one +∞ and no NaN: the +∞ classes share the probability equally.</summary>
    PositiveInfinity,

    /// <summary>A NaN somewhere: every output of the row is NaN.</summary>
    NaN,
}

/// <summary>The row's maximum logit and Σ exp((z − max)/temperature), accumulated in float64.</summary>
internal readonly record struct RowStatistics(RowKind Kind, double Max, double SumExp)
{
    public static RowStatistics Special(RowKind kind) => new(kind, double.NaN, double.NaN);

    /// <summary>
    /// Σ (max − z) over the row, when pass one was asked for it (a gap total in the chunked pass,
    /// <see cref="ISink.SumsGaps"/> in the streamed batch and blocks): the uniform part of label smoothing's loss.
    /// +∞ when a logit is −∞; 0 when not asked for.
    /// </summary>
    public double Gaps { get; init; }

    /// <summary>log Σ exp(z/temperature): the normalizer of softmax(z/temperature).</summary>
    public double LogNormalizer(double inverseTemperature) => Max * inverseTemperature + Math.Log(SumExp);
}
