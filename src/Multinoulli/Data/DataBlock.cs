namespace Multinoulli;

/// <summary>A block of labelled rows read from a data source.</summary>
/// <param name="Features">The rows' features.</param>
/// <param name="Labels">One class a row.</param>
/// <param name="SampleWeights">One non-negative weight a row, or null for all 1. A mini-batch step minimises the
/// weighted mean of its rows' losses.</param>
public sealed record DataBlock(SparseMatrix Features, int[] Labels, double[]? SampleWeights = null);
