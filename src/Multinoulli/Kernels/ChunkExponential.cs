using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Multinoulli.Kernels.Simd;

namespace Multinoulli.Kernels;

/// <summary>
/// exp(z − s) at unit temperature for a shift s (the running maximum) within ±2¹⁷: the exponential softmax spends
/// nearly all its time in, in about half the instructions of the general one. Rather than form z − s, whose
/// rounding would need the exact-difference correction of <see cref="ShiftArgument{TSimd, TVector, T}"/>, it
/// reduces z itself, z = N·ln2/m + r with N = round(m·z/ln2) and r from two fused multiply-adds (exact to half
/// an ulp of r), and puts the shift into the scale: e^(z − s) = 2^⌊(N − m·k)/m⌋ · c·2^(j/m) · eʳ with
/// k = round(s/ln2), j = N mod m and c = e^(k·ln2 − s), a constant of the chunk computed in float64.
/// With 512-bit float vectors m = 32 and the values c·2^(j/32) are two registers, looked up with one two-source
/// permute, so |r| ≤ ln2/64 and a quadratic gives eʳ (<see cref="VectorMath.ThirtySecondsExp"/>, tilted: r from one
/// fused multiply-add, its error of about 2.75e-9·z taken back in c but for 2.75e-9·(s − z)); otherwise m = 1
/// and a polynomial of degree 6 (float) or 11 (double). From the first pair of vectors with a lane more than 85
/// below the shift (whose result might not be a normal number), a −∞ or a NaN, the rest of the chunk takes the
/// general path.
/// </summary>
internal readonly struct ChunkExponential<TSimd, TVector, T>
    where TSimd : ISimd<TVector, T>
    where TVector : unmanaged
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    // Within the limit |N| ≈ m·|z|·log2e stays below 2²², where the shifter rounds exactly, and the rounding of
    // m·log2e in T moves N by at most 0.02 (m = 32, |s| ≤ 2¹⁵; the quadratic loses 2e-8 of accuracy to it) or
    // less (m = 1, |s| ≤ 2¹⁷): r stays within the polynomial's range. Beyond it the general path runs.
    internal static double ShiftLimit
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => UsesTable ? 1 << 15 : 1 << 17;
    }

    internal static bool UsesTable
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(TVector) == typeof(Vector512<float>);
    }

    internal static int Steps
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => UsesTable ? 32 : 1;
    }

    private readonly TVector _shifter;   // the shifter minus m·k, an integer: m·z·log2e + it holds N − m·k in its low bits
    private readonly TVector _floor;     // s − 85 (float) or s − 705 (double): above it every result is normal
    private readonly TVector _scale;     // the table's first half (j = 0 … 15, see VectorMath.ThirtySecondsTable), or c in every lane
    private readonly TVector _scaleHigh; // the table's second half (j = 16 … 31)
    private readonly TVector _shift;
    private readonly ShiftArgument<TSimd, TVector, T> _general;

    private ChunkExponential(T shift)
    {
        bool single = typeof(T) == typeof(float);
        double s = double.CreateTruncating(shift);
        double k = Math.Round(s * VectorMath.Log2E);
        double shifter = single ? VectorMath.SingleShifter : VectorMath.DoubleShifter;
        _shifter = TSimd.Create(T.CreateTruncating(shifter - Steps * k));
        _floor = TSimd.Create(T.CreateTruncating(s - (single ? 85 : 705)));
        // k·ln2 − s with the product exact inside the fused multiply-add: |result| ≤ 0.35, so it is accurate to 1e-17.
        double correction = Math.Exp(Math.FusedMultiplyAdd(k, VectorMath.Ln2, -s) + k * VectorMath.Ln2Low);
        if (UsesTable)
        {
            // The tilted reduction leaves each exponential e^(−N·D) off, D = float(ln2/32) − ln2/32 (see
            // VectorMath.ThirtySecondsExp); the table takes back e^(−32k·D), leaving e^(−(N − 32k)·D): within
            // 2.75e-9·(s − z) + 1e-9 of exact, below 2.4e-7 in the fast range, and the same tilt for every chunk.
            correction *= Math.Exp(k * ((double)(float)VectorMath.Ln2 - VectorMath.Ln2));
            // c·2^(j/32)/2 rounded once from float64: four vector multiplications a chunk, not 32 powers.
            var (low, high) = VectorMath.ThirtySecondsTable(correction);
            _scale = Unsafe.As<Vector512<float>, TVector>(ref low);
            _scaleHigh = Unsafe.As<Vector512<float>, TVector>(ref high);
        }
        else
        {
            _scale = TSimd.Create(T.CreateTruncating(correction));
        }
        _shift = TSimd.Create(shift);
        _general = ShiftArgument<TSimd, TVector, T>.Create(shift, T.Zero, 1);
    }

    /// <summary>The fast exponential for this shift, or false when |shift| is beyond its range.</summary>
    public static bool TryCreate(T shift, out ChunkExponential<TSimd, TVector, T> exponential)
    {
        exponential = default;
        if (!(T.Abs(shift) <= T.CreateTruncating(ShiftLimit))) return false;
        exponential = new ChunkExponential<TSimd, TVector, T>(shift);
        return true;
    }

    /// <summary>The general (exact-difference) argument with the same shift, for the vectors <see cref="Covers"/> refuses.</summary>
    public ShiftArgument<TSimd, TVector, T> General => _general;

    /// <summary>Whether every lane of both vectors is within the fast path's range (false for −∞ and NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Covers(TVector first, TVector second) => TSimd.AllAtLeast(first, _floor) & TSimd.AllAtLeast(second, _floor);

    /// <summary>
    /// exp(z − s) of four vectors <see cref="Covers"/> accepts, into <paramref name="e0"/> … <paramref name="e3"/>,
    /// and their sum added to the float64 pair (<paramref name="low"/>, <paramref name="high"/>). Where no lane
    /// reaches the shift, the usual case, the four are added in T first, pairwise, and widened once: two roundings,
    /// at most 2 ulp of the group's own sum, which is part of Σ − 1, so Σ − 1 keeps its relative accuracy. A group
    /// that holds the shift itself (the maximum) gives it exactly 1, as the general path does, and widens lane by
    /// lane: then Σ ≥ 1, and log Σ (the log-probability of a dominant class) is accurate in relative terms, not
    /// only to 1e-7, which adding 1 + 1.6e-6 in float would lose.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (TVector Low, TVector High) SumFour(TVector z0, TVector z1, TVector z2, TVector z3,
        out TVector e0, out TVector e1, out TVector e2, out TVector e3, TVector low, TVector high)
    {
        // Not written as a call to SumFourBelow: one more level of inlining exhausts the JIT's budget in the
        // streamed batch's loop, which then calls its vector primitives (three times slower).
        e0 = Reduced(z0);
        e1 = Reduced(z1);
        e2 = Reduced(z2);
        e3 = Reduced(z3);
        if (!(TSimd.Any(TSimd.Equal(z0, _shift)) | TSimd.Any(TSimd.Equal(z1, _shift)) | TSimd.Any(TSimd.Equal(z2, _shift)) | TSimd.Any(TSimd.Equal(z3, _shift))))
            return TSimd.AddWide(TSimd.Add(TSimd.Add(e0, e1), TSimd.Add(e2, e3)), low, high);
        e0 = AtShift(z0, e0);
        e1 = AtShift(z1, e1);
        e2 = AtShift(z2, e2);
        e3 = AtShift(z3, e3);
        (low, high) = TSimd.AddWide(e0, low, high);
        (low, high) = TSimd.AddWide(e1, low, high);
        (low, high) = TSimd.AddWide(e2, low, high);
        return TSimd.AddWide(e3, low, high);
    }

    /// <summary>
    /// Whether every lane of the four vectors is within the fast path's range and below the shift, checked on their
    /// minimum and maximum (two comparisons, not eight). False for −∞ and for a lane at or above the shift. A NaN
    /// lane may pass: its exponential is NaN, and so is the sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Below(TVector z0, TVector z1, TVector z2, TVector z3)
    {
        var min = TSimd.Min(TSimd.Min(z0, z1), TSimd.Min(z2, z3));
        var max = TSimd.Max(TSimd.Max(z0, z1), TSimd.Max(z2, z3));
        return TSimd.AllAtLeast(min, _floor) & TSimd.AllBelow(max, _shift);
    }

    /// <summary><see cref="SumFour"/> for four vectors with no lane at the shift (see <see cref="Below"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (TVector Low, TVector High) SumFourBelow(TVector z0, TVector z1, TVector z2, TVector z3,
        out TVector e0, out TVector e1, out TVector e2, out TVector e3, TVector low, TVector high)
    {
        e0 = Reduced(z0);
        e1 = Reduced(z1);
        e2 = Reduced(z2);
        e3 = Reduced(z3);
        return TSimd.AddWide(TSimd.Add(TSimd.Add(e0, e1), TSimd.Add(e2, e3)), low, high);
    }

    /// <summary>
    /// exp(z − s) of one vector that <see cref="Covers"/> accepts, with the fast form's error (the shift's own
    /// lane within it of 1, not exactly 1): for values used one by one, not summed into a normaliser.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Of(TVector logits) => Reduced(logits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVector AtShift(TVector logits, TVector exponentials) => TSimd.Select(TSimd.Equal(logits, _shift), TSimd.Create(T.One), exponentials);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVector Reduced(TVector logits)
    {
        if (UsesTable)
        {
            var result = TableExp(Unsafe.As<TVector, Vector512<float>>(ref logits));
            return Unsafe.As<Vector512<float>, TVector>(ref result);
        }
        return TSimd.Multiply(PowerScaled(logits, _shifter), _scale);
    }

    /// <summary>
    /// The polynomial form (m = 1) of exp(z − k·ln2), where the shifter is offset by −k: a polynomial of r = z − N·ln2
    /// times 2^(N − k), assembled in the exponent field (so only while that is a normal number).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector PowerScaled(TVector logits, TVector shifter)
    {
        var shifted = TSimd.MultiplyAdd(logits, TSimd.Create(T.CreateTruncating(VectorMath.Log2E)), shifter);
        var n = TSimd.Subtract(shifted, shifter);
        var (ln2High, ln2Low) = VectorMath.Ln2Parts<T>();
        var r = TSimd.MultiplyAdd(n, TSimd.Create(-ln2High), logits);
        r = TSimd.MultiplyAdd(n, TSimd.Create(-ln2Low), r);
        return TSimd.ScaleByPowerOfTwoNormal(VectorMath.Polynomial<TSimd, TVector, T>(r), shifted);
    }

    /// <summary>The 32-step form for 512-bit float vectors (<see cref="VectorMath.ThirtySecondsExp"/>) with the shift's scale in the table.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector512<float> TableExp(Vector512<float> z)
    {
        var shifter = Unsafe.As<TVector, Vector512<float>>(ref Unsafe.AsRef(in _shifter));
        var low = Unsafe.As<TVector, Vector512<float>>(ref Unsafe.AsRef(in _scale));
        var high = Unsafe.As<TVector, Vector512<float>>(ref Unsafe.AsRef(in _scaleHigh));
        // The shifter is offset by −32k: the power of two is 2^⌊(N − 32k)/32⌋.
        return VectorMath.ThirtySecondsExp(z, shifter, low, high, tilted: true);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Gap(TVector logits) => TSimd.Subtract(logits, _shift);
}
