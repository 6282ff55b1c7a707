using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Runtime.CompilerServices;
using Multinoulli.Kernels.Simd;

namespace Multinoulli.Kernels;

/// <summary>The element-wise mathematics shared by every kernel, written once for every width.</summary>
internal static class VectorMath
{
    // Adding 1.5·2^23 (float) or 1.5·2^52 (double) rounds x to an integer kept in the low mantissa bits,
    // which both rounds and converts without a conversion instruction (AVX2 has none for 64-bit integers).
    internal const float SingleShifter = 12582912f;
    internal const double DoubleShifter = 6755399441055744.0;
    // Their bit patterns, as constants: a static readonly would put a class-initialisation check in every loop.
    internal const int SingleShifterBits = 0x4B40_0000;
    internal const long DoubleShifterBits = 0x4338_0000_0000_0000;

    internal const double Ln2 = 0.693147180559945309417232121458;
    internal const double Log2E = 1.4426950408889634073599;

    // ln 2 − (double)ln 2: without it, double results lose |x|·2e-17 of relative accuracy.
    internal const double Ln2Low = 2.319046813846299558e-17;

    /// <summary>
    /// exp(hi + lo) for hi ≤ 0 and |lo| ≤ ulp(hi): the exact value of an argument that does not fit in one T is
    /// carried as hi + lo (see <see cref="TwoDifference"/>). −∞ and arguments below the smallest subnormal give
    /// exactly 0; a NaN in hi or lo gives NaN. Relative error below 1 ulp of T plus the rounding of the argument.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Exp<TSimd, TVector, T>(TVector hi, TVector lo)
        where TSimd : ISimd<TVector, T>
        where TVector : unmanaged
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        bool single = typeof(T) == typeof(float);
        // Below −104 (float) or −746 (double) even the nearest subnormal rounds to zero; the clamp keeps n in
        // range for −∞. A NaN hi is clamped here too, but it still reaches r below, so the result is NaN.
        var floor = TSimd.Create(T.CreateTruncating(single ? -104.0 : -746.0));
        var x = TSimd.Max(hi, floor);

        var shifter = TSimd.Create(single ? T.CreateTruncating(SingleShifter) : T.CreateTruncating(DoubleShifter));
        var shifted = TSimd.MultiplyAdd(x, TSimd.Create(T.CreateTruncating(Log2E)), shifter);
        var n = TSimd.Subtract(shifted, shifter);

        // r = (hi − n·ln2) + lo, with ln2 = ln2High + ln2Low in T: the large parts cancel first, exactly.
        var (ln2High, ln2Low) = Ln2Parts<T>();
        var r = TSimd.MultiplyAdd(n, TSimd.Create(-ln2High), hi);
        r = TSimd.MultiplyAdd(n, TSimd.Create(-ln2Low), r);
        r = TSimd.Add(r, lo);

        var p = Polynomial<TSimd, TVector, T>(r);

