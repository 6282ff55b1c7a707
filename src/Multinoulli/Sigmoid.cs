namespace Multinoulli;

/// <summary>
/// The two-class case of softmax: σ(x) = 1 / (1 + e⁻ˣ) = softmax([x, 0])₀, with log σ and softplus. Each is
/// evaluated in the form that cannot overflow (e raised only to −|x|) and with an accurate log(1 + u), so every
/// finite input gives a finite, correctly signed result: σ(−1000) is a tiny positive number or 0, never NaN, and
/// log σ(1000) is 0 while log σ(−1000) is −1000. NaN gives NaN; σ(±∞) = 1 or 0, log σ(−∞) = −∞, softplus(+∞) = +∞.
/// </summary>
/// <remarks>Float inputs are evaluated in double and rounded once. The span overloads require a destination at
/// least as long as the input (it may be the input itself) and throw <see cref="ArgumentException"/> otherwise.</remarks>
public static class Sigmoid
{
    /// <summary>σ(x), the probability of the first class when the second has logit 0.</summary>
    public static double Probability(double logit) =>
        logit >= 0 ? 1 / (1 + Math.Exp(-logit)) : Math.Exp(logit) / (1 + Math.Exp(logit));

    /// <summary>log σ(x) = −softplus(−x).</summary>
    public static double LogProbability(double logit) => -Softplus(-logit);

    /// <summary>softplus(x) = log(1 + eˣ) = max(x, 0) + log(1 + e^−|x|).</summary>
    public static double Softplus(double x)
    {
        if (double.IsNaN(x)) return x;
        if (double.IsPositiveInfinity(x)) return x;
        return Math.Max(x, 0) + LogOnePlus(Math.Exp(-Math.Abs(x)));
    }

    /// <inheritdoc cref="Probability(double)"/>
    public static float Probability(float logit) => (float)Probability((double)logit);

    /// <inheritdoc cref="LogProbability(double)"/>
    public static float LogProbability(float logit) => (float)LogProbability((double)logit);

    /// <inheritdoc cref="Softplus(double)"/>
    public static float Softplus(float x) => (float)Softplus((double)x);

    /// <summary>Writes σ of every element.</summary>
    public static void Probabilities(ReadOnlySpan<double> logits, Span<double> destination) => Map(logits, destination, Probability);

    /// <inheritdoc cref="Probabilities(ReadOnlySpan{double}, Span{double})"/>
    public static void Probabilities(ReadOnlySpan<float> logits, Span<float> destination) => Map(logits, destination, Probability);

    /// <summary>Writes log σ of every element.</summary>
    public static void LogProbabilities(ReadOnlySpan<double> logits, Span<double> destination) => Map(logits, destination, LogProbability);

    /// <inheritdoc cref="LogProbabilities(ReadOnlySpan{double}, Span{double})"/>
    public static void LogProbabilities(ReadOnlySpan<float> logits, Span<float> destination) => Map(logits, destination, LogProbability);

    /// <summary>Writes softplus of every element.</summary>
    public static void Softplus(ReadOnlySpan<double> values, Span<double> destination) => Map(values, destination, Softplus);

    /// <inheritdoc cref="Softplus(ReadOnlySpan{double}, Span{double})"/>
    public static void Softplus(ReadOnlySpan<float> values, Span<float> destination) => Map(values, destination, Softplus);

    /// <summary>log(1 + u) for u ≥ 0 without losing u when it is below the rounding of 1 + u (Goldberg's correction).</summary>
    private static double LogOnePlus(double u)
    {
        double w = 1 + u;
        return w == 1 ? u : Math.Log(w) * u / (w - 1);
    }

    private static void Map<T>(ReadOnlySpan<T> input, Span<T> destination, Func<T, T> function)
    {
        Kernels.Validate.Destination(input.Length, destination);
        Kernels.Validate.InPlaceOrDisjoint(input, destination, nameof(destination), "logits");
        for (int i = 0; i < input.Length; i++) destination[i] = function(input[i]);
    }
}
