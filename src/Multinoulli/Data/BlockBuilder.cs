namespace Multinoulli.Data;

/// <summary>Gathers parsed rows into <see cref="DataBlock"/>s of a fixed number of rows, for the text readers.</summary>
internal sealed class BlockBuilder(int features, int blockRows)
{
    private List<int> _starts = [0];
    private List<int> _columns = [];
    private List<float> _values = [];
    private List<int> _labels = [];

    /// <summary>Adds one non-zero entry of the current row (columns in increasing order).</summary>
    public void Add(int column, float value)
    {
        _columns.Add(column);
        _values.Add(value);
    }

    /// <summary>Ends the current row; returns the block it completes, if any.</summary>
    public DataBlock? EndRow(int label)
    {
        _starts.Add(_columns.Count);
        _labels.Add(label);
        return _labels.Count == blockRows ? Flush() : null;
    }

    /// <summary>The rows gathered since the last block, or null if there are none.</summary>
    public DataBlock? Flush()
    {
        if (_labels.Count == 0) return null;
        var block = new DataBlock(new SparseMatrix(_labels.Count, features, [.. _starts], [.. _columns], [.. _values]), [.. _labels]);
        _starts = [0];
        _columns = [];
        _values = [];
        _labels = [];
        return block;
    }
}
