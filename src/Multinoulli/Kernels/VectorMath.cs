using System.Numerics;
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
    internal static readonly int SingleShifterBits = BitConverter.SingleToInt32Bits(SingleShifter);
    internal static readonly long DoubleShifterBits = BitConverter.DoubleToInt64Bits(DoubleShifter);

    private const double Ln2 = 0.693147180559945309417232121458;

    // ln 2 − (double)ln 2: without it, double results lose |x|·2e-17 of relative accuracy.
    private const double Ln2Low = 2.319046813846299558e-17;

    /// <summary>
    /// exp(hi + lo) for hi + lo ≤ 1: the exact value of an argument that does not fit in one T is
    /// carried as hi + lo (see <see cref="TwoDifference"/>). −∞ and arguments below the smallest subnormal give
    /// exactly 0; NaN gives NaN. Relative error about 2 ulp of T.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Exp<TSimd, TVector, T>(TVector hi, TVector lo)
        where TSimd : ISimd<TVector, T>
        where TVector : unmanaged
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        bool single = typeof(T) == typeof(float);
        // Below −104 (float) or −746 (double) even the nearest subnormal rounds to zero. The low part can be
        // large (the split of a huge shift leaves up to half an ulp of it there), so the range reduction uses
        // hi + lo; hi alone decides −∞, whose low part is NaN (∞ − ∞).
        var floor = TSimd.Create(T.CreateTruncating(single ? -104.0 : -746.0));
        var sum = TSimd.Add(hi, lo);
        var underflow = TSimd.Select(TSimd.LessThan(hi, floor), TSimd.Create(T.AllBitsSet), TSimd.LessThan(sum, floor));
        var x = TSimd.Select(underflow, floor, sum); // a NaN compares false and flows on as NaN

        var shifter = TSimd.Create(single ? T.CreateTruncating(SingleShifter) : T.CreateTruncating(DoubleShifter));
        var shifted = TSimd.MultiplyAdd(x, TSimd.Create(T.CreateTruncating(1.4426950408889634073599)), shifter);
        var n = TSimd.Subtract(shifted, shifter);

        // r = (hi − n·ln2) + lo with ln2 = ln2High + ln2Low in T: the large parts cancel first, exactly.
        T ln2High = T.CreateTruncating(Ln2);
        T ln2Low = single ? T.CreateTruncating(Ln2 - double.CreateTruncating(ln2High)) : T.CreateTruncating(Ln2Low);
        var r = TSimd.MultiplyAdd(n, TSimd.Create(-ln2High), hi);
        r = TSimd.MultiplyAdd(n, TSimd.Create(-ln2Low), r);
        r = TSimd.Add(r, lo);

        // Taylor series of e^r: degree 7 leaves 5e-9 (float), degree 12 leaves 2e-16 (double) at |r| = ln2/2.
        TVector p;
        if (single)
        {
            p = TSimd.Create(T.CreateTruncating(1.0 / 5040));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.CreateTruncating(1.0 / 720)));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.CreateTruncating(1.0 / 120)));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.CreateTruncating(1.0 / 24)));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.CreateTruncating(1.0 / 6)));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.CreateTruncating(0.5)));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.One));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.One));
        }
        else
        {
            p = TSimd.Create(T.CreateTruncating(1.0 / 479001600));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.CreateTruncating(1.0 / 39916800)));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.CreateTruncating(1.0 / 3628800)));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.CreateTruncating(1.0 / 362880)));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.CreateTruncating(1.0 / 40320)));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.CreateTruncating(1.0 / 5040)));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.CreateTruncating(1.0 / 720)));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.CreateTruncating(1.0 / 120)));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.CreateTruncating(1.0 / 24)));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.CreateTruncating(1.0 / 6)));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.CreateTruncating(0.5)));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.One));
            p = TSimd.MultiplyAdd(p, r, TSimd.Create(T.One));
        }

        var result = TSimd.ScaleByPowerOfTwo(p, shifted);
        return TSimd.Select(underflow, TSimd.Create(T.Zero), result);
    }

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

    /// <summary>a + b as an unevaluated pair of doubles (hi, lo), exact.</summary>
    public static (double High, double Low) TwoSum(double a, double b)
    {
        double sum = a + b;
        double aPart = sum - b;
        double bPart = sum - aPart;
        return (sum, (a - aPart) + (b - bPart));
    }

    /// <summary>Splits an unevaluated double pair into an unevaluated pair of T (exact for double, to ~2⁻⁴⁸ for float).</summary>
    public static (T High, T Low) Split<T>(double high, double low)
        where T : IBinaryFloatingPointIeee754<T>
    {
        T h = T.CreateTruncating(high);
        if (!T.IsFinite(h)) return (h, T.Zero);
        return (h, T.CreateTruncating((high - double.CreateTruncating(h)) + low));
    }
}
