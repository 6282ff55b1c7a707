using System.CommandLine;

namespace Multinoulli.Cli.Commands;

/// <summary><c>multinoulli eval</c>: a saved model's metrics on a data set.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var data = new DataOptions();
        var model = new Option<FileInfo>("--model", "-m") { Description = "The model file (written by train --model).", Required = true };
        var input = new Option<FileInfo?>("--input", "-i") { Description = "A CSV or LibSVM file of labelled rows (instead of --data or --dataset)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var command = new Command("eval", """
            Scores a saved model: accuracy, log-loss, Brier score and expected calibration error, on a file, on the
            test part of an MNIST-style folder, or on the built-in digits' test part (the default).

            Examples:
              multinoulli eval --model digits.model
              multinoulli eval --model mnist.model --data ../shared/data/mnist --json
              multinoulli eval --model iris.model --input iris.csv --label species
            """)
        {
            model, input, json,
        };
        data.AddTo(command);
        command.SetAction(parse =>
        {
            var layer = Load(parse.GetValue(model)!);
            var rows = parse.GetValue(input) is { } file ? data.LoadFile(parse, file, layer.Features) : (data.LoadSplit(parse) ?? DataOptions.Digits()).Test;
            var report = TrainingReport.Score(layer, rows);
            if (parse.GetValue(json))
                Console.Out.WriteLine(TrainingReport.Serialize(new { data = rows.Name, metrics = TrainingReport.Json(report) }));
            else
                TrainingReport.WriteTable(Console.Out, [(rows.Name, report)]);
            return 0;
        });
        return command;
    }

    /// <summary>Loads a model file, turning a missing or damaged file into a one-line user error.</summary>
    public static SoftmaxLayer Load(FileInfo file)
    {
        if (!file.Exists) throw new UsageException($"{file.FullName}: no such model file.");
        try
        {
            return SoftmaxLayer.Load(file.FullName);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
