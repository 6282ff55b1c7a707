using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Multinoulli.Kernels.Simd;

namespace Multinoulli.Kernels;

/// <summary>
/// The softmax family over rows of logits, for one vector width. Pass one reads the row once, in chunks small
/// enough to stay in L1: each chunk's exponentials summed in float64 against the running maximum (rescaling the
/// sum when the maximum grows; see <see cref="Statistics{TArgument, TSink}"/>), so even a row of millions of
/// logits is read from memory once. Pass two writes exp((z − shift)/temperature) or (z − shift)/temperature
/// with the shift exact.
/// <para>The loops a call spends its time in are NoInlining | AggressiveOptimization: compiled once, fully
/// optimised, from the first call. Without NoInlining the tiered JIT, once a small caller grew hot, inlined such a
/// loop into it and ran out of inlining budget inside it, leaving every vector primitive a call: SmoothMax ran 9
/// times slower after a few seconds of use.</para>
/// </summary>
internal static unsafe partial class RowKernels<TSimd, TVector, T>
    where TSimd : ISimd<TVector, T>
    where TVector : unmanaged
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private const int ChunkBytes = 8192;

    // Chunk shifts of rows up to this many chunks (256 KiB of float logits) live on the stack; longer rows rent.
    private const int StackChunks = 32;

    private static int ChunkLength => ChunkBytes / sizeof(T);

    /// <summary>
    /// Where a row's chunks begin: every <see cref="ChunkLength"/> elements from the first 64-byte boundary of the
    /// buffer pass one keeps its values in, the first chunk also taking the elements before that boundary. Both
    /// passes then load and store whole cache lines (a misaligned destination cost the 4M row about a tenth).
    /// </summary>
    private readonly struct ChunkGrid
    {
        private readonly int _lead;

        /// <summary>The grid of a row of <paramref name="length"/> whose values are kept at <paramref name="kept"/> (null: none kept).</summary>
        public ChunkGrid(T* kept, int length)
        {
            int misaligned = (int)((nuint)kept % 64);
            _lead = misaligned % sizeof(T) != 0 ? 0 : (64 - misaligned) % 64 / sizeof(T);
            if (_lead >= length) _lead = 0;
            Count = Math.Max(1, (int)(((long)length - _lead + ChunkLength - 1) / ChunkLength));
        }

        public int Count { get; }

        public int Start(int index) => index == 0 ? 0 : _lead + index * ChunkLength;

        public int End(int index, int length) => (int)Math.Min(length, _lead + (long)(index + 1) * ChunkLength);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FitsOneVector(int length) => length <= TSimd.Count;

    /// <summary>
    /// Scratch for one row's chunk shifts: a thread-local buffer for ordinary rows, a pooled array for rows
    /// longer than it covers. Pass one keeps each exponential in the destination and pass two rescales it in
    /// place, so each logit is exponentiated once whatever the row length (cheaper on a machine whose vector
    /// unit, not its memory, is the limit).
    /// </summary>
    private readonly struct Shifts
    {
        [ThreadStatic] private static T[]? t_small;
        private readonly T[] _array;
        private readonly bool _rented;

        private Shifts(T[] array, bool rented) => (_array, _rented) = (array, rented);

        public Span<T> Span => _array;

        public static Shifts Rent(int length)
        {
            int chunks = (int)(((long)length + ChunkLength - 1) / ChunkLength);
            if (chunks <= StackChunks) return new Shifts(t_small ??= new T[StackChunks], false);
            return new Shifts(System.Buffers.ArrayPool<T>.Shared.Rent(chunks), true);
        }

        public void Return()
        {
            if (_rented) System.Buffers.ArrayPool<T>.Shared.Return(_array);
        }
    }

    // ---- pass one ------------------------------------------------------------------------------------------

    /// <summary>Pass one without output: the row's maximum and Σ exp((z − max)/T).</summary>
    public static RowStatistics Statistics<TArgument>(T* logits, int length, double inverseTemperature)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T> =>
        Statistics<TArgument, Discard>(logits, null, length, inverseTemperature, null);

    /// <summary>Pass one with nothing summed besides the exponentials (<see cref="NoSums"/>).</summary>
    private static RowStatistics Statistics<TArgument, TSink>(T* logits, T* exponentials, int length, double inverseTemperature, T* shifts)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
        where TSink : struct, ISink
    {
        var none = new NoSums();
        return Statistics<TArgument, TSink, NoSums>(logits, exponentials, length, inverseTemperature, shifts, ref none);
    }

    /// <summary>
    /// Pass one, chunk by chunk: each chunk's exponentials against the running maximum, summed in float64
    /// (rescaled when the maximum grows). With <typeparamref name="TSink"/> = <see cref="Keep"/> the
    /// exponentials are written to <paramref name="exponentials"/> and each chunk's shift to <paramref name="shifts"/>.
    /// At unit temperature a chunk is first tried against the shift it inherits (<see cref="ChunkExpAhead{TSink}"/>),
    /// which holds as long as its logits stay below it; where they do not, the maximum of the rest of the chunk is
    /// read and, if it is above the shift, what was done is rescaled to it. Either way each chunk's shift is the
    /// maximum of the row up to and including it, as if every chunk's maximum were read first, at the cost of one
    /// extra read of part of the chunk (from L1) only where the maximum grows or a logit is out of the fast range.
    /// <para><paramref name="sums"/> takes in each chunk while it is in L1 (<see cref="IChunkSums"/>): after its
    /// exponentials, or before them, against max(running maximum, chunk maximum), when they overwrite the logits.</para>
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static RowStatistics Statistics<TArgument, TSink, TSums>(T* logits, T* exponentials, int length, double inverseTemperature, T* shifts, ref TSums sums)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
        where TSink : struct, ISink
        where TSums : struct, IChunkSums
    {
        T runningMax = T.NegativeInfinity;
        bool unit = typeof(TArgument) == typeof(ShiftArgument<TSimd, TVector, T>);
        bool hasFast = false;
        ChunkExponential<TSimd, TVector, T> fast = default;
        // Chunk sums are added with Neumaier's compensation: a million double terms would otherwise drift by 1e-13.
        double sum = 0, compensation = 0;
        bool summing = typeof(TSums) != typeof(NoSums);
        bool inPlace = exponentials == logits;
        var grid = new ChunkGrid(exponentials, length);
        for (int index = 0; index < grid.Count; index++)
        {
            int start = grid.Start(index);
            int count = grid.End(index, length) - start;
            T* block = logits + start;
            T* kept = TSink.Keeps ? exponentials + start : null;
            if (summing && inPlace) sums.Add(block, start, count, T.Max(runningMax, ChunkMax(block, count)));
            int done = 0;
            double term = hasFast ? ChunkExpAhead<TSink>(block, kept, count, fast, out done) : 0;
            if (done < count)
            {
                T restMax = ChunkMax(block + done, count - done);
                if (T.IsNaN(restMax)) return RowStatistics.Special(RowKind.NaN);
                if (T.IsPositiveInfinity(restMax))
                    return RowStatistics.Special(double.IsNaN(sum) ? RowKind.NaN : RowKind.PositiveInfinity);
                if (T.IsNegativeInfinity(restMax))
                {
                    // The hardware maximum may have stepped over a NaN; an all −∞ rest must prove it holds none.
                    if (SpecialRows<T>.ContainsNaN(block + done, count - done)) return RowStatistics.Special(RowKind.NaN);
                    if (TSink.Keeps) SpecialRows<T>.Fill(kept + done, count - done, TSink.KeepsGaps ? T.NegativeInfinity : T.Zero);
                }
                else
                {
                    if (restMax > runningMax)
                    {
                        double gap = (double.CreateTruncating(runningMax) - double.CreateTruncating(restMax)) * inverseTemperature;
                        double rescale = Math.Exp(gap);
                        if (sum != 0)
                        {
                            sum *= rescale;
                            compensation *= rescale;
                        }
                        if (done > 0)
                        {
                            // The part of the chunk done against the old shift is brought to the new one, not done
                            // again: in place, its logits are gone. One more rounding, where the maximum grows.
                            term *= rescale;
                            if (TSink.KeepsGaps) Finish<Add>(kept, kept, done, T.CreateTruncating(gap), streaming: false);
                            else if (TSink.Keeps) Finish<Multiply>(kept, kept, done, T.CreateTruncating(rescale), streaming: false);
                        }
                        runningMax = restMax;
                        // The fast exponential only where enough of the row is left to repay setting it up.
                        hasFast = unit && (long)(length - start) * sizeof(T) >= FastRowBytes && ChunkExponential<TSimd, TVector, T>.TryCreate(runningMax, out fast);
                    }
                    term += hasFast
                        ? ChunkExpFast<TSink>(block + done, TSink.Keeps ? kept + done : null, count - done, fast)
                        : ChunkExp<TArgument, TSink>(block + done, TSink.Keeps ? kept + done : null, count - done, TArgument.Create(runningMax, T.Zero, inverseTemperature));
                }
            }
            if (summing && !inPlace) sums.Add(block, start, count, runningMax);
            if (TSink.Keeps) shifts[index] = runningMax;
            double total = sum + term;
            compensation += Math.Abs(sum) >= Math.Abs(term) ? (sum - total) + term : (term - total) + sum;
            sum = total;
        }
        sum += compensation;
        if (double.IsNaN(sum)) return RowStatistics.Special(RowKind.NaN);
        if (T.IsNegativeInfinity(runningMax)) return RowStatistics.Special(RowKind.AllMasked);
        return new RowStatistics(RowKind.Finite, double.CreateTruncating(runningMax), sum);
    }

    /// <summary>
    /// What pass one sums over a row besides its exponentials, chunk by chunk while each is in L1
    /// (<see cref="Statistics{TArgument, TSink, TSums}"/>): a struct, so each kind compiles into its own loop.
    /// </summary>
    private interface IChunkSums
    {
        /// <summary>
        /// Takes in <paramref name="count"/> logits at <paramref name="logits"/>, <paramref name="start"/> elements
        /// into the part of the row pass one was given, all at or below <paramref name="shift"/>: the row's maximum
        /// up to and including them (−∞ while every logit so far is −∞; +∞ or NaN for a row that is special).
        /// </summary>
        void Add(T* logits, int start, int count, T shift);
    }

    /// <summary>Nothing summed.</summary>
    private struct NoSums : IChunkSums
    {
        public readonly void Add(T* logits, int start, int count, T shift) { }
    }

    /// <summary>
    /// Σ (shift − z) over a row, chunk by chunk, each chunk against its own shift (the row's maximum up to it); the
    /// total so far is brought up to a chunk's shift when the maximum grows. Chunks whose shift is not finite are
    /// left out (a NaN or +∞ makes the row special anyway), except that −∞ logits before the first finite one make
    /// the total +∞, as their gaps to any maximum are.
    /// </summary>
    private struct GapTotal : IChunkSums
    {
        private double _sum;
        private double _shift;
        private long _summed;

        public readonly double Total => _sum;

        public void Add(T* logits, int start, int count, T shift)
        {
            if (T.IsNegativeInfinity(shift)) _sum = double.PositiveInfinity;
            if (!T.IsFinite(shift)) return;
            double next = double.CreateTruncating(shift);
            if (_summed > 0 && next > _shift) _sum += _summed * (next - _shift);
            _shift = next;
            _summed += count;
            _sum += GapSum(logits, count, shift);
        }
    }

    /// <summary>
    /// Σ (shift − z) over <paramref name="count"/> logits at or below <paramref name="shift"/>, in float64. Each gap
    /// is taken as shift/8 − z/8 in T, rounded once (an eighth of the widest spread cannot overflow, four at a time
    /// either); four vectors of them are added in T (all ≥ 0, so two more roundings of the group's own sum), then
    /// widened and summed, and the total multiplied back by 8. A −∞ logit gives +∞.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double GapSum(T* logits, int count, T shift)
    {
        int width = TSimd.Count;
        var minusEighth = TSimd.Create(T.CreateTruncating(-0.125));
        var eighthShift = TSimd.Create(shift * T.CreateTruncating(0.125));
        var low = TSimd.Create(T.Zero);
        var high = low;
        int i = 0;
        for (; i <= count - 4 * width; i += 4 * width)
        {
            var g0 = TSimd.MultiplyAdd(TSimd.Load(logits + i), minusEighth, eighthShift);
            var g1 = TSimd.MultiplyAdd(TSimd.Load(logits + i + width), minusEighth, eighthShift);
            var g2 = TSimd.MultiplyAdd(TSimd.Load(logits + i + 2 * width), minusEighth, eighthShift);
            var g3 = TSimd.MultiplyAdd(TSimd.Load(logits + i + 3 * width), minusEighth, eighthShift);
            (low, high) = TSimd.AddWide(TSimd.Add(TSimd.Add(g0, g1), TSimd.Add(g2, g3)), low, high);
        }
        for (; i < count; i += width)
        {
            // The shift in the spare lanes of the last vector: their gap is exactly 0.
            int rest = count - i;
            var z = rest >= width ? TSimd.Load(logits + i) : TSimd.LoadTail(logits + i, rest, shift);
            (low, high) = TSimd.AddWide(TSimd.MultiplyAdd(z, minusEighth, eighthShift), low, high);
        }
        return TSimd.SumWide(low, high) * 8;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ChunkMax(T* values, int count)
    {
        int width = TSimd.Count;
        var max0 = TSimd.Create(T.NegativeInfinity);
        var max1 = max0;
        int i = 0;
        for (; i <= count - 2 * width; i += 2 * width)
        {
            max0 = TSimd.Max(TSimd.Load(values + i), max0);
            max1 = TSimd.Max(TSimd.Load(values + i + width), max1);
        }
        if (i <= count - width)
        {
            max0 = TSimd.Max(TSimd.Load(values + i), max0);
            i += width;
        }
        if (i < count)
            max1 = TSimd.Max(TSimd.LoadTail(values + i, count - i, T.NegativeInfinity), max1);
        return TSimd.MaxAcross(TSimd.Max(max0, max1));
    }

    /// <summary>
    /// Σ exp((z − shift)/T) over one chunk, optionally writing each exponential or gap. A method of its own, called
    /// once a chunk: inlined into its caller it would exhaust the JIT's inlining budget and leave the vector
    /// primitives as calls.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double ChunkExp<TArgument, TSink>(T* logits, T* kept, int count, TArgument argument)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
        where TSink : struct, ISink
    {
        int width = TSimd.Count;
        var zero = TSimd.Create(T.Zero);
        var low = zero;
        var high = zero;
        int i = 0;
        // Every exponential goes straight into the float64 accumulators: a float partial sum would round
        // 1 + 1.6e-6 to float precision, and the log-probability of a dominant class (−1.6e-6) with it.
        for (; i <= count - width; i += width)
        {
            argument.Compute(TSimd.Load(logits + i), out var hi, out var lo);
            var e = VectorMath.Exp<TSimd, TVector, T>(hi, lo);
            if (TSink.Keeps) TSimd.Store(kept + i, TSink.KeepsGaps ? hi : e);
            (low, high) = TSimd.AddWide(e, low, high);
        }
        for (; i < count; i += width)
        {
            // −∞ in the spare lanes of the last vector: their exponential is exactly 0.
            int rest = count - i;
            argument.Compute(rest >= width ? TSimd.Load(logits + i) : TSimd.LoadTail(logits + i, rest, T.NegativeInfinity), out var hi, out var lo);
            var e = VectorMath.Exp<TSimd, TVector, T>(hi, lo);
            if (TSink.Keeps)
            {
                var value = TSink.KeepsGaps ? hi : e;
                if (rest >= width) TSimd.Store(kept + i, value);
                else TSimd.StoreTail(kept + i, rest, value);
            }
            (low, high) = TSimd.AddWide(e, low, high);
        }
        return TSimd.SumWide(low, high);
    }

    /// <summary>
    /// Asks for the cache lines of <paramref name="count"/> elements from <paramref name="start"/> (never faults),
    /// into L1, or with <paramref name="intoL2"/> into L2 only. A loop that reads from memory while it computes
    /// wants L2: the few L1 miss buffers, each held until its line arrives from memory, capped a stream
    /// prefetched into L1 at about 11 GB/s on this machine (the streamed batch ran at three quarters of a copy's
    /// speed; into L2 it matches the copy).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(T* start, int count, bool intoL2 = false)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        for (int offset = 0; offset < count; offset += 64 / sizeof(T))
        {
            if (intoL2) System.Runtime.Intrinsics.X86.Sse.Prefetch1(start + offset);
            else System.Runtime.Intrinsics.X86.Sse.Prefetch0(start + offset);
        }
    }

    /// <summary>
    /// <see cref="ChunkExp{TArgument, TSink}"/> at unit temperature with the fast exponential, for as long as
    /// the logits stay within its range; the rest of the chunk, from the first pair of vectors outside it, goes to
    /// the general path with the same shift. That path is a call after the loop, not inside it: a call in the
    /// loop would make the JIT keep the accumulators in memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double ChunkExpFast<TSink>(T* logits, T* kept, int count, ChunkExponential<TSimd, TVector, T> exponential)
        where TSink : struct, ISink
    {
        int width = TSimd.Count;
        var low = TSimd.Create(T.Zero);
        var high = low;
        int i = 0;
        // Four vectors at a time, summed into float64 (see ChunkExponential.SumFour).
        for (; i <= count - 4 * width; i += 4 * width)
        {
            var z0 = TSimd.Load(logits + i);
            var z1 = TSimd.Load(logits + i + width);
            var z2 = TSimd.Load(logits + i + 2 * width);
            var z3 = TSimd.Load(logits + i + 3 * width);
            if (!(exponential.Covers(z0, z1) & exponential.Covers(z2, z3))) break;
            // The next chunk, on its way from memory while this one is computed from L1.
            Prefetch(logits + i + ChunkLength, 4 * width);
            (low, high) = exponential.SumFour(z0, z1, z2, z3, out var e0, out var e1, out var e2, out var e3, low, high);
            if (TSink.Keeps) KeepFour<TSink>(kept + i, exponential, z0, z1, z2, z3, e0, e1, e2, e3);
        }
        double sum = TSimd.SumWide(low, high);
        if (i < count)
            sum += ChunkExp<ShiftArgument<TSimd, TVector, T>, TSink>(logits + i, TSink.Keeps ? kept + i : null, count - i, exponential.General);
        return sum;
    }

    /// <summary>Writes four vectors' exponentials, or their gaps z − shift, to where pass one keeps them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void KeepFour<TSink>(T* kept, in ChunkExponential<TSimd, TVector, T> exponential,
        TVector z0, TVector z1, TVector z2, TVector z3, TVector e0, TVector e1, TVector e2, TVector e3)
        where TSink : struct, ISink
    {
        int width = TSimd.Count;
        TSimd.Store(kept, TSink.KeepsGaps ? exponential.Gap(z0) : e0);
        TSimd.Store(kept + width, TSink.KeepsGaps ? exponential.Gap(z1) : e1);
        TSimd.Store(kept + 2 * width, TSink.KeepsGaps ? exponential.Gap(z2) : e2);
        TSimd.Store(kept + 3 * width, TSink.KeepsGaps ? exponential.Gap(z3) : e3);
    }

    /// <summary>
    /// Σ exp(z − shift) of a chunk against the shift it inherits from the chunks before it, four vectors at a time,
    /// for as long as every logit is below the shift and within the fast range (<see cref="ChunkExponential{TSimd, TVector, T}.Below"/>):
    /// then the shift is also the maximum up to this chunk, and no separate read for the chunk's maximum is needed.
    /// Stops at the first group that is not (<paramref name="done"/> tells where) and at the chunk's last partial group.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double ChunkExpAhead<TSink>(T* logits, T* kept, int count, ChunkExponential<TSimd, TVector, T> exponential, out int done)
        where TSink : struct, ISink
    {
        int width = TSimd.Count;
        var low = TSimd.Create(T.Zero);
        var high = low;
        int i = 0;
        for (; i <= count - 4 * width; i += 4 * width)
        {
            var z0 = TSimd.Load(logits + i);
            var z1 = TSimd.Load(logits + i + width);
            var z2 = TSimd.Load(logits + i + 2 * width);
            var z3 = TSimd.Load(logits + i + 3 * width);
            if (!exponential.Below(z0, z1, z2, z3)) break;
            Prefetch(logits + i + ChunkLength, 4 * width);
            (low, high) = exponential.SumFourBelow(z0, z1, z2, z3, out var e0, out var e1, out var e2, out var e3, low, high);
            if (TSink.Keeps) KeepFour<TSink>(kept + i, exponential, z0, z1, z2, z3, e0, e1, e2, e3);
        }
        done = i;
        return TSimd.SumWide(low, high);
    }

    // ---- pass two ------------------------------------------------------------------------------------------

    /// <summary>
    /// destination = source × factor (<typeparamref name="TOperation"/> = <see cref="Multiply"/>), source × factor +
    /// <paramref name="offset"/> (<see cref="MultiplyAdd"/>, one rounding) or source + offset (<see cref="Add"/>,
    /// with the offset in <paramref name="operand"/>; a −∞ gap stays −∞); in place when the two are the same. With
    /// <paramref name="streaming"/> the destination is written past the caches (see <see cref="ISimd{TVector, T}.StoreStreaming"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish<TOperation>(T* source, T* destination, int length, T operand, bool streaming, T offset = default)
        where TOperation : struct, IOperation
    {
        int width = TSimd.Count;
        var o = TSimd.Create(operand);
        var a = TSimd.Create(offset);
        int i = 0;
        if (streaming)
        {
            // Streaming stores need whole-vector alignment: the first few elements go one at a time.
            int head = UnalignedHead(destination, length);
            for (; i < head; i++) destination[i] = TOperation.Apply(source[i], operand, offset);
            for (; i <= length - width; i += width)
                TSimd.StoreStreaming(destination + i, TOperation.Apply(TSimd.Load(source + i), o, a));
        }
        for (; i <= length - 2 * width; i += 2 * width)
        {
            TSimd.Store(destination + i, TOperation.Apply(TSimd.Load(source + i), o, a));
            TSimd.Store(destination + i + width, TOperation.Apply(TSimd.Load(source + i + width), o, a));
        }
        for (; i <= length - width; i += width)
            TSimd.Store(destination + i, TOperation.Apply(TSimd.Load(source + i), o, a));
        if (i < length)
            TSimd.StoreTail(destination + i, length - i, TOperation.Apply(TSimd.LoadTail(source + i, length - i, T.Zero), o, a));
    }

    /// <summary>
    /// How many of <paramref name="length"/> elements from <paramref name="destination"/> come before its first
    /// whole-vector boundary: those a loop of streaming stores (which need that alignment) writes another way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int UnalignedHead(T* destination, int length)
    {
        int width = TSimd.Count;
        int misaligned = (int)((nuint)destination % (nuint)(width * sizeof(T))) / sizeof(T);
        return misaligned == 0 ? 0 : Math.Min(width - misaligned, length);
    }

    private interface IOperation
    {
        static abstract TVector Apply(TVector value, TVector operand, TVector offset);
        static abstract T Apply(T value, T operand, T offset);
    }

    private readonly struct Multiply : IOperation
    {
        public static TVector Apply(TVector value, TVector operand, TVector offset) => TSimd.Multiply(value, operand);
        public static T Apply(T value, T operand, T offset) => value * operand;
    }

    private readonly struct MultiplyAdd : IOperation
    {
        public static TVector Apply(TVector value, TVector operand, TVector offset) => TSimd.MultiplyAdd(value, operand, offset);
        public static T Apply(T value, T operand, T offset) => T.FusedMultiplyAdd(value, operand, offset);
    }

    private readonly struct Add : IOperation
    {
        public static TVector Apply(TVector value, TVector operand, TVector offset) => TSimd.Add(value, operand);
        public static T Apply(T value, T operand, T offset) => value + operand;
    }

    /// <summary>
    /// destination = source × factor, plus <paramref name="offset"/> where it is not 0 (label smoothing's constant):
    /// <see cref="Finish{TOperation}"/> with <see cref="Multiply"/> or <see cref="MultiplyAdd"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scale(T* source, T* destination, int length, T factor, bool streaming, T offset)
    {
        if (offset == T.Zero) Finish<Multiply>(source, destination, length, factor, streaming);
        else Finish<MultiplyAdd>(source, destination, length, factor, streaming, offset);
    }

    /// <summary>
    /// Where pass one keeps a row's exponentials or gaps: per-thread buffers that stay in L2 for rows up to
    /// <see cref="ScratchLength"/>, so pass two reads them from cache and writes the destination once; longer rows
    /// keep them in the destination itself and pass two works in place. The buffers are pinned and aligned to
    /// 64 bytes, so their whole-vector loads and stores never straddle a cache line.
    /// </summary>
    private const int ScratchLength = Streaming.MaximumRowLength;

    [ThreadStatic] private static T[]? t_scratch;

    /// <summary>Where pass one of a row keeps its values: scratch buffer 0 when the row fits, else the destination.</summary>
    private static T* Kept(int length, T* destination) => length <= ScratchLength ? Scratch(0) : destination;

    /// <summary>Scratch buffer 0 or 1 of this thread.</summary>
    private static T* Scratch(int index)
    {
        var array = t_scratch ??= GC.AllocateUninitializedArray<T>(2 * ScratchLength + 64 / sizeof(T), pinned: true);
        nuint start = (nuint)Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(array));
        return (T*)((start + 63) & ~(nuint)63) + index * ScratchLength;
    }

    /// <summary>Orders this thread's streaming stores before whatever it does next (they bypass the usual ordering).</summary>
    private static void FenceStreaming(bool streaming)
    {
        if (streaming && System.Runtime.Intrinsics.X86.Sse.IsSupported) System.Runtime.Intrinsics.X86.Sse.StoreFence();
    }

    // ---- rows ----------------------------------------------------------------------------------------------

    /// <summary>
    /// softmax(z/T) × <paramref name="multiplier"/> + <paramref name="offset"/> of one row into
    /// <paramref name="destination"/> (which may be <paramref name="z"/>). Special rows get their documented limits
    /// (times the multiplier; the offset is for finite rows only, whose special case the caller writes). Returns
    /// what pass one learned, so a loss can be built on it, with Σ (max − z) when <paramref name="sumGaps"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static RowStatistics ProbabilitiesRow<TArgument>(T* z, T* destination, int length, double temperature, bool masked, double multiplier, bool streaming,
        bool writeSpecialRows = true, double offset = 0, bool sumGaps = false)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        double inverse = 1 / temperature;
        if (FitsOneVector(length))
        {
            // One vector: its gaps are summed before the row is written, in case it is written in place.
            T max = sumGaps ? ChunkMax(z, length) : T.Zero;
            double gaps = !sumGaps ? 0 : T.IsNegativeInfinity(max) ? double.PositiveInfinity : T.IsFinite(max) ? GapSum(z, length, max) : double.NaN;
            var row = OneVector<TArgument>(z, destination, length, inverse, masked, multiplier, logarithm: false, writeSpecialRows, offset);
            return row with { Gaps = gaps };
        }
        if (length <= ShortRowLength)
        {
            var row = ShortRow<TArgument>(z, destination, length, inverse, multiplier, offset, sumGaps, out bool handled);
            if (row.Kind == RowKind.NaN && writeSpecialRows) SpecialRows<T>.Write(RowKind.NaN, z, destination, length, logarithm: false, masked, multiplier);
            if (handled) return row;
        }
        var shifts = Shifts.Rent(length);
        try
        {
            fixed (T* chunkShifts = shifts.Span)
            {
                T* kept = Kept(length, destination);
                var gaps = new GapTotal();
                var statistics = sumGaps
                    ? Statistics<TArgument, Keep, GapTotal>(z, kept, length, inverse, chunkShifts, ref gaps) with { Gaps = gaps.Total }
                    : Statistics<TArgument, Keep>(z, kept, length, inverse, chunkShifts);
                if (statistics.Kind == RowKind.Finite)
                {
                    var grid = new ChunkGrid(kept, length);
                    T added = T.CreateTruncating(offset);
                    for (int index = 0; index < grid.Count; index++)
                    {
                        int start = grid.Start(index), count = grid.End(index, length) - start;
                        double shift = (double.CreateTruncating(chunkShifts[index]) - statistics.Max) * inverse;
                        T factor = T.CreateTruncating(Math.Exp(shift) * multiplier / statistics.SumExp);
                        Scale(kept + start, destination + start, count, factor, streaming && kept != destination, added);
                    }
                    return statistics;
                }
                if (writeSpecialRows) SpecialRows<T>.Write(statistics.Kind, z, destination, length, logarithm: false, masked, multiplier);
                return statistics;
            }
        }
        finally
        {
            shifts.Return();
        }
    }

    /// <summary>
    /// Rows up to this many elements (8 KiB of float) go through <see cref="ShortRow{TArgument}"/>: they stay in L1
    /// throughout, and the chunk bookkeeping of the general path costs more than their arithmetic.
    /// </summary>
    private static int ShortRowLength => ChunkLength;

    /// <summary>The shortest row, in bytes, for which <see cref="ShortRow{TArgument}"/> sets up the fast exponential.</summary>
    private const int FastRowBytes = 2048;

    /// <summary>
    /// softmax(z/T) × <paramref name="multiplier"/> + <paramref name="offset"/> of a row of at most
    /// <see cref="ShortRowLength"/> elements, in three passes over L1: the maximum, each exponential against it
    /// (written to the destination and summed in float64), then the scaling in place. With
    /// <paramref name="sumGaps"/>, Σ (max − z) is taken before anything is written. A row whose maximum is not
    /// finite (+∞, all −∞, a NaN) is left untouched for the general path, <paramref name="handled"/> false. A NaN
    /// the maximum stepped over makes the sum NaN: the row comes back as <see cref="RowKind.NaN"/>, its
    /// destination holding values for the caller to overwrite.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static RowStatistics ShortRow<TArgument>(T* z, T* destination, int length, double inverse, double multiplier, double offset, bool sumGaps, out bool handled)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        var (max, min) = ChunkMaxMin(z, length);
        handled = T.IsFinite(max);
        if (!handled) return default;
        double gaps = sumGaps ? GapSum(z, length, max) : 0;
        var sum = ShortRowSum<TArgument, Keep>(z, destination, length, max, min, inverse);
        var statistics = sum.Statistics(max, gaps);
        if (statistics.Kind == RowKind.Finite)
            Scale(destination, destination, length, T.CreateTruncating(multiplier / sum.Kept), streaming: false, T.CreateTruncating(offset));
        return statistics;
    }

    /// <summary>
    /// log softmax(z/T) of a row of at most <see cref="ShortRowLength"/> elements, in three passes over L1: the
    /// maximum, Σ exp((z − max)/T), then (z − max)/T − log Σ written out. False, with nothing written, for a row whose
    /// maximum is not finite; a NaN the maximum stepped over makes the sum NaN, and the row is written NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static bool ShortLogRow<TArgument>(T* z, T* destination, int length, double inverse)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        var (max, min) = ChunkMaxMin(z, length);
        if (!T.IsFinite(max)) return false;
        double sum = ShortRowSum<TArgument, Discard>(z, null, length, max, min, inverse).RelativeToMax;
        LogRowOut(z, destination, length, max, inverse, Vector256.Log(Vector256.Create(sum)).ToScalar());
        return true;
    }

    /// <summary>
    /// The output of <see cref="ShortLogRow{TArgument}"/> from the row's finite maximum and log Σ exp((z − max)/T):
    /// (z − max)/T − log Σ, or NaN throughout when the sum is NaN. The logarithm is the vector one, whose lanes
    /// <see cref="FourLogRowsOut"/> takes four rows' in at once (so that a row gets the same bits either way): four
    /// calls of Math.Log took a quarter of the time of log-softmax of 17-class rows. Within 3 ulp of float64 of
    /// Math.Log, measured, where log Σ ≥ 0 is at most log n.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LogRowOut(T* z, T* destination, int length, T max, double inverse, double logSum)
    {
        if (double.IsNaN(logSum))
        {
            SpecialRows<T>.Fill(destination, length, T.NaN);
            return;
        }
        // As the general path has it: the gap rounded once, then the one constant added.
        int width = TSimd.Count;
        var maximum = TSimd.Create(max);
        var offset = TSimd.Create(T.CreateTruncating(-logSum));
        int i = 0;
        for (; i <= length - width; i += width)
            TSimd.Store(destination + i, TSimd.Add(ScaledGap(TSimd.Load(z + i), maximum, inverse), offset));
        if (i < length)
            TSimd.StoreTail(destination + i, length - i, TSimd.Add(ScaledGap(TSimd.LoadTail(z + i, length - i, max), maximum, inverse), offset));
    }

    /// <summary>log softmax(z/T) of one row; may be in place.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void LogProbabilitiesRow<TArgument>(T* z, T* destination, int length, double temperature, bool masked, bool streaming)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        double inverse = 1 / temperature;
        if (FitsOneVector(length))
        {
            OneVector<TArgument>(z, destination, length, inverse, masked, 1, logarithm: true, writeSpecialRows: true);
            return;
        }
        if (length <= ShortRowLength && ShortLogRow<TArgument>(z, destination, length, inverse)) return;
        // Pass one keeps the gaps (z − shift)/T; pass two adds one constant a chunk, (shift − max)/T − log Σ.
        // Every added term is ≤ 0, so |result| only grows and stays within an ulp: no exact difference is needed here.
        var shifts = Shifts.Rent(length);
        try
        {
            fixed (T* chunkShifts = shifts.Span)
            {
                T* kept = Kept(length, destination);
                var statistics = Statistics<TArgument, KeepGaps>(z, kept, length, inverse, chunkShifts);
                if (statistics.Kind != RowKind.Finite)
                {
                    SpecialRows<T>.Write(statistics.Kind, z, destination, length, logarithm: true, masked, 1);
                    return;
                }
                double logSum = Math.Log(statistics.SumExp);
                var grid = new ChunkGrid(kept, length);
                for (int index = 0; index < grid.Count; index++)
                {
                    int start = grid.Start(index);
                    double offset = (double.CreateTruncating(chunkShifts[index]) - statistics.Max) * inverse - logSum;
                    Finish<Add>(kept + start, destination + start, grid.End(index, length) - start, T.CreateTruncating(offset), streaming && kept != destination);
                }
            }
        }
        finally
        {
            shifts.Return();
        }
    }

    /// <summary>
    /// A row no longer than one vector, in registers: one load, one exponential, one store. Rows with a NaN,
    /// a +∞ or nothing but −∞ fall through to the general path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static RowStatistics OneVector<TArgument>(T* z, T* destination, int length, double inverse, bool masked, double multiplier, bool logarithm, bool writeSpecialRows,
        double offset = 0)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        if (TryOneVector<TArgument>(z, length, inverse, out var logits, out var exponentials, out var statistics))
        {
            var factor = TSimd.Create(T.CreateTruncating(multiplier / statistics.SumExp));
            var result = logarithm
                ? TSimd.Subtract(ScaledGap(logits, TSimd.Create(T.CreateTruncating(statistics.Max)), inverse), TSimd.Create(T.CreateTruncating(Math.Log(statistics.SumExp))))
                : offset == 0 ? TSimd.Multiply(exponentials, factor) : TSimd.MultiplyAdd(exponentials, factor, TSimd.Create(T.CreateTruncating(offset)));
            TSimd.StoreTail(destination, length, result);
            return statistics;
        }
        statistics = Statistics<TArgument>(z, length, inverse);
        if (writeSpecialRows) SpecialRows<T>.Write(statistics.Kind, z, destination, length, logarithm, masked, multiplier);
        return statistics;
    }

    /// <summary>Pass one of a row no longer than one vector, in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static RowStatistics OneVectorStatistics<TArgument>(T* z, int length, double inverse)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T> =>
        TryOneVector<TArgument>(z, length, inverse, out _, out _, out var statistics) ? statistics : Statistics<TArgument>(z, length, inverse);

    /// <summary>
    /// Pass one of a row no longer than one vector: its logits (−∞ in the spare lanes), their exponentials and
    /// the statistics. False for a row with a NaN, a +∞ or nothing but −∞, which the general path handles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryOneVector<TArgument>(T* z, int length, double inverse, out TVector logits, out TVector exponentials, out RowStatistics statistics)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        logits = TSimd.LoadTail(z, length, T.NegativeInfinity);
        T max = TSimd.MaxAcross(logits);
        exponentials = default;
        statistics = default;
        if (!T.IsFinite(max)) return false;
        TArgument.Create(max, T.Zero, inverse).Compute(logits, out var hi, out var lo);
        exponentials = VectorMath.Exp<TSimd, TVector, T>(hi, lo);
        var (low, high) = TSimd.AddWide(exponentials, TSimd.Create(T.Zero), TSimd.Create(T.Zero));
        double sum = TSimd.SumWide(low, high);
        statistics = new RowStatistics(RowKind.Finite, double.CreateTruncating(max), sum);
        return !double.IsNaN(sum);
    }

    /// <summary>
    /// softmax or log-softmax of one long row on <paramref name="degree"/> threads. The row is cut at chunk
    /// boundaries; each part runs pass one on its own (keeping exponentials or gaps and its chunks' shifts),
    /// the parts' maxima and sums are combined exactly, then each part rescales its own chunks.
    /// </summary>
    public static void LongRow(T* logits, T* destination, int length, double temperature, bool masked, int degree, bool logarithm)
    {
        if (temperature == 1) LongRow<ShiftArgument<TSimd, TVector, T>>(logits, destination, length, 1, masked, degree, logarithm);
        else LongRow<ShiftScaleArgument<TSimd, TVector, T>>(logits, destination, length, temperature, masked, degree, logarithm);
    }

    /// <summary>
    /// <see cref="LongRow(T*, T*, int, double, bool, int, bool)"/> with the probabilities times
    /// <paramref name="multiplier"/> plus <paramref name="offset"/>; returns the row's statistics, with Σ (max − z)
    /// when <paramref name="sumGaps"/>. A special row is written with its documented limits only when
    /// <paramref name="writeSpecialRows"/>.
    /// </summary>
    private static RowStatistics LongRow<TArgument>(T* logits, T* destination, int length, double temperature, bool masked, int degree, bool logarithm,
        double multiplier = 1, bool writeSpecialRows = true, double offset = 0, bool sumGaps = false)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        double inverse = 1 / temperature;
        // Parts begin at chunk boundaries, so each part's own grid (from its first kept element) is this one.
        var grid = new ChunkGrid(destination, length);
        int chunks = grid.Count;
        int parts = PartCount(degree, chunks);
        var partStatistics = new RowStatistics[parts];
        T[] shifts = System.Buffers.ArrayPool<T>.Shared.Rent(chunks);
        try
        {
            nint z = (nint)logits, d = (nint)destination;
            RowParallel.Run(parts, degree, part =>
            {
                var (start, end, firstChunk) = Part(part, parts, grid, length);
                var gaps = new GapTotal();
                fixed (T* s = shifts)
                    partStatistics[part] = logarithm
                        ? Statistics<TArgument, KeepGaps>((T*)z + start, (T*)d + start, end - start, inverse, s + firstChunk)
                        : sumGaps
                        ? Statistics<TArgument, Keep, GapTotal>((T*)z + start, (T*)d + start, end - start, inverse, s + firstChunk, ref gaps) with { Gaps = gaps.Total }
                        : Statistics<TArgument, Keep>((T*)z + start, (T*)d + start, end - start, inverse, s + firstChunk);
            });

            var statistics = Combine(partStatistics, inverse);
            if (sumGaps && statistics.Kind == RowKind.Finite)
            {
                // Each part's gaps are against its own maximum: bring them to the row's. A part of nothing but −∞
                // has gaps +∞ to any maximum.
                double gaps = 0;
                for (int part = 0; part < parts; part++)
                {
                    var (start, end, _) = Part(part, parts, grid, length);
                    var p = partStatistics[part];
                    gaps += p.Kind == RowKind.Finite ? p.Gaps + (end - start) * (statistics.Max - p.Max) : double.PositiveInfinity;
                }
                statistics = statistics with { Gaps = gaps };
            }
            if (statistics.Kind != RowKind.Finite)
            {
                if (writeSpecialRows) SpecialRows<T>.Write(statistics.Kind, logits, destination, length, logarithm, masked, multiplier);
                return statistics;
            }
            double logSum = Math.Log(statistics.SumExp);
            RowParallel.Run(parts, degree, part =>
            {
                var (start, end, firstChunk) = Part(part, parts, grid, length);
                for (int index = firstChunk, begin = start; begin < end; index++, begin = grid.Start(index))
                {
                    int count = grid.End(index, length) - begin;
                    double gap = (double.CreateTruncating(shifts[index]) - statistics.Max) * inverse;
                    if (logarithm)
                    {
                        Finish<Add>((T*)d + begin, (T*)d + begin, count, T.CreateTruncating(gap - logSum), streaming: false);
                        continue;
                    }
                    Scale((T*)d + begin, (T*)d + begin, count, T.CreateTruncating(Math.Exp(gap) * multiplier / statistics.SumExp), streaming: false, T.CreateTruncating(offset));
                }
            });
            return statistics;
        }
        finally
        {
            System.Buffers.ArrayPool<T>.Shared.Return(shifts);
        }
    }

    /// <summary>
    /// How many parts a long row is cut into: four a thread, taken in turn, so that when one core of a shared VM
    /// stalls the others take up its share instead of waiting for the one part it holds; never more than its chunks.
    /// </summary>
    private static int PartCount(int degree, int chunks) => (int)Math.Min(degree * 4L, chunks);

    private static (int Start, int End, int FirstChunk) Part(int part, int parts, ChunkGrid grid, int length)
    {
        int firstChunk = (int)((long)grid.Count * part / parts);
        int lastChunk = (int)((long)grid.Count * (part + 1) / parts);
        return (grid.Start(firstChunk), grid.End(lastChunk - 1, length), firstChunk);
    }

    /// <summary>
    /// A long row of <paramref name="length"/> cut for <paramref name="degree"/> threads at the chunk boundaries of
    /// <paramref name="grid"/>, as <see cref="LongRow(T*, T*, int, double, bool, int, bool)"/> cuts it: what the
    /// other split kernels share.
    /// </summary>
    private readonly struct RowParts(ChunkGrid grid, int length, int degree)
    {
        public int Count { get; } = PartCount(degree, grid.Count);

        /// <summary>body(part, start, count) for every part, on the threads (<see cref="RowParallel.Run"/>).</summary>
        public void Run(Action<int, int, int> body)
        {
            var (cut, whole, parts) = (grid, length, Count);
            RowParallel.Run(parts, degree, part =>
            {
                var (start, end, _) = Part(part, parts, cut, whole);
                body(part, start, end - start);
            });
        }
    }

    /// <summary>
    /// One row's statistics from its parts': NaN outranks +∞, which outranks everything; the sums are brought to
    /// the common maximum, max over parts, before adding.
    /// </summary>
    private static RowStatistics Combine(RowStatistics[] parts, double inverse)
    {
        if (parts.Any(p => p.Kind == RowKind.NaN)) return RowStatistics.Special(RowKind.NaN);
        if (parts.Any(p => p.Kind == RowKind.PositiveInfinity)) return RowStatistics.Special(RowKind.PositiveInfinity);
        var finite = parts.Where(p => p.Kind == RowKind.Finite).ToArray();
        if (finite.Length == 0) return RowStatistics.Special(RowKind.AllMasked);
        double max = finite.Max(p => p.Max);
        double sum = 0;
        foreach (var p in finite) sum += p.SumExp * Math.Exp((p.Max - max) * inverse);
        return new RowStatistics(RowKind.Finite, max, sum);
    }

    /// <summary>
    /// (z − max)/T, rounded once. At T = 1 a difference that overflows is beyond the range anyway; otherwise it is
    /// taken between halves (exact), so (−3e38 − 2e38)/3 comes out as −1.7e38, not −∞.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector ScaledGap(TVector logits, TVector max, double inverse)
    {
        if (inverse == 1) return TSimd.Subtract(logits, max);
        var half = TSimd.Create(T.CreateTruncating(0.5));
        var halfGap = TSimd.Subtract(TSimd.Multiply(logits, half), TSimd.Multiply(max, half));
        return TSimd.Multiply(halfGap, TSimd.Create(T.CreateTruncating(2 * inverse)));
    }

    private static void RowByRow<TArgument>(T* logits, T* destination, int rows, int classes, double temperature, bool masked, bool logarithm, bool streaming)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        streaming &= classes <= ScratchLength;
        if (temperature == 1 && streaming && classes >= Streaming.MinimumRowLength)
        {
            if (logarithm) StreamRows(logits, destination, rows, classes, new LogProbabilityRows(logits, destination, classes, masked));
            else StreamRows(logits, destination, rows, classes, new ProbabilityRows(logits, destination, classes, masked));
            return;
        }
        int done = UsesBlocks(classes, temperature) ? BlockRows(rows, new DistributionBlocks<TArgument>(logits, destination, classes, masked, logarithm), destination, classes) : 0;
        if (InFours(classes))
        {
            T* z = logits + (nint)done * classes, d = destination + (nint)done * classes;
            done += logarithm
                ? FourRows<TArgument, Discard>(z, d, rows - done, classes, temperature, masked)
                : FourRows<TArgument, Keep>(z, d, rows - done, classes, temperature, masked);
        }
        if (logarithm)
            for (int row = done; row < rows; row++)
                LogProbabilitiesRow<TArgument>(logits + (nint)row * classes, destination + (nint)row * classes, classes, temperature, masked, streaming);
        else
            for (int row = done; row < rows; row++)
                ProbabilitiesRow<TArgument>(logits + (nint)row * classes, destination + (nint)row * classes, classes, temperature, masked, 1, streaming);
        FenceStreaming(streaming);
    }

    /// <summary>Whether whole blocks of 16 rows (<see cref="RowBlocks"/>) take these rows: 512-bit float, short rows, unit temperature.</summary>
    private static bool UsesBlocks(int classes, double temperature) =>
        typeof(TVector) == typeof(System.Runtime.Intrinsics.Vector512<float>) && temperature == 1 && RowBlocks.Apply(classes);

    /// <summary>
    /// Every row of a batch of at least 16 short rows through <see cref="RowBlocks"/>, so that a row's result
    /// depends on that row alone, not on its neighbours, on where the batch or a thread's share of it begins, or
    /// on where the output lies (a row's result in a block does not depend on its place there):
    /// <list type="bullet">
    /// <item>the blocks begin at the first row whose output starts on a 64-byte boundary: a block of 16 rows is
    /// whole cache lines, and stores that split lines cost the 10-class softmax 2–9 % (by where the logits and the
    /// output start);</item>
    /// <item>the rows before the first block, the rows after the last, and the rows of a block the fast path
    /// refuses go through one block padded with rows of zeros (<see cref="IBlockJob.TryRows"/>), which writes every
    /// row the fast path would take on its own; a row it leaves goes through a block of its own, then, if refused
    /// there too, the ordinary way (<see cref="IBlockJob.Row"/>).</item>
    /// </list>
    /// Returns the rows done: all of them, or none for a batch of fewer than 16 rows, which the caller does the
    /// ordinary way.
    /// </summary>
    private static int BlockRows<TJob>(int rows, TJob job, T* output, int classes)
        where TJob : struct, IBlockJob
    {
        if (rows < RowBlocks.Rows) return 0;
        byte* scratch = stackalloc byte[RowBlocks.ScratchBytes];
        byte* memory = stackalloc byte[Staging.Bytes];
        var staging = new Staging(memory);
        int lead = output == null ? 0 : AlignedStart(output, classes);
        if (rows - lead < RowBlocks.Rows) lead = 0;
        Staged(job, 0, lead, scratch, staging);
        int done = lead;
        while (true)
        {
            done += job.Blocks(done, rows - done, scratch);
            if (rows - done < RowBlocks.Rows) break;
            Staged(job, done, RowBlocks.Rows, scratch, staging);
            done += RowBlocks.Rows;
        }
        Staged(job, done, rows - done, scratch, staging);
        return rows;
    }

    /// <summary>Up to 16 rows through one padded block; each row it leaves alone in a block; a row refused alone the ordinary way.</summary>
    private static void Staged<TJob>(TJob job, int first, int count, byte* scratch, Staging staging)
        where TJob : struct, IBlockJob
    {
        if (count == 0) return;
        int left = ~job.TryRows(first, count, scratch, staging) & ((1 << count) - 1);
        for (; left != 0; left &= left - 1)
        {
            int row = first + System.Numerics.BitOperations.TrailingZeroCount(left);
            if (count == 1 || job.TryRows(row, 1, scratch, staging) == 0) job.Row(row);
        }
    }

    /// <summary>The first row (below 16) whose output starts on a 64-byte boundary, or 0 when none does.</summary>
    private static int AlignedStart(T* output, int classes)
    {
        for (int row = 0; row < RowBlocks.Rows; row++)
            if ((nuint)(output + (nint)row * classes) % 64 == 0) return row;
        return 0;
    }

    /// <summary>What <see cref="BlockRows{TJob}"/> does with a batch.</summary>
    private interface IBlockJob
    {
        /// <summary>The blocks of the <paramref name="rows"/> rows from <paramref name="first"/> on, up to one the fast path refuses: returns the rows done.</summary>
        int Blocks(int first, int rows, byte* scratch);

        /// <summary>
        /// Rows <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> − 1 (at most 16) in one
        /// block padded with rows of zeros, through <paramref name="staging"/>: writes the rows the fast path takes
        /// and returns them (bit i for row first + i), leaving the others untouched.
        /// </summary>
        int TryRows(int first, int count, byte* scratch, Staging staging);

        /// <summary>One row the ordinary way.</summary>
        void Row(int row);
    }

    /// <summary>One padded block's logits, output, labels and losses, for <see cref="IBlockJob.TryRows"/>.</summary>
    private readonly struct Staging(byte* memory)
    {
        private const int Elements = RowBlocks.Rows * RowBlocks.MaximumClasses;

        public const int Bytes = 2 * Elements * sizeof(float) + RowBlocks.Rows * (sizeof(int) + sizeof(double));

        public float* Logits => (float*)memory;

        public float* Output => (float*)memory + Elements;

        public int* Labels => (int*)(Output + Elements);

        public double* Losses => (double*)(Labels + RowBlocks.Rows);

        /// <summary>Copies <paramref name="count"/> rows into <see cref="Logits"/> and pads the block with zeros.</summary>
        public void Load(T* rows, int count, int classes)
        {
            int length = count * classes;
            new ReadOnlySpan<float>(rows, length).CopyTo(new Span<float>(Logits, length));
            new Span<float>(Logits + length, (RowBlocks.Rows - count) * classes).Clear();
        }

        /// <summary>Copies the rows of <see cref="Output"/> whose bit is set in <paramref name="rows"/> to <paramref name="destination"/>.</summary>
        public void Store(T* destination, int rows, int length)
        {
            if ((rows & (rows + 1)) == 0)
            {
                // The first n rows, one copy (every row of a block is the common case).
                int count = System.Numerics.BitOperations.PopCount((uint)rows) * length;
                new ReadOnlySpan<float>(Output, count).CopyTo(new Span<float>(destination, count));
                return;
            }
            for (; rows != 0; rows &= rows - 1)
            {
                int row = System.Numerics.BitOperations.TrailingZeroCount(rows);
                new ReadOnlySpan<float>(Output + row * length, length).CopyTo(new Span<float>(destination + (nint)row * length, length));
            }
        }

        /// <summary>All of the first <paramref name="count"/> rows when the block was taken, none when refused.</summary>
        public static int All(int taken, int count) => taken == RowBlocks.Rows ? (1 << count) - 1 : 0;
    }

    /// <summary>softmax or log-softmax of a batch's rows.</summary>
    private readonly struct DistributionBlocks<TArgument>(T* logits, T* destination, int classes, bool masked, bool logarithm) : IBlockJob
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        public int Blocks(int first, int rows, byte* scratch)
        {
            nint offset = (nint)first * classes;
            float* z = (float*)(logits + offset), d = (float*)(destination + offset);
            return logarithm
                ? RowBlocks.LogProbabilities(z, d, rows, classes, scratch)
                : RowBlocks.Probabilities(z, d, rows, classes, scratch);
        }

        public int TryRows(int first, int count, byte* scratch, Staging staging)
        {
            nint offset = (nint)first * classes;
            staging.Load(logits + offset, count, classes);
            int all = (1 << count) - 1;
            if (logarithm)
            {
                int taken = Staging.All(RowBlocks.LogProbabilities(staging.Logits, staging.Output, RowBlocks.Rows, classes, scratch), count);
                staging.Store(destination + offset, taken, classes);
                return taken;
            }
            // The rows whose Σ is in range, as the pipelined blocks do them; the rest with their maxima subtracted.
            int plain = RowBlocks.ProbabilitiesRows(staging.Logits, staging.Output, classes, scratch) & all;
            staging.Store(destination + offset, plain, classes);
            if (plain == all) return all;
            int shifted = RowBlocks.ShiftedProbabilitiesRows(staging.Logits, staging.Output, classes, scratch) & all & ~plain;
            staging.Store(destination + offset, shifted, classes);
            return plain | shifted;
        }

        public void Row(int row)
        {
            nint offset = (nint)row * classes;
            if (logarithm) LogProbabilitiesRow<TArgument>(logits + offset, destination + offset, classes, 1, masked, streaming: false);
            else ProbabilitiesRow<TArgument>(logits + offset, destination + offset, classes, 1, masked, 1, streaming: false);
        }
    }

    public static void Probabilities(T* logits, T* destination, int rows, int classes, double temperature, bool masked, bool streaming)
    {
        if (temperature == 1) RowByRow<ShiftArgument<TSimd, TVector, T>>(logits, destination, rows, classes, 1, masked, logarithm: false, streaming);
        else RowByRow<ShiftScaleArgument<TSimd, TVector, T>>(logits, destination, rows, classes, temperature, masked, logarithm: false, streaming);
    }

    public static void LogProbabilities(T* logits, T* destination, int rows, int classes, double temperature, bool masked, bool streaming)
    {
        if (temperature == 1) RowByRow<ShiftArgument<TSimd, TVector, T>>(logits, destination, rows, classes, 1, masked, logarithm: true, streaming);
        else RowByRow<ShiftScaleArgument<TSimd, TVector, T>>(logits, destination, rows, classes, temperature, masked, logarithm: true, streaming);
    }

    public static void LogSumExp(T* logits, T* destination, int rows, int classes, double temperature)
    {
        if (temperature == 1) LogSumExp<ShiftArgument<TSimd, TVector, T>>(logits, destination, rows, classes, 1);
        else LogSumExp<ShiftScaleArgument<TSimd, TVector, T>>(logits, destination, rows, classes, temperature);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void LogSumExp<TArgument>(T* logits, T* destination, int rows, int classes, double temperature)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        double inverse = 1 / temperature;
        int done = UsesBlocks(classes, temperature) ? BlockRows(rows, new LogSumExpBlocks<TArgument>(logits, destination, classes, inverse), null, classes) : 0;
        if (InFours(classes))
            done += FourRows<TArgument, Discard>(logits + (nint)done * classes, destination + done, rows - done, classes, temperature, masked: false, normalizers: true);
        for (int row = done; row < rows; row++)
            destination[row] = LogSumExpRow<TArgument>(logits + (nint)row * classes, classes, inverse);
    }

    private readonly struct LogSumExpBlocks<TArgument>(T* logits, T* destination, int classes, double inverse) : IBlockJob
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        public int Blocks(int first, int rows, byte* scratch) =>
            RowBlocks.LogSumExp((float*)(logits + (nint)first * classes), (float*)(destination + first), rows, classes, scratch);

        public int TryRows(int first, int count, byte* scratch, Staging staging)
        {
            staging.Load(logits + (nint)first * classes, count, classes);
            int taken = Staging.All(RowBlocks.LogSumExp(staging.Logits, staging.Output, RowBlocks.Rows, classes, scratch), count);
            staging.Store(destination + first, taken, 1);
            return taken;
        }

        public void Row(int row) => destination[row] = LogSumExpRow<TArgument>(logits + (nint)row * classes, classes, inverse);
    }

    /// <summary>
    /// log Σ exp(z/T) of one long row on <paramref name="degree"/> threads: each part's maximum and Σ on its own,
    /// combined as <see cref="LongRow(T*, T*, int, double, bool, int, bool)"/> combines them.
    /// </summary>
    public static T LongLogSumExp(T* logits, int length, double temperature, int degree) =>
        temperature == 1
            ? LongLogSumExp<ShiftArgument<TSimd, TVector, T>>(logits, length, 1, degree)
            : LongLogSumExp<ShiftScaleArgument<TSimd, TVector, T>>(logits, length, 1 / temperature, degree);

    private static T LongLogSumExp<TArgument>(T* logits, int length, double inverse, int degree)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        var statistics = LongStatistics<TArgument>(logits, length, inverse, degree);
        return statistics.Kind == RowKind.Finite
            ? T.CreateTruncating(statistics.LogNormalizer(inverse))
            : SpecialRows<T>.LogNormalizer(statistics.Kind, logits, length);
    }

    /// <summary>Pass one without output (<see cref="Statistics{TArgument}"/>) of one long row, its parts on <paramref name="degree"/> threads.</summary>
    private static RowStatistics LongStatistics<TArgument>(T* logits, int length, double inverse, int degree)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        var parts = new RowParts(new ChunkGrid(null, length), length, degree);
        var partStatistics = new RowStatistics[parts.Count];
        nint z = (nint)logits;
        parts.Run((part, start, count) => partStatistics[part] = Statistics<TArgument>((T*)z + start, count, inverse));
        return Combine(partStatistics, inverse);
    }

    private static T LogSumExpRow<TArgument>(T* z, int classes, double inverse)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        if (!FitsOneVector(classes) && classes <= ShortRowLength)
        {
            var (max, min) = ChunkMaxMin(z, classes);
            if (T.IsFinite(max)) return ShortNormalizer<TArgument>(z, classes, max, min, inverse);
        }
        var statistics = FitsOneVector(classes) ? OneVectorStatistics<TArgument>(z, classes, inverse) : Statistics<TArgument>(z, classes, inverse);
        return statistics.Kind == RowKind.Finite
            ? T.CreateTruncating(statistics.LogNormalizer(inverse))
            : SpecialRows<T>.LogNormalizer(statistics.Kind, z, classes);
    }

    public static void SmoothMax(T* logits, T* destination, int rows, int classes, double temperature, bool masked)
    {
        if (temperature == 1) SmoothMax<ShiftArgument<TSimd, TVector, T>>(logits, destination, rows, classes, 1, masked);
        else SmoothMax<ShiftScaleArgument<TSimd, TVector, T>>(logits, destination, rows, classes, temperature, masked);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void SmoothMax<TArgument>(T* logits, T* destination, int rows, int classes, double temperature, bool masked)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        double inverse = 1 / temperature;
        for (int row = 0; row < rows; row++)
        {
            T* z = logits + (nint)row * classes;
            if (classes <= ShortRowLength)
            {
                var (max, min) = ChunkMaxMin(z, classes);
                if (T.IsFinite(max))
                {
                    destination[row] = ShortSmoothMax<TArgument>(z, classes, max, min, inverse);
                    continue;
                }
            }
            var statistics = Statistics<TArgument>(z, classes, inverse);
            destination[row] = statistics.Kind == RowKind.Finite
                ? T.CreateTruncating(statistics.Max + WeightedGapSum<TArgument>(z, classes, statistics.Max, inverse) / statistics.SumExp)
                : SpecialSmoothMax(statistics.Kind, z, classes, masked);
        }
    }

    /// <summary>
    /// The smooth maximum of one long row on <paramref name="degree"/> threads: pass one's parts combined, then
    /// Σ pᵢ(zᵢ − max) summed in parts and added in part order.
    /// </summary>
    public static T LongSmoothMax(T* logits, int length, double temperature, bool masked, int degree) =>
        temperature == 1
            ? LongSmoothMax<ShiftArgument<TSimd, TVector, T>>(logits, length, 1, masked, degree)
            : LongSmoothMax<ShiftScaleArgument<TSimd, TVector, T>>(logits, length, 1 / temperature, masked, degree);

    private static T LongSmoothMax<TArgument>(T* logits, int length, double inverse, bool masked, int degree)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        var statistics = LongStatistics<TArgument>(logits, length, inverse, degree);
        if (statistics.Kind != RowKind.Finite) return SpecialSmoothMax(statistics.Kind, logits, length, masked);
        var parts = new RowParts(new ChunkGrid(null, length), length, degree);
        var sums = new double[parts.Count];
        nint z = (nint)logits;
        double max = statistics.Max;
        parts.Run((part, start, count) => sums[part] = WeightedGapSumPart<TArgument>((T*)z + start, count, max, inverse));
        return T.CreateTruncating(max + sums.Sum() / statistics.SumExp);
    }

    /// <summary>The smooth maximum of a row whose statistics are special: +∞ or NaN as log-sum-exp gives, and for an all −∞ row NaN, or −∞ when masked.</summary>
    private static T SpecialSmoothMax(RowKind kind, T* logits, int length, bool masked) =>
        kind == RowKind.AllMasked ? (masked ? T.NegativeInfinity : T.NaN) : SpecialRows<T>.LogNormalizer(kind, logits, length);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double WeightedGapSumPart<TArgument>(T* logits, int count, double max, double inverse)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T> =>
        WeightedGapSum<TArgument>(logits, count, max, inverse);

    /// <summary>
    /// Σ exp((z − max)/T)·(z − max) in float64. With it, Σ pᵢzᵢ = max + Σ pᵢ(zᵢ − max): every term is ≤ 0, so the
    /// result never exceeds the max, and a −∞ logit (pᵢ = 0) adds 0 rather than 0·∞.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double WeightedGapSum<TArgument>(T* z, int count, double max, double inverse)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        int width = TSimd.Count;
        var maximum = TSimd.Create(T.CreateTruncating(max));
        var probability = TArgument.Create(T.CreateTruncating(max), T.Zero, inverse);
        var zero = TSimd.Create(T.Zero);
        var sumLow = zero;
        var sumHigh = zero;
        int i = 0;
        for (; i <= count - width; i += width)
            (sumLow, sumHigh) = TSimd.AddWide(WeightedGap(TSimd.Load(z + i), probability, maximum, zero), sumLow, sumHigh);
        if (i < count)
            (sumLow, sumHigh) = TSimd.AddWide(WeightedGap(TSimd.LoadTail(z + i, count - i, T.NegativeInfinity), probability, maximum, zero), sumLow, sumHigh);
        return TSimd.SumWide(sumLow, sumHigh);
    }

    /// <summary>exp((z − max)/T)·(z − max), with 0 where the exponential is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector WeightedGap<TArgument>(TVector logits, TArgument probability, TVector maximum, TVector zero)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        probability.Compute(logits, out var hi, out var lo);
        var e = VectorMath.Exp<TSimd, TVector, T>(hi, lo);
        return TSimd.Select(TSimd.Equal(e, zero), zero, TSimd.Multiply(e, TSimd.Subtract(logits, maximum)));
    }

    // ---- cross-entropy -------------------------------------------------------------------------------------

    /// <summary>
    /// The cross-entropy of each row against its label (<paramref name="labels"/>) or soft target
    /// (<paramref name="targets"/>), written to <paramref name="losses"/> (weighted, unscaled), and when
    /// <paramref name="gradient"/> is not null, ∂/∂z of (scale × loss) = scale·(p·A − w ⊙ t′). Safe when the
    /// gradient is the logits buffer itself: each element is read before it is overwritten.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void CrossEntropy(T* logits, int rows, int classes, int* labels, T* targets, in CrossEntropySettings<T> settings, T* gradient, double* losses, bool streaming)
    {
        streaming &= gradient != null && classes <= ScratchLength;
        if (streaming && labels != null && targets == null && SmoothsLikeALabel(settings) && classes >= Streaming.MinimumRowLength)
        {
            if (settings.Smoothing > 0) StreamRows(logits, gradient, rows, classes, new LabelRows<KeepSummingGaps>(logits, gradient, classes, labels, settings, losses));
            else StreamRows(logits, gradient, rows, classes, new LabelRows<Keep>(logits, gradient, classes, labels, settings, losses));
            return;
        }
        int done = labels != null && targets == null && SmoothsLikeALabel(settings) && UsesBlocks(classes, 1)
            ? BlockRows(rows, new LabelBlocks(logits, classes, labels, settings, gradient, losses), gradient, classes)
            : 0;
        if (labels != null && targets == null && SmoothsLikeALabel(settings) && InFours(classes))
            done += FourLabelRows(logits + (nint)done * classes, rows - done, classes, labels + done, settings,
                gradient == null ? null : gradient + (nint)done * classes, losses + done);
        else if (targets != null && settings.Weights == null && !settings.Masked && InFours(classes))
            done += FourTargetRows(logits + (nint)done * classes, rows - done, classes, targets + (nint)done * classes, settings,
                gradient == null ? null : gradient + (nint)done * classes, losses + done);
        for (int row = done; row < rows; row++)
            losses[row] = CrossEntropyRow(logits, classes, row, labels, targets, settings, gradient, streaming);
        FenceStreaming(streaming);
    }

    /// <summary>Cross-entropy against labels (<see cref="RowBlocks.CrossEntropy"/>), with its gradient when asked for.</summary>
    private readonly struct LabelBlocks(T* logits, int classes, int* labels, CrossEntropySettings<T> settings, T* gradient, double* losses) : IBlockJob
    {
        public int Blocks(int first, int rows, byte* scratch)
        {
            nint offset = (nint)first * classes;
            var single = settings;
            return RowBlocks.CrossEntropy((float*)(logits + offset), rows, classes, labels + first,
                Unsafe.As<CrossEntropySettings<T>, CrossEntropySettings<float>>(ref single),
                gradient == null ? null : (float*)(gradient + offset), losses + first, scratch);
        }

        public int TryRows(int first, int count, byte* scratch, Staging staging)
        {
            nint offset = (nint)first * classes;
            staging.Load(logits + offset, count, classes);
            new ReadOnlySpan<int>(labels + first, count).CopyTo(new Span<int>(staging.Labels, count));
            new Span<int>(staging.Labels + count, RowBlocks.Rows - count).Clear();
            var single = settings;
            int taken = Staging.All(RowBlocks.CrossEntropy(staging.Logits, RowBlocks.Rows, classes, staging.Labels,
                Unsafe.As<CrossEntropySettings<T>, CrossEntropySettings<float>>(ref single),
                gradient == null ? null : staging.Output, staging.Losses, scratch), count);
            if (taken == 0) return 0;
            new ReadOnlySpan<double>(staging.Losses, count).CopyTo(new Span<double>(losses + first, count));
            if (gradient != null) staging.Store(gradient + offset, taken, classes);
            return taken;
        }

        public void Row(int row) => losses[row] = CrossEntropyRow(logits, classes, row, labels, null, settings, gradient, streaming: false);
    }

    /// <summary>
    /// <see cref="CrossEntropy"/> of one long row on <paramref name="degree"/> threads: a label's gradient, evenly
    /// smoothed or not, splits the row as <see cref="LongRow(T*, T*, int, double, bool, int, bool)"/> does; soft
    /// targets, weighted or masked smoothing and the loss alone split each of <see cref="TargetRow"/>'s passes likewise.
    /// </summary>
    public static double CrossEntropyLongRow(T* logits, int classes, int* label, T* target, in CrossEntropySettings<T> settings, T* gradient, int degree) =>
        CrossEntropyRow(logits, classes, 0, label, target, settings, gradient, streaming: false, degree);

    /// <summary>One row of <see cref="CrossEntropy"/>: its loss, and its gradient when one is asked for.</summary>
    private static double CrossEntropyRow(T* logits, int classes, int row, int* labels, T* targets, in CrossEntropySettings<T> settings, T* gradient, bool streaming,
        int degree = 1)
    {
        nint offset = (nint)row * classes;
        T* z = logits + offset;
        T* g = gradient == null ? null : gradient + offset;
        int label = labels == null ? -1 : labels[row];
        if (labels != null && settings.HasIgnoreLabel && label == settings.IgnoreLabel)
        {
            if (g != null) SpecialRows<T>.Fill(g, classes, T.Zero);
            return 0;
        }
        T* soft = targets == null ? null : targets + offset;
        var rowTargets = new RowTargets<T>(label, soft, settings.Weights, settings.Smoothing, settings.Masked);
        if (soft == null && SmoothsLikeALabel(settings))
        {
            if (g != null) return LabelRow(z, g, classes, label, rowTargets, settings.GradientScale, streaming, degree);
            if (degree == 1 && !FitsOneVector(classes) && classes <= ShortRowLength && TryShortLabelLoss(z, classes, label, rowTargets, out double loss)) return loss;
        }
        return TargetRow(z, g, classes, soft, rowTargets, settings, degree, streaming);
    }

    /// <summary>
    /// Whether a label row's gradient is the probabilities kernel's: no smoothing, or smoothing that spreads ε evenly
    /// over every class (no class weights, no mask), which only adds a constant.
    /// </summary>
    private static bool SmoothsLikeALabel(in CrossEntropySettings<T> settings) =>
        settings.Smoothing == 0 || (settings.Weights == null && !settings.Masked);

    /// <summary>
    /// An integer label, smoothed evenly or not. With t′ = (1 − ε)·w_y at the label plus u = ε/n at every class
    /// (ε = 0 without smoothing) and A = Σ t′, the gradient is softmax(z)·(scale·A) − scale·u, less scale·(1 − ε)·w_y
    /// at the label: the probabilities kernel with a multiplier, an offset and one fix-up. The loss is
    /// A·log Σ exp(z − max) + u·Σ (max − z) + (1 − ε)·w_y·(max − z_y), pass one taking the middle sum. The label's
    /// logit is read first, since the gradient may overwrite it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double LabelRow(T* z, T* g, int classes, int label, in RowTargets<T> rowTargets, double scale, bool streaming, int degree = 1)
    {
        var target = new LabelTarget(rowTargets, label, classes);
        double labelLogit = double.CreateTruncating(z[label]);
        bool smoothed = target.Uniform > 0;
        // Special rows are left to RowTargets, which needs the +∞ positions that a written row would erase.
        var statistics = degree > 1
            ? LongRow<ShiftArgument<TSimd, TVector, T>>(z, g, classes, 1, masked: false, degree, logarithm: false, scale * target.Weight,
                writeSpecialRows: false, -scale * target.Uniform, smoothed)
            : ProbabilitiesRow<ShiftArgument<TSimd, TVector, T>>(z, g, classes, 1, masked: false, scale * target.Weight, streaming,
                writeSpecialRows: false, -scale * target.Uniform, smoothed);
        if (statistics.Kind != RowKind.Finite)
            return rowTargets.SpecialRow(statistics.Kind, z, classes, g, scale);
        g[label] = T.CreateTruncating(double.CreateTruncating(g[label]) - scale * target.Own);
        return target.Loss(statistics, labelLogit);
    }

    /// <summary>
    /// The loss alone of a label row longer than a vector and at most <see cref="ShortRowLength"/> long, smoothed
    /// evenly or not: what <see cref="LabelRow"/> learns on the way to its gradient (the same maximum, gap total
    /// and sum, so the same bits), with nothing written. The general loss path took longer than the loss with its
    /// gradient. False, for the general path, where the row's maximum is not finite.
    /// </summary>
    private static bool TryShortLabelLoss(T* z, int classes, int label, in RowTargets<T> rowTargets, out double loss)
    {
        loss = 0;
        var (max, min) = ChunkMaxMin(z, classes);
        if (!T.IsFinite(max)) return false;
        var target = new LabelTarget(rowTargets, label, classes);
        double gaps = target.Uniform > 0 ? GapSum(z, classes, max) : 0;
        var statistics = ShortRowSum<ShiftArgument<TSimd, TVector, T>, Discard>(z, null, classes, max, min, 1).Statistics(max, gaps);
        loss = statistics.Kind == RowKind.Finite
            ? target.Loss(statistics, double.CreateTruncating(z[label]))
            : rowTargets.SpecialRow(statistics.Kind, z, classes, null, 0);
        return true;
    }

    /// <summary>
    /// What a label row's loss and gradient take from its target (<see cref="LabelRow"/>): the label's own share
    /// (1 − ε)·w_y, the uniform share u = ε/n, and the total weight A = (1 − ε)·w_y + ε.
    /// </summary>
    private readonly struct LabelTarget
    {
        public LabelTarget(in RowTargets<T> rowTargets, int label, int classes)
        {
            Own = (1 - rowTargets.Smoothing) * rowTargets.Weight(label);
            Uniform = rowTargets.Uniform(classes);
            Weight = Own + Uniform * classes;
        }

        public double Own { get; }
        public double Uniform { get; }
        public double Weight { get; }

        /// <summary>
        /// The loss from pass one's statistics, written as <see cref="TargetRow"/> writes it (A·log Σ + C), so that
        /// a row's loss does not depend on the path it took. A zero share adds nothing, even against a −∞ logit.
        /// </summary>
        public double Loss(in RowStatistics statistics, double labelLogit)
        {
            double gap = Uniform > 0 ? Uniform * statistics.Gaps : 0;
            if (Own > 0) gap += Own * (statistics.Max - labelLogit);
            return Weight == 0 ? gap : Weight * Math.Log(statistics.SumExp) + gap;
        }
    }

    /// <summary>
    /// Soft targets, smoothing that is weighted or masked, or the loss alone. With t′ = (1 − ε)·t + u: the row's
    /// weight A = Σ w·t′ and C = Σ w·t′·(max − z), so the loss is A·log Σ exp(z − max) + C (every term of C is ≥ 0,
    /// so nothing cancels), and the gradient is scale·(p·A − w ⊙ t′). On one thread this takes two passes
    /// (<see cref="FusedTargetRow"/>); split over <paramref name="degree"/> threads, as
    /// <see cref="LongRow(T*, T*, int, double, bool, int, bool)"/> splits a row, three: pass one, the target sums,
    /// then the gradient from z.
    /// </summary>
    private static double TargetRow(T* z, T* g, int classes, T* soft, in RowTargets<T> rowTargets, in CrossEntropySettings<T> settings, int degree, bool streaming)
    {
        bool smoothed = settings.Smoothing > 0, masked = settings.Masked;
        double labelLogit = soft == null ? double.CreateTruncating(z[rowTargets.Label]) : 0;
        // A long row kept in place loses its −∞ logits to pass one, and a masked gradient needs them.
        if (degree == 1 && !(masked && g == z && classes > ScratchLength))
            return FusedTargetRow(z, g, classes, soft, rowTargets, settings, labelLogit, streaming);

        var statistics = degree > 1
            ? LongStatistics<ShiftArgument<TSimd, TVector, T>>(z, classes, 1, degree)
            : Statistics<ShiftArgument<TSimd, TVector, T>>(z, classes, 1);
        if (statistics.Kind != RowKind.Finite)
            return rowTargets.SpecialRow(statistics.Kind, z, classes, g, settings.GradientScale);
        T shift = T.CreateTruncating(statistics.Max);
        T* weights = settings.Weights;
        var sums = degree > 1
            ? SplitTargetSums(z, soft, weights, shift, smoothed, masked, new RowParts(new ChunkGrid(g, classes), classes, degree))
            : SumTargets(z, soft, weights, classes, shift, smoothed, masked);
        var target = new TargetLoss(sums, statistics, classes, soft != null, rowTargets, weights != null, masked, labelLogit);
        if (g == null) return target.Loss;

        var gradient = new TargetGradients(shift, settings.GradientScale, target.Weight / statistics.SumExp, target.Uniform, target.Keep, masked);
        if (degree > 1) gradient.WriteSplit(z, g, soft, weights, classes, degree);
        else gradient.Write(z, g, soft, weights, classes);
        target.FixLabel(g, rowTargets.Label, settings.GradientScale);
        return target.Loss;
    }

    /// <summary>
    /// <see cref="TargetRow"/> on one thread, in two passes. Pass one sums each chunk's exponentials and, while the
    /// chunk is in L1, its target sums (<see cref="TargetTotal"/>), keeping the exponentials in scratch (or in the
    /// gradient, for a row too long for it). Pass two writes the gradient from them, e·scale·A·exp(shift − max)/Σ
    /// − scale·w ⊙ t′, with no second exponential. Without a gradient, pass one alone.
    /// </summary>
    private static double FusedTargetRow(T* z, T* g, int classes, T* soft, in RowTargets<T> rowTargets, in CrossEntropySettings<T> settings,
        double labelLogit, bool streaming)
    {
        T* weights = settings.Weights;
        bool masked = settings.Masked;
        if (classes <= ShortRowLength && TryShortTargetRow(z, g, classes, soft, rowTargets, settings, labelLogit, out double shortLoss))
            return shortLoss;
        var totals = new TargetTotal(soft, weights, settings.Smoothing > 0, masked);
        var shifts = Shifts.Rent(classes);
        try
        {
            fixed (T* chunkShifts = shifts.Span)
            {
                T* kept = g == null ? null : Kept(classes, g);
                var statistics = g == null
                    ? Statistics<ShiftArgument<TSimd, TVector, T>, Discard, TargetTotal>(z, null, classes, 1, null, ref totals)
                    : Statistics<ShiftArgument<TSimd, TVector, T>, Keep, TargetTotal>(z, kept, classes, 1, chunkShifts, ref totals);
                if (statistics.Kind != RowKind.Finite)
                    return rowTargets.SpecialRow(statistics.Kind, z, classes, g, settings.GradientScale);
                var target = new TargetLoss(totals.Sums, statistics, classes, soft != null, rowTargets, weights != null, masked, labelLogit);
                if (g == null) return target.Loss;

                double scale = settings.GradientScale;
                T own = T.CreateTruncating(-scale * target.Keep), uniform = T.CreateTruncating(-scale * target.Uniform);
                var grid = new ChunkGrid(kept, classes);
                for (int index = 0; index < grid.Count; index++)
                {
                    int start = grid.Start(index), count = grid.End(index, classes) - start;
                    double rescale = Math.Exp(double.CreateTruncating(chunkShifts[index]) - statistics.Max);
                    T factor = T.CreateTruncating(rescale * scale * target.Weight / statistics.SumExp);
                    KeptTargetGradient(kept + start, z + start, g + start, soft == null ? null : soft + start, weights == null ? null : weights + start,
                        count, factor, own, uniform, masked, streaming && kept != g);
                }
                target.FixLabel(g, rowTargets.Label, scale);
                return target.Loss;
            }
        }
        finally
        {
            shifts.Return();
        }
    }

    /// <summary>
    /// <see cref="FusedTargetRow"/> of a row of at most <see cref="ShortRowLength"/> elements, over L1 and with no
    /// chunk bookkeeping, as <see cref="ShortRow{TArgument}"/> does for softmax: the maximum; the exponentials,
    /// kept in scratch and summed; the target sums against the maximum; the gradient. False, with nothing
    /// written, for a row whose maximum is not finite or whose sum is NaN (a NaN the maximum stepped over): the
    /// general path writes its limits.
    /// </summary>
    private static bool TryShortTargetRow(T* z, T* g, int classes, T* soft, in RowTargets<T> rowTargets, in CrossEntropySettings<T> settings,
        double labelLogit, out double loss)
    {
        loss = 0;
        var (max, min) = ChunkMaxMin(z, classes);
        if (!T.IsFinite(max)) return false;
        T* kept = g == null ? null : Scratch(0);
        var sum = g == null
            ? ShortRowSum<ShiftArgument<TSimd, TVector, T>, Discard>(z, null, classes, max, min, 1)
            : ShortRowSum<ShiftArgument<TSimd, TVector, T>, Keep>(z, kept, classes, max, min, 1);
        var statistics = sum.Statistics(max);
        if (statistics.Kind != RowKind.Finite) return false;
        T* weights = settings.Weights;
        bool masked = settings.Masked;
        var target = new TargetLoss(SumTargets(z, soft, weights, classes, max, settings.Smoothing > 0, masked), statistics, classes, soft != null,
            rowTargets, weights != null, masked, labelLogit);
        loss = target.Loss;
        if (g == null) return true;
        target.WriteGradient(kept, z, g, soft, weights, classes, sum.Kept, settings.GradientScale, rowTargets.Label, masked);
        return true;
    }

    /// <summary>
    /// A target row's weight A = Σ w·t′, its uniform share u and its loss A·log Σ exp(z − max) + C, from pass one's
    /// statistics and the target sums (see <see cref="TargetRow"/>). A label's own share (1 − ε)·w_y is one term,
    /// at the label, whose logit the caller read before anything was written.
    /// </summary>
    private readonly struct TargetLoss
    {
        public TargetLoss(in TargetSums sums, in RowStatistics statistics, int classes, bool softTargets, in RowTargets<T> rowTargets,
            bool weighted, bool masked, double labelLogit)
        {
            Keep = 1 - rowTargets.Smoothing;
            double support = masked ? sums.Covered : classes;
            Uniform = rowTargets.Smoothing > 0 ? rowTargets.Uniform(support) : 0;
            double weight = Keep * sums.TargetWeight + Uniform * (weighted ? sums.CoveredWeight : support);
            double gap = Keep * sums.TargetGap + (Uniform > 0 ? Uniform * sums.CoveredGap : 0);
            Own = softTargets ? 0 : Keep * rowTargets.Weight(rowTargets.Label);
            if (Own > 0)
            {
                weight += Own;
                gap += Own * (statistics.Max - labelLogit);
            }
            Weight = weight;
            Loss = weight == 0 ? gap : weight * Math.Log(statistics.SumExp) + gap;
        }

        /// <summary>1 − ε.</summary>
        public double Keep { get; }
        public double Uniform { get; }
        public double Own { get; }
        public double Weight { get; }
        public double Loss { get; }

        /// <summary>Takes the label's own share, scale·(1 − ε)·w_y, off its gradient.</summary>
        public void FixLabel(T* g, int label, double scale)
        {
            if (Own > 0) g[label] = T.CreateTruncating(double.CreateTruncating(g[label]) - scale * Own);
        }

        /// <summary>
        /// The gradient of a short row whose exponentials against its maximum, summing to <paramref name="sum"/>, are
        /// kept at <paramref name="kept"/> (which may be <paramref name="g"/>): <see cref="KeptTargetGradient"/> with
        /// this row's factors, then <see cref="FixLabel"/>. One form for a row alone and four at a time, so that both
        /// give a row the same bits.
        /// </summary>
        public void WriteGradient(T* kept, T* z, T* g, T* soft, T* weights, int classes, double sum, double scale, int label, bool masked)
        {
            KeptTargetGradient(kept, z, g, soft, weights, classes, T.CreateTruncating(scale * Weight / sum),
                T.CreateTruncating(-scale * Keep), T.CreateTruncating(-scale * Uniform), masked, streaming: false);
            FixLabel(g, label, scale);
        }
    }

    /// <summary>
    /// scale·(p·A − w ⊙ t′) over one chunk from pass one's exponentials e = exp(z − shift), as
    /// e·<paramref name="factor"/> + w·(t·<paramref name="own"/> + <paramref name="uniform"/>) (the last two
    /// negative): no uniform share where a masked logit is −∞, read from z before the gradient, which may be z,
    /// overwrites it. With <paramref name="streaming"/> the gradient is written past the caches.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void KeptTargetGradient(T* kept, T* z, T* g, T* soft, T* weights, int count, T factor, T own, T uniform, bool masked, bool streaming)
    {
        int width = TSimd.Count;
        var f = TSimd.Create(factor);
        var ownVector = TSimd.Create(own);
        var uniformVector = TSimd.Create(uniform);
        int i = 0;
        if (streaming)
        {
            int head = UnalignedHead(g, count);
            if (head > 0) TSimd.StoreTail(g, head, Gradient(0, head));
            for (i = head; i <= count - width; i += width)
                TSimd.StoreStreaming(g + i, Gradient(i, width));
        }
        for (; i <= count - width; i += width)
            TSimd.Store(g + i, Gradient(i, width));
        if (i < count)
            TSimd.StoreTail(g + i, count - i, Gradient(i, count - i));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TVector Gradient(int at, int lanes)
        {
            bool whole = lanes == width;
            var e = whole ? TSimd.Load(kept + at) : TSimd.LoadTail(kept + at, lanes, T.Zero);
            var share = uniformVector;
            if (masked)
            {
                var logits = whole ? TSimd.Load(z + at) : TSimd.LoadTail(z + at, lanes, T.Zero);
                share = TSimd.Select(TSimd.Equal(logits, TSimd.Create(T.NegativeInfinity)), TSimd.Create(T.Zero), share);
            }
            var target = soft == null ? share
                : TSimd.MultiplyAdd(whole ? TSimd.Load(soft + at) : TSimd.LoadTail(soft + at, lanes, T.Zero), ownVector, share);
            if (weights != null) target = TSimd.Multiply(whole ? TSimd.Load(weights + at) : TSimd.LoadTail(weights + at, lanes, T.Zero), target);
            return TSimd.MultiplyAdd(e, f, target);
        }
    }

    /// <summary>
    /// What a target row's loss is made of, over part of a row: Σ w·t and Σ w·t·(max − z) over the soft target
    /// (terms with w·t = 0 left out, so a −∞ logit that the target does not cover adds 0, not 0·∞), and Σ w,
    /// Σ w·(max − z) and the count over the classes that the uniform part covers (Σ w is left 0 without class
    /// weights, where it equals the count, and the count 0 unless masked, where it is every class).
    /// </summary>
    private readonly record struct TargetSums(double TargetWeight, double TargetGap, double CoveredWeight, double CoveredGap, double Covered)
    {
        public TargetSums Plus(TargetSums other) => new(TargetWeight + other.TargetWeight, TargetGap + other.TargetGap,
            CoveredWeight + other.CoveredWeight, CoveredGap + other.CoveredGap, Covered + other.Covered);
    }

    /// <summary>
    /// <see cref="TargetSums"/> of <paramref name="count"/> classes against <paramref name="shift"/>, at or above
    /// each of their logits (the row's maximum, or in pass one the maximum up to them): the soft part when
    /// <paramref name="soft"/> is given, the covered part when <paramref name="smoothed"/>. Terms are formed in T
    /// from the gap taken in eighths, shift/8 − z/8 (rounded once; it cannot overflow), and added in T four vectors
    /// at a time before they are widened, as <see cref="GapSum"/> adds. Every term is ≥ 0, so the sums keep T's
    /// relative precision, as long as a product w·t is neither subnormal (its rounding would be absolute, then
    /// multiplied by a gap of up to 4e37), nor 0 from two positive factors, nor beyond 2⁶⁴, and nothing overflows:
    /// a chunk where any of that happens is
    /// summed again in float64 (<see cref="SumTargetsWide"/>), as is one with a −∞ logit under a weight (+∞).
    /// </summary>
    private static TargetSums SumTargets(T* logits, T* soft, T* weights, int count, T shift, bool smoothed, bool masked) =>
        soft != null ? SumTargets<Yes>(logits, soft, weights, count, shift, smoothed, masked) : SumTargets<No>(logits, soft, weights, count, shift, smoothed, masked);

    // Each choice made once, outside the loop: a branch on a flag inside it cost the soft targets' loop half its speed.
    private static TargetSums SumTargets<TSoft>(T* logits, T* soft, T* weights, int count, T shift, bool smoothed, bool masked)
        where TSoft : struct, IFlag =>
        weights != null ? SumTargets<TSoft, Yes>(logits, soft, weights, count, shift, smoothed, masked) : SumTargets<TSoft, No>(logits, soft, weights, count, shift, smoothed, masked);

    private static TargetSums SumTargets<TSoft, TWeighted>(T* logits, T* soft, T* weights, int count, T shift, bool smoothed, bool masked)
        where TSoft : struct, IFlag where TWeighted : struct, IFlag =>
        !smoothed ? SumTargets<TSoft, TWeighted, No, No>(logits, soft, weights, count, shift)
        : masked ? SumTargets<TSoft, TWeighted, Yes, Yes>(logits, soft, weights, count, shift)
        : SumTargets<TSoft, TWeighted, Yes, No>(logits, soft, weights, count, shift);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static TargetSums SumTargets<TSoft, TWeighted, TSmoothed, TMasked>(T* logits, T* soft, T* weights, int count, T shift)
        where TSoft : struct, IFlag where TWeighted : struct, IFlag where TSmoothed : struct, IFlag where TMasked : struct, IFlag
    {
        int width = TSimd.Count;
        var zero = TSimd.Create(T.Zero);
        var minusEighth = TSimd.Create(T.CreateTruncating(-0.125));
        var eighthShift = TSimd.Create(shift * T.CreateTruncating(0.125));
        var terms = new TargetTerms<TSoft, TWeighted, TSmoothed, TMasked>(zero);
        int i = 0;
        for (; i <= count - 4 * width; i += 4 * width)
        {
            // A group of four vectors, added in T, then widened once.
            if (TSoft.Value) Prefetch(soft + i + ChunkLength, 4 * width, intoL2: true);
            var group = new TargetTerms<TSoft, TWeighted, TSmoothed, TMasked>(zero);
            for (int k = i; k < i + 4 * width; k += width)
                group.Add(TSimd.Load(logits + k), TSoft.Value ? TSimd.Load(soft + k) : zero, TWeighted.Value ? TSimd.Load(weights + k) : zero,
                    minusEighth, eighthShift);
            terms.Widen(group);
        }
        for (; i < count; i += width)
        {
            // The spare lanes of a last vector have t = w = 0 and a NaN logit, which covers nothing.
            int rest = count - i;
            var group = new TargetTerms<TSoft, TWeighted, TSmoothed, TMasked>(zero);
            group.Add(rest >= width ? TSimd.Load(logits + i) : TSimd.LoadTail(logits + i, rest, T.NaN),
                !TSoft.Value ? zero : rest >= width ? TSimd.Load(soft + i) : TSimd.LoadTail(soft + i, rest, T.Zero),
                !TWeighted.Value ? zero : rest >= width ? TSimd.Load(weights + i) : TSimd.LoadTail(weights + i, rest, T.Zero),
                minusEighth, eighthShift);
            terms.Widen(group);
        }
        var sums = terms.Sums();
        bool exact = double.IsFinite(sums.TargetWeight + sums.TargetGap + sums.CoveredWeight + sums.CoveredGap)
            && !(TWeighted.Value && TSimd.Any(TSimd.LessThan(terms.Smallest, TSimd.Create(T.CreateTruncating(sizeof(T) == 4 ? SmallestNormalSingle : SmallestNormalDouble)))))
            && !TSimd.Any(TSimd.LessThan(TSimd.Create(T.CreateTruncating(TwoToThe64)), terms.Largest));
        return exact ? sums : SumTargetsWide(logits, soft, weights, count, shift, TSmoothed.Value, TMasked.Value);
    }

    // SumTargets' bounds as constants: Math.ScaleB is a call, across which the loop's vectors were kept on the stack.
    private const double SmallestNormalSingle = 1.1754943508222875e-38; // 2⁻¹²⁶
    private const double SmallestNormalDouble = 2.2250738585072014e-308; // 2⁻¹⁰²²
    private const double TwoToThe64 = 18446744073709551616.0;

    /// <summary>A choice fixed when a generic method is compiled: <see cref="Yes"/> or <see cref="No"/>.</summary>
    private interface IFlag
    {
        static abstract bool Value { get; }
    }

    private readonly struct Yes : IFlag
    {
        public static bool Value => true;
    }

    private readonly struct No : IFlag
    {
        public static bool Value => false;
    }

    /// <summary>
    /// <see cref="SumTargets"/>' terms: a group's, added in T, or the totals, widened to float64 (two
    /// accumulators each), with the smallest and largest non-zero products w·t (and weights) for its check.
    /// </summary>
    private struct TargetTerms<TSoft, TWeighted, TSmoothed, TMasked>(TVector zero)
        where TSoft : struct, IFlag where TWeighted : struct, IFlag where TSmoothed : struct, IFlag where TMasked : struct, IFlag
    {
        private TVector _targetWeight = zero, _targetGap = zero, _coveredWeight = zero, _coveredGap = zero, _covered = zero;
        private TVector _targetWeightHigh = zero, _targetGapHigh = zero, _coveredWeightHigh = zero, _coveredGapHigh = zero, _coveredHigh = zero;

        public TVector Smallest { get; private set; } = TSimd.Create(T.One);
        public TVector Largest { get; private set; } = zero;

        /// <summary>Adds one vector's terms, the gap taken as shift/8 − z/8 (<paramref name="minusEighth"/>, <paramref name="eighthShift"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(TVector z, TVector t, TVector w, TVector minusEighth, TVector eighthShift)
        {
            var zero = TSimd.Create(T.Zero);
            var gap = TSimd.MultiplyAdd(z, minusEighth, eighthShift);
            if (TSoft.Value)
            {
                var product = TWeighted.Value ? TSimd.Multiply(w, t) : t;
                var positive = TSimd.LessThan(zero, product);
                _targetWeight = TSimd.Add(_targetWeight, product);
                _targetGap = TSimd.Add(_targetGap, TSimd.Select(positive, TSimd.Multiply(product, gap), zero));
                // Unweighted, the product is t itself, not rounded: a subnormal t is exact. Weighted, a lane where both
                // factors are positive counts even if their product rounded to 0: against a −∞ logit that term is +∞.
                if (TWeighted.Value) Smallest = TSimd.Min(Smallest, TSimd.Select(TSimd.LessThan(zero, TSimd.Min(w, t)), product, Smallest));
                Largest = TSimd.Max(Largest, product);
            }
            if (TSmoothed.Value)
            {
                var inside = TSimd.Equal(z, z);
                if (TMasked.Value) inside = TSimd.Select(TSimd.Equal(z, TSimd.Create(T.NegativeInfinity)), zero, inside);
                if (TWeighted.Value)
                {
                    var counted = TSimd.Select(inside, w, zero);
                    _coveredWeight = TSimd.Add(_coveredWeight, counted);
                    _coveredGap = TSimd.Add(_coveredGap, TSimd.Select(TSimd.LessThan(zero, counted), TSimd.Multiply(counted, gap), zero));
                    Largest = TSimd.Max(Largest, counted);
                }
                else _coveredGap = TSimd.Add(_coveredGap, TSimd.Select(inside, gap, zero));
                if (TMasked.Value) _covered = TSimd.Add(_covered, TSimd.Select(inside, TSimd.Create(T.One), zero));
            }
        }

        /// <summary>Adds a group's terms, widened, to these totals.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Widen(in TargetTerms<TSoft, TWeighted, TSmoothed, TMasked> group)
        {
            if (TSoft.Value)
            {
                (_targetWeight, _targetWeightHigh) = TSimd.AddWide(group._targetWeight, _targetWeight, _targetWeightHigh);
                (_targetGap, _targetGapHigh) = TSimd.AddWide(group._targetGap, _targetGap, _targetGapHigh);
            }
            if (TSmoothed.Value)
            {
                (_coveredGap, _coveredGapHigh) = TSimd.AddWide(group._coveredGap, _coveredGap, _coveredGapHigh);
                if (TWeighted.Value) (_coveredWeight, _coveredWeightHigh) = TSimd.AddWide(group._coveredWeight, _coveredWeight, _coveredWeightHigh);
                if (TMasked.Value) (_covered, _coveredHigh) = TSimd.AddWide(group._covered, _covered, _coveredHigh);
            }
            if (TWeighted.Value) Smallest = TSimd.Min(Smallest, group.Smallest);
            Largest = TSimd.Max(Largest, group.Largest);
        }

        /// <summary>
        /// The widened totals, the gaps multiplied back by 8; those the flags leave out are 0 without a reduction
        /// (five reductions took much of a short row's time). Inlined, so the terms stay in registers: called, it
        /// took them by reference and kept every accumulator on the stack.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TargetSums Sums() => new(
            TSoft.Value ? TSimd.SumWide(_targetWeight, _targetWeightHigh) : 0,
            TSoft.Value ? 8 * TSimd.SumWide(_targetGap, _targetGapHigh) : 0,
            TSmoothed.Value && TWeighted.Value ? TSimd.SumWide(_coveredWeight, _coveredWeightHigh) : 0,
            TSmoothed.Value ? 8 * TSimd.SumWide(_coveredGap, _coveredGapHigh) : 0,
            TSmoothed.Value && TMasked.Value ? TSimd.SumWide(_covered, _coveredHigh) : 0);
    }

    /// <summary>
    /// Pass one's <see cref="TargetSums"/>, chunk by chunk while each is in L1, each chunk against its own shift;
    /// as <see cref="GapTotal"/> does, the gaps so far are brought up to a chunk's shift when the maximum grows (by
    /// the rise times the weight they were taken with), so the totals end against the row's maximum. A chunk whose
    /// logits are all −∞ (no finite shift yet) is summed against 0: its gaps under a weight are +∞ against any.
    /// </summary>
    private struct TargetTotal(T* soft, T* weights, bool smoothed, bool masked) : IChunkSums
    {
        private TargetSums _sums;
        private double _shift;
        private bool _shifted;
        private long _count;

        /// <summary>The sums so far, against the last finite shift.</summary>
        public readonly TargetSums Sums => _sums;

        public void Add(T* logits, int start, int count, T shift)
        {
            if (T.IsNaN(shift) || T.IsPositiveInfinity(shift)) return;
            bool finite = T.IsFinite(shift);
            if (finite)
            {
                double next = double.CreateTruncating(shift);
                if (_shifted && next > _shift)
                {
                    double rise = next - _shift;
                    double coveredWeight = weights != null ? _sums.CoveredWeight : masked ? _sums.Covered : _count;
                    _sums = _sums with
                    {
                        TargetGap = _sums.TargetGap + rise * _sums.TargetWeight,
                        CoveredGap = smoothed ? _sums.CoveredGap + rise * coveredWeight : 0,
                    };
                }
                _shift = next;
                _shifted = true;
            }
            _sums = _sums.Plus(SumTargets(logits, soft == null ? null : soft + start, weights == null ? null : weights + start, count,
                finite ? shift : T.Zero, smoothed, masked));
            _count += count;
        }
    }

    /// <summary>
    /// <see cref="SumTargets"/> with each term formed and summed in float64: for the few chunks whose products
    /// leave the range where T keeps its relative precision. The logits hold no NaN, so a NaN marks the spare
    /// lanes of the last vector.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static TargetSums SumTargetsWide(T* logits, T* soft, T* weights, int count, T shift, bool smoothed, bool masked)
    {
        int width = TSimd.Count;
        var zero = TSimd.Create(T.Zero);
        var one = TSimd.Create(T.One);
        var maximum = TSimd.Create(shift);
        var negativeInfinity = TSimd.Create(T.NegativeInfinity);
        var minusHalf = TSimd.Create(T.CreateTruncating(-0.5));
        var halfMaximum = TSimd.Create(shift / T.CreateTruncating(2));
        TVector targetWeightLow = zero, targetWeightHigh = zero, targetGapLow = zero, targetGapHigh = zero;
        TVector coveredWeightLow = zero, coveredWeightHigh = zero, coveredGapLow = zero, coveredGapHigh = zero, coveredLow = zero, coveredHigh = zero;
        for (int i = 0; i < count; i += width)
        {
            int rest = count - i;
            bool whole = rest >= width;
            var z = whole ? TSimd.Load(logits + i) : TSimd.LoadTail(logits + i, rest, T.NaN);
            var w = weights == null ? one : whole ? TSimd.Load(weights + i) : TSimd.LoadTail(weights + i, rest, T.Zero);
            if (soft != null)
            {
                var t = whole ? TSimd.Load(soft + i) : TSimd.LoadTail(soft + i, rest, T.Zero);
                (targetWeightLow, targetWeightHigh) = TSimd.AddProductWide(t, w, targetWeightLow, targetWeightHigh);
                (targetGapLow, targetGapHigh) = TSimd.AddGapProductWide(t, w, maximum, z, targetGapLow, targetGapHigh);
            }
            if (smoothed)
            {
                var covered = TSimd.Equal(z, z);
                if (masked) covered = TSimd.Select(TSimd.Equal(z, negativeInfinity), zero, covered);
                var share = TSimd.Select(covered, one, zero);
                if (weights == null)
                {
                    // Unweighted, a covered term is max − z itself: taken as max/2 − z/2 in T (one rounding; the
                    // halves cannot overflow), widened once and doubled at the end.
                    var halfGap = TSimd.MultiplyAdd(z, minusHalf, halfMaximum);
                    (coveredGapLow, coveredGapHigh) = TSimd.AddWide(TSimd.Select(covered, halfGap, zero), coveredGapLow, coveredGapHigh);
                }
                else
                {
                    (coveredGapLow, coveredGapHigh) = TSimd.AddGapProductWide(w, share, maximum, z, coveredGapLow, coveredGapHigh);
                    (coveredWeightLow, coveredWeightHigh) = TSimd.AddProductWide(w, share, coveredWeightLow, coveredWeightHigh);
                }
                if (masked) (coveredLow, coveredHigh) = TSimd.AddWide(share, coveredLow, coveredHigh);
            }
        }
        double coveredGap = TSimd.SumWide(coveredGapLow, coveredGapHigh) * (weights == null ? 2 : 1);
        return new TargetSums(TSimd.SumWide(targetWeightLow, targetWeightHigh), TSimd.SumWide(targetGapLow, targetGapHigh),
            TSimd.SumWide(coveredWeightLow, coveredWeightHigh), coveredGap, TSimd.SumWide(coveredLow, coveredHigh));
    }

    /// <summary>
    /// <see cref="SumTargets"/> of a long row, over <paramref name="parts"/>, added in part order.
    /// A method of its own, so that the closure is only allocated for a split row, not for every row of a batch.
    /// </summary>
    private static TargetSums SplitTargetSums(T* z, T* soft, T* weights, T shift, bool smoothed, bool masked, RowParts parts)
    {
        var partSums = new TargetSums[parts.Count];
        nint zp = (nint)z, tp = (nint)soft, wp = (nint)weights;
        parts.Run((part, start, count) => partSums[part] =
            SumTargets((T*)zp + start, tp == 0 ? null : (T*)tp + start, wp == 0 ? null : (T*)wp + start, count, shift, smoothed, masked));
        var sums = partSums[0];
        for (int part = 1; part < partSums.Length; part++) sums = sums.Plus(partSums[part]);
        return sums;
    }

    /// <summary>scale·(p·A − w ⊙ t′) from the logits, element by element (safe in place), for any part of a row.</summary>
    private readonly struct TargetGradients(T shift, double scale, double rowWeight, double uniform, double keep, bool masked)
    {
        /// <summary><see cref="Write"/> over a long row, cut as <see cref="LongRow(T*, T*, int, double, bool, int, bool)"/> cuts it, on <paramref name="degree"/> threads.</summary>
        public void WriteSplit(T* z, T* g, T* soft, T* weights, int classes, int degree)
        {
            nint zp = (nint)z, gp = (nint)g, tp = (nint)soft, wp = (nint)weights;
            var self = this;
            new RowParts(new ChunkGrid(g, classes), classes, degree).Run((_, start, count) =>
                self.Write((T*)zp + start, (T*)gp + start, tp == 0 ? null : (T*)tp + start, wp == 0 ? null : (T*)wp + start, count));
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Write(T* z, T* g, T* soft, T* weights, int count)
        {
            int width = TSimd.Count;
            var probability = ShiftArgument<TSimd, TVector, T>.Create(shift, T.Zero, 1);
            var scaleVector = TSimd.Create(T.CreateTruncating(scale));
            var rowWeightVector = TSimd.Create(T.CreateTruncating(rowWeight));
            var uniformVector = TSimd.Create(T.CreateTruncating(uniform));
            var keepVector = TSimd.Create(T.CreateTruncating(keep));
            // The fast exponential where the row's maximum is within its range and a vector within 85 of it, on rows
            // long enough to repay setting it up; the exact one elsewhere (and for the tail).
            ChunkExponential<TSimd, TVector, T> exponential = default;
            bool fast = count * sizeof(T) >= FastRowBytes && ChunkExponential<TSimd, TVector, T>.TryCreate(shift, out exponential);
            int i = 0;
            for (; i <= count - width; i += width)
            {
                var w = weights == null ? TSimd.Create(T.One) : TSimd.Load(weights + i);
                var t = soft == null ? TSimd.Create(T.Zero) : TSimd.Load(soft + i);
                var logits = TSimd.Load(z + i);
                var e = fast && exponential.Covers(logits, logits) ? exponential.Of(logits) : Exact(logits, probability);
                TSimd.Store(g + i, TargetGradient(logits, e, t, w, rowWeightVector, uniformVector, keepVector, scaleVector, masked));
            }
            if (i < count)
            {
                int rest = count - i;
                var w = weights == null ? TSimd.Create(T.One) : TSimd.LoadTail(weights + i, rest, T.Zero);
                var t = soft == null ? TSimd.Create(T.Zero) : TSimd.LoadTail(soft + i, rest, T.Zero);
                var logits = TSimd.LoadTail(z + i, rest, T.NegativeInfinity);
                TSimd.StoreTail(g + i, rest, TargetGradient(logits, Exact(logits, probability), t, w, rowWeightVector, uniformVector, keepVector, scaleVector, masked));
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TVector Exact(TVector logits, ShiftArgument<TSimd, TVector, T> probability)
        {
            probability.Compute(logits, out var hi, out var lo);
            return VectorMath.Exp<TSimd, TVector, T>(hi, lo);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector TargetGradient(TVector logits, TVector e, TVector soft, TVector weights,
        TVector rowWeight, TVector uniform, TVector keep, TVector scale, bool masked)
    {
        var share = masked
            ? TSimd.Select(TSimd.Equal(logits, TSimd.Create(T.NegativeInfinity)), TSimd.Create(T.Zero), uniform)
            : uniform;
        var target = TSimd.MultiplyAdd(soft, keep, share);
        var difference = TSimd.Subtract(TSimd.Multiply(e, rowWeight), TSimd.Multiply(weights, target));
        return TSimd.Multiply(difference, scale);
    }

    // ---- backward ------------------------------------------------------------------------------------------

    /// <summary>dz = (p ⊙ (g − pᵀg)) / temperature, row by row. Safe when destination is p or g itself.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void ProbabilitiesBackward(T* probabilities, T* outputGradient, T* destination, int rows, int classes, double temperature)
    {
        for (int row = 0; row < rows; row++)
        {
            nint offset = (nint)row * classes;
            T* p = probabilities + offset;
            T* g = outputGradient + offset;
            ScaleProbabilities(p, g, destination + offset, classes, Dot(p, g, classes), temperature);
        }
    }

    /// <summary>
    /// dz = (g − exp(y)·Σg) / temperature, row by row, from log-probabilities y. A row whose every y is −∞
    /// (a fully masked row) gets a zero gradient when <paramref name="masked"/>. Safe in place.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void LogProbabilitiesBackward(T* logProbabilities, T* outputGradient, T* destination, int rows, int classes, double temperature, bool masked)
    {
        for (int row = 0; row < rows; row++)
        {
            nint offset = (nint)row * classes;
            T* y = logProbabilities + offset;
            T* g = outputGradient + offset;
            double total = GradientSum(y, g, classes, out bool allMasked);
            if (masked && allMasked) SpecialRows<T>.Fill(destination + offset, classes, T.Zero);
            else ScaleLogProbabilities(y, g, destination + offset, classes, total, temperature);
        }
    }

    /// <summary>
    /// <see cref="ProbabilitiesBackward"/> of one long row on <paramref name="degree"/> threads: pᵀg summed in
    /// parts (added in part order), then each part written. Safe in place: every part is read before any is written.
    /// </summary>
    public static void ProbabilitiesBackwardLongRow(T* probabilities, T* outputGradient, T* destination, int length, double temperature, int degree)
    {
        var parts = new RowParts(new ChunkGrid(destination, length), length, degree);
        var dots = new double[parts.Count];
        nint p = (nint)probabilities, g = (nint)outputGradient, d = (nint)destination;
        parts.Run((part, start, count) => dots[part] = DotPart((T*)p + start, (T*)g + start, count));
        double dot = dots.Sum();
        parts.Run((_, start, count) => ScaleProbabilitiesPart((T*)p + start, (T*)g + start, (T*)d + start, count, dot, temperature));
    }

    /// <summary>
    /// <see cref="LogProbabilitiesBackward"/> of one long row on <paramref name="degree"/> threads: Σg and whether
    /// every y is −∞ found in parts, then each part written.
    /// </summary>
    public static void LogProbabilitiesBackwardLongRow(T* logProbabilities, T* outputGradient, T* destination, int length, double temperature, bool masked, int degree)
    {
        var parts = new RowParts(new ChunkGrid(destination, length), length, degree);
        var sums = new double[parts.Count];
        var allMasked = new bool[parts.Count];
        nint y = (nint)logProbabilities, g = (nint)outputGradient, d = (nint)destination;
        parts.Run((part, start, count) => sums[part] = GradientSumPart((T*)y + start, (T*)g + start, count, out allMasked[part]));
        if (masked && allMasked.All(m => m))
        {
            SpecialRows<T>.Fill(destination, length, T.Zero);
            return;
        }
        double total = sums.Sum();
        parts.Run((_, start, count) => ScaleLogProbabilitiesPart((T*)y + start, (T*)g + start, (T*)d + start, count, total, temperature));
    }

    // The parts of a split row run in a lambda, which the tiered JIT compiles: each goes through a method of its
    // own, compiled once with full optimisation, that inlines the loop.

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double DotPart(T* p, T* g, int count) => Dot(p, g, count);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void ScaleProbabilitiesPart(T* p, T* g, T* d, int count, double dot, double temperature) =>
        ScaleProbabilities(p, g, d, count, dot, temperature);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double GradientSumPart(T* y, T* g, int count, out bool allMasked) => GradientSum(y, g, count, out allMasked);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void ScaleLogProbabilitiesPart(T* y, T* g, T* d, int count, double total, double temperature) =>
        ScaleLogProbabilities(y, g, d, count, total, temperature);

    /// <summary>pᵀg, each product in T, summed in float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Dot(T* p, T* g, int count)
    {
        int width = TSimd.Count;
        var low = TSimd.Create(T.Zero);
        var high = low;
        int i = 0;
        for (; i <= count - width; i += width)
            (low, high) = TSimd.AddWide(TSimd.Multiply(TSimd.Load(p + i), TSimd.Load(g + i)), low, high);
        if (i < count)
            (low, high) = TSimd.AddWide(TSimd.Multiply(TSimd.LoadTail(p + i, count - i, T.Zero), TSimd.LoadTail(g + i, count - i, T.Zero)), low, high);
        return TSimd.SumWide(low, high);
    }

    /// <summary>d = p ⊙ (g − dot) / temperature.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaleProbabilities(T* p, T* g, T* d, int count, double dot, double temperature)
    {
        int width = TSimd.Count;
        var inverse = TSimd.Create(T.CreateTruncating(1 / temperature));
        var common = TSimd.Create(T.CreateTruncating(dot));
        int i = 0;
        for (; i <= count - width; i += width)
            TSimd.Store(d + i, TSimd.Multiply(TSimd.Multiply(TSimd.Load(p + i), TSimd.Subtract(TSimd.Load(g + i), common)), inverse));
        if (i < count)
        {
            int rest = count - i;
            TSimd.StoreTail(d + i, rest, TSimd.Multiply(TSimd.Multiply(TSimd.LoadTail(p + i, rest, T.Zero), TSimd.Subtract(TSimd.LoadTail(g + i, rest, T.Zero), common)), inverse));
        }
    }

    /// <summary>Σg in float64, and whether every y is −∞.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double GradientSum(T* y, T* g, int count, out bool allMasked)
    {
        int width = TSimd.Count;
        var negativeInfinity = TSimd.Create(T.NegativeInfinity);
        var low = TSimd.Create(T.Zero);
        var high = low;
        allMasked = true;
        int i = 0;
        for (; i <= count - width; i += width)
        {
            (low, high) = TSimd.AddWide(TSimd.Load(g + i), low, high);
            allMasked &= TSimd.All(TSimd.Equal(TSimd.Load(y + i), negativeInfinity));
        }
        if (i < count)
        {
            (low, high) = TSimd.AddWide(TSimd.LoadTail(g + i, count - i, T.Zero), low, high);
            allMasked &= TSimd.All(TSimd.Equal(TSimd.LoadTail(y + i, count - i, T.NegativeInfinity), negativeInfinity));
        }
        return TSimd.SumWide(low, high);
    }

    /// <summary>d = (g − exp(y)·total) / temperature.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaleLogProbabilities(T* y, T* g, T* d, int count, double total, double temperature)
    {
        int width = TSimd.Count;
        var inverse = TSimd.Create(T.CreateTruncating(1 / temperature));
        var zero = TSimd.Create(T.Zero);
        var sum = TSimd.Create(T.CreateTruncating(total));
        int i = 0;
        for (; i <= count - width; i += width)
            TSimd.Store(d + i, LogBackward(TSimd.Load(y + i), TSimd.Load(g + i), sum, inverse, zero));
        if (i < count)
        {
            int rest = count - i;
            TSimd.StoreTail(d + i, rest, LogBackward(TSimd.LoadTail(y + i, rest, T.NegativeInfinity), TSimd.LoadTail(g + i, rest, T.Zero), sum, inverse, zero));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector LogBackward(TVector logProbability, TVector gradient, TVector total, TVector inverse, TVector zero)
    {
        var p = VectorMath.Exp<TSimd, TVector, T>(logProbability, zero);
        return TSimd.Multiply(TSimd.Subtract(gradient, TSimd.Multiply(p, total)), inverse);
    }
}
