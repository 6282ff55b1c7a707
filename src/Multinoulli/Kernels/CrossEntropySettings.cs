using System.Numerics;

namespace Multinoulli.Kernels;

/// <summary>What every row of one cross-entropy call shares.</summary>
internal readonly unsafe struct CrossEntropySettings<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Class weights converted to T, or null for all ones.</summary>
    public T* Weights { get; init; }
    public double Smoothing { get; init; }
    public bool Masked { get; init; }
    public bool HasIgnoreLabel { get; init; }
    public int IgnoreLabel { get; init; }

    /// <summary>The factor on every gradient element: 1 / (Σ row weights) for the mean, 1 for the sum and per-row losses.</summary>
    public double GradientScale { get; init; }
}
