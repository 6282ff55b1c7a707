using CsCheck;
using Multinoulli.Kernels;

namespace Multinoulli.Tests;

/// <summary>
/// Against a float64 reference from the same inputs: a float probability ≥ 1e-30 is within 1e-6 relative error,
/// a log-probability or log-sum-exp within 1e-6·max(1, |reference|); double within 1e-13 likewise; rows sum to 1.
/// </summary>
public class AccuracyTests
{
    private const long Iterations = 400;

    public static TheoryData<string> FloatWidths() => [.. Widths<float>.All().Select(w => w.Name)];
    public static TheoryData<string> DoubleWidths() => [.. Widths<double>.All().Select(w => w.Name)];

    [Theory]
    [MemberData(nameof(FloatWidths))]
    public void Float_rows_match_the_float64_reference(string width)
    {
        var kernels = Widths<float>.All().Single(w => w.Name == width);
        Generators.Row(3000).Sample(row => CheckFloat(kernels, Generators.ToSingle(row)), iter: Iterations);
    }

    [Theory]
    [MemberData(nameof(DoubleWidths))]
    public void Double_rows_match_the_compensated_reference(string width)
    {
        var kernels = Widths<double>.All().Single(w => w.Name == width);
        Generators.Row(3000).Sample(row => CheckDouble(kernels, row), iter: Iterations);
    }

    [Theory]
    [MemberData(nameof(FloatWidths))]
    public void A_million_float_classes_keep_full_accuracy(string width)
    {
        var kernels = Widths<float>.All().Single(w => w.Name == width);
        var random = new Random(20261123);
        var row = new float[1_000_000];
        for (int i = 0; i < row.Length; i++) row[i] = (float)(random.NextDouble() * 40 - 20);
        CheckFloat(kernels, row);
        // Many equal logits: the case where a float32 running sum drifts furthest.
        Array.Fill(row, 1.5f);
        CheckFloat(kernels, row);
    }

    [Fact]
    public void A_million_double_classes_keep_full_accuracy()
    {
        var random = new Random(7);
        var row = new double[1_000_000];
        for (int i = 0; i < row.Length; i++) row[i] = random.NextDouble() * 60 - 30;
        foreach (var kernels in Widths<double>.All()) CheckDouble(kernels, row);
    }

    /// <summary>
    /// Pass one tries each chunk against the maximum of the chunks before it and starts the chunk again where that
    /// does not hold. Segments of 2048 logits (one float chunk, two double chunks) take every turn that can happen:
    /// a logit equal to the running maximum, a new maximum in a chunk's last vector or its first, a ramp that raises
    /// it every few logits, a jump of +80 that makes everything before negligible, and logits out of the fast range
    /// (−∞, a chunk of nothing but −∞, 100 and 200 below the maximum).
    /// </summary>
    [Fact]
    public void Chunks_whose_maximum_grows_repeats_or_leaves_the_fast_range_match_the_reference()
    {
        const int segment = 2048;
        var random = new Random(20261125);
        var row = new double[14 * segment];
        for (int i = 0; i < row.Length; i++) row[i] = random.NextDouble() * 8 - 8;
        double max = row.AsSpan(0, segment).ToArray().Max();
        Span<double> Segment(int index) => row.AsSpan(index * segment, segment);
        Segment(1)[random.Next(segment)] = max;
        Segment(2)[segment - 3] = max += 0.5;
        Segment(3)[0] = max += 0.25;
        Segment(4)[1000] = max - 100;
        Segment(5)[700] = double.NegativeInfinity;
        Segment(6).Fill(double.NegativeInfinity);
        for (int i = 0; i < segment; i++) Segment(7)[i] = max - 200 + Segment(7)[i];
        for (int i = 0; i < segment; i++) Segment(8)[i] = max - 4 + 8.0 * i / segment;
        max += 4;
        Segment(9)[1500] = max += 80;
        Segment(10)[3] = max;
        var single = Generators.ToSingle(row);
        foreach (var kernels in Widths<float>.All()) CheckFloat(kernels, single);
        foreach (var kernels in Widths<double>.All()) CheckDouble(kernels, row);
    }

