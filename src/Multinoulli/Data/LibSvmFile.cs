using System.Globalization;
using Multinoulli.Data;

namespace Multinoulli;

/// <summary>
/// Reads sparse labelled rows in the LibSVM / SVMlight text format (gzipped or not): one row a line,
/// <c>label index:value index:value …</c> with 1-based feature indices in increasing order, and anything after
/// <c>#</c> a comment. Labels must be class indices (non-negative integers). A malformed line is reported with
/// the file, the line number and the reason.
/// </summary>
public sealed class LibSvmFile : IDataSource
{
    private readonly string _path;
    private readonly int _blockRows;

    private LibSvmFile(string path, int features, int blockRows)
    {
        _path = path;
        Features = features;
        _blockRows = blockRows;
    }

    /// <summary>Opens a file as a re-readable source of blocks.</summary>
    /// <param name="path">The file.</param>
    /// <param name="features">The number of features; default (null): the largest index in the file, found by a
    /// first pass over it.</param>
    /// <param name="blockRows">Rows a block.</param>
    /// <exception cref="InvalidDataException">A line is malformed (first pass), or an index exceeds <paramref name="features"/>.</exception>
    public static LibSvmFile Open(string path, int? features = null, int blockRows = 4096)
    {
        if (blockRows < 1) ThrowHelper.OutOfRange(nameof(blockRows), blockRows, "At least one row a block.");
        if (features is < 1) ThrowHelper.OutOfRange(nameof(features), features, "At least one feature.");
        int columns = features ?? 0;
        if (features is null)
            foreach (var (_, _, indices, _) in Lines(path, int.MaxValue))
                if (indices.Count > 0) columns = Math.Max(columns, indices[^1] + 1);
        return new LibSvmFile(path, Math.Max(columns, 1), blockRows);
    }

    /// <summary>Reads the whole file into memory.</summary>
    /// <inheritdoc cref="Open"/>
    public static (SparseMatrix Features, int[] Labels) Read(string path, int? features = null) => Open(path, features).ReadAll();

    /// <inheritdoc/>
    public int Features { get; }

    /// <inheritdoc/>
    public IEnumerable<DataBlock> Blocks()
    {
        var builder = new BlockBuilder(Features, _blockRows);
        foreach (var (_, label, indices, values) in Lines(_path, Features))
        {
            for (int k = 0; k < indices.Count; k++) builder.Add(indices[k], values[k]);
            if (builder.EndRow(label) is { } block) yield return block;
        }
        if (builder.Flush() is { } last) yield return last;
    }

    /// <summary>The parsed rows: (line number, label, 0-based indices, values).</summary>
    private static IEnumerable<(long Line, int Label, List<int> Indices, List<float> Values)> Lines(string path, int features)
    {
        using var reader = new StreamReader(DataFiles.Open(path));
        long line = 0;
        for (string? text = reader.ReadLine(); text is not null; text = reader.ReadLine())
        {
            line++;
            int comment = text.IndexOf('#');
            string[] tokens = (comment >= 0 ? text[..comment] : text).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0) continue;
            if (!int.TryParse(tokens[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int label) || label < 0)
                throw DataFiles.Malformed(path, line, $"the label \"{tokens[0]}\" is not a class index (a non-negative integer; map ±1 to 0 and 1)");
            var indices = new List<int>(tokens.Length - 1);
            var values = new List<float>(tokens.Length - 1);
            for (int t = 1; t < tokens.Length; t++)
            {
                int colon = tokens[t].IndexOf(':');
                if (colon <= 0
                    || !int.TryParse(tokens[t].AsSpan(0, colon), NumberStyles.Integer, CultureInfo.InvariantCulture, out int index)
                    || !float.TryParse(tokens[t].AsSpan(colon + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
                    throw DataFiles.Malformed(path, line, $"\"{tokens[t]}\" is not index:value");
                if (index < 1) throw DataFiles.Malformed(path, line, $"feature index {index}: indices start at 1");
                if (index > features) throw DataFiles.Malformed(path, line, $"feature index {index} exceeds the {features} features");
                if (indices.Count > 0 && index - 1 <= indices[^1]) throw DataFiles.Malformed(path, line, $"feature index {index} is not above the one before it");
                if (!float.IsFinite(value)) throw DataFiles.Malformed(path, line, $"feature {index} has value {value}");
                if (value == 0) continue;
                indices.Add(index - 1);
                values.Add(value);
            }
            yield return (line, label, indices, values);
        }
    }
}
