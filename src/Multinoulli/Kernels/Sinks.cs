namespace Multinoulli.Kernels;

/// <summary>What pass one writes to the destination, if anything: a compile-time choice, so no loop pays for another.</summary>
internal interface ISink
{
    /// <summary>Writes something: then each chunk's shift is recorded too.</summary>
    static abstract bool Keeps { get; }

    /// <summary>Writes the rounded gap (z − shift)/T rather than its exponential (−∞ for a −∞ logit).</summary>
    static abstract bool KeepsGaps { get; }

    /// <summary>
    /// Also sums Σ (max − z) over the row, for label smoothing's loss (<see cref="RowStatistics.Gaps"/>): read by
    /// the streamed batch and the 16-row blocks. The chunked pass one ignores it and sums what it is given to sum
    /// instead (a gap total, or a row's target sums).
    /// </summary>
    static abstract bool SumsGaps { get; }
}

/// <summary>Pass one writes each exponential exp((z − shift)/T).</summary>
internal readonly struct Keep : ISink
{
    public static bool Keeps => true;
    public static bool KeepsGaps => false;
    public static bool SumsGaps => false;
}

/// <summary>The streamed batch or the 16-row blocks write each exponential, as <see cref="Keep"/>, and sum the gaps max − z as well.</summary>
internal readonly struct KeepSummingGaps : ISink
{
    public static bool Keeps => true;
    public static bool KeepsGaps => false;
    public static bool SumsGaps => true;
}

/// <summary>Pass one writes each gap (z − shift)/T, for log-probabilities.</summary>
internal readonly struct KeepGaps : ISink
{
    public static bool Keeps => true;
    public static bool KeepsGaps => true;
    public static bool SumsGaps => false;
}

/// <summary>Pass one only sums.</summary>
internal readonly struct Discard : ISink
{
    public static bool Keeps => false;
    public static bool KeepsGaps => false;
    public static bool SumsGaps => false;
}
