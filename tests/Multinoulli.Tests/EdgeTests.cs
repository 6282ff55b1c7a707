using CsCheck;

namespace Multinoulli.Tests;

/// <summary>The documented edges: huge logits, ±∞, NaN, fully masked rows, and the properties of the seed.</summary>
public class EdgeTests
{
    [Fact]
    public void Equal_huge_logits_split_evenly_where_TensorPrimitives_gives_NaN()
    {
        var p = new float[2];
        Softmax.Probabilities([100f, 100f], p);
        Assert.Equal([0.5f, 0.5f], p);
        var q = new float[3];
        Softmax.Probabilities([3.4e38f, 3.4e38f, -3.4e38f], q);
        Assert.Equal([0.5f, 0.5f, 0f], q);
        var d = new double[2];
        Softmax.Probabilities([1.7e308, -1.7e308], d);
        Assert.Equal([1.0, 0.0], d);
        Assert.Equal(1.7e308, Softmax.LogSumExp([1.7e308, 1.7e308 - 1e293]));
    }

    [Fact]
    public void Negative_infinity_gives_probability_exactly_zero_and_log_probability_negative_infinity()
    {
        float[] z = [1f, float.NegativeInfinity, 2f];
        var p = new float[3];
        var y = new float[3];
        Softmax.Probabilities(z, p);
        Softmax.LogProbabilities(z, y);
        Assert.Equal(0f, p[1]);
        Assert.Equal(float.NegativeInfinity, y[1]);
        Assert.True(float.IsFinite(y[0]) && float.IsFinite(y[2]));
    }

    [Fact]
    public void A_NaN_anywhere_makes_the_whole_row_NaN_and_leaves_other_rows_alone()
    {
        // One vector, short rows with the general exponential and with the fast one, a whole chunk, two chunks.
        foreach (int classes in new[] { 1, 3, 17, 100, 600, 2048, 5000 })
        foreach (int at in new[] { 0, classes / 2, classes - 1 })
        foreach (float other in new[] { 0f, float.PositiveInfinity, float.NegativeInfinity })
        {
            var z = new float[2 * classes];
            for (int i = 0; i < z.Length; i++) z[i] = i % 7 == 3 ? other : i * 0.01f;
            z[at] = float.NaN;
            var p = new float[z.Length];
            var y = new float[z.Length];
            var lse = new float[2];
            Softmax.Probabilities(z, classes, p);
            Softmax.LogProbabilities(z, classes, y);
            Softmax.LogSumExp(z, classes, lse);
            Assert.All(p[..classes], v => Assert.True(float.IsNaN(v), $"classes {classes}, NaN at {at}, other {other}"));
            Assert.All(y[..classes], v => Assert.True(float.IsNaN(v)));
            Assert.True(float.IsNaN(lse[0]));
            Assert.False(float.IsNaN(lse[1]) && other != float.NegativeInfinity);
            // In place, where the row's own logits are overwritten as it goes, and through the cross-entropy gradient.
            var inPlace = (float[])z.Clone();
            Softmax.Probabilities(inPlace, classes, inPlace);
            Assert.Equal(p, inPlace);
            var gradient = (float[])z.Clone();
            var losses = new float[2];
            CrossEntropy.RowLossesAndGradient(gradient, classes, [0, 0], losses, gradient);
            Assert.True(float.IsNaN(losses[0]), $"classes {classes}, NaN at {at}: loss {losses[0]}");
            Assert.All(gradient[..classes], v => Assert.True(float.IsNaN(v), $"classes {classes}, NaN at {at}, other {other}: gradient {v}"));
        }
    }

    [Fact]
    public void Positive_infinities_share_the_probability_equally()
    {
        float[] z = [float.PositiveInfinity, 5f, float.PositiveInfinity, float.NegativeInfinity];
        var p = new float[4];
        var y = new float[4];
        Softmax.Probabilities(z, p);
        Softmax.LogProbabilities(z, y);
        Assert.Equal([0.5f, 0f, 0.5f, 0f], p);
        Assert.Equal(-MathF.Log(2), y[0], 6);
        Assert.Equal(float.NegativeInfinity, y[1]);
        Assert.Equal(float.PositiveInfinity, Softmax.LogSumExp(z));
        Assert.Equal(float.PositiveInfinity, Softmax.SmoothMax(z));
    }

