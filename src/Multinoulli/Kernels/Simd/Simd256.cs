using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Multinoulli.Kernels.Simd;

/// <summary>AVX2 with FMA (8 floats or 4 doubles a vector).</summary>
internal readonly unsafe struct Simd256<T> : ISimd<Vector256<T>, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static bool IsSupported => Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported;

    public static int Count => Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(T* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> LoadTail(T* source, int count, T fill)
    {
        var mask = TailMask(count);
        Vector256<T> loaded = typeof(T) == typeof(float)
            ? Avx.MaskLoad((float*)source, mask.AsSingle()).As<float, T>()
            : Avx.MaskLoad((double*)source, mask.AsDouble()).As<double, T>();
        return Vector256.ConditionalSelect(mask, loaded, Vector256.Create(fill));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(T* destination, Vector256<T> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreStreaming(T* destination, Vector256<T> value) => value.StoreAlignedNonTemporal(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreTail(T* destination, int count, Vector256<T> value)
    {
        var mask = TailMask(count);
        if (typeof(T) == typeof(float))
            Avx.MaskStore((float*)destination, mask.AsSingle(), value.AsSingle());
        else
            Avx.MaskStore((double*)destination, mask.AsDouble(), value.AsDouble());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> KeepFirst(Vector256<T> value, int count) => Vector256.ConditionalSelect(TailMask(count), value, Vector256<T>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> TailMask(int count) =>
        typeof(T) == typeof(float)
            ? Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).As<int, T>()
            : Vector256.LessThan(Vector256<long>.Indices, Vector256.Create((long)count)).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Create(T value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Add(Vector256<T> left, Vector256<T> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Subtract(Vector256<T> left, Vector256<T> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Multiply(Vector256<T> left, Vector256<T> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(float))
            return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Max(Vector256<T> left, Vector256<T> right) => Vector256.MaxNative(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Min(Vector256<T> left, Vector256<T> right) => Vector256.MinNative(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> LessThan(Vector256<T> left, Vector256<T> right) => Vector256.LessThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Equal(Vector256<T> left, Vector256<T> right) => Vector256.Equals(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Select(Vector256<T> mask, Vector256<T> whenTrue, Vector256<T> whenFalse) =>
        Vector256.ConditionalSelect(mask, whenTrue, whenFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Any(Vector256<T> mask) => mask.ExtractMostSignificantBits() != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool All(Vector256<T> mask) => mask.ExtractMostSignificantBits() == (1ul << Vector256<T>.Count) - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllAtLeast(Vector256<T> values, Vector256<T> bound) => Vector256.GreaterThanOrEqualAll(values, bound);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllBelow(Vector256<T> values, Vector256<T> bound) => Vector256.LessThanAll(values, bound);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MaxAcross(Vector256<T> value)
    {
        // Halve with shuffles: no branches, so no mispredictions on data-dependent orders.
        var half = Vector128.MaxNative(value.GetLower(), value.GetUpper());
        if (typeof(T) == typeof(float))
        {
            var single = half.AsSingle();
            single = Vector128.MaxNative(single, Vector128.Shuffle(single, Vector128.Create(2, 3, 0, 1)));
            single = Vector128.MaxNative(single, Vector128.Shuffle(single, Vector128.Create(1, 0, 3, 2)));
            return T.CreateTruncating(single.ToScalar());
        }
        var pair = half.AsDouble();
        pair = Vector128.MaxNative(pair, Vector128.Shuffle(pair, Vector128.Create(1L, 0L)));
        return T.CreateTruncating(pair.ToScalar());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<T> Low, Vector256<T> High) AddWide(Vector256<T> value, Vector256<T> low, Vector256<T> high)
    {
        if (typeof(T) == typeof(float))
        {
            var single = value.AsSingle();
            return ((low.AsDouble() + Vector256.WidenLower(single)).As<double, T>(), (high.AsDouble() + Vector256.WidenUpper(single)).As<double, T>());
        }
        return (low + value, high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<T> Low, Vector256<T> High) AddProductWide(Vector256<T> a, Vector256<T> b, Vector256<T> low, Vector256<T> high)
    {
        if (typeof(T) == typeof(float))
        {
            var (a0, a1) = Vector256.Widen(a.AsSingle());
            var (b0, b1) = Vector256.Widen(b.AsSingle());
            return (Vector256.FusedMultiplyAdd(a0, b0, low.AsDouble()).As<double, T>(), Vector256.FusedMultiplyAdd(a1, b1, high.AsDouble()).As<double, T>());
        }
        return (Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), low.AsDouble()).As<double, T>(), high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<T> Low, Vector256<T> High) AddGapProductWide(Vector256<T> a, Vector256<T> b, Vector256<T> shift, Vector256<T> logits, Vector256<T> low, Vector256<T> high)
    {
        if (typeof(T) == typeof(float))
        {
            var (a0, a1) = Vector256.Widen(a.AsSingle());
            var (b0, b1) = Vector256.Widen(b.AsSingle());
            var (z0, z1) = Vector256.Widen(logits.AsSingle());
            var s = Vector256.WidenLower(shift.AsSingle());
            return ((low.AsDouble() + GapTerm(a0 * b0, s, z0)).As<double, T>(), (high.AsDouble() + GapTerm(a1 * b1, s, z1)).As<double, T>());
        }
        return ((low.AsDouble() + GapTerm(a.AsDouble() * b.AsDouble(), shift.AsDouble(), logits.AsDouble())).As<double, T>(), high);
    }

    /// <summary>weight·(shift − z) where weight &gt; 0, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> GapTerm(Vector256<double> weight, Vector256<double> shift, Vector256<double> z) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(weight, Vector256<double>.Zero), weight * (shift - z), Vector256<double>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumWide(Vector256<T> low, Vector256<T> high) =>
        typeof(T) == typeof(float)
            ? Vector256.Sum(low.AsDouble() + high.AsDouble())
            : Vector256.Sum(low.AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ScaleByPowerOfTwo(Vector256<T> value, Vector256<T> shifted)
    {
        if (typeof(T) == typeof(float))
        {
            var biased = shifted.AsInt32() - Vector256.Create(VectorMath.SingleShifterBits - 2 * 127);
            var k1 = Vector256.ShiftRightLogical(biased, 1);
            var k2 = biased - k1;
            return (value.AsSingle() * Vector256.ShiftLeft(k1, 23).AsSingle() * Vector256.ShiftLeft(k2, 23).AsSingle()).As<float, T>();
        }
        else
        {
            var biased = shifted.AsInt64() - Vector256.Create(VectorMath.DoubleShifterBits - 2 * 1023L);
            var k1 = Vector256.ShiftRightLogical(biased, 1);
            var k2 = biased - k1;
            return (value.AsDouble() * Vector256.ShiftLeft(k1, 52).AsDouble() * Vector256.ShiftLeft(k2, 52).AsDouble()).As<double, T>();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ScaleByPowerOfTwoNormal(Vector256<T> value, Vector256<T> shifted)
    {
        // The shifter's own bits vanish in the shift, leaving n in the exponent field.
        if (typeof(T) == typeof(float))
            return (value.AsInt32() + Vector256.ShiftLeft(shifted.AsInt32(), 23)).As<int, T>();
        return (value.AsInt64() + Vector256.ShiftLeft(shifted.AsInt64(), 52)).As<long, T>();
    }
}
