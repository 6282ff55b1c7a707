using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Multinoulli.Kernels;

/// <summary>
/// softmax, log-softmax, log-sum-exp and cross-entropy of 16 float rows at a time when rows are short (2 to 16
/// classes), with AVX-512. Row by row, a 10-class row spends its time in reductions across one vector and in the
/// latency of one exponential; a block of 16 rows is <c>classes</c> whole vectors in memory order, so every
/// exponential fills a vector and the 16 row sums come out of a few shuffles and additions (<see cref="BlockPlan"/>).
/// The softmax blocks are pipelined: block k's exponentials and sums are computed while block k − 1, kept in L1, is
/// divided by its sums and written, which hides the division's latency.
/// </summary>
/// <remarks>
/// Softmax subtracts no shift: exp(z) itself is exact enough, and the row's Σ is checked instead; it is even
/// computed a little tilted (<see cref="LogitExp(Vector512{float})"/>), which a row's division by its Σ makes
/// harmless. While every row of a block has Σ exp(z) in [2⁻²⁰, 2⁸¹], each probability ≥ 1e-30 comes from a normal
/// exp(z) with a full significand (see <see cref="ScaledExp"/>), and 1/Σ is normal. Ordinary classifier logits (a row's largest
/// within about [−14, 56]) always pass; a block with any other row is refused, and its caller judges its rows one
/// by one: <see cref="ProbabilitiesRows"/> writes those in range as the pipeline would, <see cref="ShiftedProbabilitiesRows"/>
/// those far from 0 with their maxima subtracted, and a row with a NaN, a +∞ or only −∞ goes the row-by-row path.
/// The other kernels subtract each row's maximum (<see cref="Shift"/>), for the relative accuracy of a confident
/// class's log-probability.
/// </remarks>
internal static unsafe class RowBlocks
{
    /// <summary>Rows a block holds: one per lane of a 512-bit float vector.</summary>
    public const int Rows = 16;

    public const int MinimumClasses = 2;
    public const int MaximumClasses = 16;

    /// <summary>Scratch a thread needs for a block kernel: two blocks of values, room to reduce one and one more block, aligned.</summary>
    public const int ScratchBytes = (4 * MaximumClasses + 1) * 64;

    // Σ 2⁴⁶·exp(z) in range: [2²⁶, 2¹²⁷] is Σ exp(z) in [2⁻²⁰, 2⁸¹].
    private const float SmallestSum = 67108864f;
    private const float LargestSum = 1.7014118e38f;

    /// <summary>The caller's scratch (<see cref="ScratchBytes"/>) as whole vectors, from its first 64-byte boundary.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float>* Aligned(byte* scratch) => (Vector512<float>*)(((nint)scratch + 63) & ~(nint)63);

    /// <summary>Whether blocks run here for rows of <paramref name="classes"/> float logits.</summary>
    public static bool Apply(int classes) =>
        Avx512F.IsSupported && classes >= MinimumClasses && classes <= MaximumClasses;

    /// <summary>
    /// softmax of the whole blocks of 16 rows from the start of <paramref name="logits"/>, until a block that the
    /// fast path refuses: returns the number of rows written (a multiple of 16). That block, untouched, is the
    /// caller's; <paramref name="destination"/> may be <paramref name="logits"/>. <paramref name="scratch"/>
    /// holds <see cref="ScratchBytes"/>.
    /// </summary>
    public static int Probabilities(float* logits, float* destination, int rows, int classes, byte* scratch)
    {
        var plan = BlockPlan.For(classes);
        var kept = Aligned(scratch);
        return classes == 10
            ? Pipeline<TenClasses>(logits, destination, rows / Rows, plan, kept)
            : Pipeline<AnyClasses>(logits, destination, rows / Rows, plan, kept);
    }