        // 2ⁿ by adding n to the exponent field: two instructions, valid while every result is a normal number,
        // which also rules out −∞ and NaN lanes (they were clamped below the limit). Otherwise (rare) the
        // two-step scale rounds subnormal results once, and −∞ or anything below the floor becomes exactly 0.
        var normal = TSimd.Create(T.CreateTruncating(single ? -86.0 : -707.0));
        if (!TSimd.Any(TSimd.LessThan(x, normal)))
            return TSimd.ScaleByPowerOfTwoNormal(p, shifted);
        return TSimd.Select(TSimd.LessThan(hi, floor), TSimd.Create(T.Zero), TSimd.ScaleByPowerOfTwo(p, shifted));
    }

    /// <summary>
    /// The 32-step table form of exp for 512-bit float vectors, in few multiply-add-unit instructions (that unit,
    /// one 512-bit instruction a cycle on this project's machine, is what the exponential kernels wait on):
    /// z = N·ln2/32 + r with N = round(32·z/ln2) (two fused multiply-adds, exact to half an ulp of r), then
    /// 2eʳ ≈ (r + 2b)·r + 2 on |r| ≤ ln2/64 with b = 1 + 1.4657e-5 (within 5.3e-8; one addition, one fused
    /// multiply-add), times a power of two assembled in the integer domain: the table (<paramref name="low"/>:
    /// j = 0 … 15, <paramref name="high"/>: 16 … 31, see <see cref="ThirtySecondsTable"/>) holds the bits of
    /// c·2^(j/32)/2 less j·2¹⁸, and shifting the shifted value's bits left by 18 adds j·2¹⁸ back and ⌊M/32⌋ to the
    /// exponent field, where M = N + (<paramref name="shifter"/> − <see cref="SingleShifter"/>). Within 2.3e-7
    /// (measured), while the power c·2^(j/32)/2·2^⌊M/32⌋ is a normal number; a NaN z gives NaN.
    /// <paramref name="tilted"/> drops the second fused multiply-add, taking N·ln2/32 off with ln2/32 rounded to
    /// float: then r carries N·(ln2/32 − float(ln2/32)), and the result is e^(z·(1 + <see cref="Tilt"/>)) to the
    /// same accuracy, a relative error of 2.75e-9·|z| against eᶻ. For a row's exponentials divided by their
    /// sum that is a temperature off by 2.75e-9, which moves each probability by 2.75e-9 times the gap between its
    /// logit and the row's mean: below 3e-7 for every probability of at least 1e-30.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ThirtySecondsExp(Vector512<float> z, Vector512<float> shifter, Vector512<float> low, Vector512<float> high, bool tilted = false) =>
        new ThirtySecondsExponential(low, high, shifter).Of(z, tilted);

    /// <summary>
    /// <see cref="ThirtySecondsExp"/> with its table, shifter and constants held as fields: a loop that makes one
    /// before it starts keeps all eight in registers, where the constants of the static form are loaded from memory
    /// again in every iteration (in the short-row softmax those loads, not the arithmetic, held the blocks back).
    /// </summary>
    internal readonly struct ThirtySecondsExponential(Vector512<float> low, Vector512<float> high, Vector512<float> shifter)
    {
        private readonly Vector512<float> _low = low;
        private readonly Vector512<float> _high = high;
        private readonly Vector512<float> _shifter = shifter;
        private readonly Vector512<float> _steps = Vector512.Create((float)(32 * Log2E));
        private readonly Vector512<float> _ln2High = Vector512.Create(-Ln2Parts<float>().High / 32);
        private readonly Vector512<float> _ln2Low = Vector512.Create(-Ln2Parts<float>().Low / 32);
        // b = 1 + h²/8 for h = ln2/64 tilts Taylor's 1 + r + r²/2 to level its error (r³/6) across the interval.
        private readonly Vector512<float> _twiceB = Vector512.Create(2.0000293254852295f);
        private readonly Vector512<float> _two = Vector512.Create(2f);

        /// <summary>exp(z), scaled by the table and shifter (see <see cref="ThirtySecondsExp"/>, <paramref name="tilted"/> included).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Of(Vector512<float> z, bool tilted) => Of(z, _shifter, tilted);

        /// <summary><see cref="Of(Vector512{float}, bool)"/> with another shifter: one set of constants for rows of different shifts.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Of(Vector512<float> z, Vector512<float> shifter, bool tilted)
        {
            var shifted = Vector512.FusedMultiplyAdd(z, _steps, shifter);
            var n = shifted - shifter;
            var r = Vector512.FusedMultiplyAdd(n, _ln2High, z);
            if (!tilted) r = Vector512.FusedMultiplyAdd(n, _ln2Low, r);
            var twice = Vector512.FusedMultiplyAdd(r + _twiceB, r, _two);
            var bits = shifted.AsInt32();
            var power = Avx512F.PermuteVar16x32x2(_low, bits, _high).AsInt32() + Vector512.ShiftLeft(bits, 18);
            return twice * power.AsSingle();
        }
    }

    /// <summary>
    /// τ in the tilted <see cref="ThirtySecondsExp"/>'s e^(z·(1 + τ)): 1 − float(ln2)/ln2, about −2.75e-9 (its
    /// N·(ln2/32 − float(ln2/32)) with N ≈ 32z/ln2).
    /// </summary>
    internal const double Tilt = 1 - (double)(float)Ln2 / Ln2;

    /// <summary>
    /// The table of <see cref="ThirtySecondsExp"/> for a scale c: the bits of c·2^(j/32)/2 rounded once from
    /// float64, less j·2¹⁸, j = 0 … 31.
    /// </summary>
    public static (Vector512<float> Low, Vector512<float> High) ThirtySecondsTable(double scale)
    {
        var half = Vector512.Create(0.5 * scale);
        var powers = ThirtySecondPowers;
        var low = Vector512.Narrow(half * Vector512.Create(powers), half * Vector512.Create(powers[8..]));
        var high = Vector512.Narrow(half * Vector512.Create(powers[16..]), half * Vector512.Create(powers[24..]));
        var offsets = Vector512.ShiftLeft(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), 18);
        return ((low.AsInt32() - offsets).AsSingle(), (high.AsInt32() - offsets - Vector512.Create(16 << 18)).AsSingle());
    }

    /// <summary>2^(j/32) for j = 0 … 31, correctly rounded to float64.</summary>
    private static ReadOnlySpan<double> ThirtySecondPowers =>
    [
        1.0, 1.0218971486541166, 1.0442737824274138, 1.0671404006768237,
        1.0905077326652577, 1.1143867425958924, 1.1387886347566916, 1.1637248587775775,
        1.189207115002721, 1.215247359980469, 1.241857812073484, 1.2690509571917332,
        1.2968395546510096, 1.3252366431597413, 1.3542555469368927, 1.383909881963832,
        1.4142135623730951, 1.4451808069770467, 1.4768261459394993, 1.5091644275934228,
        1.5422108254079407, 1.5759808451078865, 1.6104903319492543, 1.645755478153965,
        1.681792830507429, 1.718619298122478, 1.7562521603732995, 1.7947090750031072,
        1.8340080864093424, 1.8741676341103, 1.9152065613971474, 1.9571441241754002,
    ];

    /// <summary>ln 2 as high + low parts in T, so n·ln2 can be taken off in two fused multiply-adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (T High, T Low) Ln2Parts<T>()
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T high = T.CreateTruncating(Ln2);
        return (high, typeof(T) == typeof(float) ? T.CreateTruncating(Ln2 - double.CreateTruncating(high)) : T.CreateTruncating(Ln2Low));
    }

    /// <summary>p(r) ≈ eʳ on |r| ≤ ln2/2 (a little beyond is harmless), p(0) = 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Polynomial<TSimd, TVector, T>(TVector r)
        where TSimd : ISimd<TVector, T>
        where TVector : unmanaged
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        bool single = typeof(T) == typeof(float);
        // e^r on |r| ≤ ln2/2 with p(0) = 1, fitted for least relative error by tools/fit_exp.py:
        // 1.7e-8 (float, degree 6), 1.2e-17 (double, degree 11).
        TVector p;
        if (single)
        {
            p = TSimd.MultiplyAdd(Constant<TSimd, TVector, T>(0.0013843651018677005), r, Constant<TSimd, TVector, T>(0.008374155954367773));
            p = TSimd.MultiplyAdd(p, r, Constant<TSimd, TVector, T>(0.04166800211941474));
            p = TSimd.MultiplyAdd(p, r, Constant<TSimd, TVector, T>(0.16666431252836966));
            p = TSimd.MultiplyAdd(p, r, Constant<TSimd, TVector, T>(0.4999999420844264));
            p = TSimd.MultiplyAdd(p, r, Constant<TSimd, TVector, T>(1.0000000321680262));
        }
        else
        {
            p = TSimd.MultiplyAdd(Constant<TSimd, TVector, T>(2.4991427575431157e-08), r, Constant<TSimd, TVector, T>(2.763103434306144e-07));
            p = TSimd.MultiplyAdd(p, r, Constant<TSimd, TVector, T>(2.7557626714738545e-06));
            p = TSimd.MultiplyAdd(p, r, Constant<TSimd, TVector, T>(2.4801490635542477e-05));
            p = TSimd.MultiplyAdd(p, r, Constant<TSimd, TVector, T>(0.00019841269436775147));
            p = TSimd.MultiplyAdd(p, r, Constant<TSimd, TVector, T>(0.001388888894635376));
            p = TSimd.MultiplyAdd(p, r, Constant<TSimd, TVector, T>(0.008333333333549704));
            p = TSimd.MultiplyAdd(p, r, Constant<TSimd, TVector, T>(0.041666666666517825));
            p = TSimd.MultiplyAdd(p, r, Constant<TSimd, TVector, T>(0.16666666666666216));
            p = TSimd.MultiplyAdd(p, r, Constant<TSimd, TVector, T>(0.5000000000000012));
            p = TSimd.MultiplyAdd(p, r, Constant<TSimd, TVector, T>(1.0));
        }
        return TSimd.MultiplyAdd(p, r, Constant<TSimd, TVector, T>(1.0));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Constant<TSimd, TVector, T>(double value)
        where TSimd : ISimd<TVector, T>
        where TVector : unmanaged
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => TSimd.Create(T.CreateTruncating(value));

    /// <summary>
    /// a − b split exactly into the rounded difference and its rounding error (Knuth's TwoSum):
    /// <c>hi + lo = a − b</c> exactly whenever the difference does not overflow. Without the error term a
    /// float32 logit 70 below the maximum would lose 4e-6 of relative accuracy in its probability.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TwoDifference<TSimd, TVector, T>(TVector a, TVector b, out TVector hi, out TVector lo)
        where TSimd : ISimd<TVector, T>
        where TVector : unmanaged
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        hi = TSimd.Subtract(a, b);
        var aPart = TSimd.Add(hi, b);        // the share of hi that came from a
        var bPart = TSimd.Subtract(hi, aPart); // the share that came from −b
        lo = TSimd.Subtract(TSimd.Subtract(a, aPart), TSimd.Add(b, bPart));
    }

    /// <summary>A double as an unevaluated pair of T, hi + lo (exact for double, to ~2⁻⁴⁸ for float).</summary>
    public static (T High, T Low) Split<T>(double value)
        where T : IBinaryFloatingPointIeee754<T>
    {
        T high = T.CreateTruncating(value);
        if (!T.IsFinite(high)) return (high, T.Zero);
        return (high, T.CreateTruncating(value - double.CreateTruncating(high)));
    }
}
