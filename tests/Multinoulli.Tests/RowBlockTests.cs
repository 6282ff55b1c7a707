using System.Runtime.Intrinsics;
using CsCheck;
using Multinoulli.Kernels;

namespace Multinoulli.Tests;

/// <summary>
/// The 16-rows-at-a-time softmax for rows of 2 to 16 classes (<see cref="RowBlocks"/>): it must take every block
/// of ordinary rows, match the float64 reference there, give exactly 0 for −∞, and refuse (writing nothing) any
/// block with a row it cannot do exactly, which the batch then does row by row.
/// </summary>
public unsafe class RowBlockTests
{
    // Rows whose Σ exp(z) lies well inside the fast path's [2⁻²⁰, 2⁸¹] (log Σ in [−13.9, 56.1]): the largest logit from −12 to 52.
    private static readonly Gen<(float[] Logits, int Classes)> OrdinaryBlocks =
        from classes in Gen.Int[RowBlocks.MinimumClasses, RowBlocks.MaximumClasses]
        from blocks in Gen.Int[1, 5]
        from maxima in Gen.Double[-12, 52].Array[blocks * RowBlocks.Rows]
        from spreads in Gen.OneOf(0.0, 0.5, 5.0, 30.0, 200.0).Array[blocks * RowBlocks.Rows]
        from unit in Gen.Double[0, 1].Array[blocks * RowBlocks.Rows * classes]
        from masks in Gen.Int[0, 7].Array[blocks * RowBlocks.Rows * classes]
        select (Build(maxima, spreads, unit, masks, classes), classes);

    private static float[] Build(double[] maxima, double[] spreads, double[] unit, int[] masks, int classes)
    {
        var logits = new float[unit.Length];
        for (int r = 0; r < maxima.Length; r++)
            for (int j = 0; j < classes; j++)
            {
                int i = r * classes + j;
                // Class 0 holds the row's maximum; the others lie below it, some far enough below to underflow,
                // and now and then a masked class (−∞).
                logits[i] = j == 0 ? (float)maxima[r] : masks[i] == 0 ? float.NegativeInfinity : (float)(maxima[r] - spreads[r] * unit[i]);
            }
        return logits;
    }

    [Fact]
    public void Every_ordinary_block_takes_the_fast_path_and_matches_the_reference()
    {
        if (!RowBlocks.Apply(10)) return; // no AVX-512 here: the path does not exist
        OrdinaryBlocks.Sample(batch =>
        {
            var (logits, classes) = batch;
            var p = new float[logits.Length];
            int done = Blocks(logits, p, classes);
            Assert.Equal(logits.Length / classes, done);
            for (int r = 0; r < done; r++)
            {
                var row = logits.AsSpan(r * classes, classes);
                var reference = Reference.Softmax(Reference.Widen(row));
                double sum = 0;
                for (int j = 0; j < classes; j++)
                {
                    float pj = p[r * classes + j];
                    string where = $"{classes} classes, row {r} [{string.Join(", ", row.ToArray())}], class {j}";
                    if (float.IsNegativeInfinity(row[j])) Assert.True(pj == 0, $"{where}: p {pj} for −∞");
                    else if (reference.P[j] >= 1e-30) Assert.True(Math.Abs(pj - reference.P[j]) <= 1e-6 * reference.P[j], $"{where}: p {pj} vs {reference.P[j]}");
                    else Assert.True(pj <= 2e-30, $"{where}: p {pj} vs {reference.P[j]}");
                    sum += pj;
                }
                Assert.True(Math.Abs(sum - 1) <= 1e-6, $"row {r}: Σ p = {sum}");
            }
        }, iter: 200);
    }