    /// <summary>
    /// log softmax of whole blocks of 16 rows, as <see cref="Probabilities"/> does softmax; refused blocks are left
    /// untouched. Unlike softmax, this shifts each row by its maximum m: log p = (z − m) − log1p(ρ) with
    /// ρ = Σ exp(z − m) − 1, the other classes' share, summed without the maximum's exact 1 so that the
    /// log-probability of a confident class (≈ −ρ) is accurate in relative terms. A block is refused when a row's
    /// maximum is not finite (+∞, a row of −∞, and some NaN rows) or ρ comes out NaN (every other NaN row).
    /// </summary>
    public static int LogProbabilities(float* logits, float* destination, int rows, int classes, byte* scratch)
    {
        var kept = Aligned(scratch);
        return LogBlocks(logits, destination, rows / Rows, BlockPlan.For(classes), kept);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int LogBlocks(float* logits, float* destination, int blocks, BlockPlan plan, Vector512<float>* kept)
    {
        int classes = plan.Classes, length = classes * Rows;
        for (int k = 0; k < blocks; k++)
        {
            if (!Shift(logits + (nint)k * length, plan, kept, out _, out var rest)) return k * Rows;
            var log = LogOnePlus(rest);
            float* target = destination + (nint)k * length;
            for (int v = 0; v < classes; v++) Vector512.Store(kept[v] - plan.Broadcast(log, v), target + v * Rows);
        }
        return blocks * Rows;
    }

    /// <summary>
    /// log Σ exp(z) of each row of whole blocks of 16 rows, m + log1p(ρ), into <paramref name="destination"/> (one
    /// float a row); refuses blocks as <see cref="LogProbabilities"/> does.
    /// </summary>
    public static int LogSumExp(float* logits, float* destination, int rows, int classes, byte* scratch)
    {
        var kept = Aligned(scratch);
        return LogSumExpBlocks(logits, destination, rows / Rows, BlockPlan.For(classes), kept);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int LogSumExpBlocks(float* logits, float* destination, int blocks, BlockPlan plan, Vector512<float>* kept)
    {
        int length = plan.Classes * Rows;
        for (int k = 0; k < blocks; k++)
        {
            if (!Shift(logits + (nint)k * length, plan, kept, out var max, out var rest)) return k * Rows;
            // One rounding of the sum: both terms are computed to a few ulp of themselves.
            Vector512.Store(Avx512F.PermuteVar16x32(max + LogOnePlus(rest), plan.RowOrder), destination + k * Rows);
        }
        return blocks * Rows;
    }

    /// <summary>
    /// Cross-entropy against integer labels for whole blocks of 16 rows, with the gradient
    /// scale·w_y·(softmax(z) − onehot(y)) when <paramref name="gradient"/> is not null (it may be the logits
    /// themselves): each row's weighted loss w_y·(log1p(ρ) + m − z_y) goes to <paramref name="losses"/>, as the
    /// row-by-row path computes it. A row with the ignore label gets loss 0 and a zero gradient. Refuses blocks
    /// as <see cref="LogProbabilities"/> does.
    /// </summary>
    public static int CrossEntropy(float* logits, int rows, int classes, int* labels, in CrossEntropySettings<float> settings, float* gradient, double* losses, byte* scratch)
    {
        var kept = Aligned(scratch);
        return settings.Smoothing > 0
            ? LabelBlocks<KeepSummingGaps>(logits, rows / Rows, BlockPlan.For(classes), labels, settings, gradient, losses, kept)
            : LabelBlocks<Keep>(logits, rows / Rows, BlockPlan.For(classes), labels, settings, gradient, losses, kept);
    }

    /// <summary>
    /// The label blocks, with even smoothing when <typeparamref name="TSmoothing"/> sums gaps (<see cref="KeepSummingGaps"/>):
    /// a compile-time choice, since the smoothing's extra vectors cost plain labels 5 % when decided at run time.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int LabelBlocks<TSmoothing>(float* logits, int blocks, BlockPlan plan, int* labels, CrossEntropySettings<float> settings, float* gradient, double* losses, Vector512<float>* kept)
        where TSmoothing : struct, ISink
    {
        int classes = plan.Classes, length = classes * Rows;
        Vector512<float>* exponentials = kept + MaximumClasses;
        double scale = settings.GradientScale, smoothing = settings.Smoothing;
        // Row r of a block starts at element r·classes: with its label, where the label's logit is.
        var rowStarts = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) * classes;
        for (int k = 0; k < blocks; k++)
        {
            float* block = logits + (nint)k * length;
            if (!Shift(block, plan, kept, out var max, out var rest)) return k * Rows;
            // Per-row values in row order, to meet the labels.
            var log = Avx512F.PermuteVar16x32(LogOnePlus(rest), plan.RowOrder);
            var top = Avx512F.PermuteVar16x32(max, plan.RowOrder);
            var sum = Vector512<float>.One + Avx512F.PermuteVar16x32(rest, plan.RowOrder);
            var label = Vector512.Load(labels + k * Rows);
            var ignored = settings.HasIgnoreLabel ? Vector512.Equals(label, Vector512.Create(settings.IgnoreLabel)) : Vector512<int>.Zero;
            label = Vector512.AndNot(label, ignored);
            var weight = settings.Weights == null ? Vector512<float>.One : Gather(settings.Weights, label);
            weight = Vector512.AndNot(weight, ignored.AsSingle());
            // The label's logit is read before the gradient (perhaps in its place) is written.
            var labelLogit = Gather(block, rowStarts + label);
            // Even smoothing (no weights, no mask, so w = 1): u = ε/n at every class, (1 − ε) at the label, A = 1;
            // none of it for an ignored row. Without smoothing u = 0 and A = w.
            var uniform = Vector512<float>.Zero;
            var own = weight;
            if (TSmoothing.SumsGaps)
            {
                // Σ (m − z) a row, from the gaps in kept: refused unless finite (a −∞ logit makes the loss +∞, and a
                // spread beyond float's range overflows a gap; the row path sums those exactly).
                var gaps = -Avx512F.PermuteVar16x32(plan.Sum(kept, kept + 2 * MaximumClasses), plan.RowOrder);
                if (!Vector512.LessThanOrEqualAll(gaps, Vector512.Create(float.MaxValue))) return k * Rows;
                uniform = Vector512.AndNot(Vector512.Create((float)(smoothing / classes)), ignored.AsSingle());
                own = weight * (float)(1 - smoothing);
                SmoothedLosses(Vector512.WidenLower(own), Vector512.WidenLower(uniform), Vector512.WidenLower(gaps), Vector512.WidenLower(log),
                    Vector512.WidenLower(top), Vector512.WidenLower(labelLogit), classes, losses + k * Rows);
                SmoothedLosses(Vector512.WidenUpper(own), Vector512.WidenUpper(uniform), Vector512.WidenUpper(gaps), Vector512.WidenUpper(log),
                    Vector512.WidenUpper(top), Vector512.WidenUpper(labelLogit), classes, losses + k * Rows + 8);
            }
            else
            {
                // w·log Σ + w·(m − z_y) in float64, as the row-by-row path has it; m − z_y is exact there.
                Losses(Vector512.WidenLower(weight), Vector512.WidenLower(log), Vector512.WidenLower(top), Vector512.WidenLower(labelLogit), losses + k * Rows);
                Losses(Vector512.WidenUpper(weight), Vector512.WidenUpper(log), Vector512.WidenUpper(top), Vector512.WidenUpper(labelLogit), losses + k * Rows + 8);
            }
            if (gradient == null) continue;
            // softmax(z)·A = A·exp(z − m)/(1 + ρ), each exponential here carrying 2⁴⁶; less scale·u everywhere and
            // scale·(1 − ε)·w at the label, in the same fused multiply-add.
            var total = TSmoothing.SumsGaps ? own + uniform * classes : weight;
            var factor = Avx512F.PermuteVar16x32(Vector512.Create((float)(scale / (1L << Bias))) * total / sum, plan.LaneOrder);
            var labelWeight = Avx512F.PermuteVar16x32(Vector512.Create((float)scale) * own, plan.LaneOrder);
            var everywhere = TSmoothing.SumsGaps ? Avx512F.PermuteVar16x32(Vector512.Create((float)scale) * uniform, plan.LaneOrder) : default;
            var labelClass = Avx512F.PermuteVar16x32(label.AsSingle(), plan.LaneOrder);
            float* target = gradient + (nint)k * length;
            for (int v = 0; v < classes; v++)
            {
                var e = WithMaxima(kept[v], exponentials[v]);
                var atLabel = Vector512.Equals(plan.Broadcast(labelClass, v).AsInt32(), plan.ClassOf(v)).AsSingle();
                var onehot = Vector512.ConditionalSelect(atLabel, plan.Broadcast(labelWeight, v), Vector512<float>.Zero);
                if (TSmoothing.SumsGaps) onehot += plan.Broadcast(everywhere, v);
                Vector512.Store(Vector512.FusedMultiplyAdd(e, plan.Broadcast(factor, v), -onehot), target + v * Rows);
            }
        }
        return blocks * Rows;
    }

    /// <summary>The 16 floats at <paramref name="source"/>[index] (.NET has no 512-bit gather: two of 256 bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Gather(float* source, Vector512<int> index) =>
        Vector512.Create(Avx2.GatherVector256(source, index.GetLower(), 4), Avx2.GatherVector256(source, index.GetUpper(), 4));

    /// <summary>
    /// Eight rows' evenly smoothed losses A·log Σ + (u·Σ (m − z) + own·(m − z_y)), A = own + n·u, written as the
    /// row-by-row path writes them; 0 for an ignored row (A = 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SmoothedLosses(Vector512<double> own, Vector512<double> uniform, Vector512<double> gaps, Vector512<double> log,
        Vector512<double> max, Vector512<double> labelLogit, int classes, double* losses)
    {
        var total = own + uniform * classes;
        var loss = total * log + (uniform * gaps + own * (max - labelLogit));
        Vector512.Store(Vector512.ConditionalSelect(Vector512.Equals(total, Vector512<double>.Zero), Vector512<double>.Zero, loss), losses);
    }

