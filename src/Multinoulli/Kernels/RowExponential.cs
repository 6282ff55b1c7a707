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
/// <para>Static, with the row's shifter a vector the caller keeps in a local: as a struct of one vector, passed
/// to a loop's method or kept in its frame, the shifter was loaded from the stack in every iteration (and stored
/// back, for an argument), and the stack is aligned to 16 bytes only.</para>
/// </summary>
internal static class RowExponential<TSimd, TVector, T>
    where TSimd : ISimd<TVector, T>
    where TVector : unmanaged
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>The shifter of a row with this maximum: the one that subtracts k·ln2, k the integer nearest max·log2e.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ShifterOf(T max)
    {
        double k = Math.Round(double.CreateTruncating(max) * VectorMath.Log2E);
        double shifter = typeof(T) == typeof(float) ? VectorMath.SingleShifter : VectorMath.DoubleShifter;
        return T.CreateTruncating(shifter - ChunkExponential<TSimd, TVector, T>.Steps * k);
    }

    /// <summary>
    /// Whether the exponential takes a row with this maximum and minimum: false where its maximum is beyond the
    /// fast range or its minimum too far below it (a −∞ or a NaN maximum or minimum among them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Accepts(T max, T min)
    {
        T spread = T.CreateTruncating(typeof(T) == typeof(float) ? 85 : 705);
        return T.Abs(max) <= T.CreateTruncating(ChunkExponential<TSimd, TVector, T>.ShiftLimit) && min >= max - spread;
    }

    /// <summary>The shifter of a row whose maximum <see cref="Accepts"/> has accepted (with its minimum), in every lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Shifter(T max) => TSimd.Create(ShifterOf(max));

    /// <summary>The 32-step form's constants, shared by every row (the table of 2^(j/32) with no factor).</summary>
    public static VectorMath.ThirtySecondsExponential Table
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(UnitTable.Low, UnitTable.High, default);
    }

    private static readonly (Vector512<float> Low, Vector512<float> High) UnitTable = VectorMath.ThirtySecondsTable(1);

    /// <summary>
    /// exp(z − k·ln2) of one vector of a row with this <see cref="Shifter"/>; <paramref name="table"/> is
    /// <see cref="Table"/>. Every step works lane by lane, so a vector may hold a different row's shifter in each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Of(TVector logits, TVector shifter, in VectorMath.ThirtySecondsExponential table)
    {
        if (ChunkExponential<TSimd, TVector, T>.UsesTable)
        {
            var result = table.Of(Unsafe.BitCast<TVector, Vector512<float>>(logits), Unsafe.BitCast<TVector, Vector512<float>>(shifter), tilted: true);
            return Unsafe.BitCast<Vector512<float>, TVector>(result);
        }
        return ChunkExponential<TSimd, TVector, T>.PowerScaled(logits, shifter);
    }

    /// <summary>
    /// The value <see cref="Of"/> gives the maximum itself, to the bit: every lane of a vector of the maximum
    /// takes it, and the first is read (a reduction across the vector cost log-softmax of 17-class rows a tenth
    /// of its time). Not forced inline: in the four-row loops that spent the JIT's inlining budget.
    /// </summary>
    public static double Unit(T max)
    {
        var unit = Of(TSimd.Create(max), Shifter(max), Table);
        return double.CreateTruncating(Unsafe.As<TVector, T>(ref unit));
    }

    /// <summary>
    /// <see cref="Unit"/> of four rows, to the bit, from one evaluation: each maximum and its shifter in a lane of
    /// its own. Four evaluations of a vector of one maximum took a fifth of the time of log-sum-exp of 17- and
    /// 64-class rows. Vectors of fewer than four lanes take each row's in turn.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static Vector256<double> FourUnits(T m0, T m1, T m2, T m3)
    {
        if (TSimd.Count < 4)
            return Vector256.Create(Unit(m0), Unit(m1), Unit(m2), Unit(m3));
        var units = Of(Lanes(m0, m1, m2, m3), Lanes(ShifterOf(m0), ShifterOf(m1), ShifterOf(m2), ShifterOf(m3)), Table);
        return FirstFour(units);
    }

    /// <summary>A vector of four values in its first four lanes (what the rest hold is not defined), built in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Lanes(T a, T b, T c, T d)
    {
        if (typeof(T) == typeof(float))
        {
            var four = Vector128.Create(Unsafe.BitCast<T, float>(a), Unsafe.BitCast<T, float>(b), Unsafe.BitCast<T, float>(c), Unsafe.BitCast<T, float>(d));
            if (typeof(TVector) == typeof(Vector512<float>)) return Unsafe.BitCast<Vector512<float>, TVector>(four.ToVector256Unsafe().ToVector512Unsafe());
            if (typeof(TVector) == typeof(Vector256<float>)) return Unsafe.BitCast<Vector256<float>, TVector>(four.ToVector256Unsafe());
        }
        else if (typeof(T) == typeof(double))
        {
            var four = Vector256.Create(Unsafe.BitCast<T, double>(a), Unsafe.BitCast<T, double>(b), Unsafe.BitCast<T, double>(c), Unsafe.BitCast<T, double>(d));
            if (typeof(TVector) == typeof(Vector512<double>)) return Unsafe.BitCast<Vector512<double>, TVector>(four.ToVector512Unsafe());
            if (typeof(TVector) == typeof(Vector256<double>)) return Unsafe.BitCast<Vector256<double>, TVector>(four);
        }
        var vector = TSimd.Create(a);
        ref T lane = ref Unsafe.As<TVector, T>(ref vector);
        Unsafe.Add(ref lane, 1) = b;
        Unsafe.Add(ref lane, 2) = c;
        Unsafe.Add(ref lane, 3) = d;
        return vector;
    }

    /// <summary>The first four lanes of a vector, widened to float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> FirstFour(TVector vector)
    {
        if (typeof(TVector) == typeof(Vector512<float>)) return Vector256.WidenLower(Unsafe.BitCast<TVector, Vector512<float>>(vector).GetLower());
        if (typeof(TVector) == typeof(Vector256<float>)) return Vector256.WidenLower(Unsafe.BitCast<TVector, Vector256<float>>(vector));
        if (typeof(TVector) == typeof(Vector512<double>)) return Unsafe.BitCast<TVector, Vector512<double>>(vector).GetLower();
        if (typeof(TVector) == typeof(Vector256<double>)) return Unsafe.BitCast<TVector, Vector256<double>>(vector);
        ref T lane = ref Unsafe.As<TVector, T>(ref vector);
        return Vector256.Create(double.CreateTruncating(lane), double.CreateTruncating(Unsafe.Add(ref lane, 1)),
            double.CreateTruncating(Unsafe.Add(ref lane, 2)), double.CreateTruncating(Unsafe.Add(ref lane, 3)));
    }
}
