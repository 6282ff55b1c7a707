using CsCheck;

namespace Multinoulli.Tests;

/// <summary>
/// Batches of rows no longer than one vector, with special rows among them: every row must match the reference
/// and the single-row path, whatever its neighbours hold, at every vector width.
/// </summary>
public class SmallRowTests
{
    private static readonly Gen<(float[] Logits, int Classes, double Temperature)> Batches =
        from classes in Gen.Int[2, 16]
        from rows in Gen.Int[1, 70]
        from rowsData in Generators.Row(classes).Array[rows]
        from special in Gen.Int[0, 5]
        from temperature in Gen.OneOf(1.0, 0.5, 3.0)
        select (Build(rowsData, classes, special), classes, temperature);

    private static float[] Build(double[][] rows, int classes, int special)
    {
        var logits = new float[rows.Length * classes];
        for (int r = 0; r < rows.Length; r++)
            for (int j = 0; j < classes; j++)
                logits[r * classes + j] = j < rows[r].Length ? (float)rows[r][j] : -1f;
        // Now and then a special row inside a block: its neighbours must not notice.
        int at = (rows.Length / 2) * classes;
        switch (special)
        {
            case 1: logits[at] = float.NaN; break;
            case 2: logits[at] = float.PositiveInfinity; break;
            case 3: for (int j = 0; j < classes; j++) logits[at + j] = float.NegativeInfinity; break;
        }
        return logits;
    }

    [Fact]
    public void Every_row_of_a_small_row_batch_matches_the_reference_at_every_width()
    {
        Batches.Sample(batch =>
        {
            var (logits, classes, temperature) = batch;
            foreach (var width in Widths<float>.All())
            {
                var p = new float[logits.Length];
                var y = new float[logits.Length];
                width.Probabilities(logits, p, classes, temperature, true);
                width.LogProbabilities(logits, y, classes, temperature, true);
                for (int r = 0; r < logits.Length / classes; r++)
                {
                    var row = logits.AsSpan(r * classes, classes).ToArray();
                    var single = new float[classes];
                    var options = new SoftmaxOptions { Temperature = temperature, Masked = true };
                    Softmax.Probabilities(row, single, options);
                    var singleLog = new float[classes];
                    Softmax.LogProbabilities(row, singleLog, options);
                    bool finite = row.All(float.IsFinite);
                    var reference = finite ? Reference.Softmax(Reference.Widen(row).Select(v => v / temperature).ToArray()) : default;
                    for (int j = 0; j < classes; j++)
                    {
                        float pr = p[r * classes + j], yr = y[r * classes + j];
                        string where = $"{width}, {classes} classes, T={temperature}, row {r} [{string.Join(", ", row)}], class {j}";
                        if (finite)
                        {
                            if (reference.P[j] >= 1e-30)
                                Assert.True(Math.Abs(pr - reference.P[j]) <= 1e-6 * reference.P[j], $"{where}: p {pr} vs {reference.P[j]}");
                            Assert.True(AccuracyTests.Within(yr, reference.Log[j], 1e-6, float.MaxValue), $"{where}: log p {yr} vs {reference.Log[j]}");
                        }
                        Assert.True(Same(pr, single[j], 1e-6), $"{where}: batch {pr} vs single row {single[j]}");
                        // A log-probability near 0 is −(S − 1) with S ≈ 1 summed in float64, so two evaluations agree to
                        // about 1e-16 absolute, not relative: the comparison allows 1e-13 on top of 1e-6 relative.
                        Assert.True(Same(yr, singleLog[j], 1e-6) || Math.Abs(yr - singleLog[j]) <= 1e-13, $"{where}: batch log {yr} vs single row {singleLog[j]}");
                    }
                }
            }
        }, iter: 150);
    }

    [Fact]
    public void A_small_row_batch_works_in_place()
    {
        var random = new Random(4);
        var z = Enumerable.Range(0, 100 * 10).Select(_ => (float)(random.NextDouble() * 30 - 15)).ToArray();
        var expected = new float[z.Length];
        Softmax.LogProbabilities(z, 10, expected);
        Softmax.LogProbabilities(z, 10, z);
        Assert.Equal(expected, z);
    }

    private static bool Same(float a, float b, double tolerance) =>
        a.Equals(b) || Math.Abs(a - b) <= tolerance * Math.Max(1e-30, Math.Max(Math.Abs(a), Math.Abs(b)));
}
