using CsCheck;

namespace Multinoulli.Tests;

/// <summary>Rows of logits, ordinary and adversarial: huge magnitudes, wide spreads, ties, and −∞ entries.</summary>
internal static class Generators
{
    private static readonly double[] Scales = [1e-6, 1e-2, 1, 10, 100, 1e4, 1e10, 1e30, 3e38];
    private static readonly double[] Offsets = [0, 1, -1, 1e3, -1e3, 1e6, -1e6, 1e30, -1e30, 3e38, -3e38];

    /// <summary>A row of doubles whose values also fit in float; lengths from 1 to <paramref name="maxLength"/>.</summary>
    public static Gen<double[]> Row(int maxLength, bool withNegativeInfinity = true) =>
        from length in Gen.Int[1, maxLength]
        from scale in Gen.OneOf(Scales)
        from offset in Gen.OneOf(Offsets)
        from unit in Gen.Double[-1, 1].Array[length]
        from masks in Gen.Int[0, 9].Array[length]
        from ties in Gen.Bool
        select Build(unit, masks, scale, offset, ties, withNegativeInfinity);

    private static double[] Build(double[] unit, int[] masks, double scale, double offset, bool ties, bool withNegativeInfinity)
    {
        var row = new double[unit.Length];
        for (int i = 0; i < row.Length; i++)
        {
            double u = ties ? Math.Round(unit[i] * 3) / 3 : unit[i];
            double v = offset + scale * u;
            row[i] = Math.Clamp(v, -3.4e38, 3.4e38);
            if (withNegativeInfinity && masks[i] == 0 && i > 0) row[i] = double.NegativeInfinity;
        }
        return row;
    }

    public static float[] ToSingle(double[] row) => Array.ConvertAll(row, v => (float)v);
}
