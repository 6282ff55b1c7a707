using System.Runtime.CompilerServices;

namespace Multinoulli.Kernels;

// Large batches of unit-temperature rows, with three rows in flight at once. (The type's constraints are
// declared once, in RowKernels.cs: a part without them takes them from there.)
internal static unsafe partial class RowKernels<TSimd, TVector, T>
{
    private static int PrefetchDistance => 4096 / sizeof(T);

    /// <summary>
    /// What a batch writes, for <see cref="StreamRows{TRows}"/>: the pass-two operand of each row, and the ordinary
    /// path for a row that cannot stream.
    /// </summary>
    private interface IStreamedRows
    {
        /// <summary>
        /// Pass one keeps the gaps z − max and pass two adds the operand; otherwise it keeps exponentials and pass two
        /// multiplies by the operand and adds <see cref="Offset"/>.
        /// </summary>
        static abstract bool KeepsGaps { get; }

        /// <summary>Pass one also sums Σ (max − z) (<see cref="RowStatistics.Gaps"/>), for label smoothing's loss.</summary>
        static abstract bool SumsGaps { get; }

        /// <summary>What pass two adds to every exponential times the operand (0 but for label smoothing).</summary>
        T Offset { get; }

        /// <summary>False for a row to be done by <see cref="General"/> from the start.</summary>
        bool Streams(int row);

        /// <summary>The whole row, the ordinary way (special rows included).</summary>
        void General(int row);

        /// <summary>The pass-two factor or offset of a finite row, from its statistics.</summary>
        T Operand(int row, in RowStatistics statistics);

        /// <summary>Called once the row's output is complete.</summary>
        void Written(int row);
    }

    /// <summary>
    /// The rows of a batch too large to stay in cache, pipelined so that memory and arithmetic overlap: one loop
    /// computes the exponentials of row r from cache, reads row r + 1 from memory for its maximum, and writes
    /// row r − 1's output past the caches. With the maximum known before a row's exponentials, each row has one
    /// shift and one pass-two operand. A row whose maximum is not finite or out of the fast exponential's
    /// range, or whose statistics come out special (a NaN), is done by the job's general path instead.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void StreamRows<TRows>(T* logits, T* destination, int rows, int classes, TRows job)
        where TRows : struct, IStreamedRows
    {
        {
            T* current = Scratch(0), previous = Scratch(1);
            int pendingRow = -1;
            T pendingOperand = T.Zero, offset = job.Offset;
            T nextMax = ChunkMax(logits, classes);
            for (int row = 0; row < rows; row++)
            {
                T* z = logits + (nint)row * classes;
                T* next = row + 1 < rows ? z + classes : z;
                T max = nextMax;
                if (!job.Streams(row) || !ChunkExponential<TSimd, TVector, T>.TryCreate(max, out var fast))
                {
                    Drain<TRows>(previous, destination, classes, ref pendingRow, pendingOperand, offset, job);
                    job.General(row);
                    nextMax = ChunkMax(next, classes);
                    continue;
                }
                // Nothing pending: the drain stream rewrites the spare buffer, which costs one row's bandwidth once.
                T* drain = pendingRow >= 0 ? destination + (nint)pendingRow * classes : previous;
                double sum = FusedPass<TRows>(z, next, current, previous, drain, classes, max, fast, pendingOperand, offset, out nextMax, out double gaps);
                if (pendingRow >= 0) job.Written(pendingRow);
                pendingRow = -1;
                if (double.IsNaN(sum))
                {
                    job.General(row);
                    continue;
                }
                pendingOperand = job.Operand(row, new RowStatistics(RowKind.Finite, double.CreateTruncating(max), sum) { Gaps = gaps });
                pendingRow = row;
                T* swap = current;
                current = previous;
                previous = swap;
            }
            Drain<TRows>(previous, destination, classes, ref pendingRow, pendingOperand, offset, job);
        }
        FenceStreaming(true);
    }