    [Fact]
    public void An_all_negative_infinity_row_has_no_distribution_unless_masked()
    {
        var z = Enumerable.Repeat(float.NegativeInfinity, 40).ToArray();
        var p = new float[40];
        Softmax.Probabilities(z, p);
        Assert.All(p, v => Assert.True(float.IsNaN(v)));
        Assert.Equal(float.NegativeInfinity, Softmax.LogSumExp(z));
        var masked = new SoftmaxOptions { Masked = true };
        Softmax.Probabilities(z, p, masked);
        Assert.All(p, v => Assert.Equal(0f, v));
        Softmax.LogProbabilities(z, p, masked);
        Assert.All(p, v => Assert.Equal(float.NegativeInfinity, v));
        Assert.Equal(float.NegativeInfinity, Softmax.SmoothMax(z, masked));
        Assert.True(float.IsNaN(Softmax.SmoothMax(z)));
    }

    [Fact]
    public void Shifting_every_logit_by_a_constant_leaves_the_probabilities_unchanged()
    {
        Gen.Select(Gen.Double[-10, 10].Array[1, 300], Gen.Double[-1e4, 1e4]).Sample((row, c) =>
        {
            var p = new double[row.Length];
            var q = new double[row.Length];
            Softmax.Probabilities(row, p);
            Softmax.Probabilities(row.Select(v => v + c).ToArray(), q);
            for (int i = 0; i < row.Length; i++)
                Assert.True(Math.Abs(p[i] - q[i]) <= 1e-9 * Math.Max(p[i], 1e-300) + 1e-300, $"shift {c}, class {i}: {p[i]} vs {q[i]}");
        }, iter: 300);
    }

    [Fact]
    public void Log_sum_exp_lies_between_the_max_and_the_max_plus_log_n()
    {
        Generators.Row(2000, withNegativeInfinity: true).Sample(row =>
        {
            double max = row.Max();
            double lse = Softmax.LogSumExp(row);
            double slack = 1e-15 * Math.Abs(max);
            Assert.True(lse >= max - slack && lse <= max + Math.Log(row.Length) + slack + 1e-12, $"max {max}, log n {Math.Log(row.Length)}, lse {lse}");
        }, iter: 300);
    }

    [Fact]
    public void Smooth_max_lies_between_the_mean_and_the_max_and_tends_to_the_max_as_temperature_falls()
    {
        Gen.Double[-50, 50].Array[2, 200].Sample(row =>
        {
            double smooth = Softmax.SmoothMax(row);
            Assert.True(smooth <= row.Max(), $"{smooth} > max {row.Max()}");
            Assert.True(smooth >= row.Average() - 1e-9, $"{smooth} < mean {row.Average()}");
            double cold = Softmax.SmoothMax(row, new SoftmaxOptions { Temperature = 1e-4 });
            double second = row.OrderDescending().Skip(1).First();
            if (row.Max() - second > 0.01) Assert.Equal(row.Max(), cold, 9);
        }, iter: 300);
        float[] masked = [1f, float.NegativeInfinity, 3f];
        Assert.True(float.IsFinite(Softmax.SmoothMax(masked)));
    }

    [Fact]
    public void Rows_are_independent_and_identical_whatever_the_thread_count()
    {
        var random = new Random(3);
        int rows = 300, classes = 999;
        var z = new float[rows * classes];
        for (int i = 0; i < z.Length; i++) z[i] = (float)(random.NextDouble() * 30 - 15);
        var parallel = new float[z.Length];
        var serial = new float[z.Length];
        Softmax.Probabilities(z, classes, parallel);
        Softmax.Probabilities(z, classes, serial, new SoftmaxOptions { MaxDegreeOfParallelism = 1 });
        Assert.Equal(serial, parallel);
        for (int row = 0; row < rows; row += 37)
        {
            var single = new float[classes];
            Softmax.Probabilities(z.AsSpan(row * classes, classes), single);
            Assert.Equal(single, serial.AsSpan(row * classes, classes).ToArray());
        }
    }

