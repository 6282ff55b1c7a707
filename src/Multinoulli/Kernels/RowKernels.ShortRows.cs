using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Multinoulli.Kernels;

// Short rows: a row's sum in L1, and a batch of rows a little longer than a vector four rows at a time. (The
// type's constraints are declared once, in RowKernels.cs: a part without them takes them from there.)
internal static unsafe partial class RowKernels<TSimd, TVector, T>
{
    /// <summary>
    /// The sum of a short row's kept values (<see cref="Kept"/>), and the value its maximum takes among them
    /// (<see cref="Unit"/>: 1, or near 1 with <see cref="RowExponential{TSimd, TVector, T}"/>).
    /// </summary>
    private readonly record struct ShortSum(double Kept, double Unit)
    {
        /// <summary>Σ exp((z − max)/T), the maximum's own term exactly 1.</summary>
        public double RelativeToMax => Kept / Unit;

        /// <summary>
        /// What pass one learns of the row with this <paramref name="max"/> (finite) and Σ (max − z) =
        /// <paramref name="gaps"/>: <see cref="RowKind.NaN"/> where a NaN the maximum stepped over made the sum NaN.
        /// One construction for the one-row short paths (softmax, the loss alone, soft targets), so that a row's
        /// statistics cannot drift apart between them; the four-row label loop builds the same record inline.
        /// </summary>
        public RowStatistics Statistics(T max, double gaps = 0) =>
            double.IsNaN(Kept) ? RowStatistics.Special(RowKind.NaN) : new RowStatistics(RowKind.Finite, double.CreateTruncating(max), RelativeToMax) { Gaps = gaps };
    }

    /// <summary>
    /// Σ exp((z − max)/T) of a short row against its finite maximum, keeping each value when
    /// <typeparamref name="TSink"/> does (<see cref="Keep"/> or <see cref="Discard"/>), in the cheapest form that
    /// is exact for the row: at unit temperature, <see cref="RowExponential{TSimd, TVector, T}"/> for rows under
    /// <see cref="FastRowBytes"/> whose logits lie within its spread (but one vector, which takes the general one
    /// as <see cref="OneVector{TArgument}"/> does, so that a row's loss does not depend on the path), the chunk's fast exponential for longer
    /// rows (whose set-up, a table and two float64 exponentials, they repay); otherwise the general one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ShortSum ShortRowSum<TArgument, TSink>(T* z, T* kept, int length, T max, T min, double inverse)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
        where TSink : struct, ISink
    {
        if (typeof(TArgument) == typeof(ShiftArgument<TSimd, TVector, T>))
        {
            if (length * sizeof(T) >= FastRowBytes)
            {
                if (ChunkExponential<TSimd, TVector, T>.TryCreate(max, out var fast)) return new ShortSum(ChunkExpFast<TSink>(z, kept, length, fast), 1);
            }
            else if (!FitsOneVector(length) && RowExponential<TSimd, TVector, T>.Accepts(max, min))
            {
                return RowExp<TSink>(z, kept, length, max);
            }
        }
        return new ShortSum(ChunkExp<TArgument, TSink>(z, kept, length, TArgument.Create(max, T.Zero, inverse)), 1);
    }

