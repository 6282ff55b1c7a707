namespace Multinoulli.Kernels;

/// <summary>What pass one writes to the destination, if anything: a compile-time choice, so no loop pays for another.</summary>
internal interface ISink
{
    /// <summary>Writes something: then each chunk's shift is recorded too.</summary>
    static abstract bool Keeps { get; }

    /// <summary>Writes the rounded gap (z − shift)/T rather than its exponential (−∞ for a −∞ logit).</summary>
    static abstract bool KeepsGaps { get; }
}

/// <summary>Pass one writes each exponential exp((z − shift)/T).</summary>
internal readonly struct Keep : ISink
{
    public static bool Keeps => true;
    public static bool KeepsGaps => false;
}

/// <summary>Pass one writes each gap (z − shift)/T, for log-probabilities.</summary>
internal readonly struct KeepGaps : ISink
{
    public static bool Keeps => true;
    public static bool KeepsGaps => true;
}

/// <summary>Pass one only sums.</summary>
internal readonly struct Discard : ISink
{
    public static bool Keeps => false;
    public static bool KeepsGaps => false;
}
