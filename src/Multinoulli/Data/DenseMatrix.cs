namespace Multinoulli;

/// <summary>A row-major float32 matrix: the features of a data set, one sample a row.</summary>
public sealed class DenseMatrix
{
    /// <summary>Wraps <paramref name="values"/> (not copied) as a [rows × columns] matrix.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is negative or <paramref name="columns"/> below 1.</exception>
    /// <exception cref="ArgumentException"><paramref name="values"/> does not hold rows × columns elements.</exception>
    public DenseMatrix(int rows, int columns, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (rows < 0) ThrowHelper.OutOfRange(nameof(rows), rows, "The number of rows cannot be negative.");
        if (columns < 1) ThrowHelper.OutOfRange(nameof(columns), columns, "A matrix needs at least one column.");
        if (values.LongLength != (long)rows * columns)
            ThrowHelper.LengthMismatch(nameof(values), rows * columns, values.Length, $"A {rows} × {columns} matrix");
        Rows = rows;
        Columns = columns;
        Values = values;
    }

    /// <summary>The number of rows (samples).</summary>
    public int Rows { get; }

    /// <summary>The number of columns (features).</summary>
    public int Columns { get; }

    /// <summary>The elements, row after row.</summary>
    public float[] Values { get; }

    /// <summary>One row.</summary>
    public Span<float> Row(int row) => Values.AsSpan(checked(row * Columns), Columns);

    /// <summary>The rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) as a new matrix (copied).</summary>
    public DenseMatrix Slice(int start, int count) =>
        new(count, Columns, Values.AsSpan((int)((long)start * Columns), (int)((long)count * Columns)).ToArray());
}
