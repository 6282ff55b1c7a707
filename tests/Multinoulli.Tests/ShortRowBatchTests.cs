using System.Numerics;
using System.Runtime.InteropServices;
using CsCheck;

namespace Multinoulli.Tests;

/// <summary>
/// Batches of rows longer than one vector and shorter than 2 KiB, which go four rows at a time through one loop:
/// every row must come out with the bits it gets alone, whatever its neighbours hold (a NaN, a +∞, a masked row, a
/// logit far below the rest), in place or not, and match the reference, at every vector width, in float and
/// double, for softmax, log-softmax, log-sum-exp, the smooth max and cross-entropy against labels and soft targets,
/// plain and evenly smoothed.
/// Cross-entropy's loss must not depend on whether a gradient is asked for.
/// </summary>
public class ShortRowBatchTests
{
    private const double Smoothing = 0.1;

    /// <summary>
    /// Rows the fast exponential takes (every logit finite, within 85 of the maximum, the maximum within ±2¹⁵),
    /// so that groups of four such rows are common; the general generator's rows rarely are.
    /// </summary>
    private static Gen<double[]> TameRow(int maxLength) =>
        from length in Gen.Int[1, maxLength]
        from offset in Gen.OneOf(0.0, 7.5, -30.0, 1000.0, -20000.0)
        from spread in Gen.OneOf(0.5, 10.0, 42.0)
        from unit in Gen.Double[-1, 1].Array[length]
        select Array.ConvertAll(unit, u => offset + spread * u);

    private static Gen<(double[][] Rows, int Classes, int Special, double Temperature, int Seed)> Batches(int maxClasses) =>
        from classes in Gen.Int[9, maxClasses]
        from rows in Gen.Int[1, 13]
        from data in Gen.Frequency((3, TameRow(classes)), (1, Generators.Row(classes))).Array[rows]
        from special in Gen.Int[0, 7]
        from temperature in Gen.OneOf(1.0, 1.0, 0.5, 3.0)
        from seed in Gen.Int
        select (data, classes, special, temperature, seed);

    /// <summary>
    /// The rows repeated to the batch's width (so each keeps its spread), with one special row in the middle:
    /// a NaN in its last element, a +∞, nothing but −∞, one logit 100 below its maximum (beyond the fast
    /// exponential's reach), or a NaN at the start of the last row.
    /// </summary>
    private static T[] Build<T>(double[][] rows, int classes, int special) where T : IBinaryFloatingPointIeee754<T>
    {
        var logits = new T[rows.Length * classes];
        for (int r = 0; r < rows.Length; r++)
            for (int j = 0; j < classes; j++)
                logits[r * classes + j] = T.CreateTruncating(rows[r][j % rows[r].Length]);
        int at = rows.Length / 2 * classes;
        switch (special)
        {
            case 1: logits[at + classes - 1] = T.NaN; break;
            case 2: logits[at] = T.PositiveInfinity; break;
            case 3: Array.Fill(logits, T.NegativeInfinity, at, classes); break;
            case 4:
                T max = logits.AsSpan(at, classes).ToArray().Where(T.IsFinite).DefaultIfEmpty(T.Zero).Max()!;
                logits[at + 1] = max - T.CreateTruncating(100);
                break;
            case 5: logits[logits.Length - classes] = T.NaN; break;
        }
        return logits;
    }

    [Fact]
    public void Float_rows_give_the_same_bits_in_a_batch_as_alone_and_match_the_reference() =>
        Batches(520).Sample(batch => Check<float>(batch.Rows, batch.Classes, batch.Special, batch.Temperature, batch.Seed, 1e-6), iter: 150);

    [Fact]
    public void Double_rows_give_the_same_bits_in_a_batch_as_alone_and_match_the_reference() =>
        Batches(260).Sample(batch => Check<double>(batch.Rows, batch.Classes, batch.Special, batch.Temperature, batch.Seed, 1e-13), iter: 150);