    /// <summary>
    /// The smooth maximum Σ pᵢzᵢ of a row of at most <see cref="ShortRowLength"/> elements with a finite maximum, as
    /// max − Σ eᵢ(max − zᵢ) / Σ eᵢ with e = exp((z − max)/T), both sums taken in one pass in float64. Every gap term
    /// is ≥ 0, so the result is at most the maximum. At unit temperature, for a row within
    /// <see cref="RowExponential{TSimd, TVector, T}"/>'s spread, e is that exponential (its common factor cancels in
    /// the ratio) and each term is formed in T, where a gap within the spread cannot overflow; otherwise each term is
    /// widened before it is formed, and is 0 where e is, so a −∞ logit adds nothing. NaN when a NaN the maximum
    /// stepped over made the sum NaN. In place of pass one and a second pass of general exponentials, which took
    /// twice as long on 17-class rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static T ShortSmoothMax<TArgument>(T* z, int length, T max, T min, double inverse)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        var (sum, gaps) = typeof(TArgument) == typeof(ShiftArgument<TSimd, TVector, T>) && RowExponential<TSimd, TVector, T>.Accepts(max, min)
            ? RowGapSums(z, length, max)
            : GapSums(z, length, TArgument.Create(max, T.Zero, inverse), max);
        return T.CreateTruncating(double.CreateTruncating(max) - gaps / sum);
    }

    /// <summary>
    /// Σ e and Σ e·(max − z) of <see cref="ShortSmoothMax{TArgument}"/> with the row-local exponential (whose
    /// maximum the caller has accepted). A method of its own, as is <see cref="GapSums{TArgument}"/>: with both
    /// loops in one, the JIT kept the four accumulators on the stack. The exponential is made here, not passed: a
    /// struct argument stays in the caller's frame, and the loop loaded and stored its shifter there.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static (double Sum, double Gaps) RowGapSums(T* z, int length, T max)
    {
        int width = TSimd.Count;
        // The table first: its getter may call the runtime, and a vector made before a call is kept in memory.
        var table = RowExponential<TSimd, TVector, T>.Table;
        var shifter = RowExponential<TSimd, TVector, T>.Shifter(max);
        var maximum = TSimd.Create(max);
        var zero = TSimd.Create(T.Zero);
        TVector sumLow = zero, sumHigh = zero, gapLow = zero, gapHigh = zero;
        for (int i = 0; i < length; i += width)
        {
            int count = Math.Min(width, length - i);
            var logits = TSimd.LoadTail(z + i, count, max);
            var e = TSimd.KeepFirst(RowExponential<TSimd, TVector, T>.Of(logits, shifter, table), count);
            (sumLow, sumHigh) = TSimd.AddWide(e, sumLow, sumHigh);
            (gapLow, gapHigh) = TSimd.AddWide(TSimd.Multiply(e, TSimd.Subtract(maximum, logits)), gapLow, gapHigh);
        }
        return (TSimd.SumWide(sumLow, sumHigh), TSimd.SumWide(gapLow, gapHigh));
    }

    /// <summary>Σ e and Σ e·(max − z) of <see cref="ShortSmoothMax{TArgument}"/> with the general exponential, each gap term widened before it is formed.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static (double Sum, double Gaps) GapSums<TArgument>(T* z, int length, TArgument argument, T max)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        int width = TSimd.Count;
        var one = TSimd.Create(T.One);
        var maximum = TSimd.Create(max);
        var zero = TSimd.Create(T.Zero);
        TVector sumLow = zero, sumHigh = zero, gapLow = zero, gapHigh = zero;
        for (int i = 0; i < length; i += width)
        {
            var logits = TSimd.LoadTail(z + i, Math.Min(width, length - i), T.NegativeInfinity);
            argument.Compute(logits, out var hi, out var lo);
            var e = VectorMath.Exp<TSimd, TVector, T>(hi, lo);
            (sumLow, sumHigh) = TSimd.AddWide(e, sumLow, sumHigh);
            (gapLow, gapHigh) = TSimd.AddGapProductWide(e, one, maximum, logits, gapLow, gapHigh);
        }
        return (TSimd.SumWide(sumLow, sumHigh), TSimd.SumWide(gapLow, gapHigh));
    }

    /// <summary>The largest and the smallest of <paramref name="count"/> values, as the hardware compares them (a NaN may be stepped over).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (T Max, T Min) ChunkMaxMin(T* values, int count)
    {
        int width = TSimd.Count;
        var max = TSimd.Create(T.NegativeInfinity);
        var min = TSimd.Create(T.PositiveInfinity);
        int i = 0;
        for (; i <= count - width; i += width)
        {
            var v = TSimd.Load(values + i);
            max = TSimd.Max(v, max);
            min = TSimd.Min(v, min);
        }
        if (i < count)
        {
            max = TSimd.Max(TSimd.LoadTail(values + i, count - i, T.NegativeInfinity), max);
            min = TSimd.Min(TSimd.LoadTail(values + i, count - i, T.PositiveInfinity), min);
        }
        return (TSimd.MaxAcross(max), -TSimd.MaxAcross(TSimd.Subtract(TSimd.Create(T.Zero), min)));
    }

    /// <summary>
    /// <see cref="ShortRowSum{TArgument, TSink}"/> with <see cref="RowExponential{TSimd, TVector, T}"/>: each
    /// vector's values kept (with <typeparamref name="TSink"/> = <see cref="Keep"/>) and added to the float64 pair
    /// one by one, so that the sum keeps the other terms' share of the maximum's to its relative accuracy.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static ShortSum RowExp<TSink>(T* z, T* kept, int length, T max)
        where TSink : struct, ISink
    {
        int width = TSimd.Count;
        // The table first: its getter may call the runtime, and a vector made before a call is kept in memory.
        var table = RowExponential<TSimd, TVector, T>.Table;
        var shifter = RowExponential<TSimd, TVector, T>.Shifter(max);
        var low = TSimd.Create(T.Zero);
        var high = low;
        int i = 0;
        for (; i <= length - width; i += width)
        {
            var e = RowExponential<TSimd, TVector, T>.Of(TSimd.Load(z + i), shifter, table);
            if (TSink.Keeps) TSimd.Store(kept + i, e);
            (low, high) = TSimd.AddWide(e, low, high);
        }
        if (i < length) (low, high) = TSimd.AddWide(RowExpMasked<TSink>(shifter, z + i, TSink.Keeps ? kept + i : null, length - i, table), low, high);
        return new ShortSum(TSimd.SumWide(low, high), RowExponential<TSimd, TVector, T>.Unit(max));
    }

    /// <summary>
    /// Whether rows of <paramref name="classes"/> go four at a time (<see cref="FourRows{TArgument, TSink}"/>,
    /// <see cref="FourLabelRows"/>): longer than one vector and no longer than eight. Side by side on one thread,
    /// four at a time (and the row-local exponential) took softmax of 17-class float rows from 59 to 23 ns a row
    /// and cross-entropy from 81 to 52. From about 128 classes on, a row's own vectors keep the core busy, and four
    /// rows' accumulators, spilled to the stack, made cross-entropy at 256 classes slower than one row at a time.
    /// </summary>
    private static bool InFours(int classes) => !FitsOneVector(classes) && classes <= 8 * TSimd.Count && classes * sizeof(T) < FastRowBytes;

    /// <summary>
    /// softmax(z/T) (<typeparamref name="TSink"/> = <see cref="Keep"/>) or log softmax(z/T) (<see cref="Discard"/>)
    /// of a batch's rows, four at a time, each row's arithmetic that of <see cref="ShortRow{TArgument}"/> or
    /// <see cref="ShortLogRow{TArgument}"/> (the same bits): its maximum, each value against it summed in float64
    /// (and, for softmax, written to the destination), then the division, or (z − max)/T − log Σ. A row alone is
    /// one chain of dependent steps (a reduction across a vector, the exponentials, another reduction, a division),
    /// which on rows of 17 to 100 classes left the core waiting most of the time; four independent chains in one
    /// loop fill it. Four rows that do not all take the same exponential, or with a maximum that is not finite, go
    /// one by one the ordinary way; a row whose sum is NaN (a NaN the maximum stepped over) is written NaN.
    /// With <paramref name="normalizers"/> (and <see cref="Discard"/>), log Σ exp(z/T) instead, one value a row at
    /// <paramref name="destination"/>, each as <see cref="ShortNormalizer{TArgument}"/> gives it.
    /// Returns the rows done, a multiple of four.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int FourRows<TArgument, TSink>(T* logits, T* destination, int rows, int classes, double temperature, bool masked, bool normalizers = false)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
        where TSink : struct, ISink
    {
        double inverse = 1 / temperature;
        bool unit = typeof(TArgument) == typeof(ShiftArgument<TSimd, TVector, T>);
        bool logarithm = !TSink.Keeps;
        int row = 0;
        for (; row <= rows - 4; row += 4)
        {
            nint offset = (nint)row * classes;
            T* z = logits + offset, d = normalizers ? null : destination + offset;
            // The maxima inline, not through FourTogether: called, they cost softmax of 17- and 32-class rows 6 %.
            var (m0, n0) = ChunkMaxMin(z, classes);
            var (m1, n1) = ChunkMaxMin(z + classes, classes);
            var (m2, n2) = ChunkMaxMin(z + 2 * classes, classes);
            var (m3, n3) = ChunkMaxMin(z + 3 * classes, classes);
            Four sums;
            // Log-softmax divides each row's kept sum by the value its maximum takes there (1 but for the row-local exponential).
            var units = Vector256<double>.One;
            if (!(T.IsFinite(m0) & T.IsFinite(m1) & T.IsFinite(m2) & T.IsFinite(m3)))
            {
                sums = default;
            }
            else if (!unit)
            {
                sums = FourSums<TArgument, TSink>(z, d, classes, m0, m1, m2, m3, inverse);
            }
            else
            {
                bool f0 = RowExponential<TSimd, TVector, T>.Accepts(m0, n0), f1 = RowExponential<TSimd, TVector, T>.Accepts(m1, n1);
                bool f2 = RowExponential<TSimd, TVector, T>.Accepts(m2, n2), f3 = RowExponential<TSimd, TVector, T>.Accepts(m3, n3);
                bool fast = f0 & f1 & f2 & f3;
                sums = fast ? FourSums<TSink>(z, d, classes, m0, m1, m2, m3)
                    : !(f0 | f1 | f2 | f3) ? FourSums<TArgument, TSink>(z, d, classes, m0, m1, m2, m3, 1)
                    : default;
                if (logarithm && fast) units = RowExponential<TSimd, TVector, T>.FourUnits(m0, m1, m2, m3);
            }
            if (!sums.Taken)
            {
                for (int k = 0; k < 4; k++)
                {
                    if (normalizers) destination[row + k] = LogSumExpRow<TArgument>(z + k * classes, classes, inverse);
                    else if (logarithm) LogProbabilitiesRow<TArgument>(z + k * classes, d + k * classes, classes, temperature, masked, streaming: false);
                    else ProbabilitiesRow<TArgument>(z + k * classes, d + k * classes, classes, temperature, masked, 1, streaming: false);
                }
                continue;
            }
            if (logarithm)
            {
                var relative = Vector256.Create(sums.First, sums.Second, sums.Third, sums.Fourth) / units;
                if (normalizers) FourNormalizersOut(destination + row, inverse, m0, m1, m2, m3, relative);
                else FourLogRowsOut(z, d, classes, inverse, m0, m1, m2, m3, relative);
                continue;
            }
            FourScaled(d, classes, T.CreateTruncating(1 / sums.First), T.CreateTruncating(1 / sums.Second), T.CreateTruncating(1 / sums.Third),
                T.CreateTruncating(1 / sums.Fourth));
            if (double.IsNaN(sums.First + sums.Second + sums.Third + sums.Fourth))
            {
                if (double.IsNaN(sums.First)) SpecialRows<T>.Write(RowKind.NaN, z, d, classes, logarithm: false, masked, 1);
                if (double.IsNaN(sums.Second)) SpecialRows<T>.Write(RowKind.NaN, z + classes, d + classes, classes, logarithm: false, masked, 1);
                if (double.IsNaN(sums.Third)) SpecialRows<T>.Write(RowKind.NaN, z + 2 * classes, d + 2 * classes, classes, logarithm: false, masked, 1);
                if (double.IsNaN(sums.Fourth)) SpecialRows<T>.Write(RowKind.NaN, z + 3 * classes, d + 3 * classes, classes, logarithm: false, masked, 1);
            }
        }
        return row;
    }

    /// <summary>
    /// The end of four rows of log-softmax in <see cref="FourRows{TArgument, TSink}"/>, from each row's
    /// Σ exp((z − max)/T) as <see cref="ShortLogRow{TArgument}"/> takes it: (z − max)/T − log Σ written out. A
    /// method of its own, so that the JIT's inlining budget for the loop is not spent on it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void FourLogRowsOut(T* z, T* d, int classes, double inverse, T m0, T m1, T m2, T m3, Vector256<double> sums)
    {
        var logs = Vector256.Log(sums);
        LogRowOut(z, d, classes, m0, inverse, logs.GetElement(0));
        LogRowOut(z + classes, d + classes, classes, m1, inverse, logs.GetElement(1));
        LogRowOut(z + 2 * classes, d + 2 * classes, classes, m2, inverse, logs.GetElement(2));
        LogRowOut(z + 3 * classes, d + 3 * classes, classes, m3, inverse, logs.GetElement(3));
    }

    /// <summary>
    /// The end of four rows of log-sum-exp in <see cref="FourRows{TArgument, TSink}"/>: each row's max/T + log Σ, as
    /// <see cref="ShortNormalizer"/> gives a row alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void FourNormalizersOut(T* destination, double inverse, T m0, T m1, T m2, T m3, Vector256<double> sums)
    {
        var logs = Vector256.Log(sums);
        destination[0] = Normalizer(m0, inverse, logs.GetElement(0));
        destination[1] = Normalizer(m1, inverse, logs.GetElement(1));
        destination[2] = Normalizer(m2, inverse, logs.GetElement(2));
        destination[3] = Normalizer(m3, inverse, logs.GetElement(3));
    }

    /// <summary>
    /// log Σ exp(z/T) of a row of at most <see cref="ShortRowLength"/> elements with a finite maximum, from its sum as
    /// <see cref="ShortLogRow{TArgument}"/> takes it, with the same vector logarithm, so that a row gives the same
    /// bits alone as four at a time; NaN when a NaN the maximum stepped over made the sum NaN.
    /// </summary>
    private static T ShortNormalizer<TArgument>(T* z, int length, T max, T min, double inverse)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T> =>
        Normalizer(max, inverse, Vector256.Log(Vector256.Create(ShortRowSum<TArgument, Discard>(z, null, length, max, min, inverse).RelativeToMax)).ToScalar());

    /// <summary>max/T + log Σ, rounded once to T.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Normalizer(T max, double inverse, double logSum) => T.CreateTruncating(double.CreateTruncating(max) * inverse + logSum);

    /// <summary>
    /// Cross-entropy against labels, unsmoothed or smoothed evenly (<see cref="SmoothsLikeALabel"/>), with its
    /// gradient, four rows at a time as <see cref="FourRows{TArgument, TSink}"/> takes softmax, each row with the bits
    /// <see cref="LabelRow"/> gives it alone: the label's logit and, when smoothed, Σ (max − z) read first (the
    /// gradient may overwrite them), the probabilities times scale·A written less scale·u, scale·(1 − ε)·w_y taken off
    /// at the label, and the loss A·log Σ exp(z − max) + u·Σ (max − z) + (1 − ε)·w_y·(max − z_y); with no
    /// <paramref name="gradient"/>, the same sums and loss, nothing written. Four rows with an ignored label, a
    /// maximum that is not finite or exponentials of both kinds go one by one the ordinary way; a row whose sum is
    /// NaN gets the NaN row. Returns the rows done, a multiple of four. Smoothed evenly, 17-class rows had taken
    /// twice the unsmoothed time one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int FourLabelRows(T* logits, int rows, int classes, int* labels, in CrossEntropySettings<T> settings, T* gradient, double* losses)
    {
        double scale = settings.GradientScale;
        bool smoothed = settings.Smoothing > 0;
        // −scale·u, u = ε/n: the same for every row.
        T offset = T.CreateTruncating(-scale * new RowTargets<T>(0, null, null, settings.Smoothing, false).Uniform(classes));
        int row = 0;
        for (; row <= rows - 4; row += 4)
        {
            T* z = logits + (nint)row * classes, g = gradient == null ? null : gradient + (nint)row * classes;
            int* y = labels + row;
            bool ignored = settings.HasIgnoreLabel && (y[0] == settings.IgnoreLabel | y[1] == settings.IgnoreLabel | y[2] == settings.IgnoreLabel | y[3] == settings.IgnoreLabel);
            if (ignored || !FourTogether(z, classes, out T m0, out T m1, out T m2, out T m3, out bool fast))
            {
                for (int k = 0; k < 4; k++)
                    losses[row + k] = CrossEntropyRow(logits, classes, row + k, labels, null, settings, gradient, streaming: false);
                continue;
            }
            double z0 = double.CreateTruncating(z[y[0]]), z1 = double.CreateTruncating(z[classes + y[1]]);
            double z2 = double.CreateTruncating(z[2 * classes + y[2]]), z3 = double.CreateTruncating(z[3 * classes + y[3]]);
            var gaps = smoothed ? FourGaps(z, classes, m0, m1, m2, m3) : default;
            var sums = FourSums(z, g, classes, m0, m1, m2, m3, fast);
            var t0 = new LabelTarget(new RowTargets<T>(y[0], null, settings.Weights, settings.Smoothing, settings.Masked), y[0], classes);
            var t1 = new LabelTarget(new RowTargets<T>(y[1], null, settings.Weights, settings.Smoothing, settings.Masked), y[1], classes);
            var t2 = new LabelTarget(new RowTargets<T>(y[2], null, settings.Weights, settings.Smoothing, settings.Masked), y[2], classes);
            var t3 = new LabelTarget(new RowTargets<T>(y[3], null, settings.Weights, settings.Smoothing, settings.Masked), y[3], classes);
            if (g != null)
                FourScaled(g, classes, T.CreateTruncating(scale * t0.Weight / sums.First), T.CreateTruncating(scale * t1.Weight / sums.Second),
                    T.CreateTruncating(scale * t2.Weight / sums.Third), T.CreateTruncating(scale * t3.Weight / sums.Fourth), offset);
            // The gradient's rows, or null throughout for the loss alone.
            nint step = g == null ? 0 : classes;
            var units = fast ? RowExponential<TSimd, TVector, T>.FourUnits(m0, m1, m2, m3) : Vector256<double>.One;
            losses[row] = FinishLabel(z, g, y[0], classes, m0, new ShortSum(sums.First, units.GetElement(0)), gaps.GetElement(0), t0, z0, settings, scale);
            losses[row + 1] = FinishLabel(z + classes, g + step, y[1], classes, m1, new ShortSum(sums.Second, units.GetElement(1)), gaps.GetElement(1), t1, z1,
                settings, scale);
            losses[row + 2] = FinishLabel(z + 2 * classes, g + 2 * step, y[2], classes, m2, new ShortSum(sums.Third, units.GetElement(2)), gaps.GetElement(2), t2, z2,
                settings, scale);
            losses[row + 3] = FinishLabel(z + 3 * classes, g + 3 * step, y[3], classes, m3, new ShortSum(sums.Fourth, units.GetElement(3)), gaps.GetElement(3), t3, z3,
                settings, scale);
        }
        return row;
    }

    /// <summary>
    /// Cross-entropy against soft targets, smoothed evenly or not, without class weights or a mask, four rows at a
    /// time, each row with the bits <see cref="TryShortTargetRow"/> gives it alone: its target sums against its
    /// maximum read first (the gradient may overwrite the logits), the exponentials kept in the gradient's row and
    /// summed, the loss A·log Σ exp(z − max) + C, and the gradient e·scale·A/Σ − scale·t′ written over them. With
    /// no <paramref name="gradient"/>, the same sums and loss, nothing written. Four rows with a maximum that is not
    /// finite or exponentials of both kinds go one by one the ordinary way; a row whose sum is NaN gets the NaN row.
    /// Returns the rows done, a multiple of four. One by one, 17-class rows had taken 2.3 times the time of labels.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int FourTargetRows(T* logits, int rows, int classes, T* targets, in CrossEntropySettings<T> settings, T* gradient, double* losses)
    {
        double scale = settings.GradientScale;
        bool smoothed = settings.Smoothing > 0;
        int row = 0;
        for (; row <= rows - 4; row += 4)
        {
            nint offset = (nint)row * classes;
            T* z = logits + offset, t = targets + offset, g = gradient == null ? null : gradient + offset;
            if (!FourTogether(z, classes, out T m0, out T m1, out T m2, out T m3, out bool fast))
            {
                for (int k = 0; k < 4; k++)
                    losses[row + k] = CrossEntropyRow(logits, classes, row + k, null, targets, settings, gradient, streaming: false);
                continue;
            }
            FourTargetSums(z, t, classes, m0, m1, m2, m3, smoothed, out var s0, out var s1, out var s2, out var s3);
            var sums = FourSums(z, g, classes, m0, m1, m2, m3, fast);
            var units = fast ? RowExponential<TSimd, TVector, T>.FourUnits(m0, m1, m2, m3) : Vector256<double>.One;
            // The gradient's rows, or null throughout for the loss alone.
            nint step = g == null ? 0 : classes;
            losses[row] = FinishTarget(z, t, g, classes, m0, new ShortSum(sums.First, units.GetElement(0)), s0, settings, scale);
            losses[row + 1] = FinishTarget(z + classes, t + classes, g + step, classes, m1, new ShortSum(sums.Second, units.GetElement(1)), s1, settings, scale);
            losses[row + 2] = FinishTarget(z + 2 * classes, t + 2 * classes, g + 2 * step, classes, m2, new ShortSum(sums.Third, units.GetElement(2)), s2,
                settings, scale);
            losses[row + 3] = FinishTarget(z + 3 * classes, t + 3 * classes, g + 3 * step, classes, m3, new ShortSum(sums.Fourth, units.GetElement(3)), s3,
                settings, scale);
        }
        return row;
    }

    /// <summary>The target sums of four consecutive rows against their maxima, each as <see cref="SumTargets(T*, T*, T*, int, T, bool, bool)"/> gives it for the row alone.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void FourTargetSums(T* z, T* t, int classes, T m0, T m1, T m2, T m3, bool smoothed,
        out TargetSums s0, out TargetSums s1, out TargetSums s2, out TargetSums s3)
    {
        s0 = SumTargets(z, t, null, classes, m0, smoothed, masked: false);
        s1 = SumTargets(z + classes, t + classes, null, classes, m1, smoothed, masked: false);
        s2 = SumTargets(z + 2 * classes, t + 2 * classes, null, classes, m2, smoothed, masked: false);
        s3 = SumTargets(z + 3 * classes, t + 3 * classes, null, classes, m3, smoothed, masked: false);
    }

    /// <summary>
    /// The end of one row of <see cref="FourTargetRows"/>, its exponentials kept in the gradient's row (or not, for
    /// the loss alone): the loss, and the gradient written over them, or the NaN row when its sum is NaN.
    /// </summary>
    private static double FinishTarget(T* z, T* t, T* g, int classes, T max, ShortSum sum, in TargetSums sums, in CrossEntropySettings<T> settings, double scale)
    {
        var rowTargets = new RowTargets<T>(-1, t, null, settings.Smoothing, false);
        var statistics = sum.Statistics(max);
        if (statistics.Kind != RowKind.Finite) return rowTargets.SpecialRow(statistics.Kind, z, classes, g, scale);
        var target = new TargetLoss(sums, statistics, classes, softTargets: true, rowTargets, weighted: false, masked: false, labelLogit: 0);
        if (g != null) target.WriteGradient(g, z, g, t, null, classes, sum.Kept, scale, rowTargets.Label, masked: false);
        return target.Loss;
    }

    /// <summary>
    /// The maxima of four consecutive rows, and whether the four can go together through <see cref="FourSums(T*, T*, int, T, T, T, T, bool)"/>
    /// at unit temperature: every maximum finite, and either every row within
    /// <see cref="RowExponential{TSimd, TVector, T}"/>'s spread (<paramref name="fast"/>) or none, so that each row
    /// takes the exponential it takes alone. Not inlined: the four maxima's loops, inlined into the four-row loops,
    /// spent the JIT's budget there, and the four-row label loop kept vectors on the stack. Called, they took
    /// cross-entropy of 17- to 128-class rows 8–15 % less time (51200 × 32: 1.9 → 1.6 ms); softmax's
    /// <see cref="FourRows{TArgument, TSink}"/>, which keeps them inline, took 6 % more time with the call.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static bool FourTogether(T* z, int classes, out T m0, out T m1, out T m2, out T m3, out bool fast)
    {
        (m0, var n0) = ChunkMaxMin(z, classes);
        (m1, var n1) = ChunkMaxMin(z + classes, classes);
        (m2, var n2) = ChunkMaxMin(z + 2 * classes, classes);
        (m3, var n3) = ChunkMaxMin(z + 3 * classes, classes);
        bool f0 = RowExponential<TSimd, TVector, T>.Accepts(m0, n0), f1 = RowExponential<TSimd, TVector, T>.Accepts(m1, n1);
        bool f2 = RowExponential<TSimd, TVector, T>.Accepts(m2, n2), f3 = RowExponential<TSimd, TVector, T>.Accepts(m3, n3);
        fast = f0 & f1 & f2 & f3;
        return T.IsFinite(m0) & T.IsFinite(m1) & T.IsFinite(m2) & T.IsFinite(m3) & (fast | !(f0 | f1 | f2 | f3));
    }

    /// <summary>
    /// The sums of four rows at unit temperature with the exponential <see cref="FourTogether"/> chose, their
    /// exponentials kept in the rows at <paramref name="kept"/>, or nothing kept where it is null (the loss alone).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Four FourSums(T* z, T* kept, int classes, T m0, T m1, T m2, T m3, bool fast) =>
        kept == null
            ? fast ? FourSums<Discard>(z, null, classes, m0, m1, m2, m3) : FourSums<ShiftArgument<TSimd, TVector, T>, Discard>(z, null, classes, m0, m1, m2, m3, 1)
            : fast ? FourSums<Keep>(z, kept, classes, m0, m1, m2, m3) : FourSums<ShiftArgument<TSimd, TVector, T>, Keep>(z, kept, classes, m0, m1, m2, m3, 1);

    /// <summary>
    /// The end of one row of <see cref="FourLabelRows"/>, its probabilities written and scaled: the label's share
    /// taken off and the loss, or the NaN row when its sum is NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double FinishLabel(T* z, T* g, int label, int classes, T max, ShortSum sum, double gaps, in LabelTarget target, double labelLogit,
        in CrossEntropySettings<T> settings, double scale)
    {
        if (double.IsNaN(sum.Kept))
            return new RowTargets<T>(label, null, settings.Weights, settings.Smoothing, settings.Masked).SpecialRow(RowKind.NaN, z, classes, g, scale);
        if (g != null) g[label] = T.CreateTruncating(double.CreateTruncating(g[label]) - scale * target.Own);
        // Not sum.Statistics(max, gaps): the call cost cross-entropy of 17-class rows 4 %, here in the four-row loop.
        return target.Loss(new RowStatistics(RowKind.Finite, double.CreateTruncating(max), sum.RelativeToMax) { Gaps = gaps }, labelLogit);
    }

    /// <summary>Σ (max − z) of four consecutive rows, each as <see cref="GapSum"/> gives it for the row alone.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<double> FourGaps(T* z, int classes, T m0, T m1, T m2, T m3) =>
        Vector256.Create(GapSum(z, classes, m0), GapSum(z + classes, classes, m1), GapSum(z + 2 * classes, classes, m2), GapSum(z + 3 * classes, classes, m3));

    /// <summary>The kept sums of four rows, in row order (<see cref="ShortSum.Kept"/>); default where the rows were not taken.</summary>
    private readonly struct Four(double first, double second, double third, double fourth)
    {
        public double First { get; } = first;
        public double Second { get; } = second;
        public double Third { get; } = third;
        public double Fourth { get; } = fourth;
        public bool Taken { get; } = true;
    }

    /// <summary>
    /// The exponentials of four consecutive rows of <paramref name="classes"/> at <paramref name="logits"/>, each
    /// against its own argument (made here from its maximum), written to the four rows at <paramref name="kept"/>
    /// when <typeparamref name="TSink"/> keeps, and summed in float64 as <see cref="ChunkExp{TArgument, TSink}"/>
    /// sums them. Every vector is loaded and stored under a mask, the last one partial, all in one loop that calls
    /// nothing (the same bits as a whole vector where the mask is whole):
    /// <list type="bullet">
    /// <item>every vector register is the caller's to save across a call, and a call for the last vectors, before
    /// or after the loop, left its accumulators or its constants on the stack;</item>
    /// <item>the arguments, passed as structs of vectors, were reloaded from the stack and stored back in every
    /// iteration, and the stack is aligned to 16 bytes only: where a 64-byte slot straddled two cache lines,
    /// softmax of 64-class rows took half as long again, from one process to the next.</item>
    /// </list>
    /// Side by side (3855 × 17, in L2), this took softmax of 17-class rows from 24 to 20 ns a row.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Four FourSums<TArgument, TSink>(T* logits, T* kept, int classes, T m0, T m1, T m2, T m3, double inverse)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
        where TSink : struct, ISink
    {
        int width = TSimd.Count;
        TArgument a0 = TArgument.Create(m0, T.Zero, inverse), a1 = TArgument.Create(m1, T.Zero, inverse);
        TArgument a2 = TArgument.Create(m2, T.Zero, inverse), a3 = TArgument.Create(m3, T.Zero, inverse);
        T* z0 = logits, z1 = z0 + classes, z2 = z1 + classes, z3 = z2 + classes;
        T* d0 = kept, d1 = d0 + classes, d2 = d1 + classes, d3 = d2 + classes;
        var zero = TSimd.Create(T.Zero);
        TVector low0 = zero, high0 = zero, low1 = zero, high1 = zero, low2 = zero, high2 = zero, low3 = zero, high3 = zero;
        for (int i = 0; i < classes; i += width)
        {
            int count = Math.Min(width, classes - i);
            (low0, high0) = TSimd.AddWide(ExpMasked<TArgument, TSink>(a0, z0 + i, d0 + i, count), low0, high0);
            (low1, high1) = TSimd.AddWide(ExpMasked<TArgument, TSink>(a1, z1 + i, d1 + i, count), low1, high1);
            (low2, high2) = TSimd.AddWide(ExpMasked<TArgument, TSink>(a2, z2 + i, d2 + i, count), low2, high2);
            (low3, high3) = TSimd.AddWide(ExpMasked<TArgument, TSink>(a3, z3 + i, d3 + i, count), low3, high3);
        }
        return new Four(TSimd.SumWide(low0, high0), TSimd.SumWide(low1, high1), TSimd.SumWide(low2, high2), TSimd.SumWide(low3, high3));
    }

    /// <summary>The exponentials of the <paramref name="count"/> (at most a vector) elements of a row at <paramref name="logits"/>, as <see cref="ChunkExp{TArgument, TSink}"/> takes them: −∞ in the spare lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector ExpMasked<TArgument, TSink>(in TArgument argument, T* logits, T* kept, int count)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
        where TSink : struct, ISink
    {
        argument.Compute(TSimd.LoadTail(logits, count, T.NegativeInfinity), out var hi, out var lo);
        var e = VectorMath.Exp<TSimd, TVector, T>(hi, lo);
        if (TSink.Keeps) TSimd.StoreTail(kept, count, e);
        return e;
    }

    /// <summary>
    /// <see cref="FourSums{TArgument, TSink}"/> with each row's <see cref="RowExponential{TSimd, TVector, T}"/>, as
    /// <see cref="RowExp{TSink}"/> computes one row (each vector as its last, partial one); the sums are of the kept
    /// values, which the caller divides by.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Four FourSums<TSink>(T* logits, T* kept, int classes, T m0, T m1, T m2, T m3)
        where TSink : struct, ISink
    {
        int width = TSimd.Count;
        // The table first: its getter may call the runtime, and a vector made before a call is kept in memory.
        var table = RowExponential<TSimd, TVector, T>.Table;
        TVector e0 = RowExponential<TSimd, TVector, T>.Shifter(m0), e1 = RowExponential<TSimd, TVector, T>.Shifter(m1);
        TVector e2 = RowExponential<TSimd, TVector, T>.Shifter(m2), e3 = RowExponential<TSimd, TVector, T>.Shifter(m3);
        T* z0 = logits, z1 = z0 + classes, z2 = z1 + classes, z3 = z2 + classes;
        T* d0 = kept, d1 = d0 + classes, d2 = d1 + classes, d3 = d2 + classes;
        var zero = TSimd.Create(T.Zero);
        TVector low0 = zero, high0 = zero, low1 = zero, high1 = zero, low2 = zero, high2 = zero, low3 = zero, high3 = zero;
        for (int i = 0; i < classes; i += width)
        {
            int count = Math.Min(width, classes - i);
            var v0 = RowExpMasked<TSink>(e0, z0 + i, d0 + i, count, table);
            var v1 = RowExpMasked<TSink>(e1, z1 + i, d1 + i, count, table);
            var v2 = RowExpMasked<TSink>(e2, z2 + i, d2 + i, count, table);
            var v3 = RowExpMasked<TSink>(e3, z3 + i, d3 + i, count, table);
            (low0, high0) = TSimd.AddWide(v0, low0, high0);
            (low1, high1) = TSimd.AddWide(v1, low1, high1);
            (low2, high2) = TSimd.AddWide(v2, low2, high2);
            (low3, high3) = TSimd.AddWide(v3, low3, high3);
        }
        return new Four(TSimd.SumWide(low0, high0), TSimd.SumWide(low1, high1), TSimd.SumWide(low2, high2), TSimd.SumWide(low3, high3));
    }

    /// <summary>
    /// The <paramref name="count"/> (at most a vector) elements of a row at <paramref name="logits"/> with
    /// <see cref="RowExponential{TSimd, TVector, T}"/>, kept when <typeparamref name="TSink"/> keeps: whatever the
    /// spare lanes come to (NaN from −∞), KeepFirst selects 0 there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector RowExpMasked<TSink>(TVector shifter, T* logits, T* kept, int count, in VectorMath.ThirtySecondsExponential table)
        where TSink : struct, ISink
    {
        var e = TSimd.KeepFirst(RowExponential<TSimd, TVector, T>.Of(TSimd.LoadTail(logits, count, T.NegativeInfinity), shifter, table), count);
        if (TSink.Keeps) TSimd.StoreTail(kept, count, e);
        return e;
    }

    /// <summary>
    /// Four consecutive rows of <paramref name="classes"/> at <paramref name="rows"/> multiplied in place, each by its
    /// own factor, then <paramref name="offset"/> added in the same rounding where it is not 0, as
    /// <see cref="Scale"/> does a row alone.
    /// </summary>
    private static void FourScaled(T* rows, int classes, T f0, T f1, T f2, T f3, T offset = default)
    {
        if (offset == T.Zero) FourScaled<Multiply>(rows, classes, f0, f1, f2, f3, offset);
        else FourScaled<MultiplyAdd>(rows, classes, f0, f1, f2, f3, offset);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void FourScaled<TOperation>(T* rows, int classes, T f0, T f1, T f2, T f3, T offset)
        where TOperation : struct, IOperation
    {
        int width = TSimd.Count;
        int whole = classes - classes % width, rest = classes - whole;
        T* d0 = rows, d1 = d0 + classes, d2 = d1 + classes, d3 = d2 + classes;
        TVector v0 = TSimd.Create(f0), v1 = TSimd.Create(f1), v2 = TSimd.Create(f2), v3 = TSimd.Create(f3), a = TSimd.Create(offset);
        int i = 0;
        for (; i < whole; i += width)
        {
            TSimd.Store(d0 + i, TOperation.Apply(TSimd.Load(d0 + i), v0, a));
            TSimd.Store(d1 + i, TOperation.Apply(TSimd.Load(d1 + i), v1, a));
            TSimd.Store(d2 + i, TOperation.Apply(TSimd.Load(d2 + i), v2, a));
            TSimd.Store(d3 + i, TOperation.Apply(TSimd.Load(d3 + i), v3, a));
        }
        if (rest > 0)
        {
            TSimd.StoreTail(d0 + i, rest, TOperation.Apply(TSimd.LoadTail(d0 + i, rest, T.Zero), v0, a));
            TSimd.StoreTail(d1 + i, rest, TOperation.Apply(TSimd.LoadTail(d1 + i, rest, T.Zero), v1, a));
            TSimd.StoreTail(d2 + i, rest, TOperation.Apply(TSimd.LoadTail(d2 + i, rest, T.Zero), v2, a));
            TSimd.StoreTail(d3 + i, rest, TOperation.Apply(TSimd.LoadTail(d3 + i, rest, T.Zero), v3, a));
        }
    }
}