    [Fact]
    public void In_place_gives_the_same_result_as_a_separate_destination()
    {
        var random = new Random(5);
        foreach (int classes in new[] { 1, 7, 16, 33, 2049, 5000 })
        {
            var z = Enumerable.Range(0, 3 * classes).Select(_ => (float)(random.NextDouble() * 20)).ToArray();
            var expected = new float[z.Length];
            Softmax.LogProbabilities(z, classes, expected);
            var copy = (float[])z.Clone();
            Softmax.LogProbabilities(copy, classes, copy);
            Assert.Equal(expected, copy);
            Softmax.Probabilities(z, classes, expected);
            Softmax.Probabilities(z, classes, z);
            Assert.Equal(expected, z);
        }
    }

    [Fact]
    public void Low_temperature_saturates_to_the_arg_max_and_high_temperature_flattens()
    {
        double[] z = [1, 2, 3];
        var p = new double[3];
        Softmax.Probabilities(z, p, new SoftmaxOptions { Temperature = 0.01 });
        Assert.Equal(1.0, p[2], 12);
        Softmax.Probabilities(z, p, new SoftmaxOptions { Temperature = 1e6 });
        Assert.All(p, v => Assert.Equal(1.0 / 3, v, 5));
    }
}

/// <summary>A row longer than <c>RowParallel.LongRow</c> in a batch of fewer rows than threads is split over threads.</summary>
public class LongRowTests
{
    private static readonly SoftmaxOptions FourParts = new() { MaxDegreeOfParallelism = 4 };

