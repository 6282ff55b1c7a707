namespace Multinoulli;

/// <summary>
/// Labelled rows that can be read again from the start, a block at a time: what the mini-batch trainers stream
/// through each epoch, so a data set need not fit in memory. Readers (<see cref="IdxFile"/>, <see cref="CsvFile"/>,
/// <see cref="LibSvmFile"/>) and <see cref="InMemoryDataSource"/> provide one.
/// </summary>
public interface IDataSource
{
    /// <summary>The number of features (columns) of every row.</summary>
    int Features { get; }

    /// <summary>Reads the rows from the start, in blocks, in the same order every time.</summary>
    IEnumerable<DataBlock> Blocks();
}
