using System.Runtime.CompilerServices;

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
            else if (!FitsOneVector(length) && RowExponential<TSimd, TVector, T>.TryCreate(max, min, out var row))
            {
                return RowExp<TSink>(z, kept, length, max, row);
            }
        }
        return new ShortSum(ChunkExp<TArgument, TSink>(z, kept, length, TArgument.Create(max, T.Zero, inverse)), 1);
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
    private static ShortSum RowExp<TSink>(T* z, T* kept, int length, T max, RowExponential<TSimd, TVector, T> row)
        where TSink : struct, ISink
    {
        int width = TSimd.Count;
        var table = RowExponential<TSimd, TVector, T>.Table;
        var low = TSimd.Create(T.Zero);
        var high = low;
        int i = 0;
        for (; i <= length - width; i += width)
        {
            var e = row.Of(TSimd.Load(z + i), table);
            if (TSink.Keeps) TSimd.Store(kept + i, e);
            (low, high) = TSimd.AddWide(e, low, high);
        }
        if (i < length) (low, high) = RowExpTail<TSink>(row, z + i, TSink.Keeps ? kept + i : null, length - i, table, low, high);
        return new ShortSum(TSimd.SumWide(low, high), row.Unit(max));
    }

    /// <summary>
    /// Whether rows of <paramref name="classes"/> go four at a time (<see cref="FourRows{TArgument}"/>,
    /// <see cref="FourLabelRows"/>): longer than one vector and no longer than eight. Side by side on one thread,
    /// four at a time (and the row-local exponential) took softmax of 17-class float rows from 59 to 23 ns a row
    /// and cross-entropy from 81 to 52. From about 128 classes on, a row's own vectors keep the core busy, and four
    /// rows' accumulators, spilled to the stack, made cross-entropy at 256 classes slower than one row at a time.
    /// </summary>
    private static bool InFours(int classes) => !FitsOneVector(classes) && classes <= 8 * TSimd.Count && classes * sizeof(T) < FastRowBytes;

    /// <summary>
    /// softmax(z/T) of a batch's rows, four at a time, each row's arithmetic that of
    /// <see cref="ShortRow{TArgument}"/> (the same bits): its maximum, each value against it written to the
    /// destination and summed in float64, then the division. A row alone is one chain of dependent steps (a
    /// reduction across a vector, the exponentials, another reduction, a division), which on rows of 17 to 100
    /// classes left the core waiting most of the time; four independent chains in one loop fill it. Four rows
    /// that do not all take the same exponential, or with a maximum that is not finite, go one by one the
    /// ordinary way; a row whose sum is NaN (a NaN the maximum stepped over) is written NaN. Returns the rows
    /// done, a multiple of four.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int FourRows<TArgument>(T* logits, T* destination, int rows, int classes, double temperature, bool masked)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        double inverse = 1 / temperature;
        bool unit = typeof(TArgument) == typeof(ShiftArgument<TSimd, TVector, T>);
        int row = 0;
        for (; row <= rows - 4; row += 4)
        {
            nint offset = (nint)row * classes;
            T* z = logits + offset, d = destination + offset;
            var (m0, n0) = ChunkMaxMin(z, classes);
            var (m1, n1) = ChunkMaxMin(z + classes, classes);
            var (m2, n2) = ChunkMaxMin(z + 2 * classes, classes);
            var (m3, n3) = ChunkMaxMin(z + 3 * classes, classes);
            Four sums;
            if (!(T.IsFinite(m0) & T.IsFinite(m1) & T.IsFinite(m2) & T.IsFinite(m3)))
            {
                sums = default;
            }
            else if (!unit)
            {
                sums = FourSums(z, d, classes, TArgument.Create(m0, T.Zero, inverse), TArgument.Create(m1, T.Zero, inverse),
                    TArgument.Create(m2, T.Zero, inverse), TArgument.Create(m3, T.Zero, inverse));
            }
            else
            {
                bool f0 = RowExponential<TSimd, TVector, T>.TryCreate(m0, n0, out var e0), f1 = RowExponential<TSimd, TVector, T>.TryCreate(m1, n1, out var e1);
                bool f2 = RowExponential<TSimd, TVector, T>.TryCreate(m2, n2, out var e2), f3 = RowExponential<TSimd, TVector, T>.TryCreate(m3, n3, out var e3);
                sums = f0 & f1 & f2 & f3 ? FourSums(z, d, classes, e0, e1, e2, e3)
                    : !(f0 | f1 | f2 | f3) ? FourSums(z, d, classes, TArgument.Create(m0, T.Zero, 1), TArgument.Create(m1, T.Zero, 1),
                        TArgument.Create(m2, T.Zero, 1), TArgument.Create(m3, T.Zero, 1))
                    : default;
            }
            if (!sums.Taken)
            {
                for (int k = 0; k < 4; k++)
                    ProbabilitiesRow<TArgument>(z + k * classes, d + k * classes, classes, temperature, masked, 1, streaming: false);
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
    /// Cross-entropy against labels, unsmoothed, with its gradient, four rows at a time as <see cref="FourRows{TArgument}"/>
    /// takes softmax, each row with the bits <see cref="LabelRow"/> gives it alone: the label's logit read first (the
    /// gradient may overwrite it), the probabilities times scale·w_y written, scale·w_y taken off at the label, and
    /// the loss w_y·(log Σ exp(z − max) + max − z_y). Four rows with an ignored label, a maximum that is not finite
    /// or exponentials of both kinds go one by one the ordinary way; a row whose sum is NaN gets the NaN row.
    /// Returns the rows done, a multiple of four.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int FourLabelRows(T* logits, int rows, int classes, int* labels, in CrossEntropySettings<T> settings, T* gradient, double* losses)
    {
        double scale = settings.GradientScale;
        int row = 0;
        for (; row <= rows - 4; row += 4)
        {
            nint offset = (nint)row * classes;
            T* z = logits + offset, g = gradient + offset;
            int* y = labels + row;
            bool ignored = settings.HasIgnoreLabel && (y[0] == settings.IgnoreLabel | y[1] == settings.IgnoreLabel | y[2] == settings.IgnoreLabel | y[3] == settings.IgnoreLabel);
            var (m0, n0) = ChunkMaxMin(z, classes);
            var (m1, n1) = ChunkMaxMin(z + classes, classes);
            var (m2, n2) = ChunkMaxMin(z + 2 * classes, classes);
            var (m3, n3) = ChunkMaxMin(z + 3 * classes, classes);
            bool f0 = RowExponential<TSimd, TVector, T>.TryCreate(m0, n0, out var e0), f1 = RowExponential<TSimd, TVector, T>.TryCreate(m1, n1, out var e1);
            bool f2 = RowExponential<TSimd, TVector, T>.TryCreate(m2, n2, out var e2), f3 = RowExponential<TSimd, TVector, T>.TryCreate(m3, n3, out var e3);
            bool fast = f0 & f1 & f2 & f3;
            if (ignored || !(T.IsFinite(m0) & T.IsFinite(m1) & T.IsFinite(m2) & T.IsFinite(m3)) || (!fast & (f0 | f1 | f2 | f3)))
            {
                for (int k = 0; k < 4; k++)
                    losses[row + k] = CrossEntropyRow(logits, classes, row + k, labels, null, settings, gradient, streaming: false);
                continue;
            }
            double z0 = double.CreateTruncating(z[y[0]]), z1 = double.CreateTruncating(z[classes + y[1]]);
            double z2 = double.CreateTruncating(z[2 * classes + y[2]]), z3 = double.CreateTruncating(z[3 * classes + y[3]]);
            var sums = fast
                ? FourSums(z, g, classes, e0, e1, e2, e3)
                : FourSums(z, g, classes, ShiftArgument<TSimd, TVector, T>.Create(m0, T.Zero, 1), ShiftArgument<TSimd, TVector, T>.Create(m1, T.Zero, 1),
                    ShiftArgument<TSimd, TVector, T>.Create(m2, T.Zero, 1), ShiftArgument<TSimd, TVector, T>.Create(m3, T.Zero, 1));
            var t0 = new LabelTarget(new RowTargets<T>(y[0], null, settings.Weights, 0, settings.Masked), y[0], classes);
            var t1 = new LabelTarget(new RowTargets<T>(y[1], null, settings.Weights, 0, settings.Masked), y[1], classes);
            var t2 = new LabelTarget(new RowTargets<T>(y[2], null, settings.Weights, 0, settings.Masked), y[2], classes);
            var t3 = new LabelTarget(new RowTargets<T>(y[3], null, settings.Weights, 0, settings.Masked), y[3], classes);
            FourScaled(g, classes, T.CreateTruncating(scale * t0.Weight / sums.First), T.CreateTruncating(scale * t1.Weight / sums.Second),
                T.CreateTruncating(scale * t2.Weight / sums.Third), T.CreateTruncating(scale * t3.Weight / sums.Fourth));
            losses[row] = FinishLabel(z, g, y[0], classes, m0, new ShortSum(sums.First, fast ? e0.Unit(m0) : 1), t0, z0, settings, scale);
            losses[row + 1] = FinishLabel(z + classes, g + classes, y[1], classes, m1, new ShortSum(sums.Second, fast ? e1.Unit(m1) : 1), t1, z1, settings, scale);
            losses[row + 2] = FinishLabel(z + 2 * classes, g + 2 * classes, y[2], classes, m2, new ShortSum(sums.Third, fast ? e2.Unit(m2) : 1), t2, z2, settings, scale);
            losses[row + 3] = FinishLabel(z + 3 * classes, g + 3 * classes, y[3], classes, m3, new ShortSum(sums.Fourth, fast ? e3.Unit(m3) : 1), t3, z3, settings, scale);
        }
        return row;
    }

    /// <summary>
    /// The end of one row of <see cref="FourLabelRows"/>, its probabilities written and scaled: the label's share
    /// taken off and the loss, or the NaN row when its sum is NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double FinishLabel(T* z, T* g, int label, int classes, T max, ShortSum sum, in LabelTarget target, double labelLogit,
        in CrossEntropySettings<T> settings, double scale)
    {
        if (double.IsNaN(sum.Kept))
            return new RowTargets<T>(label, null, settings.Weights, 0, settings.Masked).SpecialRow(RowKind.NaN, z, classes, g, scale);
        g[label] = T.CreateTruncating(double.CreateTruncating(g[label]) - scale * target.Own);
        return target.Loss(new RowStatistics(RowKind.Finite, double.CreateTruncating(max), sum.RelativeToMax), labelLogit);
    }

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
    /// against its own argument, written to the four rows at <paramref name="kept"/> and summed in float64 as
    /// <see cref="ChunkExp{TArgument, TSink}"/> sums them.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Four FourSums<TArgument>(T* logits, T* kept, int classes, TArgument a0, TArgument a1, TArgument a2, TArgument a3)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        int width = TSimd.Count;
        int whole = classes - classes % width;
        T* z0 = logits, z1 = z0 + classes, z2 = z1 + classes, z3 = z2 + classes;
        T* d0 = kept, d1 = d0 + classes, d2 = d1 + classes, d3 = d2 + classes;
        var zero = TSimd.Create(T.Zero);
        TVector low0 = zero, high0 = zero, low1 = zero, high1 = zero, low2 = zero, high2 = zero, low3 = zero, high3 = zero;
        for (int i = 0; i < whole; i += width)
        {
            (low0, high0) = ExpInto(a0, TSimd.Load(z0 + i), d0 + i, low0, high0);
            (low1, high1) = ExpInto(a1, TSimd.Load(z1 + i), d1 + i, low1, high1);
            (low2, high2) = ExpInto(a2, TSimd.Load(z2 + i), d2 + i, low2, high2);
            (low3, high3) = ExpInto(a3, TSimd.Load(z3 + i), d3 + i, low3, high3);
        }
        if (whole < classes)
            (low0, high0) = FourTails(a0, a1, a2, a3, z0 + whole, d0 + whole, classes, classes - whole, low0, high0,
                ref low1, ref high1, ref low2, ref high2, ref low3, ref high3);
        return new Four(TSimd.SumWide(low0, high0), TSimd.SumWide(low1, high1), TSimd.SumWide(low2, high2), TSimd.SumWide(low3, high3));
    }

    /// <summary>The last partial vector of each of four rows, for <see cref="FourSums{TArgument}"/>: −∞ in the spare lanes.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static (TVector Low, TVector High) FourTails<TArgument>(TArgument a0, TArgument a1, TArgument a2, TArgument a3, T* z, T* d, int classes, int rest,
        TVector low0, TVector high0, ref TVector low1, ref TVector high1, ref TVector low2, ref TVector high2, ref TVector low3, ref TVector high3)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        (low1, high1) = ExpIntoTail(a1, z + classes, d + classes, rest, low1, high1);
        (low2, high2) = ExpIntoTail(a2, z + 2 * classes, d + 2 * classes, rest, low2, high2);
        (low3, high3) = ExpIntoTail(a3, z + 3 * classes, d + 3 * classes, rest, low3, high3);
        return ExpIntoTail(a0, z, d, rest, low0, high0);
    }

    /// <summary>One vector of <see cref="ChunkExp{TArgument, TSink}"/>: its exponentials stored and added to the float64 pair.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TVector Low, TVector High) ExpInto<TArgument>(in TArgument argument, TVector logits, T* kept, TVector low, TVector high)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        argument.Compute(logits, out var hi, out var lo);
        var e = VectorMath.Exp<TSimd, TVector, T>(hi, lo);
        TSimd.Store(kept, e);
        return TSimd.AddWide(e, low, high);
    }

    /// <summary><see cref="ExpInto{TArgument}"/> for the last <paramref name="count"/> (&lt; a vector) elements of a row: −∞ in the spare lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TVector Low, TVector High) ExpIntoTail<TArgument>(in TArgument argument, T* logits, T* kept, int count, TVector low, TVector high)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        argument.Compute(TSimd.LoadTail(logits, count, T.NegativeInfinity), out var hi, out var lo);
        var e = VectorMath.Exp<TSimd, TVector, T>(hi, lo);
        TSimd.StoreTail(kept, count, e);
        return TSimd.AddWide(e, low, high);
    }

    /// <summary>
    /// <see cref="FourSums{TArgument}"/> with each row's <see cref="RowExponential{TSimd, TVector, T}"/>, as
    /// <see cref="RowExp{TSink}"/> computes one row; the sums are of the kept values, which the caller divides by.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Four FourSums(T* logits, T* kept, int classes, RowExponential<TSimd, TVector, T> e0, RowExponential<TSimd, TVector, T> e1,
        RowExponential<TSimd, TVector, T> e2, RowExponential<TSimd, TVector, T> e3)
    {
        int width = TSimd.Count;
        int whole = classes - classes % width;
        var table = RowExponential<TSimd, TVector, T>.Table;
        T* z0 = logits, z1 = z0 + classes, z2 = z1 + classes, z3 = z2 + classes;
        T* d0 = kept, d1 = d0 + classes, d2 = d1 + classes, d3 = d2 + classes;
        var zero = TSimd.Create(T.Zero);
        TVector low0 = zero, high0 = zero, low1 = zero, high1 = zero, low2 = zero, high2 = zero, low3 = zero, high3 = zero;
        int i = 0;
        for (; i < whole; i += width)
        {
            var v0 = e0.Of(TSimd.Load(z0 + i), table);
            var v1 = e1.Of(TSimd.Load(z1 + i), table);
            var v2 = e2.Of(TSimd.Load(z2 + i), table);
            var v3 = e3.Of(TSimd.Load(z3 + i), table);
            TSimd.Store(d0 + i, v0);
            TSimd.Store(d1 + i, v1);
            TSimd.Store(d2 + i, v2);
            TSimd.Store(d3 + i, v3);
            (low0, high0) = TSimd.AddWide(v0, low0, high0);
            (low1, high1) = TSimd.AddWide(v1, low1, high1);
            (low2, high2) = TSimd.AddWide(v2, low2, high2);
            (low3, high3) = TSimd.AddWide(v3, low3, high3);
        }
        if (i < classes)
            (low0, high0) = FourTails(e0, e1, e2, e3, z0 + i, d0 + i, classes, classes - i, low0, high0,
                ref low1, ref high1, ref low2, ref high2, ref low3, ref high3);
        return new Four(TSimd.SumWide(low0, high0), TSimd.SumWide(low1, high1), TSimd.SumWide(low2, high2), TSimd.SumWide(low3, high3));
    }

    /// <summary>The last partial vector of each of four rows with their <see cref="RowExponential{TSimd, TVector, T}"/>, as <see cref="RowExp{TSink}"/> takes it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static (TVector Low, TVector High) FourTails(RowExponential<TSimd, TVector, T> e0, RowExponential<TSimd, TVector, T> e1,
        RowExponential<TSimd, TVector, T> e2, RowExponential<TSimd, TVector, T> e3, T* z, T* d, int classes, int rest,
        TVector low0, TVector high0, ref TVector low1, ref TVector high1, ref TVector low2, ref TVector high2, ref TVector low3, ref TVector high3)
    {
        var table = RowExponential<TSimd, TVector, T>.Table;
        (low1, high1) = RowExpTail<Keep>(e1, z + classes, d + classes, rest, table, low1, high1);
        (low2, high2) = RowExpTail<Keep>(e2, z + 2 * classes, d + 2 * classes, rest, table, low2, high2);
        (low3, high3) = RowExpTail<Keep>(e3, z + 3 * classes, d + 3 * classes, rest, table, low3, high3);
        return RowExpTail<Keep>(e0, z, d, rest, table, low0, high0);
    }

    /// <summary>
    /// The last partial vector of a row with <see cref="RowExponential{TSimd, TVector, T}"/>, kept when
    /// <typeparamref name="TSink"/> keeps: whatever the spare lanes come to (NaN from −∞), KeepFirst selects 0 there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TVector Low, TVector High) RowExpTail<TSink>(in RowExponential<TSimd, TVector, T> row, T* logits, T* kept, int count,
        in VectorMath.ThirtySecondsExponential table, TVector low, TVector high)
        where TSink : struct, ISink
    {
        var e = TSimd.KeepFirst(row.Of(TSimd.LoadTail(logits, count, T.NegativeInfinity), table), count);
        if (TSink.Keeps) TSimd.StoreTail(kept, count, e);
        return TSimd.AddWide(e, low, high);
    }

    /// <summary>Four consecutive rows of <paramref name="classes"/> at <paramref name="rows"/> multiplied in place, each by its own factor.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void FourScaled(T* rows, int classes, T f0, T f1, T f2, T f3)
    {
        int width = TSimd.Count;
        int whole = classes - classes % width, rest = classes - whole;
        T* d0 = rows, d1 = d0 + classes, d2 = d1 + classes, d3 = d2 + classes;
        TVector v0 = TSimd.Create(f0), v1 = TSimd.Create(f1), v2 = TSimd.Create(f2), v3 = TSimd.Create(f3);
        int i = 0;
        for (; i < whole; i += width)
        {
            TSimd.Store(d0 + i, TSimd.Multiply(TSimd.Load(d0 + i), v0));
            TSimd.Store(d1 + i, TSimd.Multiply(TSimd.Load(d1 + i), v1));
            TSimd.Store(d2 + i, TSimd.Multiply(TSimd.Load(d2 + i), v2));
            TSimd.Store(d3 + i, TSimd.Multiply(TSimd.Load(d3 + i), v3));
        }
        if (rest > 0)
        {
            TSimd.StoreTail(d0 + i, rest, TSimd.Multiply(TSimd.LoadTail(d0 + i, rest, T.Zero), v0));
            TSimd.StoreTail(d1 + i, rest, TSimd.Multiply(TSimd.LoadTail(d1 + i, rest, T.Zero), v1));
            TSimd.StoreTail(d2 + i, rest, TSimd.Multiply(TSimd.LoadTail(d2 + i, rest, T.Zero), v2));
            TSimd.StoreTail(d3 + i, rest, TSimd.Multiply(TSimd.LoadTail(d3 + i, rest, T.Zero), v3));
        }
    }
}
