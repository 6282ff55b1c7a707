namespace Multinoulli;

/// <summary>How per-row losses are combined into one number.</summary>
public enum Reduction
{
    /// <summary>
    /// The weighted mean: Σ row losses / Σ weights of the rows that count (with integer labels, each row weighs
    /// the class weight of its label; with soft targets, each row weighs 1). A batch in which no row counts
    /// (every label ignored) has loss 0 and a zero gradient.
    /// </summary>
    Mean,

    /// <summary>The sum of the per-row losses.</summary>
    Sum,
}
