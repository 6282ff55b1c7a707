namespace Multinoulli.Tests;

/// <summary>
/// Batches large enough (≥ 16 MB of output, rows of ≥ 1024 classes) for the pipelined path that streams its output
/// past the caches, with rows that must leave it (wide ranges, −∞, NaN, +∞, all −∞, logits beyond its range, an
/// ignored label): every row must match the single-row path and the float64 reference, at every vector width.
/// </summary>
public class StreamingTests
{
    private const int Classes = 8192;
    private const int Rows = 520; // 520 × 8192 float32 = 17 MB

    private static float[] Batch()
    {
        var random = new Random(20261124);
        var z = new float[Rows * Classes];
        for (int r = 0; r < Rows; r++)
        {
            var row = z.AsSpan(r * Classes, Classes);
            for (int j = 0; j < Classes; j++) row[j] = (float)(random.NextDouble() * 20 - 10);
            switch (r % 11)
            {
                case 1: row[random.Next(Classes)] = -300f; break;                  // a lane beyond the fast range
                case 2: row[random.Next(Classes)] = float.NegativeInfinity; break;
                case 3: row[random.Next(Classes)] = float.NaN; break;
                case 4: row[random.Next(Classes)] = float.PositiveInfinity; break;
                case 5: row.Fill(float.NegativeInfinity); break;
                case 6: for (int j = 0; j < Classes; j++) row[j] += 3e5f; break;   // beyond the fast path's shift limit
                case 7: row[random.Next(Classes)] = 40f; break;                    // a dominant class: log p ≈ −7e-14·n
                case 8: row.Fill(2.5f); break;                                     // every logit equal to the maximum
            }
        }
        return z;
    }

    [Fact]
    public void Every_row_of_a_streamed_batch_matches_the_single_row_path_and_the_reference_at_every_width()
    {
        var z = Batch();
        var options = new SoftmaxOptions { Masked = true };
        var singleP = new float[Classes];
        var singleLog = new float[Classes];
        foreach (var width in Widths<float>.All())
        {
            var p = new float[z.Length];
            var y = new float[z.Length];
            width.Probabilities(z, p, Classes, 1, true);
            width.LogProbabilities(z, y, Classes, 1, true);
            for (int r = 0; r < Rows; r++)
            {
                var row = z.AsSpan(r * Classes, Classes);
                Softmax.Probabilities(row, singleP, options);
                Softmax.LogProbabilities(row, singleLog, options);
                var reference = AllFinite(row) ? Reference.Softmax(Reference.Widen(row)) : default;
                for (int j = 0; j < Classes; j++)
                {
                    float pr = p[r * Classes + j], yr = y[r * Classes + j];
                    string where = $"{width}, row {r} (kind {r % 11}), class {j} (logit {row[j]})";
                    Assert.True(Same(pr, singleP[j], 1e-6), $"{where}: streamed p {pr} vs single row {singleP[j]}");
                    Assert.True(Same(yr, singleLog[j], 1e-6) || Math.Abs(yr - singleLog[j]) <= 1e-13, $"{where}: streamed log p {yr} vs single row {singleLog[j]}");
                    if (reference.P is null) continue;
                    if (reference.P[j] >= 1e-30)
                        Assert.True(Math.Abs(pr - reference.P[j]) <= 1e-6 * reference.P[j], $"{where}: p {pr} vs {reference.P[j]}");
                    Assert.True(AccuracyTests.Within(yr, reference.Log[j], 1e-6, float.MaxValue), $"{where}: log p {yr} vs {reference.Log[j]}");
                    Assert.True(yr <= 0, $"{where}: log p {yr} > 0");
                }
            }
        }
    }

    [Fact]
    public void A_streamed_batch_works_in_place()
    {
        var z = Batch();
        var expectedP = new float[z.Length];
        var expectedLog = new float[z.Length];
        Softmax.Probabilities(z, Classes, expectedP);
        Softmax.LogProbabilities(z, Classes, expectedLog);
        var inPlace = (float[])z.Clone();
        Softmax.Probabilities(inPlace, Classes, inPlace);
        Assert.Equal(expectedP, inPlace);
        inPlace = (float[])z.Clone();
        Softmax.LogProbabilities(inPlace, Classes, inPlace);
        Assert.Equal(expectedLog, inPlace);
    }

    /// <summary>
    /// Streamed cross-entropy, plain and evenly smoothed (which sums Σ (max − z) in the same loop), gives each row
    /// the loss and gradient of the single-row path, and of the float64 reference where the row is finite; in place
    /// it gives the same bits.
    /// </summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    public void Streamed_cross_entropy_matches_row_by_row_losses_and_gradients(double smoothing)
    {
        var z = Batch();
        var random = new Random(7);
        var labels = Enumerable.Range(0, Rows).Select(_ => random.Next(Classes)).ToArray();
        labels[9] = -100; // ignored
        var options = new CrossEntropyOptions { Reduction = Reduction.Sum, IgnoreLabel = -100, LabelSmoothing = smoothing };
        var losses = new float[Rows];
        var gradient = new float[z.Length];
        CrossEntropy.RowLossesAndGradient(z, Classes, labels, losses, gradient, options);
        var inPlace = (float[])z.Clone();
        var lossesInPlace = new float[Rows];
        CrossEntropy.RowLossesAndGradient(inPlace, Classes, labels, lossesInPlace, inPlace, options);
        Assert.Equal(losses, lossesInPlace);
        Assert.Equal(gradient, inPlace);

        var rowGradient = new float[Classes];
        for (int r = 0; r < Rows; r++)
        {
            var row = z.AsSpan(r * Classes, Classes);
            float loss = (float)CrossEntropy.LossAndGradient(row, Classes, [labels[r]], rowGradient, options);
            string where = $"ε {smoothing}, row {r} (kind {r % 11}), label {labels[r]}";
            Assert.True(Same(losses[r], loss, 1e-6), $"{where}: streamed loss {losses[r]} vs single row {loss}");
            // Smoothing takes ε/n off every class: the difference is relative to the two terms, not to what is left.
            double uniform = smoothing / Classes;
            for (int j = 0; j < Classes; j++)
            {
                float streamed = gradient[r * Classes + j], single = rowGradient[j];
                Assert.True(streamed.Equals(single) || Math.Abs(streamed - single) <= 1e-6 * (Math.Max(Math.Abs(streamed), Math.Abs(single)) + uniform) + 1e-12,
                    $"{where}, class {j}: streamed gradient {streamed} vs single row {single}");
            }
            if (!AllFinite(row) || labels[r] < 0) continue;
            var (expectedLoss, expected, size) = Reference.CrossEntropy(Reference.Widen(row), labels[r], null, null, smoothing, masked: false);
            Assert.True(AccuracyTests.Within(losses[r], expectedLoss, 1e-6, float.MaxValue), $"{where}: loss {losses[r]} vs reference {expectedLoss}");
            for (int j = 0; j < Classes; j++)
                Assert.True(Math.Abs(gradient[r * Classes + j] - expected[j]) <= 1e-6 * size[j] + 1e-35,
                    $"{where}, class {j}: gradient {gradient[r * Classes + j]} vs reference {expected[j]}");
        }
    }

    private static bool AllFinite(ReadOnlySpan<float> row)
    {
        foreach (float v in row)
            if (!float.IsFinite(v)) return false;
        return true;
    }

    private static bool Same(float a, float b, double tolerance) =>
        a.Equals(b) || Math.Abs(a - b) <= tolerance * Math.Max(1e-30, Math.Max(Math.Abs(a), Math.Abs(b)));
}
