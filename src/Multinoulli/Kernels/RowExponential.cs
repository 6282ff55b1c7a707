using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Multinoulli.Kernels.Simd;

namespace Multinoulli.Kernels;

/// <summary>
/// exp(z − k·ln2) for the integer k nearest max·log2e, over a short row whose logits all lie within 85 (float) or
/// 705 (double) below its maximum: the fast exponential of <see cref="ChunkExponential{TSimd, TVector, T}"/> with
/// nothing to set up but one shifter. Its values are exp(z − max) times a common factor near 1, the value the
/// maximum itself takes (<see cref="Unit"/>, in [0.7, 1.42]), and every use divides it out: a probability is a
/// value over their sum, and Σ exp(z − max) is that sum over the unit, so the maximum's term is exactly 1 there.
/// ChunkExponential instead takes the factor into its table, which costs two float64 exponentials and a new
/// table a row: longer than a row of a hundred classes takes to exponentiate.
/// <para>With 512-bit float vectors it is the tilted 32-step form (<see cref="VectorMath.ThirtySecondsExp"/>), whose
/// tilt e^(−2.75e-9·z) is common to the row but for 2.75e-9 a unit of the gap to the maximum, at most 2.4e-7 here;
/// otherwise a polynomial of degree 6 (float) or 11 (double).</para>
/// </summary>
internal readonly struct RowExponential<TSimd, TVector, T>
    where TSimd : ISimd<TVector, T>
    where TVector : unmanaged
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly TVector _shifter;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private RowExponential(T max)
    {
        double k = Math.Round(double.CreateTruncating(max) * VectorMath.Log2E);
        double shifter = typeof(T) == typeof(float) ? VectorMath.SingleShifter : VectorMath.DoubleShifter;
        _shifter = TSimd.Create(T.CreateTruncating(shifter - ChunkExponential<TSimd, TVector, T>.Steps * k));
    }

    /// <summary>
    /// The exponential of a row with this maximum and minimum, or false where its maximum is beyond the fast
    /// range or its minimum too far below it (a −∞ or a NaN maximum or minimum among them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryCreate(T max, T min, out RowExponential<TSimd, TVector, T> exponential)
    {
        exponential = default;
        T spread = T.CreateTruncating(typeof(T) == typeof(float) ? 85 : 705);
        if (!(T.Abs(max) <= T.CreateTruncating(ChunkExponential<TSimd, TVector, T>.ShiftLimit) && min >= max - spread)) return false;
        exponential = new RowExponential<TSimd, TVector, T>(max);
        return true;
    }

    /// <summary>The exponential of a row whose maximum <see cref="TryCreate"/> has accepted (with its minimum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RowExponential<TSimd, TVector, T> Accepted(T max) => new(max);

    /// <summary>The 32-step form's constants, shared by every row (the table of 2^(j/32) with no factor).</summary>
    public static VectorMath.ThirtySecondsExponential Table
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(UnitTable.Low, UnitTable.High, default);
    }

    private static readonly (Vector512<float> Low, Vector512<float> High) UnitTable = VectorMath.ThirtySecondsTable(1);

    /// <summary>exp(z − k·ln2) of one vector of the row; <paramref name="table"/> is <see cref="Table"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TVector Of(TVector logits, in VectorMath.ThirtySecondsExponential table)
    {
        if (ChunkExponential<TSimd, TVector, T>.UsesTable)
        {
            // Bit casts, not references: a reference to the shifter would keep a caller's copy of this struct in memory.
            var result = table.Of(Unsafe.BitCast<TVector, Vector512<float>>(logits), Unsafe.BitCast<TVector, Vector512<float>>(_shifter), tilted: true);
            return Unsafe.BitCast<Vector512<float>, TVector>(result);
        }
        return ChunkExponential<TSimd, TVector, T>.PowerScaled(logits, _shifter);
    }

    /// <summary>
    /// The value <see cref="Of"/> gives the maximum itself, to the bit: every lane of a vector of the maximum
    /// takes it, and the first is read (a reduction across the vector cost log-softmax of 17-class rows a tenth
    /// of its time). Not forced inline: in the four-row loops that spent the JIT's inlining budget.
    /// </summary>
    public double Unit(T max)
    {
        var unit = Of(TSimd.Create(max), Table);
        return double.CreateTruncating(Unsafe.As<TVector, T>(ref unit));
    }
}
