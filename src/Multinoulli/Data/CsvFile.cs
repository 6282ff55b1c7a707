using System.Globalization;
using Multinoulli.Data;

namespace Multinoulli;

/// <summary>
/// Reads labelled rows from a CSV file (gzipped or not): numbers separated by commas, one row a line, the label
/// in one column (by header name or by index; default the last column) and the features in the others, in order.
/// Blank lines are skipped. A malformed line is reported with the file, the line number and the reason.
/// </summary>
public sealed class CsvFile : IDataSource
{
    private readonly string _path;
    private readonly Func<Stream> _open;
    private readonly bool _header;
    private readonly int _labelIndex;
    private readonly int _blockRows;
    private readonly int _columns;

    private CsvFile(string path, Func<Stream> open, bool header, int labelIndex, int blockRows, int columns)
    {
        _path = path;
        _open = open;
        _header = header;
        _labelIndex = labelIndex;
        _blockRows = blockRows;
        _columns = columns;
    }

    /// <summary>Opens a CSV file as a re-readable source of blocks (nothing is held in memory between blocks).</summary>
    /// <param name="path">The file.</param>
    /// <param name="labelColumn">The label column's name in the header line; needs <paramref name="header"/>.</param>
    /// <param name="labelIndex">The label column's index (0-based; −1, the default, for the last column), used
    /// when <paramref name="labelColumn"/> is not given.</param>
    /// <param name="header">Whether the first line names the columns.</param>
    /// <param name="blockRows">Rows a block.</param>
    /// <exception cref="InvalidDataException">The file is empty, the named column is missing, or the index is out of range.</exception>
    public static CsvFile Open(string path, string? labelColumn = null, int labelIndex = -1, bool header = false, int blockRows = 4096)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Create(path, () => DataFiles.Open(path), labelColumn, labelIndex, header, blockRows, labelled: true);
    }

    /// <summary>Opens a CSV file whose columns are all features (new rows to predict); every label reads as 0.</summary>
    /// <exception cref="InvalidDataException">The file is empty.</exception>
    public static CsvFile OpenUnlabelled(string path, bool header = false, int blockRows = 4096)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Create(path, () => DataFiles.Open(path), null, -1, header, blockRows, labelled: false);
    }

    /// <summary>Reads CSV data from a stream (gzipped or not) into memory; <paramref name="name"/> is used in error
    /// messages. Otherwise as <see cref="Read(string, string?, int, bool)"/>.</summary>
    public static (SparseMatrix Features, int[] Labels) Read(Stream stream, string name, string? labelColumn = null, int labelIndex = -1, bool header = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        byte[] bytes = buffer.ToArray();
        return Create(name, () => DataFiles.Open(new MemoryStream(bytes), name), labelColumn, labelIndex, header, 4096, labelled: true).ReadAll();
    }

    private static CsvFile Create(string path, Func<Stream> open, string? labelColumn, int labelIndex, bool header, int blockRows, bool labelled)
    {
        if (blockRows < 1) ThrowHelper.OutOfRange(nameof(blockRows), blockRows, "At least one row a block.");
        if (labelColumn is not null && !header) throw new ArgumentException("A label column can be named only when the file has a header line.", nameof(labelColumn));
        using var reader = new StreamReader(open());
        string? first;
        long line = 0;
        do
        {
            first = reader.ReadLine();
            line++;
        }
        while (first is not null && first.Trim().Length == 0);
        if (first is null) throw DataFiles.Malformed(path, line, "the file holds no rows");
        string[] cells = first.Split(',');
        // −1 from here on means "no label column".
        if (!labelled) return new CsvFile(path, open, header, -1, blockRows, cells.Length);
        int index = labelColumn is not null
            ? Array.FindIndex(cells, c => c.Trim().Trim('"') == labelColumn)
            : labelIndex == -1 ? cells.Length - 1 : labelIndex;
        if (labelColumn is not null && index < 0) throw DataFiles.Malformed(path, line, $"the header has no column named \"{labelColumn}\"");
        if (index < 0 || index >= cells.Length) throw DataFiles.Malformed(path, line, $"label column {index} is outside the {cells.Length} columns");
        if (cells.Length < 2) throw DataFiles.Malformed(path, line, "a row needs a label and at least one feature");
        return new CsvFile(path, open, header, index, blockRows, cells.Length);
    }

    /// <summary>Reads the whole file into memory.</summary>
    /// <inheritdoc cref="Open"/>
    public static (SparseMatrix Features, int[] Labels) Read(string path, string? labelColumn = null, int labelIndex = -1, bool header = false) =>
        Open(path, labelColumn, labelIndex, header).ReadAll();

    /// <inheritdoc/>
    public int Features => _labelIndex < 0 ? _columns : _columns - 1;

    /// <inheritdoc/>
    /// <exception cref="InvalidDataException">A line has the wrong number of columns, a cell is not a number, or a
    /// label is not a non-negative integer.</exception>
    public IEnumerable<DataBlock> Blocks()
    {
        using var reader = new StreamReader(_open());
        var builder = new BlockBuilder(Features, _blockRows);
        int label = 0;
        long line = 0;
        bool skipHeader = _header;
        for (string? text = reader.ReadLine(); text is not null; text = reader.ReadLine())
        {
            line++;
            if (text.Trim().Length == 0) continue;
            if (skipHeader)
            {
                skipHeader = false;
                continue;
            }
            string[] cells = text.Split(',');
            if (cells.Length != _columns) throw DataFiles.Malformed(_path, line, $"{cells.Length} columns where the first row has {_columns}");
            for (int c = 0, feature = 0; c < cells.Length; c++)
            {
                if (!float.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
                    throw DataFiles.Malformed(_path, line, $"column {c} is \"{cells[c]}\", not a number");
                if (c == _labelIndex)
                {
                    if (value < 0 || value != MathF.Floor(value) || value > int.MaxValue)
                        throw DataFiles.Malformed(_path, line, $"the label \"{cells[c]}\" is not a class index (a non-negative integer)");
                    label = (int)value;
                    continue;
                }
                if (value != 0) builder.Add(feature, value);
                feature++;
            }
            if (builder.EndRow(label) is { } block) yield return block;
        }
        if (builder.Flush() is { } last) yield return last;
    }
}