    /// <summary>One row the fast path must refuse, each for its own reason.</summary>
    public static TheoryData<string, float[]> RefusedRows() => new()
    {
        { "a NaN", [1, float.NaN, 2, 3, 4, 5, 6, 7, 8, 9] },
        { "a +∞", [1, float.PositiveInfinity, 2, 3, 4, 5, 6, 7, 8, 9] },
        { "only −∞", [.. Enumerable.Repeat(float.NegativeInfinity, 10)] },
        { "a logit beyond 56.1", [56.5f, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "a huge logit", [1000, 996.6667f, 1000, -1, -1, -1, -1, -1, -1, -1] },
        { "the largest float", [float.MaxValue, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "every logit far below 0", [.. Enumerable.Repeat(-30f, 10)] },
        { "the lowest float", [-float.MaxValue, -float.MaxValue, -3e38f, -1e38f, -1e30f, -1e20f, -1e10f, -1e5f, -1e3f, -200f] },
    };

    [Theory]
    [MemberData(nameof(RefusedRows))]
    public void A_block_with_a_row_it_cannot_do_is_left_untouched_and_the_batch_does_it_row_by_row(string reason, float[] special)
    {
        if (!RowBlocks.Apply(10)) return;
        const int classes = 10;
        var logits = BatchAround(special, reason);
        var p = Enumerable.Repeat(-1f, logits.Length).ToArray();
        Assert.Equal(RowBlocks.Rows, Blocks(logits, p, classes));
        Assert.All(p.Skip(RowBlocks.Rows * classes), value => Assert.Equal(-1f, value));

        // Through the public API every row, in or out of a block, equals the single-row result.
        var batch = new float[logits.Length];
        Softmax.Probabilities(logits, classes, batch);
        var inPlace = (float[])logits.Clone();
        Softmax.Probabilities(inPlace, classes, inPlace);
        Assert.Equal(batch, inPlace);
        var single = new float[classes];
        for (int r = 0; r < logits.Length / classes; r++)
        {
            var row = logits.AsSpan(r * classes, classes);
            Softmax.Probabilities(row, single);
            for (int j = 0; j < classes; j++)
            {
                float a = batch[r * classes + j], b = single[j];
                Assert.True(a.Equals(b) || Math.Abs(a - b) <= 1e-6 * Math.Max(Math.Abs(a), Math.Abs(b)) || Math.Max(Math.Abs(a), Math.Abs(b)) < 1e-30,
                    $"{reason}: row {r} class {j}: batch {a} vs single row {b}");
            }
        }
    }

    /// <summary>Block 0 ordinary, block 1 with the special row in the middle, block 2 ordinary, and 5 rows left over.</summary>
    private static float[] BatchAround(float[] special, string reason)
    {
        var random = new Random(reason.Length);
        var logits = new float[(3 * RowBlocks.Rows + 5) * special.Length];
        for (int i = 0; i < logits.Length; i++) logits[i] = (float)(random.NextDouble() * 16 - 8);
        special.CopyTo(logits.AsSpan((RowBlocks.Rows + 7) * special.Length));
        return logits;
    }

    /// <summary>
    /// The blocks start where the output is on a 64-byte boundary, the rows before them going row by row: at
    /// every start of the output within a cache line, softmax and log-softmax of a batch match the reference
    /// and write nothing outside the destination.
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(16)]
    public void Short_rows_match_the_reference_whatever_the_alignment_of_the_output(int classes)
    {
        const int rows = 53;
        var random = new Random(classes);
        var logits = new float[rows * classes];
        for (int i = 0; i < logits.Length; i++) logits[i] = (float)(random.NextDouble() * 16 - 4);
        var references = Enumerable.Range(0, rows).Select(r => Reference.Softmax(Reference.Widen(logits.AsSpan(r * classes, classes)))).ToArray();
        var one = new SoftmaxOptions { MaxDegreeOfParallelism = 1 };
        var buffer = new float[logits.Length + 32];
        for (int offset = 0; offset < 16; offset++)
            foreach (bool logarithm in new[] { false, true })
            {
                Array.Fill(buffer, 7f);
                var destination = buffer.AsSpan(offset, logits.Length);
                if (logarithm) Softmax.LogProbabilities(logits, classes, destination, one);
                else Softmax.Probabilities(logits, classes, destination, one);
                for (int i = 0; i < logits.Length; i++)
                {
                    var reference = references[i / classes];
                    double expected = logarithm ? reference.Log[i % classes] : reference.P[i % classes];
                    Assert.True(Math.Abs(destination[i] - expected) <= 1e-6 * Math.Max(logarithm ? 1 : 0, Math.Abs(expected)),
                        $"offset {offset}, log {logarithm}, element {i}: {destination[i]} vs {expected}");
                }
                Assert.All(buffer.AsSpan(0, offset).ToArray(), v => Assert.Equal(7f, v));
                Assert.All(buffer.AsSpan(offset + logits.Length).ToArray(), v => Assert.Equal(7f, v));
            }
    }

    /// <summary>
    /// In a batch of 16 rows or more, a short row's outputs depend on that row alone: the same bits whatever rows
    /// come before it, however many threads share the batch and wherever the output starts, special rows among
    /// its neighbours included (softmax, log-softmax, log-sum-exp, cross-entropy's losses and gradient).
    /// </summary>
    [Theory]
    [InlineData(10)]
    [InlineData(7)]
    public void A_short_row_gives_the_same_bits_wherever_it_sits(int classes)
    {
        const int rows = 20_000;
        var random = new Random(classes);
        var logits = new float[(rows + 40) * classes];
        for (int i = 0; i < logits.Length; i++) logits[i] = (float)(random.NextDouble() * 24 - 8);
        foreach (int row in new[] { 3, 17, 18, 5000, 19_990 })
            logits[row * classes + 1] = row % 2 == 0 ? float.NaN : 80f; // refused blocks
        // Rows far from 0, which softmax does with their maxima subtracted, some in runs and some alone, and rows
        // near the edges of the unshifted range.
        for (int row = 0; row < rows; row++)
        {
            float shift = row % 97 == 5 ? 70f : row % 89 == 1 ? -40f : row / 100 == 30 ? 65f : row % 83 == 2 ? 55.5f : row % 79 == 3 ? -15f : 0f;
            for (int j = 0; j < classes; j++) logits[row * classes + j] += shift;
        }
        var labels = Enumerable.Range(0, rows + 40).Select(_ => random.Next(classes)).ToArray();

        float[] Run(int shift, int threads, int offset, int kernel)
        {
            var z = logits.AsSpan(shift * classes, rows * classes);
            var softmax = new SoftmaxOptions { MaxDegreeOfParallelism = threads };
            var buffer = new float[rows * classes + 16];
            var output = buffer.AsSpan(offset, rows * classes);
            switch (kernel)
            {
                case 0: Softmax.Probabilities(z, classes, output, softmax); return output.ToArray();
                case 1: Softmax.LogProbabilities(z, classes, output, softmax); return output.ToArray();
                case 2:
                    var lse = new float[rows];
                    Softmax.LogSumExp(z, classes, lse, softmax);
                    return lse;
                default:
                    var losses = new float[rows];
                    CrossEntropy.RowLossesAndGradient(z, classes, labels.AsSpan(shift, rows), losses, output,
                        new CrossEntropyOptions { MaxDegreeOfParallelism = threads });
                    return [.. losses, .. output.ToArray()];
            }
        }

        for (int kernel = 0; kernel < 4; kernel++)
        {
            int width = kernel >= 2 ? 1 : classes; // log-sum-exp and the losses: one value a row
            var baseline = Run(0, 1, 0, kernel);
            foreach (var (shift, threads, offset) in new[] { (0, 4, 5), (0, 1, 3), (11, 1, 0), (11, 3, 14), (40, 2, 1) })
            {
                var other = Run(shift, threads, offset, kernel);
                // Row r of this batch is row r + shift of the baseline's: compare the rows both hold.
                for (int r = 0; r + shift < rows; r += 7)
                    for (int j = 0; j < width; j++)
                    {
                        float expected = baseline[(r + shift) * width + j], actual = other[r * width + j];
                        Assert.True(expected.Equals(actual), $"kernel {kernel}, shift {shift}, {threads} threads, offset {offset}, row {r}, element {j}: {actual} vs {expected}");
                    }
                if (kernel == 3)
                    for (int r = 0; r + shift < rows; r += 7)
                        for (int j = 0; j < classes; j++)
                            Assert.Equal(baseline[rows + (r + shift) * classes + j], other[rows + r * classes + j]);
            }
        }
    }

    /// <summary>
    /// One block judged row by row: the unshifted softmax takes the rows whose Σ is in range and leaves a row with a
    /// logit far above 0, far below it, a NaN or only −∞; the shifted softmax takes every row with a finite maximum
    /// and no NaN. Every row either takes matches the reference.
    /// </summary>
    [Theory]
    [InlineData(10)]
    [InlineData(5)]
    [InlineData(16)]
    public void A_block_judged_row_by_row_takes_exactly_the_rows_it_can_do(int classes)
    {
        if (!RowBlocks.Apply(classes)) return;
        var random = new Random(classes);
        var logits = new float[RowBlocks.Rows * classes];
        for (int i = 0; i < logits.Length; i++) logits[i] = (float)(random.NextDouble() * 12 - 4);
        void Shift(int row, float by) { for (int j = 0; j < classes; j++) logits[row * classes + j] += by; }
        Shift(3, 80f);     // Σ above range
        Shift(5, -60f);    // Σ below range
        Shift(6, 45f);     // a maximum near the top of the range (at most 53: still in it)
        logits[7 * classes + 2] = float.NaN;
        for (int j = 0; j < classes; j++) logits[9 * classes + j] = float.NegativeInfinity;
        logits[11 * classes] = float.PositiveInfinity;
        logits[12 * classes + 1] = 3e38f;
        var plain = new float[logits.Length];
        var shifted = new float[logits.Length];
        byte* scratch = stackalloc byte[RowBlocks.ScratchBytes];
        int plainRows, shiftedRows;
        fixed (float* z = logits)
        fixed (float* p = plain)
        fixed (float* q = shifted)
        {
            plainRows = RowBlocks.ProbabilitiesRows(z, p, classes, scratch);
            shiftedRows = RowBlocks.ShiftedProbabilitiesRows(z, q, classes, scratch);
        }
        int all = (1 << RowBlocks.Rows) - 1;
        Assert.Equal(all & ~(1 << 3 | 1 << 5 | 1 << 7 | 1 << 9 | 1 << 11 | 1 << 12), plainRows);
        Assert.Equal(all & ~(1 << 7 | 1 << 9 | 1 << 11), shiftedRows);
        for (int row = 0; row < RowBlocks.Rows; row++)
        {
            var reference = Reference.Softmax(Reference.Widen(logits.AsSpan(row * classes, classes)));
            foreach (var (rows, output, name) in new[] { (plainRows, plain, "unshifted"), (shiftedRows, shifted, "shifted") })
            {
                if ((rows >> row & 1) == 0) continue;
                for (int j = 0; j < classes; j++)
                {
                    double expected = reference.P[j];
                    float actual = output[row * classes + j];
                    if (expected >= 1e-30) Assert.True(Math.Abs(actual - expected) <= 1e-6 * expected, $"{name}, row {row}, class {j}: {actual} vs {expected}");
                    else Assert.True(actual <= 2e-30, $"{name}, row {row}, class {j}: {actual} vs {expected}");
                }
            }
        }
    }

    /// <summary>
    /// A batch of short rows far from 0 (every block refused by the unshifted path) goes through the shifted
    /// blocks and matches the reference, in place and not.
    /// </summary>
    [Theory]
    [InlineData(10, 70f)]
    [InlineData(10, -45f)]
    [InlineData(3, 200f)]
    [InlineData(16, -1000f)]
    public void Short_rows_far_from_zero_match_the_reference(int classes, float shift)
    {
        var random = new Random(classes);
        const int rows = 333;
        var logits = new float[rows * classes];
        for (int i = 0; i < logits.Length; i++) logits[i] = shift + (float)(random.NextDouble() * 30 - 15);
        foreach (bool inPlace in new[] { false, true })
        {
            var output = inPlace ? (float[])logits.Clone() : new float[logits.Length];
            Softmax.Probabilities(inPlace ? output : logits, classes, output);
            for (int r = 0; r < rows; r++)
            {
                var reference = Reference.Softmax(Reference.Widen(logits.AsSpan(r * classes, classes)));
                for (int j = 0; j < classes; j++)
                {
                    double expected = reference.P[j];
                    float actual = output[r * classes + j];
                    if (expected >= 1e-30) Assert.True(Math.Abs(actual - expected) <= 1e-6 * expected, $"in place {inPlace}, row {r}, class {j}: {actual} vs {expected}");
                }
            }
        }
    }

    /// <summary>
    /// 2⁴⁶·e^(z·(1 + τ)) over the blocks' whole range, on a grid finer than the table's steps (measured worst:
    /// 2.2e-7), with τ = 0 for the exact reduction and <see cref="VectorMath.Tilt"/> for the one-step one. Averaged
    /// over many logits near −100, where the tilt is 2.75e-7, the ratio to eᶻ shows it (or its absence) beside the
    /// quadratic's and the table's own error, which averages out.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_block_exponential_is_within_3e_7_of_exp_of_its_tilted_logit_and_takes_anything_below_its_clamp_to_zero(bool tilted)
    {
        if (!RowBlocks.Apply(10)) return;
        Func<Vector512<float>, Vector512<float>> exponential = tilted ? RowBlocks.LogitExp : RowBlocks.ScaledExp;
        double tilt = tilted ? VectorMath.Tilt : 0;
        Assert.InRange(VectorMath.Tilt, -2.76e-9, -2.74e-9);
        const int count = 2_000_000;
        var lanes = new float[RowBlocks.Rows];
        for (int i = 0; i < count; i += RowBlocks.Rows)
        {
            for (int l = 0; l < lanes.Length; l++) lanes[l] = (float)(-118.5 + 174.5 * (i + l) / count);
            var e = exponential(Vector512.Create(lanes));
            for (int l = 0; l < lanes.Length; l++)
            {
                double exact = Math.Exp(lanes[l] * (1 + tilt)) * Math.Pow(2, 46);
                Assert.True(Math.Abs(e[l] / exact - 1) <= 3e-7, $"z {lanes[l]}: {e[l]} vs {exact}");
            }
        }
        double sum = 0;
        const int samples = 1 << 16;
        for (int i = 0; i < samples; i += RowBlocks.Rows)
        {
            for (int l = 0; l < lanes.Length; l++) lanes[l] = (float)(-101 + 2.0 * (i + l) / samples);
            var e = exponential(Vector512.Create(lanes));
            for (int l = 0; l < lanes.Length; l++) sum += e[l] / (Math.Exp(lanes[l]) * Math.Pow(2, 46)) - 1;
        }
        Assert.InRange(sum / samples, -100 * tilt - 5e-8, -100 * tilt + 5e-8);
        // At and below the clamp the value is normal, and divided by the smallest Σ a block accepts (2²⁶) it is 0.
        foreach (float z in new[] { -118.5f, -119f, -150f, -1e30f, float.NegativeInfinity })
        {
            float e = exponential(Vector512.Create(z))[0];
            Assert.True(float.IsNormal(e) && e * (1f / (1 << 26)) == 0, $"z {z}: {e}");
        }
        Assert.True(float.IsNaN(exponential(Vector512.Create(float.NaN))[0]));
    }

    [Fact]
    public void The_block_exponential_tables_are_the_computed_ones()
    {
        var (low, high) = VectorMath.ThirtySecondsTable(1.0);
        Assert.Equal(low.AsInt32(), RowBlocks.PowersLow.AsInt32());
        Assert.Equal(high.AsInt32(), RowBlocks.PowersHigh.AsInt32());
    }

    [Fact]
    public void A_logit_above_57_is_refused_at_every_row_length()
    {
        if (!RowBlocks.Apply(10)) return;
        // Its exponential would wrap around the exponent field into a tiny negative number, and the row's other
        // logits (2⁴⁶·e⁵⁰ each) would keep Σ in range: only the explicit check stands between it and a wrong p.
        for (int classes = RowBlocks.MinimumClasses; classes <= RowBlocks.MaximumClasses; classes++)
            foreach (float high in new[] { 57.01f, 57.5f, 88f, 1e6f, float.PositiveInfinity })
            {
                var logits = Enumerable.Repeat(50f, RowBlocks.Rows * classes).ToArray();
                logits[5 * classes] = high;
                Assert.True(Blocks(logits, new float[logits.Length], classes) == 0, $"{classes} classes, a logit of {high}: block taken");
            }
    }

    [Fact]
    public void Logits_at_the_edges_of_the_range_are_exact_or_refused()
    {
        if (!RowBlocks.Apply(10)) return;
        // The largest logit from −25 to 60 in steps that cross both limits: wherever the block is taken, each
        // probability must match the reference; a refused block is fine (the row-by-row path takes it).
        for (float top = -25; top <= 60; top += 0.37f)
        {
            var logits = new float[RowBlocks.Rows * 4];
            for (int r = 0; r < RowBlocks.Rows; r++)
            {
                logits[4 * r] = top;
                logits[4 * r + 1] = top - 0.5f * r;
                logits[4 * r + 2] = top - 80 - r;   // far below: a probability near or under 1e-30
                logits[4 * r + 3] = r % 3 == 0 ? float.NegativeInfinity : top - 118 - r;
            }
            var p = new float[logits.Length];
            if (Blocks(logits, p, 4) == 0) continue;
            for (int r = 0; r < RowBlocks.Rows; r++)
            {
                var reference = Reference.Softmax(Reference.Widen(logits.AsSpan(4 * r, 4)));
                for (int j = 0; j < 4; j++)
                {
                    double expected = reference.P[j];
                    float actual = p[4 * r + j];
                    string where = $"top {top}, row {r}, class {j}";
                    if (expected >= 1e-30) Assert.True(Math.Abs(actual - expected) <= 1e-6 * expected, $"{where}: {actual} vs {expected}");
                    else Assert.True(actual <= 2e-30 && actual >= 0, $"{where}: {actual} vs {expected}");
                }
                Assert.True(p[4 * r + 3] == 0 || r % 3 != 0, $"top {top}, row {r}: −∞ gave {p[4 * r + 3]}");
            }
        }
        // Ordinary logits must not be refused: otherwise the test above would pass with the path switched off.
        var ordinary = Enumerable.Range(0, RowBlocks.Rows * 4).Select(i => (float)(i % 7) - 3).ToArray();
        Assert.Equal(RowBlocks.Rows, Blocks(ordinary, new float[ordinary.Length], 4));
    }

    // Log-softmax shifts by the maximum, so any finite maximum will do; some rows tie their maximum (class 1 too),
    // some have a confident class whose log-probability must keep its relative accuracy.
    private static readonly Gen<(float[] Logits, int Classes)> OrdinaryLogBlocks =
        from classes in Gen.Int[RowBlocks.MinimumClasses, RowBlocks.MaximumClasses]
        from blocks in Gen.Int[1, 4]
        from maxima in Gen.OneOf(Gen.Double[-60, 60], Gen.Double[-3e38, 3e38]).Array[blocks * RowBlocks.Rows]
        from spreads in Gen.OneOf(0.0, 0.5, 5.0, 30.0, 200.0, 1e38).Array[blocks * RowBlocks.Rows]
        from unit in Gen.Double[0, 1].Array[blocks * RowBlocks.Rows * classes]
        from masks in Gen.Int[0, 7].Array[blocks * RowBlocks.Rows * classes]
        from ties in Gen.Int[0, 3].Array[blocks * RowBlocks.Rows]
        select (Tie(Build(maxima, spreads, unit, masks, classes), ties, classes), classes);

    private static float[] Tie(float[] logits, int[] ties, int classes)
    {
        for (int r = 0; r < ties.Length; r++)
            if (ties[r] == 0) logits[r * classes + 1] = logits[r * classes];
        return logits;
    }

    [Fact]
    public void Every_block_of_finite_maxima_takes_the_log_paths_and_matches_the_reference()
    {
        if (!RowBlocks.Apply(10)) return;
        OrdinaryLogBlocks.Sample(batch =>
        {
            var (logits, classes) = batch;
            var y = new float[logits.Length];
            Assert.Equal(logits.Length / classes, LogBlocks(logits, y, classes));
            var lse = new float[logits.Length / classes];
            Assert.Equal(lse.Length, LogSumExpBlocks(logits, lse, classes));
            for (int r = 0; r < logits.Length / classes; r++)
            {
                var row = logits.AsSpan(r * classes, classes);
                var reference = Reference.Softmax(Reference.Widen(row));
                Assert.True(AccuracyTests.Within(lse[r], reference.Lse, 1e-6, float.MaxValue), $"{classes} classes, row {r}: log-sum-exp {lse[r]} vs {reference.Lse}");
                for (int j = 0; j < classes; j++)
                {
                    double expected = reference.Log[j];
                    float actual = y[r * classes + j];
                    string where = $"{classes} classes, row {r} [{string.Join(", ", row.ToArray())}], class {j}";
                    Assert.True(AccuracyTests.Within(actual, expected, 1e-6, float.MaxValue), $"{where}: log p {actual} vs {expected}");
                    // The maximum's log-probability, −log(1 + ρ), in relative terms (down to float's normal range).
                    if (row[j] == row[0]) Assert.True(Math.Abs(actual - expected) <= 1e-6 * Math.Abs(expected) + 2e-38, $"{where}: log p {actual:R} vs {expected:R}");
                }
            }
        }, iter: 200);
    }

    /// <summary>Rows log-softmax blocks must refuse: those whose maximum is not finite, or that hold a NaN.</summary>
    public static TheoryData<string, float[]> RefusedLogRows() => new()
    {
        { "a NaN", [1, float.NaN, 2, 3, 4, 5, 6, 7, 8, 9] },
        { "a NaN first", [float.NaN, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
        { "a NaN last", [1, 2, 3, 4, 5, 6, 7, 8, 9, float.NaN] },
        { "a +∞", [1, float.PositiveInfinity, 2, 3, 4, 5, 6, 7, 8, 9] },
        { "only −∞", [.. Enumerable.Repeat(float.NegativeInfinity, 10)] },
    };

    [Theory]
    [MemberData(nameof(RefusedLogRows))]
    public void A_block_with_a_row_log_softmax_cannot_do_is_left_untouched_and_the_batch_does_it_row_by_row(string reason, float[] special)
    {
        if (!RowBlocks.Apply(10)) return;
        const int classes = 10;
        var logits = BatchAround(special, reason);
        var y = Enumerable.Repeat(1f, logits.Length).ToArray();
        Assert.Equal(RowBlocks.Rows, LogBlocks(logits, y, classes));
        Assert.All(y.Skip(RowBlocks.Rows * classes), value => Assert.Equal(1f, value));

        var options = new SoftmaxOptions { Masked = reason == "only −∞" };
        var batch = new float[logits.Length];
        Softmax.LogProbabilities(logits, classes, batch, options);
        var inPlace = (float[])logits.Clone();
        Softmax.LogProbabilities(inPlace, classes, inPlace, options);
        Assert.Equal(batch, inPlace);
        var lse = new float[logits.Length / classes];
        Softmax.LogSumExp(logits, classes, lse);
        var single = new float[classes];
        for (int r = 0; r < logits.Length / classes; r++)
        {
            float rowLse = Softmax.LogSumExp(logits.AsSpan(r * classes, classes));
            Assert.True(lse[r].Equals(rowLse) || Math.Abs(lse[r] - rowLse) <= 1e-6 * Math.Max(1, Math.Abs(rowLse)), $"{reason}: row {r}: log-sum-exp {lse[r]} vs single row {rowLse}");
            Softmax.LogProbabilities(logits.AsSpan(r * classes, classes), single, options);
            for (int j = 0; j < classes; j++)
            {
                float a = batch[r * classes + j], b = single[j];
                Assert.True(a.Equals(b) || Math.Abs(a - b) <= 1e-6 * Math.Max(1, Math.Abs(b)), $"{reason}: row {r} class {j}: batch {a} vs single row {b}");
            }
        }
    }

    [Fact]
    public void Rows_of_equal_logits_share_the_log_probability_exactly_enough()
    {
        if (!RowBlocks.Apply(10)) return;
        // A freshly initialised model's logits: every row ties every class, which the block counts per row.
        foreach (int classes in new[] { 2, 3, 10, 16 })
        {
            var logits = new float[2 * RowBlocks.Rows * classes];
            for (int r = 0; r < 2 * RowBlocks.Rows; r++) logits.AsSpan(r * classes, classes).Fill(r % 2 == 0 ? 0 : r - 7.25f);
            var y = new float[logits.Length];
            Assert.Equal(2 * RowBlocks.Rows, LogBlocks(logits, y, classes));
            double expected = -Math.Log(classes);
            Assert.All(y, value => Assert.True(Math.Abs(value - expected) <= 1e-6 * Math.Abs(expected), $"{classes} classes: {value} vs {expected}"));
        }
    }

    /// <summary>
    /// Cross-entropy of short rows against labels, with class weights, an ignore label, labels on −∞ logits, ties, a
    /// confident row, and rows the blocks refuse: the batch (separate and in place, with and without a gradient)
    /// must equal the row-by-row path and the float64 reference, and the ordinary blocks must take the fast path.
    /// </summary>
    [Theory]
    [InlineData(10)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    public void Cross_entropy_of_short_rows_in_blocks_matches_the_row_by_row_path_and_the_reference(int classes)
    {
        if (!RowBlocks.Apply(classes)) return;
        var random = new Random(classes);
        int rows = 5 * RowBlocks.Rows + 7;
        int ignored = classes + 1; // out of range, so that a write at an ignored row's label would land in the next row
        var logits = new float[rows * classes];
        var labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            var row = logits.AsSpan(r * classes, classes);
            for (int j = 0; j < classes; j++) row[j] = random.Next(9) == 0 ? float.NegativeInfinity : (float)(random.NextDouble() * 30 - 15);
            row[0] = (float)(random.NextDouble() * 8 - 4);
            labels[r] = random.Next(classes);
            switch (r % 13)
            {
                case 1: labels[r] = ignored; break;
                case 2: row[1] = row[0] = 40; labels[r] = 1; break;                 // a tie at the top
                case 3: row[labels[r]] = 60; break;                                 // confident and right: loss ≈ 1e-20
                case 4: row[labels[r]] = float.NegativeInfinity; row[0] = 1; break; // the label masked: loss +∞
                case 5: labels[r] = ignored; row[0] = float.NegativeInfinity; row[1] = 2; break;
                case 6: labels[r] = classes - 1; row[classes - 1] = float.NegativeInfinity; row[0] = 3; break; // weight 0 on a −∞ logit: loss 0
            }
        }
        // Block 3 holds a row the blocks refuse (a NaN), which must go row by row.
        logits[(3 * RowBlocks.Rows + 5) * classes + 1] = float.NaN;
        var weights = Enumerable.Range(0, classes).Select(j => j == classes - 1 ? 0 : 0.5 + j % 4).ToArray();
        var options = new CrossEntropyOptions { ClassWeights = weights, IgnoreLabel = ignored };

        var (losses, gradient) = LossesAndGradientInPlaceOrNot(logits, classes, labels, options);
        var lossesOnly = new float[rows];
        CrossEntropy.RowLosses(logits, classes, labels, lossesOnly, options);
        Assert.Equal(losses, lossesOnly);

        var singleLoss = new float[1];
        var singleGradient = new float[classes];
        for (int r = 0; r < rows; r++)
        {
            var row = logits.AsSpan(r * classes, classes);
            CrossEntropy.RowLossesAndGradient(row, classes, labels.AsSpan(r, 1), singleLoss, singleGradient, options);
            string where = $"{classes} classes, row {r} [{string.Join(", ", row.ToArray())}], label {labels[r]}";
            // The row path sums Σ = 1 + ρ in float64, so a loss below 1e-16 is 0 there; the blocks keep ρ apart.
            Assert.True(Close(losses[r], singleLoss[0]) || Math.Abs(losses[r] - singleLoss[0]) <= 1e-15, $"{where}: loss {losses[r]:R} vs single row {singleLoss[0]:R}");
            // At the label, w·(p − 1) is good to 1e-7 of w on either path (p is rounded to float first).
            double labelScale = labels[r] == ignored ? 0 : weights[labels[r]];
            for (int j = 0; j < classes; j++)
            {
                float a = gradient[r * classes + j], b = singleGradient[j];
                Assert.True(Close(a, b) || (j == labels[r] && Math.Abs(a - b) <= 1e-6 * labelScale), $"{where}, class {j}: gradient {a:R} vs {b:R}");
            }
            if (labels[r] == ignored || row.ToArray().Any(float.IsNaN)) continue;
            double weight = weights[labels[r]];
            var reference = Reference.Softmax(Reference.Widen(row));
            double expected = weight == 0 ? 0 : -weight * reference.Log[labels[r]];
            Assert.True(double.IsPositiveInfinity(expected) ? float.IsPositiveInfinity(losses[r]) : Math.Abs(losses[r] - expected) <= 1e-6 * Math.Abs(expected) + 1e-15,
                $"{where}: loss {losses[r]:R} vs reference {expected:R}");
            for (int j = 0; j < classes; j++)
            {
                // At the label, w·(p − 1) inherits p's float rounding: 1e-6 of w, not of the difference.
                double g = weight * (reference.P[j] - (j == labels[r] ? 1 : 0));
                double scale = j == labels[r] ? weight : Math.Max(Math.Abs(g), 1e-30);
                Assert.True(Math.Abs(gradient[r * classes + j] - g) <= 1e-6 * scale, $"{where}, class {j}: gradient {gradient[r * classes + j]:R} vs reference {g:R}");
            }
        }

        // The first three blocks are ordinary: the fast path must take them, or the checks above prove nothing about it.
        Assert.Equal(3 * RowBlocks.Rows, RowsTakenByBlocks(logits, classes, labels, new CrossEntropySettings<float> { GradientScale = 1, HasIgnoreLabel = true, IgnoreLabel = ignored }));
    }

    /// <summary>
    /// Label smoothing spread evenly (no weights, no mask) takes the blocks too: each row's Σ (max − z) comes from the
    /// gaps the block already holds. Losses and gradients, in place and not, must match the row-by-row path and the
    /// float64 reference; a block with a −∞ logit or a spread beyond float's range is refused whole and done row by
    /// row; ignored rows get nothing.
    /// </summary>
    [Theory]
    [InlineData(10)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(16)]
    public void Evenly_smoothed_cross_entropy_of_short_rows_in_blocks_matches_the_row_by_row_path_and_the_reference(int classes)
    {
        if (!RowBlocks.Apply(classes)) return;
        const double smoothing = 0.1;
        var random = new Random(classes + 100);
        int rows = 5 * RowBlocks.Rows + 7;
        int ignored = -1;
        var logits = new float[rows * classes];
        var labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            var row = logits.AsSpan(r * classes, classes);
            for (int j = 0; j < classes; j++) row[j] = (float)(random.NextDouble() * 30 - 15);
            labels[r] = r % 11 == 1 ? ignored : random.Next(classes);
            if (r % 11 == 3) row[labels[r]] = 50;          // confident and right
            if (r % 11 == 4) row[labels[r]] = -40;         // confidently wrong
        }
        // Refused blocks: a −∞ logit (block 3: the loss is +∞), a spread of 6e38 (block 4: a gap overflows float).
        logits[(3 * RowBlocks.Rows + 2) * classes + classes - 1] = float.NegativeInfinity;
        logits[(4 * RowBlocks.Rows + 9) * classes] = 3e38f;
        logits[(4 * RowBlocks.Rows + 9) * classes + classes - 1] = -3e38f;
        var options = new CrossEntropyOptions { LabelSmoothing = smoothing, IgnoreLabel = ignored };

        var (losses, gradient) = LossesAndGradientInPlaceOrNot(logits, classes, labels, options);

        var singleLoss = new float[1];
        var singleGradient = new float[classes];
        for (int r = 0; r < rows; r++)
        {
            var row = logits.AsSpan(r * classes, classes);
            CrossEntropy.RowLossesAndGradient(row, classes, labels.AsSpan(r, 1), singleLoss, singleGradient, options);
            string where = $"{classes} classes, row {r} [{string.Join(", ", row.ToArray())}], label {labels[r]}";
            Assert.True(Close(losses[r], singleLoss[0]) || Math.Abs(losses[r] - singleLoss[0]) <= 1e-15, $"{where}: loss {losses[r]:R} vs single row {singleLoss[0]:R}");
            if (labels[r] == ignored)
            {
                Assert.Equal(0f, losses[r]);
                Assert.All(gradient[(r * classes)..((r + 1) * classes)], g => Assert.Equal(0f, g));
                continue;
            }
            var (expected, expectedGradient, size) = Reference.CrossEntropy(Reference.Widen(row), labels[r], null, null, smoothing, masked: false);
            Assert.True(AccuracyTests.Within(losses[r], expected, 1e-6, float.MaxValue), $"{where}: loss {losses[r]:R} vs reference {expected:R}");
            for (int j = 0; j < classes; j++)
            {
                float a = gradient[r * classes + j];
                // Both paths take ε/n off p·A: the error is relative to the two terms (size), not to what is left.
                Assert.True(Math.Abs(a - singleGradient[j]) <= 2e-6 * size[j] + 1e-30, $"{where}, class {j}: gradient {a:R} vs single row {singleGradient[j]:R}");
                Assert.True(Math.Abs(a - expectedGradient[j]) <= 1e-6 * size[j] + 1e-30, $"{where}, class {j}: gradient {a:R} vs reference {expectedGradient[j]:R}");
            }
        }

        // The first three blocks are ordinary: the fast path must take them and stop at the fourth.
        Assert.Equal(3 * RowBlocks.Rows, RowsTakenByBlocks(logits, classes, labels,
            new CrossEntropySettings<float> { GradientScale = 1, Smoothing = smoothing, HasIgnoreLabel = true, IgnoreLabel = ignored }));
    }

    /// <summary>Per-row losses and the gradient of a batch; in place they must come out the same, bit for bit.</summary>
    private static (float[] Losses, float[] Gradient) LossesAndGradientInPlaceOrNot(float[] logits, int classes, int[] labels, CrossEntropyOptions options)
    {
        var losses = new float[labels.Length];
        var gradient = new float[logits.Length];
        CrossEntropy.RowLossesAndGradient(logits, classes, labels, losses, gradient, options);
        var inPlace = (float[])logits.Clone();
        var inPlaceLosses = new float[labels.Length];
        CrossEntropy.RowLossesAndGradient(inPlace, classes, labels, inPlaceLosses, inPlace, options);
        Assert.Equal(losses, inPlaceLosses);
        Assert.Equal(gradient, inPlace);
        return (losses, gradient);
    }

    /// <summary>How many rows the cross-entropy blocks take before the first they refuse (losses only).</summary>
    private static int RowsTakenByBlocks(float[] logits, int classes, int[] labels, CrossEntropySettings<float> settings)
    {
        byte* scratch = stackalloc byte[RowBlocks.ScratchBytes];
        var losses = new double[labels.Length];
        fixed (float* z = logits)
        fixed (int* y = labels)
        fixed (double* l = losses)
            return RowBlocks.CrossEntropy(z, labels.Length, classes, y, settings, null, l, scratch);
    }

    private static bool Close(float a, float b) => a.Equals(b) || Math.Abs(a - b) <= 1e-6 * Math.Max(Math.Abs(a), Math.Abs(b));

    private static int LogSumExpBlocks(float[] logits, float[] destination, int classes)
    {
        byte* scratch = stackalloc byte[RowBlocks.ScratchBytes];
        fixed (float* z = logits)
        fixed (float* d = destination)
            return RowBlocks.LogSumExp(z, d, logits.Length / classes, classes, scratch);
    }

    private static int LogBlocks(float[] logits, float[] destination, int classes)
    {
        byte* scratch = stackalloc byte[RowBlocks.ScratchBytes];
        fixed (float* z = logits)
        fixed (float* d = destination)
            return RowBlocks.LogProbabilities(z, d, logits.Length / classes, classes, scratch);
    }

    private static int Blocks(float[] logits, float[] destination, int classes)
    {
        byte* scratch = stackalloc byte[RowBlocks.ScratchBytes];
        fixed (float* z = logits)
        fixed (float* d = destination)
            return RowBlocks.Probabilities(z, d, logits.Length / classes, classes, scratch);
    }
}
