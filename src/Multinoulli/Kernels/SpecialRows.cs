using System.Numerics;

namespace Multinoulli.Kernels;

/// <summary>
/// Rows that are not ordinary (a NaN, a +∞, or nothing but −∞), handled element by element. They are rare,
/// so clarity wins over speed here; the limits chosen are documented on <see cref="Softmax"/>.
/// </summary>
internal static unsafe class SpecialRows<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Counts the +∞ logits; −1 when the row holds a NaN (which outranks every +∞).</summary>
    public static int CountPositiveInfinities(T* logits, int length)
    {
        int count = 0;
        for (int i = 0; i < length; i++)
        {
            T z = logits[i];
            if (T.IsNaN(z)) return -1;
            if (T.IsPositiveInfinity(z)) count++;
        }
        return count;
    }

    public static bool ContainsNaN(T* values, int length)
    {
        for (int i = 0; i < length; i++)
            if (T.IsNaN(values[i])) return true;
        return false;
    }

    /// <summary>Writes the limit probabilities (times <paramref name="multiplier"/>) or log-probabilities of a special row.</summary>
    public static void Write(RowKind kind, T* logits, T* destination, int length, bool logarithm, bool masked, double multiplier)
    {
        switch (kind)
        {
            case RowKind.AllMasked:
                Fill(destination, length, masked ? (logarithm ? T.NegativeInfinity : T.Zero) : T.NaN);
                return;
            case RowKind.PositiveInfinity:
                int count = CountPositiveInfinities(logits, length);
                if (count < 0)
                {
                    Fill(destination, length, T.NaN);
                    return;
                }
                T share = T.CreateTruncating(logarithm ? -Math.Log(count) : multiplier / count);
                T rest = logarithm ? T.NegativeInfinity : T.Zero;
                for (int i = 0; i < length; i++)
                    destination[i] = T.IsPositiveInfinity(logits[i]) ? share : rest;
                return;
            default:
                Fill(destination, length, T.NaN);
                return;
        }
    }

    /// <summary>log Σ exp of a special row: −∞ when every logit is −∞, +∞ with a +∞, NaN with a NaN.</summary>
    public static T LogNormalizer(RowKind kind, T* logits, int length) => kind switch
    {
        RowKind.AllMasked => T.NegativeInfinity,
        RowKind.PositiveInfinity => CountPositiveInfinities(logits, length) < 0 ? T.NaN : T.PositiveInfinity,
        _ => T.NaN,
    };

    public static void Fill(T* destination, int length, T value) => new Span<T>(destination, length).Fill(value);
}
