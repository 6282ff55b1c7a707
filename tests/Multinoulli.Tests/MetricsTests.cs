namespace Multinoulli.Tests;

/// <summary>The classification scores against their definitions written the plain way, and temperature scaling.</summary>
public class MetricsTests
{
    private static (float[] P, int[] Y) RandomPredictions(int rows, int classes, int seed)
    {
        var random = new Random(seed);
        var logits = Enumerable.Range(0, rows * classes).Select(_ => (float)(random.NextDouble() * 6 - 3)).ToArray();
        var p = new float[logits.Length];
        Softmax.Probabilities(logits, classes, p);
        var y = Enumerable.Range(0, rows).Select(_ => random.Next(classes)).ToArray();
        return (p, y);
    }

    [Fact]
    public void Every_score_matches_its_definition()
    {
        int rows = 3000, classes = 4;
        var (p, y) = RandomPredictions(rows, classes, 1);
        var report = Metrics.Evaluate(p, classes, y);
        var row = Enumerable.Range(0, rows).Select(r => p.Skip(r * classes).Take(classes).Select(v => (double)v).ToArray()).ToArray();
        var predicted = row.Select(q => Array.IndexOf(q, q.Max())).ToArray();
        Assert.Equal(predicted.Zip(y).Count(t => t.First == t.Second) / (double)rows, report.Accuracy, 12);
        Assert.Equal(row.Select((q, r) => -Math.Log(q[y[r]])).Average(), report.LogLoss, 10);
        Assert.Equal(row.Select((q, r) => q.Select((v, j) => Math.Pow(v - (j == y[r] ? 1 : 0), 2)).Sum()).Average(), report.BrierScore, 10);
        double ece = Enumerable.Range(0, 15).Sum(b =>
        {
            var members = Enumerable.Range(0, rows).Where(r => Math.Min(14, (int)(row[r].Max() * 15)) == b).ToArray();
            if (members.Length == 0) return 0;
            double accuracy = members.Count(r => predicted[r] == y[r]) / (double)members.Length;
            double confidence = members.Average(r => row[r].Max());
            return members.Length / (double)rows * Math.Abs(accuracy - confidence);
        });
        Assert.Equal(ece, report.ExpectedCalibrationError, 10);
        for (int b = 0; b < 15; b++)
        {
            var members = Enumerable.Range(0, rows).Where(r => Math.Min(14, (int)(row[r].Max() * 15)) == b).ToArray();
            Assert.Equal(members.Length, report.Reliability[b].Rows);
            if (members.Length == 0) continue;
            Assert.Equal(members.Average(r => row[r].Max()), report.Reliability[b].MeanConfidence, 10);
            Assert.Equal(members.Count(r => predicted[r] == y[r]) / (double)members.Length, report.Reliability[b].Accuracy, 12);
        }
        for (int c = 0; c < classes; c++)
        {
            Assert.Equal(Enumerable.Range(0, rows).Count(r => y[r] == c && predicted[r] == c) / (double)predicted.Count(v => v == c), report.Precision[c], 12);
            Assert.Equal(Enumerable.Range(0, rows).Count(r => y[r] == c && predicted[r] == c) / (double)y.Count(v => v == c), report.Recall[c], 12);
            for (int k = 0; k < classes; k++)
                Assert.Equal(Enumerable.Range(0, rows).Count(r => y[r] == c && predicted[r] == k), report.ConfusionMatrix[c, k]);
        }
    }

    [Fact]
    public void Perfect_and_impossible_predictions_score_at_the_ends()
    {
        var perfect = Metrics.Evaluate([1f, 0f, 0f, 0f, 1f, 0f], 3, [0, 1]);
        Assert.Equal((1.0, 0.0, 0.0, 0.0), (perfect.Accuracy, perfect.LogLoss, perfect.BrierScore, perfect.ExpectedCalibrationError));
        Assert.True(double.IsNaN(perfect.Precision[2]), "class 2 was never predicted: its precision is undefined");
        Assert.True(double.IsNaN(perfect.Recall[2]), "no row has class 2: its recall is undefined");
        var wrong = Metrics.Evaluate([0f, 1f], 2, [0]);
        Assert.Equal(double.PositiveInfinity, wrong.LogLoss);
        Assert.Equal(2, wrong.BrierScore);
        Assert.Equal("labels", Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.Evaluate([0.5f, 0.5f], 2, [2])).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => Metrics.Evaluate([float.NaN, 1f], 2, [0])).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => Metrics.Evaluate([0.5f, 0.5f], 2, [0, 1])).ParamName);
    }

    [Fact]
    public void Temperature_scaling_recovers_the_overconfidence_of_a_model()
    {
        // Labels drawn from softmax(z); the model reports 3z, three times too confident: the fitted T is about 3,
        // and it is the minimum of the held-out log-loss.
        var random = new Random(2);
        int rows = 20_000, classes = 5;
        var logits = new float[rows * classes];
        var labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            var z = Enumerable.Range(0, classes).Select(_ => random.NextDouble() * 2 - 1).ToArray();
            labels[r] = Categorical.FromLogits(z).Sample(random);
            for (int j = 0; j < classes; j++) logits[r * classes + j] = (float)(3 * z[j]);
        }
        double t = Metrics.FitTemperature(logits, classes, labels);
        Assert.InRange(t, 2.7, 3.3);
        double LogLoss(double temperature)
        {
            var p = new float[logits.Length];
            Softmax.Probabilities(logits, classes, p, new SoftmaxOptions { Temperature = temperature });
            return Metrics.Evaluate(p, classes, labels).LogLoss;
        }
        Assert.True(LogLoss(t) <= LogLoss(t * 1.02) && LogLoss(t) <= LogLoss(t / 1.02), $"T = {t} is not the minimum");
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => Metrics.FitTemperature([float.PositiveInfinity, 0f], 2, [0])).ParamName);
    }
}