    /// <summary>
    /// A confident class has log p = −log Σ ≈ −(Σ − 1): tiny, and useless unless Σ − 1 is accurate in relative
    /// terms (1 + 4.6e-5 added up in float would be off by 6e-8, a relative 1e-3). Rows of one chunk, of many
    /// chunks, and a batch large enough to be streamed, at every width; the loss of that class likewise.
    /// </summary>
    [Fact]
    public void The_log_probability_of_a_dominant_class_is_accurate_in_relative_terms()
    {
        var random = new Random(20261124);
        foreach (var (rows, classes) in new[] { (1, 5000), (1, 300_000), (520, 8192) })
        {
            var z = new float[rows * classes];
            var dominant = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < classes; j++) z[r * classes + j] = (float)(random.NextDouble() * -10);
                dominant[r] = random.Next(classes);
                z[r * classes + dominant[r]] = 16f;
            }
            var y = new float[z.Length];
            var losses = new float[rows];
            CrossEntropy.RowLosses(z, classes, dominant, losses);
            for (int r = 0; r < rows; r += rows > 1 ? 37 : 1)
            {
                double expected = Reference.Softmax(Reference.Widen(z.AsSpan(r * classes, classes))).Log[dominant[r]];
                Assert.True(Math.Abs(-losses[r] - expected) <= 1e-6 * Math.Abs(expected), $"{rows} × {classes}, row {r}: loss {losses[r]:R} vs {-expected:R}");
            }
            foreach (var kernels in Widths<float>.All())
            {
                kernels.LogProbabilities(z, y, classes, 1, false);
                for (int r = 0; r < rows; r += rows > 1 ? 37 : 1)
                {
                    double expected = Reference.Softmax(Reference.Widen(z.AsSpan(r * classes, classes))).Log[dominant[r]];
                    float actual = y[r * classes + dominant[r]];
                    Assert.True(Math.Abs(actual - expected) <= 1e-6 * Math.Abs(expected), $"{kernels}, {rows} × {classes}, row {r}: log p {actual:R} vs {expected:R}");
                }
            }
        }
    }

    /// <summary>
    /// A long row far from 0 takes the fast exponential against a shift near the offset, whose one-step reduction
    /// leaves each value off by about 2.75e-9·z (8e-5 at 30000) unless each chunk's table takes it back. Left in,
    /// it would move the loss, a small difference of two numbers near the offset, and, since the maximum's own
    /// exponential is exactly 1, the probabilities too (2.8e-6 at 1000).
    /// </summary>
    [Theory]
    [InlineData(30000f)]
    [InlineData(-30000f)]
    [InlineData(1000f)]
    public void The_loss_of_a_long_row_far_from_zero_is_accurate(float offset)
    {
        const int classes = 20_000, rows = 3;
        var random = new Random(20261124);
        var z = new float[rows * classes];
        for (int i = 0; i < z.Length; i++) z[i] = offset + (float)(random.NextDouble() * 12 - 6);
        var labels = new[] { 17, 4321, classes - 1 };
        var losses = new float[rows];
        foreach (int threads in new[] { 1, 2 })
        {
            CrossEntropy.RowLosses(z, classes, labels, losses, new CrossEntropyOptions { MaxDegreeOfParallelism = threads });
            for (int r = 0; r < rows; r++)
            {
                double expected = -Reference.Softmax(Reference.Widen(z.AsSpan(r * classes, classes))).Log[labels[r]];
                Assert.True(Math.Abs(losses[r] - expected) <= 1e-6 * Math.Max(1, expected), $"offset {offset}, {threads} threads, row {r}: loss {losses[r]:R} vs {expected:R}");
            }
        }
        foreach (var kernels in Widths<float>.All()) CheckFloat(kernels, z.AsSpan(0, classes).ToArray());
    }

    [Fact]
    public void Temperature_divides_the_logits_before_softmax()
    {
        Gen.Select(Generators.Row(500, withNegativeInfinity: false), Gen.Double[0.05, 20]).Sample((row, temperature) =>
        {
            var z = Generators.ToSingle(row);
            var reference = Reference.Softmax(Reference.Widen(z).Select(v => v / temperature).ToArray());
            var p = new float[z.Length];
            Softmax.Probabilities(z, p, new SoftmaxOptions { Temperature = temperature });
            for (int i = 0; i < z.Length; i++)
                if (reference.P[i] >= 1e-30)
                    Assert.True(Math.Abs(p[i] - reference.P[i]) <= 1e-6 * reference.P[i], $"T={temperature} i={i}: {p[i]} vs {reference.P[i]}");
            float lse = Softmax.LogSumExp(z, new SoftmaxOptions { Temperature = temperature });
            Assert.True(Within(lse, reference.Lse, 1e-6, float.MaxValue), $"T={temperature}: {lse} vs {reference.Lse}");
        }, iter: Iterations);
    }

    private static void CheckFloat(Widths<float>.Width kernels, float[] z) =>
        Check(kernels, z, Reference.Widen(z), tolerance: 1e-6, range: float.MaxValue);

    private static void CheckDouble(Widths<double>.Width kernels, double[] z) =>
        Check(kernels, z, z, tolerance: 1e-13, range: double.MaxValue);

    /// <summary>Probabilities, log-probabilities, the normalizer and the row sum of one row against the reference.</summary>
    private static void Check<T>(Widths<T>.Width kernels, T[] z, double[] exact, double tolerance, double range)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        var (log, p, lse) = Reference.Softmax(exact);
        var probabilities = new T[z.Length];
        var logProbabilities = new T[z.Length];
        var normalizer = new T[1];
        kernels.Probabilities(z, probabilities, z.Length, 1, false);
        kernels.LogProbabilities(z, logProbabilities, z.Length, 1, false);
        kernels.LogSumExp(z, normalizer, z.Length, 1, false);
        var sum = new CompensatedSum();
        for (int i = 0; i < z.Length; i++)
        {
            double probability = double.CreateTruncating(probabilities[i]);
            double logProbability = double.CreateTruncating(logProbabilities[i]);
            sum.Add(probability);
            if (p[i] >= 1e-30)
                Assert.True(Math.Abs(probability - p[i]) <= tolerance * p[i], Describe(kernels, z, i, probability, p[i]));
            else
                Assert.True(probability >= 0 && probability <= 1.0001e-30, Describe(kernels, z, i, probability, p[i]));
            Assert.True(Within(logProbability, log[i], tolerance, range), Describe(kernels, z, i, logProbability, log[i]));
        }
        Assert.True(Math.Abs(sum.Value - 1) <= tolerance, $"{kernels}: row of {z.Length} sums to {sum.Value}");
        Assert.True(Within(double.CreateTruncating(normalizer[0]), lse, tolerance, range), $"{kernels}: log-sum-exp {normalizer[0]} vs {lse}");
    }

    /// <summary>
    /// Cross-entropy against soft targets and with label smoothing, masked or not, with or without class weights
    /// (some zero), matches the float64 reference Σ w·t′·(−log p) and p·A − w ⊙ t′ at every vector width, for
    /// adversarial rows of 1 to 70 classes: whole vectors and tails, huge spreads, −∞ logits with and without target.
    /// </summary>
    [Theory]
    [MemberData(nameof(FloatWidths))]
    public void Soft_and_smoothed_cross_entropy_matches_the_float64_reference_in_float(string width) =>
        CheckTargets(Widths<float>.All().Single(w => w.Name == width), tolerance: 1e-6, floor: 1e-35);

    [Theory]
    [MemberData(nameof(DoubleWidths))]
    public void Soft_and_smoothed_cross_entropy_matches_the_float64_reference_in_double(string width) =>
        CheckTargets(Widths<double>.All().Single(w => w.Name == width), tolerance: 1e-13, floor: 1e-300);

    private static readonly Gen<(double[] Logits, double[] Soft, double[] Weights, int Label, bool UsesSoft, bool Weighted, double Smoothing, bool Masked)> TargetCases =
        from z in Generators.Row(70)
        from soft in Gen.Double[0, 2].Array[z.Length]
        from zeros in Gen.Int[0, 3].Array[z.Length]
        from weights in Gen.Double[0, 3].Array[z.Length]
        from label in Gen.Int[0, z.Length - 1]
        from usesSoft in Gen.Bool
        from weighted in Gen.Bool
        from smoothing in Gen.OneOf(0.0, 0.1, 0.4)
        from masked in Gen.Bool
        select (z, soft.Select((t, j) => zeros[j] == 0 ? 0 : t).ToArray(), weights.Select((w, j) => zeros[j] == 1 ? 0 : w).ToArray(),
            label, usesSoft, weighted, smoothing, masked);

    private static void CheckTargets<T>(Widths<T>.Width kernels, double tolerance, double floor)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        static T[] To(double[] values) => [.. values.Select(T.CreateTruncating)];
        static double[] Back(T[] values) => [.. values.Select(double.CreateTruncating)];
        TargetCases.Sample(c =>
        {
            var z = To(c.Logits);
            T[]? soft = c.UsesSoft ? To(c.Soft) : null;
            T[]? weights = c.Weighted ? To(c.Weights) : null;
            var gradient = new T[z.Length];
            var losses = new double[1];
            kernels.CrossEntropy(z, z.Length, c.UsesSoft ? null : [c.Label], soft, weights, c.Smoothing, c.Masked, gradient, losses);
            var (loss, expected, size) = Reference.CrossEntropy(Back(z), c.Label, soft is null ? null : Back(soft), weights is null ? null : Back(weights), c.Smoothing, c.Masked);
            string what = $"{kernels}, {(c.UsesSoft ? "soft" : $"label {c.Label}")}, ε {c.Smoothing}, masked {c.Masked}, weighted {c.Weighted}, logits [{string.Join(", ", z.Take(8))}]";
            AssertCrossEntropy(what, losses[0], gradient, loss, expected, size, tolerance, floor);
        });
    }

    /// <summary>
    /// Evenly smoothed labels (no weights, no mask) take the label's kernels, which sum Σ (max − z) in pass one,
    /// chunk by chunk: rows of up to 20,000 classes (ten chunks of float), whose maximum grows along the row,
    /// with huge spreads and now and then a −∞ logit (an infinite loss), in place and not, match the reference.
    /// </summary>
    [Theory]
    [MemberData(nameof(FloatWidths))]
    public void Evenly_smoothed_cross_entropy_of_long_rows_matches_the_float64_reference_in_float(string width) =>
        CheckSmoothedRows(Widths<float>.All().Single(w => w.Name == width), tolerance: 1e-6, floor: 1e-35);

    [Theory]
    [MemberData(nameof(DoubleWidths))]
    public void Evenly_smoothed_cross_entropy_of_long_rows_matches_the_float64_reference_in_double(string width) =>
        CheckSmoothedRows(Widths<double>.All().Single(w => w.Name == width), tolerance: 1e-13, floor: 1e-300);

    private static readonly Gen<(double[] Logits, int Label, double Smoothing, bool InPlace)> SmoothedRows =
        from row in Generators.Row(20_000, withNegativeInfinity: false)
        from rise in Gen.OneOf(0.0, 1.0, 30.0, 1e6)
        from hole in Gen.Int[0, 3 * row.Length]
        from label in Gen.Int[0, row.Length - 1]
        from smoothing in Gen.OneOf(0.1, 0.4, 0.95)
        from inPlace in Gen.Bool
        select (row.Select((v, j) => j == hole ? double.NegativeInfinity : Math.Clamp(v + rise * j / row.Length, -3.4e38, 3.4e38)).ToArray(),
            label, smoothing, inPlace);

    private static void CheckSmoothedRows<T>(Widths<T>.Width kernels, double tolerance, double floor)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        SmoothedRows.Sample(c =>
        {
            var z = c.Logits.Select(T.CreateTruncating).ToArray();
            var (loss, expected, size) = Reference.CrossEntropy([.. z.Select(double.CreateTruncating)], c.Label, null, null, c.Smoothing, masked: false);
            var gradient = c.InPlace ? z : new T[z.Length];
            var losses = new double[1];
            kernels.CrossEntropy(z, z.Length, [c.Label], null, null, c.Smoothing, false, gradient, losses);
            string what = $"{kernels}, {z.Length} classes, label {c.Label}, ε {c.Smoothing}, in place {c.InPlace}, logits [{string.Join(", ", c.Logits.Take(8))}]";
            AssertCrossEntropy(what, losses[0], gradient, loss, expected, size, tolerance, floor);
        }, iter: 40);
    }

    /// <summary>
    /// Soft targets, and labels smoothed with class weights or a mask, take two passes on one thread, pass one
    /// summing the targets chunk by chunk against a maximum that may grow (and in T, falling back to float64 for
    /// a chunk whose products are subnormal or huge). Rows of up to 20,000 classes (four times that now and then,
    /// past the scratch buffer), rising, with −∞ logits, targets on them or not, weights and targets scaled to
    /// subnormal or huge products, in place and not, with the loss alone too, match the reference.
    /// </summary>
    [Theory]
    [MemberData(nameof(FloatWidths))]
    public void Soft_and_weighted_cross_entropy_of_long_rows_matches_the_float64_reference_in_float(string width) =>
        CheckTargetRows(Widths<float>.All().Single(w => w.Name == width), tolerance: 1e-6, floor: 1e-35, tiny: 1e-41, huge: 1e25);

    [Theory]
    [MemberData(nameof(DoubleWidths))]
    public void Soft_and_weighted_cross_entropy_of_long_rows_matches_the_float64_reference_in_double(string width) =>
        CheckTargetRows(Widths<double>.All().Single(w => w.Name == width), tolerance: 1e-13, floor: 1e-300, tiny: 1e-315, huge: 1e25);

    private static readonly Gen<(double[] Logits, double[] Soft, double[] Weights, int Label, bool UsesSoft, bool Weighted, double Smoothing, bool Masked, int Scale, bool InPlace, bool LossOnly)> TargetRows =
        from row in Generators.Row(20_000, withNegativeInfinity: false)
        from repeat in Gen.OneOf(1, 1, 1, 4)
        from rise in Gen.OneOf(0.0, 1.0, 30.0, 1e6)
        from holes in Gen.Int[0, 3 * row.Length].Array[3]
        from seed in Gen.Int
        from label in Gen.Int[0, row.Length - 1]
        from usesSoft in Gen.Bool
        from weighted in Gen.Bool
        from smoothing in Gen.OneOf(0.0, 0.1, 0.4)
        from masked in Gen.Bool
        from scale in Gen.Int[0, 2]
        from inPlace in Gen.Bool
        from lossOnly in Gen.OneOf(false, false, false, true)
        let length = row.Length * repeat
        let random = new Random(seed)
        select (Enumerable.Range(0, length).Select(j => holes.Contains(j) ? double.NegativeInfinity : Math.Clamp(row[j % row.Length] + rise * j / length, -3.4e38, 3.4e38)).ToArray(),
            Enumerable.Range(0, length).Select(_ => random.Next(4) == 0 ? 0 : 2 * random.NextDouble()).ToArray(),
            Enumerable.Range(0, length).Select(_ => random.Next(5) == 0 ? 0 : 3 * random.NextDouble()).ToArray(),
            label, usesSoft, weighted, smoothing, masked, scale, inPlace, lossOnly);

    private static void CheckTargetRows<T>(Widths<T>.Width kernels, double tolerance, double floor, double tiny, double huge)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        TargetRows.Sample(c =>
        {
            // Scale 1 makes every product w·t subnormal, scale 2 beyond 2⁶⁴: both take the float64 sums.
            double factor = c.Scale switch { 1 => tiny, 2 => huge, _ => 1 };
            var z = c.Logits.Select(T.CreateTruncating).ToArray();
            T[]? soft = c.UsesSoft ? [.. c.Soft.Select(t => T.CreateTruncating(t * factor))] : null;
            T[]? weights = c.Weighted ? [.. c.Weights.Select(T.CreateTruncating)] : null;
            var (loss, expected, size) = Reference.CrossEntropy([.. z.Select(double.CreateTruncating)], c.Label,
                soft is null ? null : [.. soft.Select(double.CreateTruncating)], weights is null ? null : [.. weights.Select(double.CreateTruncating)], c.Smoothing, c.Masked);
            var gradient = c.LossOnly ? null : c.InPlace ? z : new T[z.Length];
            var losses = new double[1];
            kernels.CrossEntropy(z, z.Length, c.UsesSoft ? null : [c.Label], soft, weights, c.Smoothing, c.Masked, gradient, losses);
            string what = $"{kernels}, {z.Length} classes, {(c.UsesSoft ? $"soft ×{factor}" : $"label {c.Label}")}, weighted {c.Weighted}, ε {c.Smoothing}, masked {c.Masked}, in place {c.InPlace}, loss only {c.LossOnly}";
            // The gradient is linear in the targets: scaled up, so is the floor below which a probability's own
            // underflow (p < 1e-38 in float, times A) is not resolved.
            AssertCrossEntropy(what, losses[0], gradient ?? [], loss, expected, size, tolerance, floor * Math.Max(1, factor));
        }, iter: 40);
    }

    /// <summary>
    /// Products w·t that are subnormal lose bits when rounded in T, and a gap of 6e38 multiplies what they lost:
    /// such a chunk must be summed in float64. A row of 1,000 classes at −3e38 below one at 3e38, each with a
    /// subnormal weighted target, has a loss of about 100 that the reference gets to 1e-6.
    /// </summary>
    [Theory]
    [MemberData(nameof(FloatWidths))]
    public void Subnormal_weighted_targets_under_huge_gaps_keep_the_loss_accurate(string width)
    {
        var kernels = Widths<float>.All().Single(w => w.Name == width);
        // Every product rounds alike (1.7 × 1e-40 lands 0.4 of a subnormal step off), so nothing averages out.
        int classes = 1000;
        var z = Enumerable.Range(0, classes).Select(j => j == 0 ? 3e38f : -3e38f).ToArray();
        var soft = Enumerable.Repeat(1e-40f, classes).ToArray();
        var weights = Enumerable.Repeat(1.7f, classes).ToArray();
        var (loss, expected, size) = Reference.CrossEntropy(Reference.Widen(z), 0, Reference.Widen(soft), Reference.Widen(weights), 0, masked: false);
        var gradient = new float[classes];
        var losses = new double[1];
        kernels.CrossEntropy(z, classes, null, soft, weights, 0, false, gradient, losses);
        Assert.True(loss > 50, $"the case needs a loss well above 1, got {loss}");
        AssertCrossEntropy($"{kernels}, subnormal products", losses[0], gradient, loss, expected, size, 1e-6, 1e-35);
    }

    /// <summary>
    /// A −∞ logit under a target whose weight and value are both positive makes the loss +∞, even where their
    /// product rounds to 0 in float (6.9e-16 × 3.6e-43): the check that sends a chunk to float64 must see that
    /// lane. Found by the property test above, which drew such a row about once in six runs.
    /// </summary>
    [Theory]
    [MemberData(nameof(FloatWidths))]
    public void A_weighted_target_on_a_masked_logit_makes_the_loss_infinite_even_when_its_product_underflows(string width)
    {
        var kernels = Widths<float>.All().Single(w => w.Name == width);
        float[] z = [-2.6911764e38f, float.NegativeInfinity, -3e38f];
        float[] soft = [1f / 21, 6.895e-16f, 0];
        float[] weights = [1f / 34, 3.625e-43f, 11f / 64];
        Assert.Equal(0f, soft[1] * weights[1]);
        foreach (var (smoothing, masked) in new[] { (0.0, false), (0.1, true) })
        {
            var (loss, expected, size) = Reference.CrossEntropy(Reference.Widen(z), 0, Reference.Widen(soft), Reference.Widen(weights), smoothing, masked);
            var gradient = new float[z.Length];
            var losses = new double[1];
            kernels.CrossEntropy(z, z.Length, null, soft, weights, smoothing, masked, gradient, losses);
            Assert.True(double.IsPositiveInfinity(loss), $"the reference should be +∞, got {loss}");
            AssertCrossEntropy($"{kernels}, ε {smoothing}, masked {masked}", losses[0], gradient, loss, expected, size, 1e-6, 1e-35);
        }
    }

    /// <summary>The loss within tolerance·max(1, |reference|), each partial derivative within tolerance × its size (<see cref="Reference.CrossEntropy"/>) plus a floor.</summary>
    private static void AssertCrossEntropy<T>(string what, double actualLoss, T[] gradient, double loss, double[] expected, double[] size, double tolerance, double floor)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        Assert.True(Within(actualLoss, loss, tolerance), $"{what}: loss {actualLoss:R} vs {loss:R}");
        for (int j = 0; j < gradient.Length; j++)
        {
            double actual = double.CreateTruncating(gradient[j]);
            Assert.True(double.IsNaN(expected[j]) ? double.IsNaN(actual) : Math.Abs(actual - expected[j]) <= tolerance * size[j] + floor,
                $"{what}: ∂/∂z{j} {actual:R} vs {expected[j]:R}");
        }
    }

    /// <summary>|actual − expected| ≤ tolerance·max(1, |expected|); a reference beyond the type's range must come back as that infinity.</summary>
    internal static bool Within(double actual, double expected, double tolerance, double range = double.MaxValue)
    {
        // A NaN reference (a row of nothing but −∞, say) is matched by a NaN alone.
        if (double.IsNaN(expected)) return double.IsNaN(actual);
        if (double.IsNegativeInfinity(expected) || expected < -range) return double.IsNegativeInfinity(actual);
        if (double.IsPositiveInfinity(expected) || expected > range) return double.IsPositiveInfinity(actual);
        return Math.Abs(actual - expected) <= tolerance * Math.Max(1, Math.Abs(expected));
    }

    private static string Describe<T>(object kernels, T[] z, int i, double actual, double expected) =>
        $"{kernels}: class {i} of {z.Length}: got {actual:R}, reference {expected:R}; logit {z[i]}, first logits [{string.Join(", ", z.Take(8))}]";
}
