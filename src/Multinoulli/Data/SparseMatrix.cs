using System.Runtime.CompilerServices;

namespace Multinoulli;

/// <summary>
/// A float32 matrix in compressed sparse row (CSR) form: row r's non-zero entries are at positions
/// [RowStarts[r], RowStarts[r + 1]) of <see cref="ColumnIndices"/> and <see cref="Values"/>. The form of text
/// features (bag of words, LibSVM files); trainers walk only the stored entries.
/// </summary>
public sealed class SparseMatrix
{
    // For arrays valid by construction (a dense matrix's non-zeros, a transpose): no check pass over them.
    private SparseMatrix(int rows, int columns, int[] rowStarts, int[] columnIndices, float[] values, bool _)
    {
        Rows = rows;
        Columns = columns;
        RowStarts = rowStarts;
        ColumnIndices = columnIndices;
        Values = values;
    }

    /// <summary>Wraps CSR arrays (not copied) after checking them.</summary>
    /// <exception cref="ArgumentException">The arrays are inconsistent: starts not increasing from 0 to the number of
    /// entries, a column index out of [0, columns), or column indices not increasing within a row.</exception>
    public SparseMatrix(int rows, int columns, int[] rowStarts, int[] columnIndices, float[] values)
    {
        ArgumentNullException.ThrowIfNull(rowStarts);
        ArgumentNullException.ThrowIfNull(columnIndices);
        ArgumentNullException.ThrowIfNull(values);
        if (rows < 0) ThrowHelper.OutOfRange(nameof(rows), rows, "The number of rows cannot be negative.");
        if (columns < 1) ThrowHelper.OutOfRange(nameof(columns), columns, "A matrix needs at least one column.");
        if (rowStarts.Length != rows + 1) ThrowHelper.LengthMismatch(nameof(rowStarts), rows + 1, rowStarts.Length, "One start a row, plus the end");
        if (values.Length != columnIndices.Length) ThrowHelper.LengthMismatch(nameof(values), columnIndices.Length, values.Length, "One value a column index");
        if (rowStarts[0] != 0 || rowStarts[rows] != columnIndices.Length)
            throw new ArgumentException($"rowStarts must run from 0 to the number of entries ({columnIndices.Length}); it runs from {rowStarts[0]} to {rowStarts[rows]}.", nameof(rowStarts));
        for (int r = 0; r < rows; r++)
        {
            if (rowStarts[r + 1] < rowStarts[r])
                throw new ArgumentException($"rowStarts decreases at row {r} ({rowStarts[r]} then {rowStarts[r + 1]}).", nameof(rowStarts));
            for (int k = rowStarts[r]; k < rowStarts[r + 1]; k++)
            {
                if ((uint)columnIndices[k] >= (uint)columns)
                    throw new ArgumentException($"Row {r} has column {columnIndices[k]}, outside [0, {columns}).", nameof(columnIndices));
                if (k > rowStarts[r] && columnIndices[k] <= columnIndices[k - 1])
                    throw new ArgumentException($"Row {r}'s columns are not increasing ({columnIndices[k - 1]} then {columnIndices[k]}).", nameof(columnIndices));
            }
        }
        Rows = rows;
        Columns = columns;
        RowStarts = rowStarts;
        ColumnIndices = columnIndices;
        Values = values;
    }

    /// <summary>The number of rows (samples).</summary>
    public int Rows { get; }

    /// <summary>The number of columns (features).</summary>
    public int Columns { get; }

    /// <summary>Where each row's entries start, and (last) the number of entries.</summary>
    public int[] RowStarts { get; }

    /// <summary>The column of each stored entry.</summary>
    public int[] ColumnIndices { get; }

    /// <summary>The value of each stored entry.</summary>
    public float[] Values { get; }

    /// <summary>The non-zero entries of a dense matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SparseMatrix FromDense(DenseMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
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
        return new SparseMatrix(matrix.Rows, matrix.Columns, starts, indices, values, true);
    }

    /// <summary>Row <paramref name="row"/>'s stored entries.</summary>
    internal void Entries(int row, out ReadOnlySpan<int> columns, out ReadOnlySpan<float> values)
    {
        int from = RowStarts[row], to = RowStarts[row + 1];
        columns = ColumnIndices.AsSpan(from, to - from);
        values = Values.AsSpan(from, to - from);
    }

    /// <summary>The given rows, in the given order, as a new matrix (a train/test split, a shuffle).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A row index is outside [0, <see cref="Rows"/>).</exception>
    public SparseMatrix SelectRows(ReadOnlySpan<int> rows)
    {
        long entries = 0;
        foreach (int r in rows)
        {
            if ((uint)r >= (uint)Rows) ThrowHelper.OutOfRange(nameof(rows), r, $"Row indices must lie in [0, {Rows}).");
            entries += RowStarts[r + 1] - RowStarts[r];
        }
        var starts = new int[rows.Length + 1];
        var columns = new int[entries];
        var values = new float[entries];
        int next = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            int from = RowStarts[rows[i]], count = RowStarts[rows[i] + 1] - from;
            Array.Copy(ColumnIndices, from, columns, next, count);
            Array.Copy(Values, from, values, next, count);
            starts[i + 1] = next += count;
        }
        return new SparseMatrix(rows.Length, Columns, starts, columns, values, true);
    }

    /// <summary>The dense form (zeros filled in).</summary>
    public DenseMatrix ToDense()
    {
        var values = new float[(long)Rows * Columns];
        for (int r = 0; r < Rows; r++)
            for (int k = RowStarts[r]; k < RowStarts[r + 1]; k++) values[(long)r * Columns + ColumnIndices[k]] = Values[k];
        return new DenseMatrix(Rows, Columns, values);
    }
}