    /// <summary>A million ordinary logits with <paramref name="special"/> at <paramref name="at"/>.</summary>
    private static float[] RowWith(float special, int at)
    {
        var z = Enumerable.Range(0, 1_000_000).Select(i => (float)(i % 97) * 0.1f).ToArray();
        z[at] = special;
        return z;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_split_row_matches_the_reference_and_the_unsplit_row(bool logarithm)
    {
        var random = new Random(9);
        var z = new float[1_000_003];
        for (int i = 0; i < z.Length; i++) z[i] = (float)(random.NextDouble() * 60 - 30);
        z[123_456] = float.NegativeInfinity;
        z[900_000] = 45f; // the maximum sits in the last part
        var (log, p, _) = Reference.Softmax(Reference.Widen(z));
        var split = new float[z.Length];
        var serial = new float[z.Length];
        if (logarithm)
        {
            Softmax.LogProbabilities(z, split, FourParts);
            Softmax.LogProbabilities(z, serial, new SoftmaxOptions { MaxDegreeOfParallelism = 1 });
        }
        else
        {
            Softmax.Probabilities(z, split, FourParts);
            Softmax.Probabilities(z, serial, new SoftmaxOptions { MaxDegreeOfParallelism = 1 });
        }
        for (int i = 0; i < z.Length; i++)
        {
            double reference = logarithm ? log[i] : p[i];
            if (logarithm)
                Assert.True(AccuracyTests.Within(split[i], reference, 1e-6, float.MaxValue), $"class {i}: {split[i]} vs {reference}");
            else if (reference >= 1e-30)
                Assert.True(Math.Abs(split[i] - reference) <= 1e-6 * reference, $"class {i}: {split[i]} vs {reference}");
            Assert.True(Math.Abs(split[i] - serial[i]) <= 1e-6 * Math.Max(Math.Abs(serial[i]), 1e-30) || split[i] == serial[i], $"class {i}: split {split[i]}, serial {serial[i]}");
        }
    }

    /// <summary>
    /// Long rows cut their chunks at the destination's cache lines, so where the destination starts decides the
    /// chunks. Every start within a cache line, in place and not, on one thread and split over four, matches the
    /// reference; so does every start of a double row.
    /// </summary>
    [Fact]
    public void Long_rows_match_the_reference_whatever_the_alignment_of_the_destination()
    {
        var random = new Random(11);
        const int length = Multinoulli.Kernels.RowParallel.LongRow + 333;
        var z = new float[length];
        for (int i = 0; i < length; i++) z[i] = (float)(random.NextDouble() * 30 - 15);
        z[100_000] = 20f;
        var (log, p, _) = Reference.Softmax(Reference.Widen(z));
        var buffer = new float[length + 32];
        foreach (var options in new[] { new SoftmaxOptions { MaxDegreeOfParallelism = 1 }, FourParts })
            for (int offset = 0; offset < 16; offset++)
                foreach (bool inPlace in new[] { false, true })
                {
                    var destination = buffer.AsSpan(offset, length);
                    var source = inPlace ? destination : z;
                    z.CopyTo(destination);
                    Softmax.Probabilities(source, destination, options);
                    for (int i = 0; i < length; i++)
                        Assert.True(Math.Abs(destination[i] - p[i]) <= 1e-6 * p[i], $"offset {offset}, in place {inPlace}, class {i}: {destination[i]} vs {p[i]}");
                    z.CopyTo(destination);
                    Softmax.LogProbabilities(source, destination, options);
                    for (int i = 0; i < length; i++)
                        Assert.True(AccuracyTests.Within(destination[i], log[i], 1e-6), $"offset {offset}, in place {inPlace}, class {i}: log {destination[i]} vs {log[i]}");
                }
        var wide = Reference.Widen(z);
        var doubles = new double[length + 16];
        for (int offset = 0; offset < 8; offset++)
        {
            var destination = doubles.AsSpan(offset, length);
            Softmax.Probabilities(wide, destination, FourParts);
            for (int i = 0; i < length; i++)
                Assert.True(Math.Abs(destination[i] - p[i]) <= 1e-13 * p[i], $"double, offset {offset}, class {i}: {destination[i]} vs {p[i]}");
        }
    }

    [Theory]
    [InlineData(float.NaN, 10)]
    [InlineData(float.NaN, 900_000)]
    [InlineData(float.PositiveInfinity, 10)]
    [InlineData(float.PositiveInfinity, 900_000)]
    public void Special_values_in_any_part_give_the_documented_row(float special, int at)
    {
        var z = RowWith(special, at);
        Softmax.Probabilities(z, z, FourParts); // in place
        if (float.IsNaN(special))
            Assert.All(z, v => Assert.True(float.IsNaN(v)));
        else
            for (int i = 0; i < z.Length; i++) Assert.Equal(i == at ? 1f : 0f, z[i]);
    }

    /// <summary>
    /// Cross-entropy with a label's gradient splits a long row as softmax does: with class weights, the sum and
    /// the mean, in place and not, loss and gradient match one thread and the float64 reference
    /// w_y·(log Σ exp(z) − z_y) and scale·w_y·(p − onehot(y)).
    /// </summary>
    [Theory]
    [InlineData(false, Reduction.Mean)]
    [InlineData(true, Reduction.Sum)]
    public void Cross_entropy_of_a_split_row_matches_the_reference_and_one_thread(bool inPlace, Reduction reduction)
    {
        var random = new Random(12);
        const int length = 1_000_003, label = 777_777;
        var z = new float[length];
        for (int i = 0; i < length; i++) z[i] = (float)(random.NextDouble() * 40 - 20);
        z[500_000] = 30f;
        var weights = Enumerable.Range(0, length).Select(i => 0.5 + i % 3).ToArray();
        var (log, p, _) = Reference.Softmax(Reference.Widen(z));
        double weight = weights[label];
        double scale = reduction == Reduction.Mean ? 1 / weight : 1;
        var results = new List<(double Loss, float[] Gradient)>();
        foreach (int degree in new[] { 4, 1 })
        {
            var options = new CrossEntropyOptions { ClassWeights = weights, Reduction = reduction, MaxDegreeOfParallelism = degree };
            var gradient = inPlace ? (float[])z.Clone() : new float[length];
            double loss = CrossEntropy.LossAndGradient(inPlace ? gradient : z, length, [label], gradient, options);
            double expectedLoss = -weight * log[label] * (reduction == Reduction.Mean ? scale : 1);
            Assert.True(Math.Abs(loss - expectedLoss) <= 1e-6 * Math.Abs(expectedLoss), $"threads {degree}: loss {loss} vs {expectedLoss}");
            for (int i = 0; i < length; i++)
            {
                double expected = scale * weight * (p[i] - (i == label ? 1 : 0));
                if (Math.Abs(expected) >= 1e-30)
                    Assert.True(Math.Abs(gradient[i] - expected) <= 1e-6 * Math.Abs(expected), $"threads {degree}, class {i}: {gradient[i]} vs {expected}");
            }
            results.Add((loss, gradient));
        }
        // The parts sum float exponentials taken against their own shifts: the two sums differ by their rounding.
        Assert.True(Math.Abs(results[0].Loss - results[1].Loss) <= 1e-7 * Math.Abs(results[1].Loss), $"split {results[0].Loss}, serial {results[1].Loss}");
    }

    /// <summary>
    /// Soft targets and label smoothing split a long row too: its statistics, target sums and gradient each run
    /// over the threads. Masked, with class weights and with −∞ logits (covered by no target), in place and not,
    /// loss and gradient match one thread and the float64 reference. So does smoothing spread evenly (no weights,
    /// no mask), which takes the label's kernels and sums Σ (max − z) in each part's pass one: its row has logits
    /// of −1e4 instead of −∞, and a maximum that grows along the row.
    /// </summary>
    [Theory]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(false, true, true)]
    [InlineData(false, false, true)]
    public void Soft_or_smoothed_cross_entropy_of_a_split_row_matches_the_reference_and_one_thread(bool soft, bool inPlace, bool evenly)
    {
        var random = new Random(13);
        const int length = 300_007, label = 123_457;
        var z = new float[length];
        var targets = new float[length];
        for (int i = 0; i < length; i++)
        {
            z[i] = i % 1000 != 7 ? (float)(random.NextDouble() * 40 - 20 + (evenly ? 30.0 * i / length : 0))
                : evenly ? -1e4f : float.NegativeInfinity;
            targets[i] = float.IsNegativeInfinity(z[i]) ? 0 : (float)random.NextDouble();
        }
        double[]? weights = evenly ? null : [.. Enumerable.Range(0, length).Select(i => 0.5 + i % 3)];
        var (expectedLoss, expected, size) = Reference.CrossEntropy(Reference.Widen(z), label, soft ? Reference.Widen(targets) : null,
            weights is null ? null : [.. weights.Select(w => (double)(float)w)], soft ? 0 : 0.1, masked: !evenly);
        var losses = new List<double>();
        foreach (int degree in new[] { 4, 1 })
        {
            var options = new CrossEntropyOptions { ClassWeights = weights, LabelSmoothing = soft ? 0 : 0.1, Masked = !evenly, Reduction = Reduction.Sum, MaxDegreeOfParallelism = degree };
            var gradient = inPlace ? (float[])z.Clone() : new float[length];
            double loss = soft
                ? CrossEntropy.LossAndGradient(inPlace ? gradient : z, length, targets, gradient, options)
                : CrossEntropy.LossAndGradient(inPlace ? gradient : z, length, [label], gradient, options);
            Assert.True(Math.Abs(loss - expectedLoss) <= 1e-6 * expectedLoss, $"threads {degree}: loss {loss} vs {expectedLoss}");
            for (int i = 0; i < length; i++)
                Assert.True(Math.Abs(gradient[i] - expected[i]) <= 1e-6 * size[i] + 1e-35, $"threads {degree}, class {i}: {gradient[i]} vs {expected[i]}");
            losses.Add(loss);
        }
        Assert.True(Math.Abs(losses[0] - losses[1]) <= 1e-7 * losses[1], $"split {losses[0]}, serial {losses[1]}");
    }