    private static void Check<T>(double[][] rows, int classes, int special, double temperature, int seed, double tolerance)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var logits = Build<T>(rows, classes, special);
        int count = rows.Length;
        var random = new Random(seed);
        int[] labels = [.. Enumerable.Range(0, count).Select(_ => random.Next(classes))];
        var soft = SoftTargets<T>(count, classes, random);
        foreach (var width in Widths<T>.All())
        {
            var p = new T[logits.Length];
            width.Probabilities(logits, p, classes, temperature, true);
            var inPlace = (T[])logits.Clone();
            width.Probabilities(inPlace, inPlace, classes, temperature, true);
            Assert.True(SameBits<T>(p, inPlace), $"{width}, {classes} classes, T={temperature}: in place differs");
            var logP = new T[logits.Length];
            width.LogProbabilities(logits, logP, classes, temperature, true);
            var logInPlace = (T[])logits.Clone();
            width.LogProbabilities(logInPlace, logInPlace, classes, temperature, true);
            Assert.True(SameBits<T>(logP, logInPlace), $"{width}, {classes} classes, T={temperature}: log-softmax in place differs");
            var normalizers = new T[count];
            width.LogSumExp(logits, normalizers, classes, temperature, false);
            var smooth = new T[count];
            width.SmoothMax(logits, smooth, classes, temperature, true);

            // Cross-entropy against labels and soft targets, plain and evenly smoothed.
            string batch = $"{width}, {classes} classes";
            var (gradient, losses) = CrossEntropyChecked(width, logits, classes, labels, null, 0, batch);
            var (smoothedGradient, smoothedLosses) = CrossEntropyChecked(width, logits, classes, labels, null, Smoothing, $"{batch}, smoothed");
            var (softGradient, softLosses) = CrossEntropyChecked(width, logits, classes, null, soft, 0, $"{batch}, soft targets");
            var (softSmoothedGradient, softSmoothedLosses) = CrossEntropyChecked(width, logits, classes, null, soft, Smoothing, $"{batch}, soft targets smoothed");

            for (int r = 0; r < count; r++)
            {
                var row = logits.AsSpan(r * classes, classes).ToArray();
                string where = $"{width}, {classes} classes, T={temperature}, row {r} of {count}";
                var single = new T[classes];
                width.Probabilities(row, single, classes, temperature, true);
                Assert.True(SameBits<T>(p.AsSpan(r * classes, classes), single), $"{where}: batch and single row differ");
                var singleLog = new T[classes];
                width.LogProbabilities(row, singleLog, classes, temperature, true);
                Assert.True(SameBits<T>(logP.AsSpan(r * classes, classes), singleLog), $"{where}: log-softmax of the batch and of the row alone differ");
                var singleNormalizer = new T[1];
                width.LogSumExp(row, singleNormalizer, classes, temperature, false);
                Assert.True(SameBits<T>(normalizers.AsSpan(r, 1), singleNormalizer), $"{where}: log-sum-exp of the batch {normalizers[r]} and of the row alone {singleNormalizer[0]} differ");
                var singleSmooth = new T[1];
                width.SmoothMax(row, singleSmooth, classes, temperature, true);
                Assert.True(SameBits<T>(smooth.AsSpan(r, 1), singleSmooth), $"{where}: the smooth max of the batch {smooth[r]} and of the row alone {singleSmooth[0]} differ");

                var singleGradient = new T[classes];
                var singleLoss = new double[1];
                width.CrossEntropy(row, classes, [labels[r]], null, null, 0, false, singleGradient, singleLoss);
                Assert.True(SameBits<T>(gradient.AsSpan(r * classes, classes), singleGradient), $"{where}: the gradient in a batch and alone differ");
                Assert.Equal(singleLoss[0], losses[r]);
                var singleLossAlone = new double[1];
                width.CrossEntropy(row, classes, [labels[r]], null, null, 0, false, null, singleLossAlone);
                Assert.Equal(singleLossAlone[0], losses[r]);
                var singleSmoothed = new T[classes];
                var singleSmoothedLoss = new double[1];
                width.CrossEntropy(row, classes, [labels[r]], null, null, Smoothing, false, singleSmoothed, singleSmoothedLoss);
                Assert.True(SameBits<T>(smoothedGradient.AsSpan(r * classes, classes), singleSmoothed), $"{where}: the smoothed gradient in a batch and alone differ");
                Assert.Equal(singleSmoothedLoss[0], smoothedLosses[r]);
                var rowTargets = soft.AsSpan(r * classes, classes).ToArray();
                foreach (var (smoothing, batchGradient, batchLosses) in new[] { (0.0, softGradient, softLosses), (Smoothing, softSmoothedGradient, softSmoothedLosses) })
                {
                    var singleSoft = new T[classes];
                    var singleSoftLoss = new double[1];
                    width.CrossEntropy(row, classes, null, rowTargets, null, smoothing, false, singleSoft, singleSoftLoss);
                    Assert.True(SameBits<T>(batchGradient.AsSpan(r * classes, classes), singleSoft), $"{where}, ε = {smoothing}: the soft targets' gradient in a batch and alone differ");
                    Assert.Equal(singleSoftLoss[0], batchLosses[r]);
                }

                if (!row.All(T.IsFinite)) continue;
                // The gaps divided by T, as the kernels take them: dividing the logits themselves would round at
                // their magnitude (1e-16 of 1e6 is 1e-10) before the maximum is subtracted.
                double rowMax = row.Max(v => double.CreateTruncating(v));
                var reference = Reference.Softmax([.. row.Select(v => (double.CreateTruncating(v) - rowMax) / temperature)]);
                for (int j = 0; j < classes; j++)
                {
                    double expected = reference.P[j], actual = double.CreateTruncating(p[r * classes + j]);
                    if (expected >= 1e-30)
                        Assert.True(Math.Abs(actual - expected) <= tolerance * expected, $"{where}, class {j}: p {actual:R} vs {expected:R}");
                    double expectedLog = reference.Log[j], actualLog = double.CreateTruncating(logP[r * classes + j]);
                    // A log-probability beyond T's range (−4e38 in float, of −3e38 at T = 0.5) is −∞.
                    Assert.True(AccuracyTests.Within(actualLog, expectedLog, tolerance, typeof(T) == typeof(float) ? float.MaxValue : double.MaxValue),
                        $"{where}, class {j}: log p {actualLog:R} vs {expectedLog:R}");
                }
                double expectedNormalizer = rowMax / temperature + reference.Lse, actualNormalizer = double.CreateTruncating(normalizers[r]);
                // Likewise log-sum-exp: 3e38 at T = 0.5 is 6e38, +∞ in float.
                Assert.True(AccuracyTests.Within(actualNormalizer, expectedNormalizer, tolerance, typeof(T) == typeof(float) ? float.MaxValue : double.MaxValue),
                    $"{where}: log-sum-exp {actualNormalizer:R} vs {expectedNormalizer:R}");
                // The smooth max Σ pᵢzᵢ = max + Σ pᵢ(zᵢ − max), never above the maximum.
                double expectedSmooth = rowMax + row.Select((v, j) => reference.P[j] * (double.CreateTruncating(v) - rowMax)).Sum();
                double actualSmooth = double.CreateTruncating(smooth[r]);
                Assert.True(AccuracyTests.Within(actualSmooth, expectedSmooth, tolerance) && actualSmooth <= rowMax,
                    $"{where}: smooth max {actualSmooth:R} vs {expectedSmooth:R}, max {rowMax:R}");
                if (temperature == 1)
                {
                    double expectedLoss = -reference.Log[labels[r]];
                    Assert.True(AccuracyTests.Within(losses[r], expectedLoss, tolerance), $"{where}: loss {losses[r]:R} vs {expectedLoss:R}");
                    // Smoothed: t′ = (1 − ε)·onehot + ε/n, the loss −Σ t′ log p and the gradient p − t′.
                    double expectedSmoothed = (1 - Smoothing) * expectedLoss - Smoothing / classes * reference.Log.Sum();
                    Assert.True(AccuracyTests.Within(smoothedLosses[r], expectedSmoothed, tolerance),
                        $"{where}: smoothed loss {smoothedLosses[r]:R} vs {expectedSmoothed:R}");
                    CheckSoft(reference, rowTargets, 0, softLosses[r], softGradient.AsSpan(r * classes, classes), tolerance, where);
                    CheckSoft(reference, rowTargets, Smoothing, softSmoothedLosses[r], softSmoothedGradient.AsSpan(r * classes, classes), tolerance, where);
                    for (int j = 0; j < classes; j++)
                    {
                        double target = (j == labels[r] ? 1 - Smoothing : 0) + Smoothing / classes;
                        double expected = reference.P[j] - target, actual = double.CreateTruncating(smoothedGradient[r * classes + j]);
                        // Both terms are within the tolerance of their own size; their difference may cancel.
                        Assert.True(Math.Abs(actual - expected) <= tolerance * (reference.P[j] + target) + 1e-30,
                            $"{where}, class {j}: smoothed gradient {actual:R} vs {expected:R}");
                    }
                }
            }
        }
    }

    /// <summary>
    /// Cross-entropy of a batch with its gradient, which must give the same losses as the loss alone, and the same
    /// bits and losses when the gradient overwrites the logits (each row's target sums and label logit are read
    /// before its gradient is written). Returns the gradient and the losses.
    /// </summary>
    private static (T[] Gradient, double[] Losses) CrossEntropyChecked<T>(Widths<T>.Width width, T[] logits, int classes, int[]? labels, T[]? soft,
        double smoothing, string where) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int count = logits.Length / classes;
        var gradient = new T[logits.Length];
        var losses = new double[count];
        width.CrossEntropy(logits, classes, labels, soft, null, smoothing, false, gradient, losses);
        var alone = new double[count];
        width.CrossEntropy(logits, classes, labels, soft, null, smoothing, false, null, alone);
        Assert.Equal(losses, alone);
        var inPlace = (T[])logits.Clone();
        var inPlaceLosses = new double[count];
        width.CrossEntropy(inPlace, classes, labels, soft, null, smoothing, false, inPlace, inPlaceLosses);
        Assert.True(SameBits<T>(gradient, inPlace), $"{where}: the gradient in place differs");
        Assert.Equal(losses, inPlaceLosses);
        return (gradient, losses);
    }

    /// <summary>
    /// Soft targets for the rows: a random distribution over a random subset of the classes (the rest exactly 0),
    /// now and then scaled so that it sums to 3 rather than 1, which the kernels must take as it is.
    /// </summary>
    private static T[] SoftTargets<T>(int rows, int classes, Random random) where T : IBinaryFloatingPointIeee754<T>
    {
        var targets = new T[rows * classes];
        for (int r = 0; r < rows; r++)
        {
            double density = random.NextDouble();
            var values = new double[classes];
            for (int j = 0; j < classes; j++) values[j] = random.NextDouble() < density ? random.NextDouble() : 0;
            double total = values.Sum(), mass = random.Next(4) == 0 ? 3 : 1;
            for (int j = 0; j < classes; j++) targets[r * classes + j] = T.CreateTruncating(total > 0 ? values[j] * mass / total : 0);
        }
        return targets;
    }

    /// <summary>
    /// A soft-target row's loss and gradient against the reference: with t′ = (1 − ε)·t + ε/n, the loss −Σ t′ log p
    /// and the gradient p·Σ t′ − t′.
    /// </summary>
    private static void CheckSoft<T>((double[] Log, double[] P, double Lse) reference, T[] targets, double smoothing, double loss, ReadOnlySpan<T> gradient, double tolerance, string where)
        where T : IBinaryFloatingPointIeee754<T>
    {
        int classes = targets.Length;
        var smoothed = targets.Select(t => (1 - smoothing) * double.CreateTruncating(t) + smoothing / classes).ToArray();
        double weight = smoothed.Sum();
        double expectedLoss = -smoothed.Select((t, j) => t > 0 ? t * reference.Log[j] : 0).Sum();
        Assert.True(AccuracyTests.Within(loss, expectedLoss, tolerance), $"{where}, ε = {smoothing}: soft loss {loss:R} vs {expectedLoss:R}");
        for (int j = 0; j < classes; j++)
        {
            double expected = reference.P[j] * weight - smoothed[j], actual = double.CreateTruncating(gradient[j]);
            Assert.True(Math.Abs(actual - expected) <= tolerance * (reference.P[j] * weight + smoothed[j]) + 1e-30,
                $"{where}, ε = {smoothing}, class {j}: soft gradient {actual:R} vs {expected:R}");
        }
    }

    private static bool SameBits<T>(ReadOnlySpan<T> left, ReadOnlySpan<T> right) where T : unmanaged =>
        MemoryMarshal.AsBytes(left).SequenceEqual(MemoryMarshal.AsBytes(right));
}
