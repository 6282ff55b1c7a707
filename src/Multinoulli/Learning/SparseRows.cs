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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SparseRows FromDense(DenseMatrix matrix)
    {
        long nonZero = 0;
        foreach (float v in matrix.Values) if (v != 0) nonZero++;
        if (nonZero > Array.MaxLength) throw new ArgumentException($"The matrix has {nonZero} non-zero entries; at most {Array.MaxLength} are supported.", nameof(matrix));
        var starts = new int[matrix.Rows + 1];
        var indices = new int[nonZero];
        var values = new float[nonZero];
        int next = 0;
        for (int r = 0; r < matrix.Rows; r++)
        {
            starts[r] = next;
            ReadOnlySpan<float> row = matrix.Row(r);
            for (int c = 0; c < row.Length; c++)
            {
                if (row[c] == 0) continue;
                indices[next] = c;
                values[next++] = row[c];
            }
        }
        starts[matrix.Rows] = next;
        return new SparseRows(matrix.Rows, matrix.Columns, starts, indices, values);
    }
}
