using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Multinoulli.Tests;

/// <summary>The multinoulli tool run as a separate process, the way a user runs it.</summary>
public class ToolProcessTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("multinoulli-tool-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private static Process Start(string directory, string? input, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Multinoulli.Cli.dll"));
        foreach (string arg in args) info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        if (input is not null) process.StandardInput.Write(input);
        process.StandardInput.Close();
        return process;
    }

    private (int Code, string Output, string Error) Run(params string[] args) => RunWithInput(null, args);

    private (int Code, string Output, string Error) RunWithInput(string? input, params string[] args)
    {
        using var process = Start(_directory, input, args);
        // Both pipes are drained on their own threads so that neither can fill up and stall the tool.
        string output = "", error = "";
        var readers = new[] { new Thread(() => output = process.StandardOutput.ReadToEnd()), new Thread(() => error = process.StandardError.ReadToEnd()) };
        foreach (var reader in readers) reader.Start();
        Assert.True(process.WaitForExit(120_000), $"multinoulli {string.Join(' ', args)} did not finish in 2 minutes");
        foreach (var reader in readers) reader.Join();
        return (process.ExitCode, output, error);
    }

    [Fact]
    public void The_READMEs_main_command_trains_on_the_built_in_digits_with_no_other_input()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        Assert.Contains("dotnet run -c Release --project src/Multinoulli.Cli -- train ", readme);
        var (code, output, error) = Run("train");
        Assert.True(code == 0, error);
        Assert.Contains("digits (test)", output);
        Assert.Contains("stopped on GradientTolerance", output);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Multinoulli.slnx"))) return directory.FullName;
        throw new DirectoryNotFoundException("The repository root (Multinoulli.slnx) was not found above the tests.");
    }

    [Fact]
    public void Train_evaluate_predict_and_export_the_built_in_digits()
    {
        // With no data option the tool trains on its built-in 8×8 digits. A linear softmax classifier reaches about
        // 95 % on their 450 test rows; 93 % leaves two binomial standard deviations (1 % each) for other seeds and
        // options, and would still catch a broken trainer (a constant guess scores 10 %).
        var (code, output, error) = Run("train", "--json", "--model", "digits.model");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.True(root.GetProperty("test").GetProperty("accuracy").GetDouble() >= 0.93, output);
        Assert.Equal(450, root.GetProperty("test").GetProperty("rows").GetInt32());
        foreach (string key in new[] { "objective", "iterations", "seconds", "stopReason" }) Assert.True(root.TryGetProperty(key, out _), key);
        foreach (string key in new[] { "accuracy", "logLoss", "brier", "ece" }) Assert.True(root.GetProperty("train").TryGetProperty(key, out _), key);

        var (evalCode, evalOutput, _) = Run("eval", "--model", "digits.model", "--json");
        Assert.Equal(0, evalCode);
        using var evaluation = JsonDocument.Parse(evalOutput);
        Assert.Equal(root.GetProperty("test").GetProperty("accuracy").GetDouble(), evaluation.RootElement.GetProperty("metrics").GetProperty("accuracy").GetDouble());

        string csv = PathOf("rows.csv");
        File.WriteAllLines(csv, ["0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0,0"]);
        var (predictCode, prediction, predictError) = Run("predict", "--model", "digits.model", "--input", csv);
        Assert.True(predictCode == 0, predictError);
        var lines = prediction.Trim().Split('\n');
        Assert.Equal("label,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9", lines[0]);
        Assert.Equal("0", lines[1].Split(',')[0]); // the first digit of the UCI set, a zero

        // New rows come without a label column.
        File.WriteAllLines(PathOf("unlabelled.csv"), [string.Join(',', File.ReadAllText(csv).Trim().Split(',')[..64])]);
        var (unlabelledCode, unlabelled, unlabelledError) = Run("predict", "--model", "digits.model", "--input", "unlabelled.csv", "--label", "none");
        Assert.True(unlabelledCode == 0, unlabelledError);
        Assert.Equal(prediction, unlabelled);
    }

    [Theory]
    [InlineData("full")]
    [InlineData("reference")]
    public void The_ONNX_export_matches_the_tools_probabilities_in_ONNX_Runtime(string parameterization)
    {
        Assert.Equal(0, Run("train", "--parameterization", parameterization, "--model", "m.model").Code);
        var (code, _, error) = Run("export", "--model", "m.model", "--onnx", "m.onnx");
        Assert.True(code == 0, error);
        var layer = SoftmaxLayer.Load(PathOf("m.model"));
        var (test, _) = (DigitsRows(), 0);
        using var session = new InferenceSession(PathOf("m.onnx"));
        var input = new DenseTensor<float>(test.Values, [test.Rows, test.Columns]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        var onnxProbabilities = results.First(r => r.Name == "probabilities").AsTensor<float>().ToArray();
        var labels = results.First(r => r.Name == "label").AsTensor<long>().ToArray();
        var expected = new float[test.Rows * layer.Classes];
        layer.Probabilities(test.Values, expected);
        Assert.All(onnxProbabilities.Zip(expected), t => Assert.True(Math.Abs(t.First - t.Second) <= 1e-5, $"{t.First} vs {t.Second}"));
        var predicted = new int[test.Rows];
        layer.Predict(test.Values, predicted);
        Assert.Equal(predicted.Select(p => (long)p), labels);
    }

    private static DenseMatrix DigitsRows()
    {
        var (features, _) = CsvFile.Read(Path.Combine(IdxFileTests.FindShared(), "data", "digits", "digits.csv.gz"));
        return features.SelectRows(Enumerable.Range(0, 200).ToArray()).ToDense();
    }

    [Fact]
    public void Trains_on_a_csv_file_with_a_named_label_and_on_an_svmlight_file()
    {
        var random = new Random(3);
        var csv = new List<string> { "x,y,z,kind" };
        var svm = new List<string>();
        for (int i = 0; i < 300; i++)
        {
            double x = random.NextDouble() * 2 - 1, y = random.NextDouble() * 2 - 1;
            int kind = x + y > 0.3 ? 2 : x > y ? 1 : 0;
            csv.Add(FormattableString.Invariant($"{x},{y},{random.NextDouble()},{kind}"));
            svm.Add(FormattableString.Invariant($"{kind} 1:{x} 2:{y}"));
        }
        File.WriteAllLines(PathOf("train.csv"), csv);
        File.WriteAllLines(PathOf("train.svm"), svm);
        var (code, output, error) = Run("train", "--train", "train.csv", "--test", "train.csv", "--label", "kind", "--json");
        Assert.True(code == 0, error);
        Assert.True(JsonDocument.Parse(output).RootElement.GetProperty("test").GetProperty("accuracy").GetDouble() > 0.9, output);
        (code, output, error) = Run("train", "--train", "train.svm", "--optimizer", "adam", "--epochs", "100", "--patience", "0", "--learning-rate", "0.05", "--json", "--model", "svm.model");
        Assert.True(code == 0, error);
        Assert.True(JsonDocument.Parse(output).RootElement.GetProperty("train").GetProperty("accuracy").GetDouble() > 0.9, output);
        // A sparse file whose rows use only the first feature still has the model's width.
        File.WriteAllLines(PathOf("narrow.svm"), ["2 1:0.9", "0 1:-0.9"]);
        (code, output, error) = Run("predict", "--model", "svm.model", "--input", "narrow.svm", "--output-format", "jsonl");
        Assert.True(code == 0, error);
        Assert.Equal(2, output.Trim().Split('\n').Length);
        Assert.StartsWith("{\"label\":", output);
    }

    [Fact]
    public async Task Ctrl_C_leaves_a_checkpoint_from_which_the_same_command_resumes_to_the_same_model()
    {
        string[] args = ["train", "--optimizer", "adam", "--epochs", "3000", "--patience", "0", "--json"];
        Assert.Equal(0, Run([.. args, "--model", "uninterrupted.model"]).Code);

        using (var process = Start(_directory, null, [.. args, "--model", "resumed.model", "--checkpoint", "run.checkpoint"]))
        {
            var error = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            // Let it train for a while, then interrupt it as Ctrl+C would.
            for (int waited = 0; waited < 30_000 && !File.Exists(PathOf("run.checkpoint")); waited += 100) await Task.Delay(100);
            await Task.Delay(300);
            Process.Start("kill", ["-INT", process.Id.ToString()])!.WaitForExit();
            using var timeout = new CancellationTokenSource(60_000);
            await process.WaitForExitAsync(timeout.Token);
            Assert.Equal(130, process.ExitCode);
            Assert.Contains("run the same command with --resume to continue", await error);
        }
        var (refused, _, refusal) = Run([.. args, "--model", "resumed.model", "--checkpoint", "run.checkpoint"]);
        Assert.Equal(2, refused);
        Assert.Contains("add --resume", refusal);
        var (code, output, resumeError) = Run([.. args, "--model", "resumed.model", "--checkpoint", "run.checkpoint", "--resume"]);
        Assert.True(code == 0, resumeError);
        Assert.True(JsonDocument.Parse(output).RootElement.GetProperty("resumed").GetBoolean());
        Assert.Equal(File.ReadAllBytes(PathOf("uninterrupted.model")), File.ReadAllBytes(PathOf("resumed.model")));
    }

    [Theory]
    [InlineData("lbfgs")]
    [InlineData("adam")]
    public void The_report_holds_every_figure_as_png_and_svg(string optimizer)
    {
        var (code, output, error) = Run("train", "--optimizer", optimizer, "--epochs", "15", "--report", "report", "--json");
        Assert.True(code == 0, error);
        string html = File.ReadAllText(PathOf("report/report.html"));
        Assert.EndsWith("report.html", JsonDocument.Parse(output).RootElement.GetProperty("report").GetString());
        foreach (string figure in new[] { "objective", "accuracy", "reliability", "confusion", "confidence" })
        {
            Assert.Contains($"src=\"{figure}.png\"", html);
            byte[] png = File.ReadAllBytes(PathOf($"report/{figure}.png"));
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
            Assert.Contains("<svg", File.ReadAllText(PathOf($"report/{figure}.svg")));
        }
        Assert.Contains("<table>", html);
    }

    [Fact]
    public void Sample_reads_logits_from_standard_input()
    {
        var (code, output, error) = RunWithInput("2 1 0.5 -1", "sample", "--seed", "4", "--count", "200", "--top-k", "2");
        Assert.True(code == 0, error);
        var draws = output.Trim().Split('\n').Select(int.Parse).ToArray();
        Assert.Equal(200, draws.Length);
        Assert.All(draws, d => Assert.InRange(d, 0, 1));
        Assert.Equal(output, RunWithInput("2 1 0.5 -1", "sample", "--seed", "4", "--count", "200", "--top-k", "2").Output);
    }

    [Fact]
    public void User_errors_print_one_line_naming_the_file_line_or_option_and_exit_with_2()
    {
        File.WriteAllLines(PathOf("bad.csv"), ["a,b,label", "1,2,0", "1,oops,1"]);
        File.WriteAllText(PathOf("not.model"), "hello");
        var cases = new (string[] Args, string Expected)[]
        {
            (["train", "--train", "missing.csv"], "missing.csv: no such file"),
            (["train", "--train", "bad.csv", "--label", "nope"], "no column named \"nope\""),
            (["train", "--train", "bad.csv", "--header"], "bad.csv:3: column 1 is \"oops\""),
            (["eval", "--model", "not.model"], "not a Multinoulli model file"),
            (["train", "--l2", "-1"], "--l2"),
            (["train", "--optimizer", "newton"], "newton"),
            (["sample", "--top-p", "2"], "top-p"),
            (["predict", "--model", "missing.model", "--input", "bad.csv"], "missing.model: no such model file"),
            (["train", "--resume"], "--resume needs --checkpoint"),
        };
        foreach (var (args, expected) in cases)
        {
            var (code, _, error) = RunWithInput("1 2", args);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}, {error}");
            Assert.Contains(expected, error);
            Assert.DoesNotContain("   at ", error);
        }
    }
}
