namespace Multinoulli.Kernels;

/// <summary>Whether pass one keeps the exponentials it computes: a compile-time choice, so neither loop pays for the other.</summary>
internal interface ISink
{
    static abstract bool Keeps { get; }
}

/// <summary>Pass one writes each exponential to the destination.</summary>
internal readonly struct Keep : ISink
{
    public static bool Keeps => true;
}

/// <summary>Pass one only sums.</summary>
internal readonly struct Discard : ISink
{
    public static bool Keeps => false;
}
