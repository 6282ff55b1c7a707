using System.Numerics;

namespace Multinoulli.Distributions;

/// <summary>Checks and conversions of the inputs every distribution and sampler shares.</summary>
internal static class DistributionInput
{
    /// <summary>The sum of non-negative finite weights, which must be positive.</summary>
    public static double Total(ReadOnlySpan<double> weights, string paramName)
    {
        if (weights.IsEmpty) ThrowHelper.EmptyInput(paramName);
        // A plain sum, in class order: the inverse CDF's running sum then ends at exactly this total.
        double total = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            double w = weights[i];
            if (!(w >= 0 && double.IsFinite(w))) ThrowHelper.InvalidProbability(paramName, i, w);
            total += w;
        }
        if (!(total > 0)) ThrowHelper.NoPositiveProbability(paramName);
        return total;
    }

    /// <summary>The largest logit, after checking that none is NaN and at least one is above −∞.</summary>
    public static double Max<T>(ReadOnlySpan<T> logits, string paramName) where T : struct, IFloatingPointIeee754<T>
    {
        if (logits.IsEmpty) ThrowHelper.EmptyInput(paramName);
        T max = T.NegativeInfinity;
        for (int i = 0; i < logits.Length; i++)
        {
            T z = logits[i];
            if (T.IsNaN(z)) ThrowHelper.NotANumber(paramName, i);
            if (z > max) max = z;
        }
        if (T.IsNegativeInfinity(max)) ThrowHelper.NoPositiveProbability(paramName);
        return double.CreateTruncating(max);
    }

    /// <summary>
    /// z − max, the logit relative to the largest. When some logits are +∞ those classes share all the mass (the
    /// limit), so they map to 0 and every other class to −∞.
    /// </summary>
    public static double Shifted(double logit, double max) =>
        double.IsPositiveInfinity(max) ? (double.IsPositiveInfinity(logit) ? 0 : double.NegativeInfinity) : logit - max;

    public static void CheckTemperature(double temperature, string paramName = "temperature")
    {
        if (!(temperature > 0 && double.IsFinite(temperature)))
            ThrowHelper.OutOfRange(paramName, temperature, "The temperature must be positive and finite.");
    }

    public static double[] Widen(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }
}
