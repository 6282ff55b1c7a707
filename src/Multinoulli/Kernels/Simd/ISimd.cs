using System.Numerics;

namespace Multinoulli.Kernels.Simd;

/// <summary>
/// The few vector primitives the kernels need, for one vector width and one element type. Every kernel is
/// written once against this interface and instantiated for <see cref="Simd512{T}"/>, <see cref="Simd256{T}"/>
/// and <see cref="SimdScalar{T}"/> (width one), so the scalar fallback runs the very same arithmetic.
/// Masks are vectors whose true lanes have every bit set.
/// </summary>
internal unsafe interface ISimd<TVector, T>
    where TVector : unmanaged
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    static abstract int Count { get; }

    static abstract TVector Load(T* source);

    /// <summary>Loads <paramref name="count"/> (≤ Count) elements; the other lanes hold <paramref name="fill"/>. Never reads past them.</summary>
    static abstract TVector LoadTail(T* source, int count, T fill);

    static abstract void Store(T* destination, TVector value);

    /// <summary>
    /// Stores past the caches (a non-temporal store) to an address aligned to a whole vector: for output too large
    /// to stay cached, it saves reading each destination line from memory before overwriting it.
    /// </summary>
    static abstract void StoreStreaming(T* destination, TVector value);

    /// <summary>Stores the first <paramref name="count"/> (≤ Count) lanes; never writes past them.</summary>
    static abstract void StoreTail(T* destination, int count, TVector value);

    /// <summary><paramref name="value"/> with the lanes from <paramref name="count"/> (≤ Count) on set to 0.</summary>
    static abstract TVector KeepFirst(TVector value, int count);

    static abstract TVector Create(T value);
    static abstract TVector Add(TVector left, TVector right);
    static abstract TVector Subtract(TVector left, TVector right);
    static abstract TVector Multiply(TVector left, TVector right);

    /// <summary><c>a × b + c</c> with one rounding.</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);

    /// <summary>The larger of each pair; which operand comes back when one is NaN is left to the hardware.</summary>
    static abstract TVector Max(TVector left, TVector right);

    /// <summary>The smaller of each pair; which operand comes back when one is NaN is left to the hardware.</summary>
    static abstract TVector Min(TVector left, TVector right);

    static abstract TVector LessThan(TVector left, TVector right);
    static abstract TVector Equal(TVector left, TVector right);
    static abstract TVector Select(TVector mask, TVector whenTrue, TVector whenFalse);
    static abstract bool Any(TVector mask);
    static abstract bool All(TVector mask);

    /// <summary>True when every lane of <paramref name="values"/> is ≥ <paramref name="bound"/>; false for any NaN lane.</summary>
    static abstract bool AllAtLeast(TVector values, TVector bound);

    /// <summary>True when every lane of <paramref name="values"/> is &lt; <paramref name="bound"/>; false for any NaN lane.</summary>
    static abstract bool AllBelow(TVector values, TVector bound);

    static abstract T MaxAcross(TVector value);

    /// <summary>
    /// Adds <paramref name="value"/> into two float64 accumulators (for float, each holds a widened half; for
    /// double only the first is used). By value, not by ref: a ref would keep the accumulators in memory, and a
    /// 64-byte store-to-load round trip per iteration costs more than the whole exponential.
    /// </summary>
    static abstract (TVector Low, TVector High) AddWide(TVector value, TVector low, TVector high);

    /// <summary>The float64 total held by two accumulators filled by <see cref="AddWide"/>.</summary>
    static abstract double SumWide(TVector low, TVector high);

    /// <summary>
    /// Adds a·b into two accumulators as <see cref="AddWide"/> does, the factors widened to float64 first (for
    /// float), so the product neither rounds in T nor overflows.
    /// </summary>
    static abstract (TVector Low, TVector High) AddProductWide(TVector a, TVector b, TVector low, TVector high);

    /// <summary>
    /// Adds a·b·(shift − z) into two accumulators as <see cref="AddWide"/> does, where a·b &gt; 0 (0 elsewhere, so a
    /// −∞ logit with a zero factor adds 0, not 0·∞), every factor widened to float64 first (for float): neither the
    /// difference nor the products round in T or overflow.
    /// </summary>
    static abstract (TVector Low, TVector High) AddGapProductWide(TVector a, TVector b, TVector shift, TVector logits, TVector low, TVector high);

    /// <summary>
    /// <paramref name="value"/> × 2ⁿ, where n is the integer kept in the low mantissa bits of
    /// <paramref name="shifted"/> = x + <see cref="VectorMath"/>'s shifter. Valid for n in [-2·bias, 1];
    /// the power is applied in two halves so results in the subnormal range round once, correctly.
    /// </summary>
    static abstract TVector ScaleByPowerOfTwo(TVector value, TVector shifted);

    /// <summary>The same as <see cref="ScaleByPowerOfTwo"/> in two instructions, valid only while the result is a normal number.</summary>
    static abstract TVector ScaleByPowerOfTwoNormal(TVector value, TVector shifted);
}