    [Theory]
    [InlineData(float.NaN, 10)]
    [InlineData(float.PositiveInfinity, 900_000)]
    [InlineData(float.PositiveInfinity, 42)]
    public void Cross_entropy_of_a_split_row_with_a_special_value_matches_one_thread(float special, int at)
    {
        var z = RowWith(special, at);
        var split = new float[z.Length];
        var serial = new float[z.Length];
        double splitLoss = CrossEntropy.LossAndGradient(z, z.Length, [42], split, new CrossEntropyOptions { MaxDegreeOfParallelism = 4 });
        double serialLoss = CrossEntropy.LossAndGradient(z, z.Length, [42], serial, new CrossEntropyOptions { MaxDegreeOfParallelism = 1 });
        Assert.Equal(serialLoss, splitLoss);
        Assert.Equal(serial, split);
        if (float.IsPositiveInfinity(special) && at != 42) Assert.Equal(double.PositiveInfinity, splitLoss);
    }

    [Fact]
    public void An_ignored_split_row_has_no_loss_and_a_zero_gradient()
    {
        var z = Enumerable.Range(0, 300_000).Select(i => (float)(i % 13)).ToArray();
        var gradient = Enumerable.Repeat(7f, z.Length).ToArray();
        var options = new CrossEntropyOptions { IgnoreLabel = -100, Reduction = Reduction.Sum, MaxDegreeOfParallelism = 4 };
        Assert.Equal(0, CrossEntropy.LossAndGradient(z, z.Length, [-100], gradient, options));
        Assert.All(gradient, v => Assert.Equal(0f, v));
    }