    /// <summary>
    /// One step of <see cref="StreamRows{TRows}"/>: Σ exp(z − s) of row <paramref name="z"/> (keeping exponentials
    /// or gaps in <paramref name="kept"/>, and summing Σ (s − z) into <paramref name="gaps"/> when the job asks), the
    /// maximum of <paramref name="next"/>, and the pending row's output, <paramref name="drain"/> =
    /// <paramref name="previous"/> op (<paramref name="operand"/>, <paramref name="offset"/>), in one loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double FusedPass<TRows>(T* z, T* next, T* kept, T* previous, T* drain, int length, T shift,
        ChunkExponential<TSimd, TVector, T> exponential, T operand, T offset, out T nextMax, out double gaps)
        where TRows : struct, IStreamedRows
    {
        int width = TSimd.Count;
        // The drain runs `head` elements ahead so that its streaming stores are aligned.
        int head = UnalignedHead(drain, length);
        DrainPart<TRows>(previous, drain, head, operand, offset);

        var o = TSimd.Create(operand);
        var a = TSimd.Create(offset);
        var low = TSimd.Create(T.Zero);
        var high = low;
        // Σ (z − s), which is ≤ 0: the four gaps of a group are added in T (two roundings of the group's own sum) and widened once.
        var gapLow = low;
        var gapHigh = low;
        var max0 = TSimd.Create(T.NegativeInfinity);
        var max1 = max0;
        T* source = previous + head;
        T* target = drain + head;
        int i = 0;
        for (; i <= length - head - 4 * width; i += 4 * width)
        {
            var z0 = TSimd.Load(z + i);
            var z1 = TSimd.Load(z + i + width);
            var z2 = TSimd.Load(z + i + 2 * width);
            var z3 = TSimd.Load(z + i + 3 * width);
            if (!(exponential.Covers(z0, z1) & exponential.Covers(z2, z3))) break;
            Prefetch(next + i + PrefetchDistance, 4 * width, intoL2: true);
            max0 = TSimd.Max(TSimd.Max(TSimd.Load(next + i), TSimd.Load(next + i + width)), max0);
            max1 = TSimd.Max(TSimd.Max(TSimd.Load(next + i + 2 * width), TSimd.Load(next + i + 3 * width)), max1);
            (low, high) = exponential.SumFour(z0, z1, z2, z3, out var e0, out var e1, out var e2, out var e3, low, high);
            TSimd.Store(kept + i, TRows.KeepsGaps ? exponential.Gap(z0) : e0);
            TSimd.Store(kept + i + width, TRows.KeepsGaps ? exponential.Gap(z1) : e1);
            TSimd.Store(kept + i + 2 * width, TRows.KeepsGaps ? exponential.Gap(z2) : e2);
            TSimd.Store(kept + i + 3 * width, TRows.KeepsGaps ? exponential.Gap(z3) : e3);
            if (TRows.SumsGaps)
            {
                var group = TSimd.Add(TSimd.Add(exponential.Gap(z0), exponential.Gap(z1)), TSimd.Add(exponential.Gap(z2), exponential.Gap(z3)));
                (gapLow, gapHigh) = TSimd.AddWide(group, gapLow, gapHigh);
            }
            TSimd.StoreStreaming(target + i, Apply<TRows>(TSimd.Load(source + i), o, a));
            TSimd.StoreStreaming(target + i + width, Apply<TRows>(TSimd.Load(source + i + width), o, a));
            TSimd.StoreStreaming(target + i + 2 * width, Apply<TRows>(TSimd.Load(source + i + 2 * width), o, a));
            TSimd.StoreStreaming(target + i + 3 * width, Apply<TRows>(TSimd.Load(source + i + 3 * width), o, a));
        }

        // Each stream's remainder on its own: a few vectors, or the rest of a row that left the fast range. The
        // loop's values are reduced first, so that none is live across the calls (the JIT would keep it in memory
        // throughout the loop).
        double sum = TSimd.SumWide(low, high);
        gaps = TRows.SumsGaps ? -TSimd.SumWide(gapLow, gapHigh) : 0;
        nextMax = TSimd.MaxAcross(TSimd.Max(max0, max1));
        int done = i;
        sum += TRows.KeepsGaps
            ? ChunkExpFast<KeepGaps>(z + done, kept + done, length - done, exponential)
            : ChunkExpFast<Keep>(z + done, kept + done, length - done, exponential);
        if (TRows.SumsGaps) gaps += GapSum(z + done, length - done, shift);
        nextMax = T.Max(nextMax, ChunkMax(next + done, length - done));
        DrainPart<TRows>(source + done, target + done, length - head - done, operand, offset, streaming: true);
        return sum;
    }

    /// <summary>Pass two of one vector: value + operand for gaps, value × operand + offset for exponentials.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Apply<TRows>(TVector value, TVector operand, TVector offset)
        where TRows : struct, IStreamedRows =>
        TRows.KeepsGaps ? Add.Apply(value, operand, offset) : MultiplyAdd.Apply(value, operand, offset);

    private static void DrainPart<TRows>(T* source, T* destination, int length, T operand, T offset, bool streaming = false)
        where TRows : struct, IStreamedRows
    {
        if (TRows.KeepsGaps) Finish<Add>(source, destination, length, operand, streaming);
        else Finish<MultiplyAdd>(source, destination, length, operand, streaming, offset);
    }

    /// <summary>Writes the pending row, if any, and marks it written.</summary>
    private static void Drain<TRows>(T* kept, T* destination, int classes, ref int pendingRow, T operand, T offset, TRows job)
        where TRows : struct, IStreamedRows
    {
        if (pendingRow < 0) return;
        DrainPart<TRows>(kept, destination + (nint)pendingRow * classes, classes, operand, offset, streaming: true);
        job.Written(pendingRow);
        pendingRow = -1;
    }

    /// <summary>softmax of each row of a batch.</summary>
    private readonly struct ProbabilityRows(T* logits, T* destination, int classes, bool masked) : IStreamedRows
    {
        public static bool KeepsGaps => false;
        public static bool SumsGaps => false;
        public T Offset => T.Zero;
        public bool Streams(int row) => true;
        public void General(int row) =>
            ProbabilitiesRow<ShiftArgument<TSimd, TVector, T>>(logits + (nint)row * classes, destination + (nint)row * classes, classes, 1, masked, 1, streaming: false);
        public T Operand(int row, in RowStatistics statistics) => T.CreateTruncating(1 / statistics.SumExp);
        public void Written(int row) { }
    }

    /// <summary>log softmax of each row of a batch: the gap z − max less log Σ.</summary>
    private readonly struct LogProbabilityRows(T* logits, T* destination, int classes, bool masked) : IStreamedRows
    {
        public static bool KeepsGaps => true;
        public static bool SumsGaps => false;
        public T Offset => T.Zero;
        public bool Streams(int row) => true;
        public void General(int row) =>
            LogProbabilitiesRow<ShiftArgument<TSimd, TVector, T>>(logits + (nint)row * classes, destination + (nint)row * classes, classes, 1, masked, streaming: false);
        public T Operand(int row, in RowStatistics statistics) => T.CreateTruncating(-Math.Log(statistics.SumExp));
        public void Written(int row) { }
    }

    /// <summary>
    /// Cross-entropy against integer labels with its gradient (<see cref="LabelRow"/>), evenly smoothed or not
    /// (<typeparamref name="TSink"/> = <see cref="KeepSummingGaps"/> or <see cref="Keep"/>):
    /// softmax(z)·scale·A − scale·u, less scale·(1 − ε)·w_y at the label. The loss is taken when pass one ends
    /// (the label's logit is read then, before an in-place gradient overwrites it), the label's correction once
    /// the row is written.
    /// </summary>
    private readonly struct LabelRows<TSink>(T* logits, T* gradient, int classes, int* labels, CrossEntropySettings<T> settings, double* losses) : IStreamedRows
        where TSink : struct, ISink
    {
        public static bool KeepsGaps => false;
        public static bool SumsGaps => TSink.SumsGaps;

        public T Offset => T.CreateTruncating(-settings.GradientScale * Target(0).Uniform);

        public bool Streams(int row) => !(settings.HasIgnoreLabel && labels[row] == settings.IgnoreLabel);

        public void General(int row) => losses[row] = CrossEntropyRow(logits, classes, row, labels, null, settings, gradient, streaming: false);

        public T Operand(int row, in RowStatistics statistics)
        {
            int label = labels[row];
            var target = Target(label);
            losses[row] = target.Loss(statistics, double.CreateTruncating(logits[(nint)row * classes + label]));
            return T.CreateTruncating(settings.GradientScale * target.Weight / statistics.SumExp);
        }

        public void Written(int row)
        {
            int label = labels[row];
            T* g = gradient + (nint)row * classes + label;
            *g = T.CreateTruncating(double.CreateTruncating(*g) - settings.GradientScale * Target(label).Own);
        }

        private LabelTarget Target(int label) =>
            new(new RowTargets<T>(label, null, settings.Weights, settings.Smoothing, settings.Masked), label, classes);
    }
}
