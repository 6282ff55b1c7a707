namespace Multinoulli.Tests;

/// <summary>CSV, LibSVM and streaming IDX readers: the same rows however they are read, and exact error reports.</summary>
public class ReaderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("multinoulli-readers-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static void SameRows(SparseMatrix a, SparseMatrix b)
    {
        Assert.Equal((a.Rows, a.Columns), (b.Rows, b.Columns));
        Assert.Equal(a.RowStarts, b.RowStarts);
        Assert.Equal(a.ColumnIndices, b.ColumnIndices);
        Assert.Equal(a.Values, b.Values);
    }

    [Fact]
    public void Reads_the_8x8_digits_csv_and_streams_the_same_rows_in_blocks()
    {
        string path = Path.Combine(IdxFileTests.FindShared(), "data", "digits", "digits.csv.gz");
        var (features, labels) = CsvFile.Read(path);
        Assert.Equal((1797, 64), (features.Rows, features.Columns));
        Assert.Equal(Enumerable.Range(0, 10), labels.Distinct().Order());
        Assert.InRange(features.Values.Max(), 16f, 16f);
        var blocks = CsvFile.Open(path, blockRows: 500).Blocks().ToList();
        Assert.Equal([500, 500, 500, 297], blocks.Select(b => b.Labels.Length));
        Assert.Equal(labels, blocks.SelectMany(b => b.Labels));
    }

    [Fact]
    public void Csv_label_column_by_name_or_index_and_malformed_lines()
    {
        string path = Write("named.csv", "x1,digit,x2\n0.5,2,0\n\n0,1,-1.5\n");
        var (features, labels) = CsvFile.Read(path, labelColumn: "digit", header: true);
        Assert.Equal([2, 1], labels);
        Assert.Equal(new float[] { 0.5f, 0, 0, -1.5f }, features.ToDense().Values);
        Assert.Equal([2, 1], CsvFile.Read(path, labelIndex: 1, header: true).Labels);

        var wrongCount = Assert.Throws<InvalidDataException>(() => CsvFile.Read(Write("short.csv", "1,2,0\n1,0\n")));
        Assert.Contains("short.csv:2:", wrongCount.Message);
        Assert.Contains("2 columns where the first row has 3", wrongCount.Message);
        Assert.Contains("\"abc\", not a number", Assert.Throws<InvalidDataException>(() => CsvFile.Read(Write("word.csv", "1,abc,0\n"))).Message);
        Assert.Contains("not a class index", Assert.Throws<InvalidDataException>(() => CsvFile.Read(Write("label.csv", "1,2,0.5\n"))).Message);
        Assert.Contains("no column named \"y\"", Assert.Throws<InvalidDataException>(() => CsvFile.Open(path, labelColumn: "y", header: true)).Message);
        Assert.Contains("holds no rows", Assert.Throws<InvalidDataException>(() => CsvFile.Open(Write("empty.csv", "\n\n"))).Message);

        // A file of features only: every column is a feature and every label reads as 0.
        var unlabelled = CsvFile.OpenUnlabelled(Write("features.csv", "0.5,2,0\n0,1,-1.5\n"));
        Assert.Equal(3, unlabelled.Features);
        var (all, zeros) = unlabelled.ReadAll();
        Assert.Equal([0, 0], zeros);
        Assert.Equal(new float[] { 0.5f, 2, 0, 0, 1, -1.5f }, all.ToDense().Values);
    }

    [Fact]
    public void LibSvm_rows_are_sparse_one_based_and_checked()
    {
        string path = Write("data.svm", "2 1:0.5 4:2 # a comment\n0 3:1\n\n1\n");
        var (features, labels) = LibSvmFile.Read(path);
        Assert.Equal([2, 0, 1], labels);
        Assert.Equal(4, features.Columns);
        Assert.Equal(new float[] { 0.5f, 0, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0 }, features.ToDense().Values);
        Assert.Equal(10, LibSvmFile.Open(path, features: 10).Features);

        Assert.Contains("bad.svm:1: feature index 0", Assert.Throws<InvalidDataException>(() => LibSvmFile.Read(Write("bad.svm", "1 0:1\n"))).Message);
        Assert.Contains("not above the one before it", Assert.Throws<InvalidDataException>(() => LibSvmFile.Read(Write("order.svm", "1 3:1 2:1\n"))).Message);
        Assert.Contains("not index:value", Assert.Throws<InvalidDataException>(() => LibSvmFile.Read(Write("pair.svm", "1 3=1\n"))).Message);
        Assert.Contains("map ±1", Assert.Throws<InvalidDataException>(() => LibSvmFile.Read(Write("sign.svm", "-1 1:1\n"))).Message);
        Assert.Contains("exceeds the 2 features", Assert.Throws<InvalidDataException>(() => LibSvmFile.Open(path, features: 2).Blocks().ToList()).Message);
    }

    [Fact]
    public void Idx_source_streams_what_the_whole_file_reader_reads()
    {
        string mnist = Path.Combine(IdxFileTests.FindShared(), "data", "mnist");
        string images = Path.Combine(mnist, "t10k-images-idx3-ubyte.gz"), labels = Path.Combine(mnist, "t10k-labels-idx1-ubyte.gz");
        var source = IdxFile.Open(images, labels, blockRows: 3000);
        var blocks = source.Blocks().ToList();
        Assert.Equal([3000, 3000, 3000, 1000], blocks.Select(b => b.Labels.Length));
        Assert.Equal(IdxFile.ReadLabels(labels), blocks.SelectMany(b => b.Labels));
        SameRows(SparseMatrix.FromDense(IdxFile.ReadImages(images).Slice(6000, 3000)), blocks[2].Features);
        var mismatch = Assert.Throws<InvalidDataException>(() => IdxFile.Open(images, Path.Combine(mnist, "train-labels-idx1-ubyte.gz")));
        Assert.Contains("10000 images", mismatch.Message);
    }

    [Fact]
    public void Sparse_matrices_check_their_arrays_and_round_trip_through_dense()
    {
        var dense = new DenseMatrix(2, 3, [0, 1.5f, 0, -2, 0, 3]);
        var sparse = SparseMatrix.FromDense(dense);
        Assert.Equal([0, 1, 3], sparse.RowStarts);
        Assert.Equal(dense.Values, sparse.ToDense().Values);
        SameRows(sparse, new InMemoryDataSource(dense, [0, 1], blockRows: 1).Blocks().Select(b => b.Features)
            .Aggregate((a, b) => SparseMatrix.FromDense(new DenseMatrix(a.Rows + b.Rows, 3, [.. a.ToDense().Values, .. b.ToDense().Values]))));
        Assert.Equal("columnIndices", Assert.Throws<ArgumentException>(() => new SparseMatrix(1, 3, [0, 2], [2, 1], [1, 1])).ParamName);
        Assert.Equal("columnIndices", Assert.Throws<ArgumentException>(() => new SparseMatrix(1, 3, [0, 1], [3], [1])).ParamName);
        Assert.Equal("rowStarts", Assert.Throws<ArgumentException>(() => new SparseMatrix(1, 3, [0, 2], [1], [1])).ParamName);
    }
}
