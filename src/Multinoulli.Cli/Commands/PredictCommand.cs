using System.CommandLine;
using System.Globalization;
using System.Text;

namespace Multinoulli.Cli.Commands;

/// <summary><c>multinoulli predict</c>: per-row probabilities and labels, streamed.</summary>
public static class PredictCommand
{
    public static Command Create()
    {
        var data = new DataOptions();
        var model = new Option<FileInfo>("--model", "-m") { Description = "The model file (written by train --model).", Required = true };
        var input = new Option<FileInfo>("--input", "-i") { Description = "A CSV or LibSVM file; a CSV label column is read and ignored, or pass --label none for features only.", Required = true };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write here instead of standard output." };
        var format = new Option<string>("--output-format") { Description = "csv (label,p0,p1,…) or jsonl (one JSON object a row).", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "jsonl");
        var command = new Command("predict", """
            Predicts every row of a file: the most probable class and every class's probability, as CSV or JSON
            lines. The file is read and written a block at a time, so it never sits whole in memory.

            Examples:
              multinoulli predict --model digits.model --input new.csv --label none
              multinoulli predict --model text.model --input docs.svm --output-format jsonl --output predictions.jsonl
            """)
        {
            model, input, output, format,
        };
        data.AddTo(command);
        command.SetAction(parse =>
        {
            var layer = EvalCommand.Load(parse.GetValue(model)!);
            var source = data.OpenFile(parse, parse.GetValue(input)!, layer.Features);
            if (source.Features != layer.Features)
                throw new UsageException($"{parse.GetValue(input)!.FullName} has {source.Features} features but the model expects {layer.Features}.");
            bool json = parse.GetValue(format) == "jsonl";
            var file = parse.GetValue(output);
            using var writer = file is null ? null : new StreamWriter(file.FullName);
            TextWriter target = writer ?? Console.Out;
            if (!json) target.WriteLine("label," + string.Join(',', Enumerable.Range(0, layer.Classes).Select(c => $"p{c}")));
            var line = new StringBuilder();
            foreach (var block in source.Blocks())
            {
                var probabilities = new float[block.Labels.Length * layer.Classes];
                layer.Probabilities(block.Features, probabilities);
                for (int r = 0; r < block.Labels.Length; r++)
                {
                    ReadOnlySpan<float> p = probabilities.AsSpan(r * layer.Classes, layer.Classes);
                    int best = 0;
                    for (int c = 1; c < p.Length; c++) if (p[c] > p[best]) best = c;
                    line.Clear();
                    if (json)
                    {
                        line.Append("{\"label\":").Append(best).Append(",\"probabilities\":[");
                        for (int c = 0; c < p.Length; c++) line.Append(c > 0 ? "," : "").Append(p[c].ToString("R", CultureInfo.InvariantCulture));
                        line.Append("]}");
                    }
                    else
                    {
                        line.Append(best);
                        foreach (float v in p) line.Append(',').Append(v.ToString("R", CultureInfo.InvariantCulture));
                    }
                    target.WriteLine(line);
                }
            }
            return 0;
        });
        return command;
    }
}
