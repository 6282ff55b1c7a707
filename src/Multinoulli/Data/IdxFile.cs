using System.Buffers.Binary;
using Multinoulli.Data;

namespace Multinoulli;

/// <summary>
/// Reads the IDX format of MNIST (LeCun et al.): a big-endian header (two zero bytes, a type code, the number of
/// dimensions, each dimension's size) then the data. Gzipped files (.gz, or any file that starts with the gzip
/// magic bytes) are decompressed while reading. Only unsigned bytes (type 0x08) are supported, MNIST's type.
/// </summary>
public static class IdxFile
{
    private const byte UnsignedByte = 0x08;

    /// <summary>Reads a one-dimensional IDX file of labels (MNIST's *-labels-idx1-ubyte).</summary>
    /// <exception cref="InvalidDataException">The file is not IDX, not one-dimensional, or is truncated; the message names the file.</exception>
    public static int[] ReadLabels(string path)
    {
        using var stream = DataFiles.Open(path);
        int[] shape = ReadHeader(stream, path, expectedDimensions: 1);
        var bytes = ReadExactly(stream, path, shape[0]);
        return Array.ConvertAll(bytes, b => (int)b);
    }

    /// <summary>
    /// Reads an IDX file of images (MNIST's *-images-idx3-ubyte) as one row a sample, each byte multiplied by
    /// <paramref name="scale"/> (default 1/255, giving pixels in [0, 1]).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not IDX, has fewer than two dimensions, or is truncated.</exception>
    public static DenseMatrix ReadImages(string path, float scale = 1f / 255)
    {
        using var stream = DataFiles.Open(path);
        int[] shape = ReadHeader(stream, path, expectedDimensions: null);
        long columns = 1;
        for (int i = 1; i < shape.Length; i++) columns *= shape[i];
        if (shape.Length < 2 || columns > int.MaxValue || (long)shape[0] * columns > Array.MaxLength)
            throw new InvalidDataException($"{path}: an image file needs two or more dimensions of a sane size; the header says [{string.Join(" × ", shape)}].");
        var values = new float[shape[0] * columns];
        var row = new byte[columns];
        for (int r = 0; r < shape[0]; r++)
        {
            ReadExactly(stream, path, row, r);
            var destination = values.AsSpan((int)(r * columns), (int)columns);
            for (int c = 0; c < row.Length; c++) destination[c] = row[c] * scale;
        }
        return new DenseMatrix(shape[0], (int)columns, values);
    }

    /// <summary>
    /// MNIST-style image and label files as a re-readable source of blocks, for the mini-batch trainers: each pass
    /// streams both files again rather than holding them in memory.
    /// </summary>
    /// <exception cref="InvalidDataException">Either file is malformed, or their sample counts differ.</exception>
    public static IDataSource Open(string imagesPath, string labelsPath, float scale = 1f / 255, int blockRows = 4096)
    {
        if (blockRows < 1) ThrowHelper.OutOfRange(nameof(blockRows), blockRows, "At least one row a block.");
        int[] images, labels;
        using (var stream = DataFiles.Open(imagesPath)) images = ReadHeader(stream, imagesPath, expectedDimensions: null);
        using (var stream = DataFiles.Open(labelsPath)) labels = ReadHeader(stream, labelsPath, expectedDimensions: 1);
        if (images.Length < 2) throw new InvalidDataException($"{imagesPath}: an image file needs two or more dimensions.");
        if (images[0] != labels[0]) throw new InvalidDataException($"{imagesPath} holds {images[0]} images but {labelsPath} holds {labels[0]} labels.");
        int columns = 1;
        for (int i = 1; i < images.Length; i++) columns = checked(columns * images[i]);
        return new IdxSource(imagesPath, labelsPath, images[0], columns, scale, blockRows);
    }

    private sealed class IdxSource(string imagesPath, string labelsPath, int rows, int columns, float scale, int blockRows) : IDataSource
    {
        public int Features => columns;

        public IEnumerable<DataBlock> Blocks()
        {
            using var images = DataFiles.Open(imagesPath);
            using var labels = DataFiles.Open(labelsPath);
            ReadHeader(images, imagesPath, expectedDimensions: null);
            ReadHeader(labels, labelsPath, expectedDimensions: 1);
            var pixels = new byte[columns];
            var label = new byte[1];
            for (int first = 0; first < rows; first += blockRows)
            {
                int count = Math.Min(blockRows, rows - first);
                var values = new float[(long)count * columns];
                var blockLabels = new int[count];
                for (int r = 0; r < count; r++)
                {
                    ReadExactly(images, imagesPath, pixels, first + r);
                    ReadExactly(labels, labelsPath, label, first + r);
                    blockLabels[r] = label[0];
                    for (int c = 0; c < columns; c++) values[(long)r * columns + c] = pixels[c] * scale;
                }
                yield return new DataBlock(SparseMatrix.FromDense(new DenseMatrix(count, columns, values)), blockLabels);
            }
        }
    }

    private static int[] ReadHeader(Stream stream, string path, int? expectedDimensions)
    {
        var header = new byte[4];
        ReadExactly(stream, path, header, row: null, what: "the header");
        if (header[0] != 0 || header[1] != 0)
            throw new InvalidDataException($"{path}: not an IDX file (it does not start with two zero bytes).");
        if (header[2] != UnsignedByte)
            throw new InvalidDataException($"{path}: IDX type 0x{header[2]:X2} is not supported; only unsigned bytes (0x08), as in MNIST.");
        int dimensions = header[3];
        if (dimensions < 1 || (expectedDimensions is int expected && dimensions != expected))
            throw new InvalidDataException($"{path}: the header gives {dimensions} dimensions; {(expectedDimensions is int e ? e.ToString() : "at least 1")} expected.");
        var sizes = new byte[4 * dimensions];
        ReadExactly(stream, path, sizes, row: null, what: "the dimension sizes");
        var shape = new int[dimensions];
        for (int i = 0; i < dimensions; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(sizes.AsSpan(4 * i));
            if (shape[i] < 0) throw new InvalidDataException($"{path}: dimension {i} has a negative size ({shape[i]}).");
        }
        return shape;
    }

    private static byte[] ReadExactly(Stream stream, string path, int count)
    {
        var bytes = new byte[count];
        ReadExactly(stream, path, bytes, row: null, what: $"the {count} data bytes");
        return bytes;
    }

    private static void ReadExactly(Stream stream, string path, byte[] buffer, int? row, string? what = null)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = stream.Read(buffer, total, buffer.Length - total);
            if (read == 0)
                throw new InvalidDataException($"{path}: truncated while reading {what ?? $"sample {row}"} ({total} of {buffer.Length} bytes).");
            total += read;
        }
    }
}
