namespace Multinoulli;

/// <summary>A block of labelled rows read from a data source.</summary>
/// <param name="Features">The rows' features.</param>
/// <param name="Labels">One class a row.</param>
public sealed record DataBlock(SparseMatrix Features, int[] Labels);