    /// <summary>
    /// Log-sum-exp of a long row splits too: one distribution and a batch of two rows, at unit and other
    /// temperatures, match the float64 reference and one thread; special rows give the documented values.
    /// </summary>
    [Theory]
    [InlineData(1.0)]
    [InlineData(0.7)]
    public void Log_sum_exp_of_a_split_row_matches_the_reference_and_one_thread(double temperature)
    {
        var random = new Random(13);
        var z = new float[2 * 700_001];
        for (int i = 0; i < z.Length; i++) z[i] = (float)(random.NextDouble() * 50 - 25);
        z[650_000] = 33f;
        var split = new float[2];
        var serial = new float[2];
        Softmax.LogSumExp(z, 700_001, split, FourParts with { Temperature = temperature });
        Softmax.LogSumExp(z, 700_001, serial, new SoftmaxOptions { Temperature = temperature, MaxDegreeOfParallelism = 1 });
        for (int row = 0; row < 2; row++)
        {
            var scaled = z.AsSpan(row * 700_001, 700_001).ToArray().Select(v => v / temperature).ToArray();
            double reference = Reference.Softmax(scaled).Lse;
            Assert.True(AccuracyTests.Within(split[row], reference, 1e-6), $"row {row}: {split[row]} vs {reference}");
            Assert.True(Math.Abs(split[row] - serial[row]) <= 1e-6 * Math.Max(1, Math.Abs(serial[row])), $"row {row}: split {split[row]}, serial {serial[row]}");
        }
        float single = Softmax.LogSumExp(z.AsSpan(0, 700_001), FourParts with { Temperature = temperature });
        Assert.Equal(split[0], single);
    }

    [Theory]
    [InlineData(float.NaN, float.NaN)]
    [InlineData(float.PositiveInfinity, float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity, float.NegativeInfinity)]
    public void Log_sum_exp_of_a_split_row_follows_the_special_values(float special, float expected)
    {
        var z = RowWith(special, 999_000);
        if (float.IsNegativeInfinity(special)) Array.Fill(z, special);
        Assert.Equal(expected, Softmax.LogSumExp(z, FourParts));
    }

    /// <summary>
    /// The smooth maximum of a long row splits too: one distribution and a batch of two rows, with −∞ logits, at
    /// unit and other temperatures, match the float64 reference Σ pᵢzᵢ and one thread; special rows give the
    /// documented values (NaN, +∞, and for an all −∞ row NaN, or −∞ when masked).
    /// </summary>
    [Theory]
    [InlineData(1.0)]
    [InlineData(0.7)]
    public void Smooth_max_of_a_split_row_matches_the_reference_and_one_thread(double temperature)
    {
        const int length = 700_001;
        var random = new Random(14);
        var z = new float[2 * length];
        for (int i = 0; i < z.Length; i++) z[i] = i % 501 == 3 ? float.NegativeInfinity : (float)(random.NextDouble() * 30 - 15);
        var split = new float[2];
        var serial = new float[2];
        Softmax.SmoothMax(z, length, split, FourParts with { Temperature = temperature });
        Softmax.SmoothMax(z, length, serial, new SoftmaxOptions { Temperature = temperature, MaxDegreeOfParallelism = 1 });
        for (int row = 0; row < 2; row++)
        {
            var logits = Reference.Widen(z.AsSpan(row * length, length));
            var (_, p, _) = Reference.Softmax([.. logits.Select(v => v / temperature)]);
            double reference = 0;
            for (int i = 0; i < length; i++)
                if (p[i] > 0) reference += p[i] * logits[i];
            Assert.True(AccuracyTests.Within(split[row], reference, 1e-6), $"row {row}: {split[row]} vs {reference}");
            Assert.True(Math.Abs(split[row] - serial[row]) <= 1e-6 * Math.Max(1, Math.Abs(serial[row])), $"row {row}: split {split[row]}, serial {serial[row]}");
        }
        Assert.Equal(split[0], Softmax.SmoothMax(z.AsSpan(0, length), FourParts with { Temperature = temperature }));

        Assert.True(float.IsNaN(Softmax.SmoothMax(RowWith(float.NaN, 999_000), FourParts)));
        Assert.Equal(float.PositiveInfinity, Softmax.SmoothMax(RowWith(float.PositiveInfinity, 999_000), FourParts));
        var masked = Enumerable.Repeat(float.NegativeInfinity, 300_000).ToArray();
        Assert.True(float.IsNaN(Softmax.SmoothMax(masked, FourParts)));
        Assert.Equal(float.NegativeInfinity, Softmax.SmoothMax(masked, FourParts with { Masked = true }));
    }