    /// <summary>Eight rows' losses w·log Σ + w·(m − z_y), and 0 where w is 0 (even for a label on a −∞ logit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Losses(Vector512<double> weight, Vector512<double> log, Vector512<double> max, Vector512<double> labelLogit, double* losses)
    {
        var loss = weight * log + weight * (max - labelLogit);
        Vector512.Store(Vector512.ConditionalSelect(Vector512.Equals(weight, Vector512<double>.Zero), Vector512<double>.Zero, loss), losses);
    }

    /// <summary>
    /// The shared first half of the log-softmax and cross-entropy blocks: loads the block at <paramref name="block"/>,
    /// finds each row's maximum m, and leaves the gaps z − m in <paramref name="kept"/>[0, classes) and their
    /// exponentials, 2⁴⁶·exp(z − m) with the maxima's set to 0, in [16, 16 + classes); <paramref name="rest"/> is
    /// ρ = Σ exp(z − m) − 1 per row. False, with nothing written outside the scratch, for a block to refuse.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Shift(float* block, BlockPlan plan, Vector512<float>* kept, out Vector512<float> max, out Vector512<float> rest)
    {
        max = LoadMax(block, plan, kept);
        rest = default;
        if (!Finite(max)) return false;
        rest = Rest(plan, kept, max);
        // A NaN logit that the maximum stepped over comes out here.
        return Vector512.LessThanOrEqualAll(rest, Vector512.Create(float.MaxValue));
    }

