using System.Numerics;
using System.Runtime.CompilerServices;

namespace Multinoulli.Kernels.Simd;

/// <summary>
/// Width one: the fallback where no vector unit is usable. It runs the same algorithms as the vector widths,
/// so its accuracy is the same; only the speed differs.
/// </summary>
internal readonly unsafe struct SimdScalar<T> : ISimd<T, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static int Count => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Load(T* source) => *source;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T LoadTail(T* source, int count, T fill) => count > 0 ? *source : fill;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(T* destination, T value) => *destination = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreStreaming(T* destination, T value) => *destination = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T KeepFirst(T value, int count) => count > 0 ? value : T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreTail(T* destination, int count, T value)
    {
        if (count > 0) *destination = value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Create(T value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Add(T left, T right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Subtract(T left, T right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Multiply(T left, T right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MultiplyAdd(T a, T b, T c) => T.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Max(T left, T right) => left > right ? left : right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Min(T left, T right) => left < right ? left : right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T LessThan(T left, T right) => left < right ? AllBitsSet : T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Equal(T left, T right) => left == right ? AllBitsSet : T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Select(T mask, T whenTrue, T whenFalse) => IsSet(mask) ? whenTrue : whenFalse;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Any(T mask) => IsSet(mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool All(T mask) => IsSet(mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllAtLeast(T values, T bound) => values >= bound;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllBelow(T values, T bound) => values < bound;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MaxAcross(T value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (T Low, T High) AddWide(T value, T low, T high) => AddDouble(double.CreateTruncating(value), low, high);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (T Low, T High) AddProductWide(T a, T b, T low, T high) =>
        AddDouble(double.CreateTruncating(a) * double.CreateTruncating(b), low, high);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (T Low, T High) AddGapProductWide(T a, T b, T shift, T logits, T low, T high)
    {
        double weight = double.CreateTruncating(a) * double.CreateTruncating(b);
        return AddDouble(weight > 0 ? weight * (double.CreateTruncating(shift) - double.CreateTruncating(logits)) : 0, low, high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (T Low, T High) AddDouble(double value, T low, T high)
    {
        if (typeof(T) == typeof(float))
        {
            // A float "vector" of width one cannot hold a float64, so the running total's 64 bits are split
            // across the two accumulators: the low word in low, the high word in high.
            ulong bits = BitConverter.DoubleToUInt64Bits(JoinBits(low, high) + value);
            return (Unsafe.BitCast<uint, T>((uint)bits), Unsafe.BitCast<uint, T>((uint)(bits >> 32)));
        }
        return (low + T.CreateTruncating(value), high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumWide(T low, T high) =>
        typeof(T) == typeof(float) ? JoinBits(low, high) : Unsafe.BitCast<T, double>(low);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double JoinBits(T low, T high) =>
        BitConverter.UInt64BitsToDouble(Unsafe.BitCast<T, uint>(low) | ((ulong)Unsafe.BitCast<T, uint>(high) << 32));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ScaleByPowerOfTwo(T value, T shifted)
    {
        if (typeof(T) == typeof(float))
        {
            int biased = Unsafe.BitCast<T, int>(shifted) - (VectorMath.SingleShifterBits - 2 * 127);
            int k1 = (int)((uint)biased >> 1);
            int k2 = biased - k1;
            float scaled = Unsafe.BitCast<T, float>(value) * BitConverter.Int32BitsToSingle(k1 << 23) * BitConverter.Int32BitsToSingle(k2 << 23);
            return Unsafe.BitCast<float, T>(scaled);
        }
        else
        {
            long biased = Unsafe.BitCast<T, long>(shifted) - (VectorMath.DoubleShifterBits - 2 * 1023L);
            long k1 = (long)((ulong)biased >> 1);
            long k2 = biased - k1;
            double scaled = Unsafe.BitCast<T, double>(value) * BitConverter.Int64BitsToDouble(k1 << 52) * BitConverter.Int64BitsToDouble(k2 << 52);
            return Unsafe.BitCast<double, T>(scaled);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ScaleByPowerOfTwoNormal(T value, T shifted)
    {
        if (typeof(T) == typeof(float))
            return Unsafe.BitCast<int, T>(Unsafe.BitCast<T, int>(value) + (Unsafe.BitCast<T, int>(shifted) << 23));
        return Unsafe.BitCast<long, T>(Unsafe.BitCast<T, long>(value) + (Unsafe.BitCast<T, long>(shifted) << 52));
    }

    private static T AllBitsSet
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => T.AllBitsSet;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsSet(T mask) =>
        typeof(T) == typeof(float)
            ? Unsafe.BitCast<T, int>(mask) != 0
            : Unsafe.BitCast<T, long>(mask) != 0;
}
