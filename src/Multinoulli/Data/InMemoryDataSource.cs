namespace Multinoulli;

/// <summary>An <see cref="IDataSource"/> over rows already in memory, served in blocks of a fixed size.</summary>
public sealed class InMemoryDataSource : IDataSource
{
    private readonly SparseMatrix _features;
    private readonly int[] _labels;
    private readonly int _blockRows;
    private readonly double[]? _sampleWeights;

    /// <summary>Rows in memory, with optional sample weights.</summary>
    /// <exception cref="ArgumentException">The labels or weights do not match the rows, a weight is negative or not
    /// finite, or <paramref name="blockRows"/> is below 1.</exception>
    public InMemoryDataSource(SparseMatrix features, int[] labels, int blockRows = 4096, double[]? sampleWeights = null)
    {
        if (sampleWeights is not null)
        {
            if (sampleWeights.Length != labels.Length) ThrowHelper.LengthMismatch(nameof(sampleWeights), labels.Length, sampleWeights.Length, "One weight a row");
            Distributions.DistributionInput.Total(sampleWeights, nameof(sampleWeights));
        }
        _sampleWeights = sampleWeights;
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length != features.Rows) ThrowHelper.LengthMismatch(nameof(labels), features.Rows, labels.Length, "One label a row");
        if (blockRows < 1) ThrowHelper.OutOfRange(nameof(blockRows), blockRows, "At least one row a block.");
        _features = features;
        _labels = labels;
        _blockRows = blockRows;
    }

    /// <summary>Dense rows (their non-zeros are kept).</summary>
    public InMemoryDataSource(DenseMatrix features, int[] labels, int blockRows = 4096, double[]? sampleWeights = null)
        : this(SparseMatrix.FromDense(features), labels, blockRows, sampleWeights) { }

    /// <inheritdoc/>
    public int Features => _features.Columns;

    /// <inheritdoc/>
    public IEnumerable<DataBlock> Blocks()
    {
        for (int first = 0; first < _features.Rows; first += _blockRows)
        {
            int count = Math.Min(_blockRows, _features.Rows - first);
            int from = _features.RowStarts[first], to = _features.RowStarts[first + count];
            var starts = new int[count + 1];
            for (int r = 0; r <= count; r++) starts[r] = _features.RowStarts[first + r] - from;
            yield return new DataBlock(
                new SparseMatrix(count, _features.Columns, starts, _features.ColumnIndices[from..to], _features.Values[from..to]),
                _labels[first..(first + count)], _sampleWeights?[first..(first + count)]);
        }
    }
}
