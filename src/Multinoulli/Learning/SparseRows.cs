using System.Runtime.CompilerServices;
namespace Multinoulli.Learning;

/// <summary>
/// The non-zero features of each row (compressed sparse rows). The training pass walks only these: MNIST's pixels
/// are 81 % zeros, so a dense walk would spend five multiply-adds in six on nothing.
/// </summary>
internal sealed class SparseRows
{
    private SparseRows(int rows, int columns, int[] starts, int[] indices, float[] values)
    {
        Rows = rows;
        Columns = columns;
        Starts = starts;
        Indices = indices;
        Values = values;
    }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>Row r's entries are [Starts[r], Starts[r + 1]).</summary>
    public int[] Starts { get; }

    public int[] Indices { get; }

    public float[] Values { get; }

    /// <summary>
    /// The transpose, in the same form: for each feature, the rows where it is non-zero, in row order. The
    /// backward pass walks it to sum ∂W[f, :] = Σᵣ x_rf gᵣ in registers, one feature at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public SparseRows Transpose()
    {
        var starts = new int[Columns + 1];
        foreach (int c in Indices) starts[c + 1]++;
        for (int c = 0; c < Columns; c++) starts[c + 1] += starts[c];
        var next = (int[])starts.Clone();
        var indices = new int[Indices.Length];
        var values = new float[Values.Length];
        for (int r = 0; r < Rows; r++)
        {
            for (int k = Starts[r]; k < Starts[r + 1]; k++)
            {
                int slot = next[Indices[k]]++;
                indices[slot] = r;
                values[slot] = Values[k];
            }
        }
        return new SparseRows(Columns, Rows, starts, indices, values);
    }

    /// <summary>The rows of a public sparse matrix, sharing its arrays.</summary>
    public static SparseRows From(SparseMatrix matrix) =>
        new(matrix.Rows, matrix.Columns, matrix.RowStarts, matrix.ColumnIndices, matrix.Values);

    public static SparseRows FromDense(DenseMatrix matrix) => From(SparseMatrix.FromDense(matrix));
}
