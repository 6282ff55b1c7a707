using System.CommandLine;
using System.Globalization;

namespace Multinoulli.Cli.Commands;

/// <summary>A labelled data set as the commands use it.</summary>
public sealed record LabelledData(SparseMatrix Features, int[] Labels, string Name);

/// <summary>
/// The data options shared by train, eval and predict: an MNIST-style folder, a CSV or LibSVM file, or the built-in
/// 8×8 digits (the default), and how to read a file.
/// </summary>
public sealed class DataOptions
{
    /// <summary>The seed of the built-in data set's fixed train/test split.</summary>
    public const int DigitsSplitSeed = 20_261_123;

    public Option<DirectoryInfo?> Folder { get; } = new("--data") { Description = "A folder with MNIST-style IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-…)." };
    public Option<string?> Dataset { get; } = new("--dataset") { Description = "A built-in data set: digits (1,797 8×8 digits, 75 % train / 25 % test with a fixed seed). The default when no data is given." };
    public Option<string?> Label { get; } = new("--label") { Description = "The label column of a CSV file, by header name or 0-based index (default: the last column); 'none' for a file of features only (predict)." };
    public Option<bool> Header { get; } = new("--header") { Description = "The CSV file's first line names the columns (implied by a named --label)." };
    public Option<string?> Format { get; } = new("--format") { Description = "csv or libsvm; default from the extension (.svm, .libsvm, .svmlight → libsvm; else csv)." };

    public DataOptions() => Format.AcceptOnlyFromAmong("csv", "libsvm");

    public void AddTo(Command command)
    {
        command.Options.Add(Folder);
        command.Options.Add(Dataset);
        command.Options.Add(Label);
        command.Options.Add(Header);
        command.Options.Add(Format);
    }

    /// <summary>The training and test parts of the folder or the built-in set; null when a file option is used instead.</summary>
    public (LabelledData Train, LabelledData Test)? LoadSplit(ParseResult parse)
    {
        if (parse.GetValue(Folder) is { } folder)
        {
            if (!folder.Exists) throw new UsageException($"--data {folder.FullName}: no such folder.");
            return (Idx(folder, "train"), Idx(folder, "t10k"));
        }
        string? dataset = parse.GetValue(Dataset);
        if (dataset is not null && dataset != "digits") throw new UsageException($"--dataset {dataset}: unknown; the built-in data set is 'digits'.");
        return null;
    }

    /// <summary>The built-in digits, split 75/25 with a fixed seed so every run sees the same split.</summary>
    public static (LabelledData Train, LabelledData Test) Digits()
    {
        using var stream = typeof(DataOptions).Assembly.GetManifestResourceStream("digits.csv.gz")
            ?? throw new InvalidOperationException("The built-in digits resource is missing from the tool.");
        var (features, labels) = CsvFile.Read(stream, "digits.csv.gz (built in)");
        var order = Enumerable.Range(0, labels.Length).ToArray();
        new Random(DigitsSplitSeed).Shuffle(order);
        int train = labels.Length * 3 / 4;
        return (Take(features, labels, order[..train], "digits (train)"), Take(features, labels, order[train..], "digits (test)"));
    }

    /// <summary>A CSV or LibSVM file, read whole; <paramref name="features"/> fixes a LibSVM file's width (a model's
    /// input size) instead of taking its largest index.</summary>
    public LabelledData LoadFile(ParseResult parse, FileInfo file, int? features = null)
    {
        var (matrix, labels) = OpenFile(parse, file, features).ReadAll();
        return new LabelledData(matrix, labels, file.Name);
    }

    /// <summary>A file as a stream of blocks, in the format the options say.</summary>
    public IDataSource OpenFile(ParseResult parse, FileInfo file, int? features = null)
    {
        if (!file.Exists) throw new UsageException($"{file.FullName}: no such file.");
        string format = parse.GetValue(Format) ?? (file.Extension.ToLowerInvariant() is ".svm" or ".libsvm" or ".svmlight" ? "libsvm" : "csv");
        if (format == "libsvm") return LibSvmFile.Open(file.FullName, features);
        string? label = parse.GetValue(Label);
        bool header = parse.GetValue(Header);
        if (label == "none") return CsvFile.OpenUnlabelled(file.FullName, header);
        return label is null
            ? CsvFile.Open(file.FullName, header: header)
            : int.TryParse(label, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index)
                ? CsvFile.Open(file.FullName, labelIndex: index, header: header)
                : CsvFile.Open(file.FullName, labelColumn: label, header: true);
    }

    private static LabelledData Idx(DirectoryInfo folder, string part)
    {
        string File(string name) => System.IO.File.Exists(Path.Combine(folder.FullName, name + ".gz")) ? Path.Combine(folder.FullName, name + ".gz") : Path.Combine(folder.FullName, name);
        string images = File($"{part}-images-idx3-ubyte"), labels = File($"{part}-labels-idx1-ubyte");
        if (!System.IO.File.Exists(images)) throw new UsageException($"--data {folder.FullName}: {Path.GetFileName(images)} is missing.");
        if (!System.IO.File.Exists(labels)) throw new UsageException($"--data {folder.FullName}: {Path.GetFileName(labels)} is missing.");
        return new LabelledData(SparseMatrix.FromDense(IdxFile.ReadImages(images)), IdxFile.ReadLabels(labels), $"{folder.Name}/{part}");
    }

    private static LabelledData Take(SparseMatrix features, int[] labels, int[] rows, string name) =>
        new(features.SelectRows(rows), rows.Select(r => labels[r]).ToArray(), name);
}
