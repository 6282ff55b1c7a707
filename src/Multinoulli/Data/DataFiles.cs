using System.IO.Compression;

namespace Multinoulli.Data;

/// <summary>What every reader shares: gzip detection, and collecting a source's blocks into one matrix.</summary>
internal static class DataFiles
{
    /// <summary>Opens a file, decompressing it on the fly when it starts with the gzip magic bytes.</summary>
    public static Stream Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        int read = file.Read(magic);
        file.Position = 0;
        bool gzip = read == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        return gzip ? new BufferedStream(new GZipStream(file, CompressionMode.Decompress), 1 << 16) : new BufferedStream(file, 1 << 16);
    }

    /// <summary>Every block of a source, joined.</summary>
    public static (SparseMatrix Features, int[] Labels) Collect(IDataSource source)
    {
        var starts = new List<int> { 0 };
        var indices = new List<int>();
        var values = new List<float>();
        var labels = new List<int>();
        foreach (var block in source.Blocks())
        {
            var features = block.Features;
            for (int r = 0; r < features.Rows; r++)
            {
                for (int k = features.RowStarts[r]; k < features.RowStarts[r + 1]; k++)
                {
                    indices.Add(features.ColumnIndices[k]);
                    values.Add(features.Values[k]);
                }
                starts.Add(indices.Count);
            }
            labels.AddRange(block.Labels);
        }
        return (new SparseMatrix(labels.Count, source.Features, [.. starts], [.. indices], [.. values]), [.. labels]);
    }

    public static InvalidDataException Malformed(string path, long line, string reason) => new($"{path}:{line}: {reason}");
}
