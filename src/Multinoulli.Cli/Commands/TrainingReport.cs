using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Multinoulli.Cli.Commands;

/// <summary>The metrics tables and the JSON object that train and eval print.</summary>
public static class TrainingReport
{
    public static ClassificationReport Score(SoftmaxLayer model, LabelledData data)
    {
        if (data.Features.Columns != model.Features)
            throw new UsageException($"{data.Name} has {data.Features.Columns} features but the model expects {model.Features}.");
        int outside = Array.FindIndex(data.Labels, label => label >= model.Classes);
        if (outside >= 0) throw new UsageException($"{data.Name}, row {outside}: label {data.Labels[outside]} is outside the model's {model.Classes} classes.");
        return Metrics.Evaluate(model, data.Features, data.Labels);
    }

    public static void WriteTable(TextWriter output, IEnumerable<(string Name, ClassificationReport Report)> parts)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No });
        var table = new Table().AddColumns("data", "rows", "accuracy", "log-loss", "Brier", "ECE");
        foreach (var (name, report) in parts)
            table.AddRow(Markup.Escape(name), report.Samples.ToString(CultureInfo.InvariantCulture), report.Accuracy.ToString("P2", CultureInfo.InvariantCulture),
                F(report.LogLoss), F(report.BrierScore), F(report.ExpectedCalibrationError));
        foreach (var column in table.Columns.Skip(1)) column.RightAligned();
        console.Write(table);
    }

    public static object Json(ClassificationReport report) => new
    {
        rows = report.Samples,
        accuracy = report.Accuracy,
        logLoss = report.LogLoss,
        brier = report.BrierScore,
        ece = report.ExpectedCalibrationError,
    };

    public static string Serialize(object value) => JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = false });

    private static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
