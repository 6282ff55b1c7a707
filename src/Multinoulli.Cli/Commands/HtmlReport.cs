using System.Globalization;
using System.Net;
using System.Text;
using ScottPlot;

namespace Multinoulli.Cli.Commands;

/// <summary>
/// <c>train --report DIR</c>: report.html with the run's figures, each as PNG (shown) and SVG (linked): the objective
/// over time, accuracy, a reliability diagram, the confusion matrix as a heat map, and the distribution of the
/// top-class probability.
/// </summary>
public static class HtmlReport
{
    private const int Width = 640, Height = 420;

    public static string Write(DirectoryInfo folder, string title, IReadOnlyList<TrainingProgress> history, TrainingResult result,
        LabelledData train, ClassificationReport trainReport, LabelledData? test, ClassificationReport? testReport)
    {
        folder.Create();
        var scored = test ?? train;
        var probabilities = new float[scored.Labels.Length * result.Layer.Classes];
        result.Layer.Probabilities(scored.Features, probabilities);
        var figures = new List<(string Name, string Caption)>
        {
            Save(folder, "objective", Objective(history), "The objective (mean loss + penalty) after each iteration or epoch."),
            Save(folder, "accuracy", Accuracy(history, trainReport, testReport), "Accuracy: on the validation rows after each epoch when there are some, and at the end on the training and test rows."),
            Save(folder, "reliability", Reliability((testReport ?? trainReport).Reliability), $"Reliability on {scored.Name}: in each of 15 bins of top-class probability, the fraction of rows predicted right against the mean probability. A calibrated model lies on the diagonal."),
            Save(folder, "confusion", Confusion((testReport ?? trainReport).ConfusionMatrix), $"Confusion matrix on {scored.Name}: rows are the true classes, columns the predicted ones."),
            Save(folder, "confidence", Confidence(probabilities, result.Layer.Classes), $"How confident the model is on {scored.Name}: the distribution of the top-class probability."),
        };
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title)).Append("</title>")
            .Append("<style>body{font-family:sans-serif;max-width:720px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}figure{margin:2em 0}</style></head><body>");
        html.Append("<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1>");
        html.Append(CultureInfo.InvariantCulture, $"<p>{result.Iterations} iterations or steps in {result.Elapsed.TotalSeconds:F2} s; stopped on {result.StopReason}; objective {result.Objective:F6}; {result.Layer.Features} features, {result.Layer.Classes} classes, {result.Layer.Parameterization} parameterization.</p>");
        html.Append("<table><tr><th>data</th><th>rows</th><th>accuracy</th><th>log-loss</th><th>Brier</th><th>ECE</th></tr>");
        foreach (var (name, report) in new[] { (train.Name, trainReport), (test?.Name, testReport) })
            if (report is not null)
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{WebUtility.HtmlEncode(name)}</td><td>{report.Samples}</td><td>{report.Accuracy:P2}</td><td>{report.LogLoss:F4}</td><td>{report.BrierScore:F4}</td><td>{report.ExpectedCalibrationError:F4}</td></tr>");
        html.Append("</table>");
        foreach (var (name, caption) in figures)
            html.Append(CultureInfo.InvariantCulture, $"<figure><img src=\"{name}.png\" width=\"{Width}\" alt=\"{name}\"><figcaption>{WebUtility.HtmlEncode(caption)} (<a href=\"{name}.svg\">SVG</a>)</figcaption></figure>");
        html.Append("</body></html>");
        string path = Path.Combine(folder.FullName, "report.html");
        File.WriteAllText(path, html.ToString());
        return path;
    }

    private static (string, string) Save(DirectoryInfo folder, string name, Plot plot, string caption)
    {
        plot.SavePng(Path.Combine(folder.FullName, name + ".png"), Width, Height);
        plot.SaveSvg(Path.Combine(folder.FullName, name + ".svg"), Width, Height);
        return (name, caption);
    }

    private static Plot Objective(IReadOnlyList<TrainingProgress> history)
    {
        var plot = new Plot();
        if (history.Count > 0) plot.Add.Scatter(history.Select(p => p.Elapsed.TotalSeconds).ToArray(), history.Select(p => p.Objective).ToArray());
        plot.Title("Objective");
        plot.XLabel("seconds");
        plot.YLabel("mean loss + ½λ‖W‖²");
        return plot;
    }

    private static Plot Accuracy(IReadOnlyList<TrainingProgress> history, ClassificationReport train, ClassificationReport? test)
    {
        var plot = new Plot();
        var validated = history.Where(p => p.Validation is not null).ToArray();
        if (validated.Length > 0)
        {
            var line = plot.Add.Scatter(validated.Select(p => (double)p.Epoch).ToArray(), validated.Select(p => p.Validation!.Accuracy).ToArray());
            line.LegendText = "validation";
            plot.Add.HorizontalLine(train.Accuracy).LegendText = "training, at the end";
            if (test is not null) plot.Add.HorizontalLine(test.Accuracy).LegendText = "test, at the end";
            plot.XLabel("epoch");
            plot.ShowLegend();
        }
        else
        {
            double[] values = test is null ? [train.Accuracy] : [train.Accuracy, test.Accuracy];
            plot.Add.Bars(values);
            plot.Axes.Bottom.SetTicks(Enumerable.Range(0, values.Length).Select(i => (double)i).ToArray(), test is null ? ["training"] : ["training", "test"]);
        }
        plot.Title("Accuracy");
        plot.YLabel("accuracy");
        return plot;
    }

    private static Plot Reliability(ReliabilityBin[] bins)
    {
        var used = bins.Where(b => b.Rows > 0).ToArray();
        var plot = new Plot();
        plot.Add.Line(0, 0, 1, 1).LegendText = "calibrated";
        var points = plot.Add.Scatter(used.Select(b => b.MeanConfidence).ToArray(), used.Select(b => b.Accuracy).ToArray());
        points.LegendText = "model";
        plot.Axes.SetLimits(0, 1, 0, 1);
        plot.Title("Reliability diagram");
        plot.XLabel("mean top-class probability in the bin");
        plot.YLabel("fraction predicted right");
        plot.ShowLegend();
        return plot;
    }

    private static Plot Confusion(long[,] matrix)
    {
        int n = matrix.GetLength(0);
        var values = new double[n, n];
        // The heat map draws its first row at the top, and the axis counts upward: flip, so that true class k sits at y = k.
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) values[n - 1 - i, j] = matrix[i, j];
        var plot = new Plot();
        var map = plot.Add.Heatmap(values);
        plot.Add.ColorBar(map);
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.Title("Confusion matrix");
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        return plot;
    }

    private static Plot Confidence(float[] probabilities, int classes)
    {
        const int bins = 20;
        var counts = new double[bins];
        for (int r = 0; r < probabilities.Length / classes; r++)
        {
            float top = 0;
            foreach (float p in probabilities.AsSpan(r * classes, classes)) top = Math.Max(top, p);
            counts[Math.Min(bins - 1, (int)(top * bins))]++;
        }
        var plot = new Plot();
        var bars = plot.Add.Bars(Enumerable.Range(0, bins).Select(b => (b + 0.5) / bins).ToArray(), counts);
        foreach (var bar in bars.Bars) bar.Size = 1.0 / bins;
        plot.Title("Top-class probability");
        plot.XLabel("probability of the predicted class");
        plot.YLabel("rows");
        return plot;
    }
}
