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
        /// <summary>Pass one keeps the gaps z − max and pass two adds an offset; otherwise it keeps exponentials and pass two multiplies.</summary>
        static abstract bool KeepsGaps { get; }

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
            T pendingOperand = T.Zero;
            T nextMax = ChunkMax(logits, classes);
            for (int row = 0; row < rows; row++)
            {
                T* z = logits + (nint)row * classes;
                T* next = row + 1 < rows ? z + classes : z;
                T max = nextMax;
                if (!job.Streams(row) || !ChunkExponential<TSimd, TVector, T>.TryCreate(max, out var fast))
                {
                    Drain<TRows>(previous, destination, classes, ref pendingRow, pendingOperand, job);
                    job.General(row);
                    nextMax = ChunkMax(next, classes);
                    continue;
                }
                // Nothing pending: the drain stream rewrites the spare buffer, which costs one row's bandwidth once.
                T* drain = pendingRow >= 0 ? destination + (nint)pendingRow * classes : previous;
                double sum = FusedPass<TRows>(z, next, current, previous, drain, classes, fast, pendingOperand, out nextMax);
                if (pendingRow >= 0) job.Written(pendingRow);
                pendingRow = -1;
                if (double.IsNaN(sum))
                {
                    job.General(row);
                    continue;
                }
                pendingOperand = job.Operand(row, new RowStatistics(RowKind.Finite, double.CreateTruncating(max), sum));
                pendingRow = row;
                T* swap = current;
                current = previous;
                previous = swap;
            }
            Drain<TRows>(previous, destination, classes, ref pendingRow, pendingOperand, job);
        }
        FenceStreaming(true);
    }

    /// <summary>
    /// One step of <see cref="StreamRows{TRows}"/>: Σ exp(z − s) of row <paramref name="z"/> (keeping exponentials
    /// or gaps in <paramref name="kept"/>), the maximum of <paramref name="next"/>, and the pending row's output,
    /// <paramref name="drain"/> = <paramref name="previous"/> op <paramref name="operand"/>, in one loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double FusedPass<TRows>(T* z, T* next, T* kept, T* previous, T* drain, int length,
        ChunkExponential<TSimd, TVector, T> exponential, T operand, out T nextMax)
        where TRows : struct, IStreamedRows
    {
        int width = TSimd.Count;
        // The drain runs `head` elements ahead so that its streaming stores are aligned.
        int misaligned = (int)((nuint)drain % (nuint)(width * sizeof(T))) / sizeof(T);
        int head = misaligned == 0 ? 0 : Math.Min(width - misaligned, length);
        DrainPart<TRows>(previous, drain, head, operand);

        var o = TSimd.Create(operand);
        var low = TSimd.Create(T.Zero);
        var high = low;
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
            TSimd.StoreStreaming(target + i, Apply<TRows>(TSimd.Load(source + i), o));
            TSimd.StoreStreaming(target + i + width, Apply<TRows>(TSimd.Load(source + i + width), o));
            TSimd.StoreStreaming(target + i + 2 * width, Apply<TRows>(TSimd.Load(source + i + 2 * width), o));
            TSimd.StoreStreaming(target + i + 3 * width, Apply<TRows>(TSimd.Load(source + i + 3 * width), o));
        }

        // Each stream's remainder on its own: a few vectors, or the rest of a row that left the fast range. The
        // loop's values are reduced first, so that none is live across the calls (the JIT would keep it in memory
        // throughout the loop).
        double sum = TSimd.SumWide(low, high);
        nextMax = TSimd.MaxAcross(TSimd.Max(max0, max1));
        int done = i;
        sum += TRows.KeepsGaps
            ? ChunkExpFast<KeepGaps>(z + done, kept + done, length - done, exponential)
            : ChunkExpFast<Keep>(z + done, kept + done, length - done, exponential);
        nextMax = T.Max(nextMax, ChunkMax(next + done, length - done));
        DrainPart<TRows>(source + done, target + done, length - head - done, operand, streaming: true);
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Apply<TRows>(TVector value, TVector operand)
        where TRows : struct, IStreamedRows =>
        TRows.KeepsGaps ? Add.Apply(value, operand) : Multiply.Apply(value, operand);

    private static void DrainPart<TRows>(T* source, T* destination, int length, T operand, bool streaming = false)
        where TRows : struct, IStreamedRows
    {
        if (TRows.KeepsGaps) Finish<Add>(source, destination, length, operand, streaming);
        else Finish<Multiply>(source, destination, length, operand, streaming);
    }

    /// <summary>Writes the pending row, if any, and marks it written.</summary>
    private static void Drain<TRows>(T* kept, T* destination, int classes, ref int pendingRow, T operand, TRows job)
        where TRows : struct, IStreamedRows
    {
        if (pendingRow < 0) return;
        DrainPart<TRows>(kept, destination + (nint)pendingRow * classes, classes, operand, streaming: true);
        job.Written(pendingRow);
        pendingRow = -1;
    }

    /// <summary>softmax of each row of a batch.</summary>
    private readonly struct ProbabilityRows(T* logits, T* destination, int classes, bool masked) : IStreamedRows
    {
        public static bool KeepsGaps => false;
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
        public bool Streams(int row) => true;
        public void General(int row) =>
            LogProbabilitiesRow<ShiftArgument<TSimd, TVector, T>>(logits + (nint)row * classes, destination + (nint)row * classes, classes, 1, masked, streaming: false);
        public T Operand(int row, in RowStatistics statistics) => T.CreateTruncating(-Math.Log(statistics.SumExp));
        public void Written(int row) { }
    }

    /// <summary>
    /// Cross-entropy against integer labels with its gradient, softmax(z)·scale·w_y less scale·w_y at the label:
    /// the loss is taken when pass one ends (the label's logit is read then, before an in-place gradient
    /// overwrites it), the label's correction once the row is written.
    /// </summary>
    private readonly struct LabelRows(T* logits, T* gradient, int classes, int* labels, CrossEntropySettings<T> settings, double* losses) : IStreamedRows
    {
        public static bool KeepsGaps => false;

        public bool Streams(int row) => !(settings.HasIgnoreLabel && labels[row] == settings.IgnoreLabel);

        public void General(int row) => losses[row] = CrossEntropyRow(logits, classes, row, labels, null, settings, gradient, streaming: false);

        public T Operand(int row, in RowStatistics statistics)
        {
            int label = labels[row];
            double weight = Weight(label);
            double labelLogit = double.CreateTruncating(logits[(nint)row * classes + label]);
            // The same expression as LabelRow's, so the loss does not depend on the path.
            losses[row] = weight == 0 ? 0 : weight * Math.Log(statistics.SumExp) + weight * (statistics.Max - labelLogit);
            return T.CreateTruncating(settings.GradientScale * weight / statistics.SumExp);
        }

        public void Written(int row)
        {
            int label = labels[row];
            T* g = gradient + (nint)row * classes + label;
            *g = T.CreateTruncating(double.CreateTruncating(*g) - settings.GradientScale * Weight(label));
        }

        private double Weight(int label) => settings.Weights == null ? 1 : double.CreateTruncating(settings.Weights[label]);
    }
}