    /// <summary>
    /// The backward passes of a long row split too (the row's sum in parts, then each part written): softmax's
    /// p ⊙ (g − pᵀg)/T and log-softmax's (g − p·Σg)/T match the float64 reference and one thread, in place over
    /// the output gradient and not; a fully masked row gets a zero gradient when masked.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Backward_passes_of_a_split_row_match_the_reference_and_one_thread(bool logarithm, bool inPlace)
    {
        const int length = 300_007;
        const double temperature = 0.8;
        var random = new Random(15);
        var z = Enumerable.Range(0, length).Select(i => i % 777 == 5 ? float.NegativeInfinity : (float)(random.NextDouble() * 20 - 10)).ToArray();
        var upstream = Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var outputs = new float[length];
        var options = FourParts with { Temperature = temperature };
        if (logarithm) Softmax.LogProbabilities(z, outputs, options);
        else Softmax.Probabilities(z, outputs, options);
        // The reference from the float outputs the pass is given: p = exp(y) or p itself.
        var p = outputs.Select(v => logarithm ? Math.Exp(v) : v).ToArray();
        double dot = 0, total = 0;
        for (int i = 0; i < length; i++)
        {
            dot += p[i] * upstream[i];
            total += upstream[i];
        }
        var results = new List<float[]>();
        foreach (int degree in new[] { 4, 1 })
        {
            var passOptions = new SoftmaxOptions { Temperature = temperature, MaxDegreeOfParallelism = degree };
            var gradient = (float[])upstream.Clone();
            var destination = inPlace ? gradient : new float[length];
            if (logarithm) Softmax.LogProbabilitiesBackward(outputs, gradient, length, destination, passOptions);
            else Softmax.ProbabilitiesBackward(outputs, gradient, length, destination, passOptions);
            for (int i = 0; i < length; i++)
            {
                double expected = logarithm ? (upstream[i] - p[i] * total) / temperature : p[i] * (upstream[i] - dot) / temperature;
                double size = logarithm ? (Math.Abs(upstream[i]) + p[i] * Math.Abs(total)) / temperature : p[i] * (Math.Abs(upstream[i]) + Math.Abs(dot)) / temperature;
                Assert.True(Math.Abs(destination[i] - expected) <= 1e-6 * size + 1e-37, $"threads {degree}, class {i}: {destination[i]} vs {expected}");
            }
            results.Add(destination);
        }
        for (int i = 0; i < length; i++)
            Assert.True(Math.Abs(results[0][i] - results[1][i]) <= 1e-6 * Math.Abs(results[1][i]) + 1e-37, $"class {i}: split {results[0][i]}, serial {results[1][i]}");

        var masked = Enumerable.Repeat(float.NegativeInfinity, length).ToArray();
        var zero = Enumerable.Repeat(3f, length).ToArray();
        Softmax.LogProbabilitiesBackward(masked, upstream, length, zero, FourParts with { Masked = true });
        Assert.All(zero, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void A_fully_masked_long_row_follows_the_masking_option()
    {
        var z = Enumerable.Repeat(float.NegativeInfinity, 300_000).ToArray();
        var p = new float[z.Length];
        Softmax.Probabilities(z, p, FourParts with { Masked = true });
        Assert.All(p, v => Assert.Equal(0f, v));
        Softmax.LogProbabilities(z, p, FourParts);
        Assert.All(p, v => Assert.True(float.IsNaN(v)));
    }
}