    /// <summary>Whether every row's maximum is finite (false for +∞, −∞ and NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Finite(Vector512<float> max) =>
        Vector512.GreaterThanOrEqualAll(max, Vector512.Create(float.MinValue)) && Vector512.LessThanOrEqualAll(max, Vector512.Create(float.MaxValue));

    /// <summary><see cref="Finite"/> lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> FiniteLanes(Vector512<float> max) =>
        Vector512.GreaterThanOrEqual(max, Vector512.Create(float.MinValue)) & Vector512.LessThanOrEqual(max, Vector512.Create(float.MaxValue));

    /// <summary>
    /// The exponentials <see cref="Rest"/> keeps, 2⁴⁶·exp(z − m), with the maxima's (gap 0, left out of ρ) put back
    /// as exp 0 = 1, scaled the same.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> WithMaxima(Vector512<float> gap, Vector512<float> exponential) =>
        Vector512.ConditionalSelect(Vector512.Equals(gap, Vector512<float>.Zero), Vector512.Create((float)(1L << Bias)), exponential);

    /// <summary>Loads a block's vectors into <paramref name="kept"/>[0, classes) and returns each row's maximum (lane order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LoadMax(float* block, BlockPlan plan, Vector512<float>* kept)
    {
        for (int v = 0; v < plan.Classes; v++) kept[v] = Vector512.Load(block + v * Rows);
        return plan.Max(kept, kept + 2 * MaximumClasses);
    }

    /// <summary>
    /// The rest of <see cref="Shift"/> once the maxima are known: the gaps and exponentials into
    /// <paramref name="kept"/>, and ρ per row. A row whose maximum is not finite gets a meaningless ρ (NaN or
    /// infinite) and leaves every other row alone: every reduction here is within a row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Rest(BlockPlan plan, Vector512<float>* kept, Vector512<float> max)
    {
        int classes = plan.Classes;
        Vector512<float>* gaps = kept, exponentials = kept + MaximumClasses, work = kept + 2 * MaximumClasses;
        int atMax = 0;
        for (int v = 0; v < classes; v++)
        {
            var z = gaps[v];
            var m = plan.Broadcast(max, v);
            // The gap z − m ≤ 0 rounds to the nearest float: half an ulp of the result, since |log p| ≥ |z − m|.
            // Its exponential takes the rounding error back (TwoSum, exact): |z − m|·6e-8 of relative error
            // otherwise, which ρ would carry to a confident class. The error is clamped to [−1, 1]: that leaves
            // every gap above −119 alone (its error is below 4e-6), a −∞ logit's NaN error becomes −1, which
            // turns its exponential into exactly 0, and a huge gap's large error cannot inflate the tiny value
            // its exponential is clamped to.
            var gap = z - m;
            var back = gap - z;
            var error = Avx512F.Min(Avx512F.Max((z - (gap - back)) - (m + back), Vector512.Create(-1f)), Vector512<float>.One);
            var top = Vector512.Equals(gap, Vector512<float>.Zero);
            atMax += System.Numerics.BitOperations.PopCount(Vector512.ExtractMostSignificantBits(top));
            gaps[v] = gap;
            var e = ScaledExp(gap);
            exponentials[v] = Vector512.ConditionalSelect(top, Vector512<float>.Zero, Vector512.FusedMultiplyAdd(e, error, e));
        }
        // Scaled back by 2⁻⁴⁶ (exact while normal; below 2⁻¹²⁶, ρ is too small to matter beside 1).
        var rest = plan.Sum(exponentials, work) * Vector512.Create(1f / (1L << Bias));
        // Each row has one maximum or more: more than 16 in all means ties, which add their count less one.
        if (atMax != Rows) rest += TiesBeyondOne(gaps, kept + 3 * MaximumClasses, work, plan);
        return rest;
    }

