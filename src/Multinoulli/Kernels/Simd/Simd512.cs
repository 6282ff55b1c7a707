using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Multinoulli.Kernels.Simd;

/// <summary>AVX-512 (16 floats or 8 doubles a vector).</summary>
internal readonly unsafe struct Simd512<T> : ISimd<Vector512<T>, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    public static int Count => Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(T* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LoadTail(T* source, int count, T fill)
    {
        if (typeof(T) == typeof(float))
        {
            var mask = TailMask32(count).AsSingle();
            return Avx512F.MaskLoad((float*)source, mask, Vector512.Create(float.CreateTruncating(fill))).As<float, T>();
        }
        var mask64 = TailMask64(count).AsDouble();
        return Avx512F.MaskLoad((double*)source, mask64, Vector512.Create(double.CreateTruncating(fill))).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(T* destination, Vector512<T> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreStreaming(T* destination, Vector512<T> value) => value.StoreAlignedNonTemporal(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreTail(T* destination, int count, Vector512<T> value)
    {
        if (typeof(T) == typeof(float))
            Avx512F.MaskStore((float*)destination, TailMask32(count).AsSingle(), value.AsSingle());
        else
            Avx512F.MaskStore((double*)destination, TailMask64(count).AsDouble(), value.AsDouble());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> KeepFirst(Vector512<T> value, int count) =>
        typeof(T) == typeof(float)
            ? Vector512.ConditionalSelect(TailMask32(count).AsSingle(), value.AsSingle(), Vector512<float>.Zero).As<float, T>()
            : Vector512.ConditionalSelect(TailMask64(count).AsDouble(), value.AsDouble(), Vector512<double>.Zero).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> TailMask32(int count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<long> TailMask64(int count) =>
        Vector512.LessThan(Vector512<long>.Indices, Vector512.Create((long)count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Create(T value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Add(Vector512<T> left, Vector512<T> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Subtract(Vector512<T> left, Vector512<T> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Multiply(Vector512<T> left, Vector512<T> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float))
            return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Max(Vector512<T> left, Vector512<T> right) => Vector512.MaxNative(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Min(Vector512<T> left, Vector512<T> right) => Vector512.MinNative(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LessThan(Vector512<T> left, Vector512<T> right) => Vector512.LessThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Equal(Vector512<T> left, Vector512<T> right) => Vector512.Equals(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Select(Vector512<T> mask, Vector512<T> whenTrue, Vector512<T> whenFalse) =>
        Vector512.ConditionalSelect(mask, whenTrue, whenFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Any(Vector512<T> mask) => mask.ExtractMostSignificantBits() != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool All(Vector512<T> mask) => mask.ExtractMostSignificantBits() == (1ul << Vector512<T>.Count) - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllAtLeast(Vector512<T> values, Vector512<T> bound) => Vector512.GreaterThanOrEqualAll(values, bound);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllBelow(Vector512<T> values, Vector512<T> bound) => Vector512.LessThanAll(values, bound);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MaxAcross(Vector512<T> value)
    {
        var half = Simd256<T>.Max(value.GetLower(), value.GetUpper());
        return Simd256<T>.MaxAcross(half);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<T> Low, Vector512<T> High) AddWide(Vector512<T> value, Vector512<T> low, Vector512<T> high)
    {
        if (typeof(T) == typeof(float))
        {
            var single = value.AsSingle();
            return ((low.AsDouble() + Vector512.WidenLower(single)).As<double, T>(), (high.AsDouble() + Vector512.WidenUpper(single)).As<double, T>());
        }
        return (low + value, high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<T> Low, Vector512<T> High) AddProductWide(Vector512<T> a, Vector512<T> b, Vector512<T> low, Vector512<T> high)
    {
        if (typeof(T) == typeof(float))
        {
            var (a0, a1) = Vector512.Widen(a.AsSingle());
            var (b0, b1) = Vector512.Widen(b.AsSingle());
            return (Vector512.FusedMultiplyAdd(a0, b0, low.AsDouble()).As<double, T>(), Vector512.FusedMultiplyAdd(a1, b1, high.AsDouble()).As<double, T>());
        }
        return (Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), low.AsDouble()).As<double, T>(), high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<T> Low, Vector512<T> High) AddGapProductWide(Vector512<T> a, Vector512<T> b, Vector512<T> shift, Vector512<T> logits, Vector512<T> low, Vector512<T> high)
    {
        if (typeof(T) == typeof(float))
        {
            var (a0, a1) = Vector512.Widen(a.AsSingle());
            var (b0, b1) = Vector512.Widen(b.AsSingle());
            var (z0, z1) = Vector512.Widen(logits.AsSingle());
            var s = Vector512.WidenLower(shift.AsSingle());
            return ((low.AsDouble() + GapTerm(a0 * b0, s, z0)).As<double, T>(), (high.AsDouble() + GapTerm(a1 * b1, s, z1)).As<double, T>());
        }
        return ((low.AsDouble() + GapTerm(a.AsDouble() * b.AsDouble(), shift.AsDouble(), logits.AsDouble())).As<double, T>(), high);
    }

    /// <summary>weight·(shift − z) where weight &gt; 0, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> GapTerm(Vector512<double> weight, Vector512<double> shift, Vector512<double> z) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(weight, Vector512<double>.Zero), weight * (shift - z), Vector512<double>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumWide(Vector512<T> low, Vector512<T> high) =>
        typeof(T) == typeof(float)
            ? Vector512.Sum(low.AsDouble() + high.AsDouble())
            : Vector512.Sum(low.AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ScaleByPowerOfTwo(Vector512<T> value, Vector512<T> shifted)
    {
        if (typeof(T) == typeof(float))
        {
            // n + 2·127 ≥ 0, so a logical shift halves it: k₁ = ⌊n/2⌋ + 127 and k₂ = n − ⌊n/2⌋ + 127.
            var biased = shifted.AsInt32() - Vector512.Create(VectorMath.SingleShifterBits - 2 * 127);
            var k1 = Vector512.ShiftRightLogical(biased, 1);
            var k2 = biased - k1;
            var p1 = Vector512.ShiftLeft(k1, 23).AsSingle();
            var p2 = Vector512.ShiftLeft(k2, 23).AsSingle();
            return (value.AsSingle() * p1 * p2).As<float, T>();
        }
        else
        {
            var biased = shifted.AsInt64() - Vector512.Create(VectorMath.DoubleShifterBits - 2 * 1023L);
            var k1 = Vector512.ShiftRightLogical(biased, 1);
            var k2 = biased - k1;
            var p1 = Vector512.ShiftLeft(k1, 52).AsDouble();
            var p2 = Vector512.ShiftLeft(k2, 52).AsDouble();
            return (value.AsDouble() * p1 * p2).As<double, T>();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ScaleByPowerOfTwoNormal(Vector512<T> value, Vector512<T> shifted)
    {
        // The shifter's own bits vanish in the shift, leaving n in the exponent field.
        if (typeof(T) == typeof(float))
            return (value.AsInt32() + Vector512.ShiftLeft(shifted.AsInt32(), 23)).As<int, T>();
        return (value.AsInt64() + Vector512.ShiftLeft(shifted.AsInt64(), 52)).As<long, T>();
    }
}
