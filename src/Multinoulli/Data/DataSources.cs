using Multinoulli.Data;

namespace Multinoulli;

/// <summary>Helpers for any <see cref="IDataSource"/>.</summary>
public static class DataSources
{
    /// <summary>Reads every block of a source into one matrix and one label array (the whole data set in memory).</summary>
    public static (SparseMatrix Features, int[] Labels) ReadAll(this IDataSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var builder = new BlockBuilder(source.Features, int.MaxValue);
        foreach (var block in source.Blocks())
        {
            for (int r = 0; r < block.Labels.Length; r++)
            {
                block.Features.Entries(r, out var columns, out var values);
                for (int k = 0; k < columns.Length; k++) builder.Add(columns[k], values[k]);
                builder.EndRow(block.Labels[r]);
            }
        }
        var all = builder.Flush() ?? new DataBlock(new SparseMatrix(0, source.Features, [0], [], []), []);
        return (all.Features, all.Labels);
    }
}