    /// <summary>
    /// softmax of the one block at <paramref name="logits"/>, all 16 rows written to <paramref name="destination"/>
    /// exactly as the pipelined path (<see cref="Probabilities"/>) computes them; returns the rows it holds good
    /// (bit r for row r), those whose Σ is in range. The pipelined path takes a block when all 16 are, so a row's
    /// output does not depend on the path that wrote it. The other rows' outputs are meaningless.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static int ProbabilitiesRows(float* logits, float* destination, int classes, byte* scratch)
    {
        var plan = BlockPlan.For(classes);
        var kept = Aligned(scratch);
        return classes == 10 ? OneBlock<TenClasses>(logits, destination, plan, kept) : OneBlock<AnyClasses>(logits, destination, plan, kept);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int OneBlock<TBlock>(float* logits, float* destination, BlockPlan plan, Vector512<float>* kept)
        where TBlock : struct, IBlock
    {
        var sums = TBlock.Exponentials(logits, kept, plan, kept + 2 * MaximumClasses, clamped: true, Exponential);
        TBlock.Scale(kept, Vector512<float>.One / sums, destination, plan);
        return RowMask(InRangeLanes(sums), plan);
    }

    /// <summary>
    /// softmax of the one block at <paramref name="logits"/> with each row's maximum m subtracted, for rows the
    /// unshifted path refuses (logits far from 0): exp(z − m)/(1 + ρ), the maxima exactly 1/(1 + ρ), as the
    /// cross-entropy blocks compute their gradient. All 16 rows are written; returns the rows it holds good (bit r
    /// for row r), those with a finite maximum and a finite ρ (no NaN).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static int ShiftedProbabilitiesRows(float* logits, float* destination, int classes, byte* scratch)
    {
        var plan = BlockPlan.For(classes);
        var kept = Aligned(scratch);
        var max = LoadMax(logits, plan, kept);
        var rest = Rest(plan, kept, max);
        var good = FiniteLanes(max) & Vector512.LessThanOrEqual(rest, Vector512.Create(float.MaxValue));
        var factor = Vector512.Create(1f / (1L << Bias)) / (Vector512<float>.One + rest);
        Vector512<float>* gaps = kept, exponentials = kept + MaximumClasses;
        for (int v = 0; v < classes; v++)
        {
            var e = WithMaxima(gaps[v], exponentials[v]);
            Vector512.Store(e * plan.Broadcast(factor, v), destination + v * Rows);
        }
        return RowMask(good, plan);
    }

    /// <summary>A per-row mask in the plan's lane order as bits in row order (bit r for row r).</summary>
    private static int RowMask(Vector512<float> lanes, BlockPlan plan) =>
        (int)Vector512.ExtractMostSignificantBits(Avx512F.PermuteVar16x32(lanes, plan.RowOrder));

    /// <summary>For each row, how many of its gaps are 0 (its maxima), less one.</summary>
    private static Vector512<float> TiesBeyondOne(Vector512<float>* gaps, Vector512<float>* scratch, Vector512<float>* work, BlockPlan plan)
    {
        for (int v = 0; v < plan.Classes; v++)
            scratch[v] = Vector512.ConditionalSelect(Vector512.Equals(gaps[v], Vector512<float>.Zero), Vector512<float>.One, Vector512<float>.Zero);
        return plan.Sum(scratch, work) - Vector512<float>.One;
    }

    /// <summary>
    /// log(1 + ρ) for ρ ≥ 0, accurate in relative terms however small ρ is: log u for u = 1 + ρ rounded, less the
    /// rounding's share, ((u − 1) − ρ)/u (within 2.3e-7 of the exact value, measured over 2 million ρ from 1e-17 to 16).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LogOnePlus(Vector512<float> rest)
    {
        var u = Vector512<float>.One + rest;
        return Vector512.Log(u) - ((u - Vector512<float>.One) - rest) / u;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Pipeline<TBlock>(float* logits, float* destination, int blocks, BlockPlan plan, Vector512<float>* kept)
        where TBlock : struct, IBlock
    {
        int length = plan.Classes * Rows;
        var inverse = Vector512<float>.Zero;
        // Made once, so that the exponential's table and constants stay in registers for the whole loop: as
        // constants the JIT loads them from memory again, the table for every vector, and those loads, not the
        // arithmetic, then hold the blocks back (8 % here).
        var exponential = Exponential;
        int k = 0;
        for (; k < blocks; k++)
        {
            var here = kept + (k & 1) * MaximumClasses;
            var sums = TBlock.Exponentials(logits + (nint)k * length, here, plan, kept + 2 * MaximumClasses, clamped: false, exponential);
            if (k > 0) TBlock.Scale(kept + ((k - 1) & 1) * MaximumClasses, inverse, destination + (nint)(k - 1) * length, plan);
            if (!InRange(sums)) return k * Rows;
            inverse = Vector512<float>.One / sums;
        }
        if (k > 0) TBlock.Scale(kept + ((k - 1) & 1) * MaximumClasses, inverse, destination + (nint)(k - 1) * length, plan);
        return k * Rows;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool InRange(Vector512<float> sums) =>
        // A NaN sum fails: every comparison with NaN is false.
        Vector512.GreaterThanOrEqualAll(sums, Vector512.Create(SmallestSum)) && Vector512.LessThanOrEqualAll(sums, Vector512.Create(LargestSum));

    /// <summary><see cref="InRange"/> lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> InRangeLanes(Vector512<float> sums) =>
        Vector512.GreaterThanOrEqual(sums, Vector512.Create(SmallestSum)) & Vector512.LessThanOrEqual(sums, Vector512.Create(LargestSum));

    /// <summary>One block's two halves: its exponentials (kept) and row sums, then the kept exponentials scaled and written.</summary>
    private interface IBlock
    {
        /// <summary>
        /// The block's exponentials into <paramref name="kept"/> and its row sums (lane order). Unclamped (the
        /// pipeline), a logit above 57 anywhere in the block makes every sum NaN, refusing the block; clamped
        /// (<see cref="ClampedExp"/>), it fails only its own row's range check. Every other row comes out the same
        /// either way.
        /// </summary>
        static abstract Vector512<float> Exponentials(float* logits, Vector512<float>* kept, BlockPlan plan, Vector512<float>* work, bool clamped, BlockExponential exponential);
        static abstract void Scale(Vector512<float>* kept, Vector512<float> inverse, float* destination, BlockPlan plan);
    }

    /// <summary>Any row length, looping over the block's vectors.</summary>
    private readonly struct AnyClasses : IBlock
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Exponentials(float* logits, Vector512<float>* kept, BlockPlan plan, Vector512<float>* work, bool clamped, BlockExponential exponential)
        {
            var top = Vector512.Create(float.MinValue);
            for (int v = 0; v < plan.Classes; v++)
            {
                var z = Vector512.Load(logits + v * Rows);
                top = Avx512F.Max(top, z);
                kept[v] = clamped ? ClampedExp(z, exponential) : LogitExp(z, exponential);
            }
            return !clamped && AboveLimit(top) ? Vector512.Create(float.NaN) : plan.Sum(kept, work);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Scale(Vector512<float>* kept, Vector512<float> inverse, float* destination, BlockPlan plan)
        {
            for (int v = 0; v < plan.Classes; v++)
                Vector512.Store(kept[v] * plan.Broadcast(inverse, v), destination + v * Rows);
        }
    }

    /// <summary>
    /// Ten classes (a digit classifier's row), written out so that every vector stays in a register: the loops of
    /// <see cref="AnyClasses"/> keep values in memory and cost a third more time here.
    /// </summary>
    private readonly struct TenClasses : IBlock
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Exponentials(float* logits, Vector512<float>* kept, BlockPlan plan, Vector512<float>* work, bool clamped, BlockExponential exponential)
        {
            var z0 = Vector512.Load(logits);
            var z1 = Vector512.Load(logits + 16);
            var z2 = Vector512.Load(logits + 32);
            var z3 = Vector512.Load(logits + 48);
            var z4 = Vector512.Load(logits + 64);
            var z5 = Vector512.Load(logits + 80);
            var z6 = Vector512.Load(logits + 96);
            var z7 = Vector512.Load(logits + 112);
            var z8 = Vector512.Load(logits + 128);
            var z9 = Vector512.Load(logits + 144);
            var top = Avx512F.Max(Avx512F.Max(Avx512F.Max(z0, z1), Avx512F.Max(z2, z3)), Avx512F.Max(Avx512F.Max(z4, z5), Avx512F.Max(z6, z7)));
            top = Avx512F.Max(top, Avx512F.Max(z8, z9));
            var e0 = clamped ? ClampedExp(z0, exponential) : LogitExp(z0, exponential);
            var e1 = clamped ? ClampedExp(z1, exponential) : LogitExp(z1, exponential);
            var e2 = clamped ? ClampedExp(z2, exponential) : LogitExp(z2, exponential);
            var e3 = clamped ? ClampedExp(z3, exponential) : LogitExp(z3, exponential);
            var e4 = clamped ? ClampedExp(z4, exponential) : LogitExp(z4, exponential);
            var e5 = clamped ? ClampedExp(z5, exponential) : LogitExp(z5, exponential);
            var e6 = clamped ? ClampedExp(z6, exponential) : LogitExp(z6, exponential);
            var e7 = clamped ? ClampedExp(z7, exponential) : LogitExp(z7, exponential);
            var e8 = clamped ? ClampedExp(z8, exponential) : LogitExp(z8, exponential);
            var e9 = clamped ? ClampedExp(z9, exponential) : LogitExp(z9, exponential);
            kept[0] = e0; kept[1] = e1; kept[2] = e2; kept[3] = e3; kept[4] = e4;
            kept[5] = e5; kept[6] = e6; kept[7] = e7; kept[8] = e8; kept[9] = e9;
            var h0 = BlockPlan.Pairs<BlockPlan.Add>(e0, e1);
            var h1 = BlockPlan.Pairs<BlockPlan.Add>(e2, e3);
            var h2 = BlockPlan.Pairs<BlockPlan.Add>(e4, e5);
            var h3 = BlockPlan.Pairs<BlockPlan.Add>(e6, e7);
            var h4 = BlockPlan.Pairs<BlockPlan.Add>(e8, e9);
            var c = plan.Chains;
            var s0 = Chain(h0, h1, h2, h3, h4, c);
            var s1 = Chain(h0, h1, h2, h3, h4, c + 4);
            var s2 = Chain(h0, h1, h2, h3, h4, c + 8);
            var s3 = Chain(h0, h1, h2, h3, h4, c + 12);
            var s4 = Chain(h0, h1, h2, h3, h4, c + 16);
            return !clamped && AboveLimit(top) ? Vector512.Create(float.NaN) : ((s0 + s1) + (s2 + s3)) + s4;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Chain(Vector512<float> h0, Vector512<float> h1, Vector512<float> h2, Vector512<float> h3, Vector512<float> h4, Vector512<int>* indices) =>
            Avx512F.PermuteVar16x32x2(Avx512F.PermuteVar16x32x2(Avx512F.PermuteVar16x32x2(Avx512F.PermuteVar16x32x2(
                h0, indices[0], h1), indices[1], h2), indices[2], h3), indices[3], h4);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Scale(Vector512<float>* kept, Vector512<float> inverse, float* destination, BlockPlan plan)
        {
            Vector512.Store(kept[0] * plan.Broadcast(inverse, 0), destination);
            Vector512.Store(kept[1] * plan.Broadcast(inverse, 1), destination + 16);
            Vector512.Store(kept[2] * plan.Broadcast(inverse, 2), destination + 32);
            Vector512.Store(kept[3] * plan.Broadcast(inverse, 3), destination + 48);
            Vector512.Store(kept[4] * plan.Broadcast(inverse, 4), destination + 64);
            Vector512.Store(kept[5] * plan.Broadcast(inverse, 5), destination + 80);
            Vector512.Store(kept[6] * plan.Broadcast(inverse, 6), destination + 96);
            Vector512.Store(kept[7] * plan.Broadcast(inverse, 7), destination + 112);
            Vector512.Store(kept[8] * plan.Broadcast(inverse, 8), destination + 128);
            Vector512.Store(kept[9] * plan.Broadcast(inverse, 9), destination + 144);
        }
    }

    /// <summary>
    /// Whether any lane of a block's largest logits <paramref name="top"/> (a vmaxps over its vectors) is above 57,
    /// where <see cref="ScaledExp"/> would wrap the exponent field, +∞ among them: bits compared as integers, since a
    /// float's bits order like the float for positive values and are negative for negative ones. The pipelined
    /// softmax refuses a block with such a lane (its sums would be out of range anyway); a NaN that the maximum
    /// drops makes its row's sum NaN, which is refused too. The maximum takes the adder, not the multiply-add unit
    /// that a comparison a vector would.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool AboveLimit(Vector512<float> top) => Vector512.GreaterThanAny(top.AsInt32(), Vector512.Create(0x4264_0000)); // 57f

    /// <summary>
    /// <see cref="LogitExp(Vector512{float})"/> of a logit also clamped above, at 56.5, for a block judged row by row
    /// (<see cref="ProbabilitiesRows"/>): above 57 the power of two would wrap around the exponent field, and
    /// 2⁴⁶·e^56.5 (2^127.5) is still finite but above the largest Σ a block takes, so a row with a logit at or
    /// beyond the clamp (+∞ included) fails its own range check and no other row's. Below the clamp it is
    /// <see cref="LogitExp(Vector512{float})"/> itself, as the pipeline computes it. Ordered so that a NaN survives both clamps (vminps and vmaxps return their
    /// second operand when either is NaN).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ClampedExp(Vector512<float> z, BlockExponential exponential) =>
        LogitExp(Avx512F.Min(Vector512.Create(56.5f), z), exponential);

    /// <summary>
    /// 2⁴⁶·exp(z) for float logits, by <see cref="VectorMath.ThirtySecondsExp"/>: a table of 32 powers of two in
    /// two registers, a quadratic, and the power of two assembled with integer instructions (scalef would take two
    /// slots of the multiply-add unit, which is what this kernel waits on). z is clamped below at −118.5, where the
    /// power is still a normal number; a Σ of at least 2²⁶ takes anything at −118.5 or below, −∞ included, to
    /// exactly 0 in the product. A NaN stays NaN. Above 57 the power of two would wrap around the exponent field:
    /// the caller refuses (<see cref="AboveLimit"/>) or clamps (<see cref="ClampedExp"/>) such logits, or has none
    /// (the gaps z − max ≤ 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ScaledExp(Vector512<float> z) => Exponential.Of(z, tilted: false);

    /// <summary>
    /// <see cref="ScaledExp"/> of a logit for the unshifted softmax, tilted (see <see cref="VectorMath.ThirtySecondsExp"/>):
    /// 2⁴⁶·e^(z·(1 + <see cref="VectorMath.Tilt"/>)), one fused multiply-add fewer. A row's exponentials are
    /// divided by their sum, so only their ratios matter, and the tilt moves the ratio of two by 2.75e-9 a unit of
    /// the gap between their logits: below 2e-7 for every probability of at least 1e-30.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LogitExp(Vector512<float> z) => LogitExp(z, Exponential);

    /// <summary><see cref="LogitExp(Vector512{float})"/> with the caller's copy of <see cref="Exponential"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LogitExp(Vector512<float> z, BlockExponential exponential) => exponential.Of(z, tilted: true);

    /// <summary>The blocks' exponential: the table of scale 1, and the shifter offset by 32·46, which scales by 2⁴⁶.</summary>
    private static BlockExponential Exponential
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(new(PowersLow, PowersHigh, Vector512.Create(VectorMath.SingleShifter + 32 * Bias)));
    }

    /// <summary>The blocks' exponential with the clamp below at −118.5, all its constants in one value a loop can hold in registers.</summary>
    private readonly struct BlockExponential(VectorMath.ThirtySecondsExponential exponential)
    {
        private readonly VectorMath.ThirtySecondsExponential _exponential = exponential;
        private readonly Vector512<float> _floor = Vector512.Create(-118.5f);

        // vmaxps returns its second operand when either is NaN: a NaN survives the clamp.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Of(Vector512<float> z, bool tilted) => _exponential.Of(Avx512F.Max(_floor, z), tilted);
    }

    /// <summary>The power of two in <see cref="ScaledExp"/>: 2⁴⁶·e^−118.5 is still normal, 2⁴⁶·e⁵⁶ still finite.</summary>
    private const int Bias = 46;

    /// <summary><see cref="VectorMath.ThirtySecondsTable"/> of scale 1, j = 0 … 15, as constants (a test checks them).</summary>
    internal static Vector512<float> PowersLow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create(
            0x3F000000, 0x3EFECD87, 0x3EFDAAC3, 0x3EFC980F, 0x3EFB95C2, 0x3EFAA43A, 0x3EF9C3D3, 0x3EF8F4F0,
            0x3EF837F0, 0x3EF78D3A, 0x3EF6F532, 0x3EF67043, 0x3EF5FED7, 0x3EF5A15B, 0x3EF5583F, 0x3EF523F6).AsSingle();
    }

    /// <summary>The same for j = 16 … 31.</summary>
    internal static Vector512<float> PowersHigh
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create(
            0x3EF504F3, 0x3EF4FBAF, 0x3EF508A4, 0x3EF52C4D, 0x3EF5672A, 0x3EF5B9BE, 0x3EF6248C, 0x3EF6A81E,
            0x3EF744FD, 0x3EF7FBB8, 0x3EF8CCDF, 0x3EF9B907, 0x3EFAC0C7, 0x3EFBE4BA, 0x3EFD257D, 0x3EFE83B3).AsSingle();
    }
}
