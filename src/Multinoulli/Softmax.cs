using Multinoulli.Kernels;
using Core32 = Multinoulli.Kernels.SoftmaxCore<float>;
using Core64 = Multinoulli.Kernels.SoftmaxCore<double>;

namespace Multinoulli;

/// <summary>
/// The softmax output unit: probabilities softmax(z)ᵢ = exp(zᵢ) / Σⱼ exp(zⱼ), log-probabilities
/// zᵢ − log Σⱼ exp(zⱼ), the normalizer log Σⱼ exp(zⱼ), the smooth maximum softmax(z)ᵀz, and the backward passes,
/// for one distribution or a row-major [rows × classes] batch, in float and double.
/// </summary>
/// <remarks>
/// <para><b>Exactness.</b> The maximum is subtracted before exponentiating (softmax is unchanged by adding a
/// constant to every logit), the difference zᵢ − max is carried exactly, and sums are accumulated in float64, so
/// every finite logit up to ±3.4e38 (±1.8e308 in double) is accepted without overflow. A float probability of at
/// least 1e-30 is within 1e-6 relative error of the exact value, and a double one within 1e-13.</para>
/// <para><b>Edges.</b> A −∞ logit has probability exactly 0 and log-probability −∞. A NaN anywhere in a row makes
/// every output of that row NaN. When a row holds +∞ logits, the +∞ classes share the probability equally (the
/// limit of equal logits growing without bound): probability 1/k each, log-probability −log k, every other class
/// 0 and −∞, and log-sum-exp +∞. A row whose every logit is −∞ has log-sum-exp −∞ and no distribution: its
/// probabilities and log-probabilities are NaN (0/0) unless <see cref="SoftmaxOptions.Masked"/> asks for zeros
/// (and −∞ log-probabilities).</para>
/// <para><b>Arguments.</b> Empty input, a destination that is too short, a length that is not a whole number of
/// rows, or a destination that overlaps the input other than exactly (in place) throw
/// <see cref="ArgumentException"/> naming the parameter and the value. Nothing is written before a check fails.</para>
/// <para><b>Batches.</b> Large batches are split over every core (capped by
/// <see cref="SoftmaxOptions.MaxDegreeOfParallelism"/>). A row's result does not depend on how the batch is split
/// over threads, on the other rows or on its place among them. It may differ in the last bits (always within the
/// accuracy above) with the batch's size, which picks the path (16-row blocks for 16 or more float rows of 2–16
/// classes with AVX-512; a pipelined path for batches of 16 MB or more), with the destination's alignment for a
/// row of more than 65,536 classes (its chunks follow the destination's cache lines), and when a long row is
/// itself split over threads (see <see cref="SoftmaxOptions.MaxDegreeOfParallelism"/>).</para>
/// </remarks>
public static class Softmax
{
    /// <summary>Writes softmax(z / temperature) of one distribution into <paramref name="destination"/>.</summary>
    /// <param name="logits">The unnormalised log-probabilities z; at least one.</param>
    /// <param name="destination">At least as long as <paramref name="logits"/>; may be <paramref name="logits"/> itself.</param>
    /// <param name="options">Temperature, masking; null for the defaults.</param>
    /// <exception cref="ArgumentException">Empty logits, a short destination, or a partial overlap.</exception>
    public static void Probabilities(ReadOnlySpan<float> logits, Span<float> destination, SoftmaxOptions? options = null) =>
        Core32.Distribution(logits, destination, options, Core32.Output.Probabilities);

    /// <inheritdoc cref="Probabilities(ReadOnlySpan{float}, Span{float}, SoftmaxOptions?)"/>
    public static void Probabilities(ReadOnlySpan<double> logits, Span<double> destination, SoftmaxOptions? options = null) =>
        Core64.Distribution(logits, destination, options, Core64.Output.Probabilities);

    /// <summary>Writes softmax of each row of a row-major [rows × <paramref name="classes"/>] matrix.</summary>
    /// <param name="logits">rows × classes logits, row after row.</param>
    /// <param name="classes">The row length; at least 1, and the logits' length must be a multiple of it.</param>
    /// <param name="destination">At least as long as <paramref name="logits"/>; may be <paramref name="logits"/> itself.</param>
    /// <param name="options">Temperature, masking, thread cap; null for the defaults.</param>
    /// <exception cref="ArgumentException">Empty logits, a partial row, a short destination, or a partial overlap.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is below 1.</exception>
    public static void Probabilities(ReadOnlySpan<float> logits, int classes, Span<float> destination, SoftmaxOptions? options = null) =>
        Core32.Rows(logits, classes, destination, options, Core32.Output.Probabilities);

    /// <inheritdoc cref="Probabilities(ReadOnlySpan{float}, int, Span{float}, SoftmaxOptions?)"/>
    public static void Probabilities(ReadOnlySpan<double> logits, int classes, Span<double> destination, SoftmaxOptions? options = null) =>
        Core64.Rows(logits, classes, destination, options, Core64.Output.Probabilities);

    /// <summary>
    /// Writes log softmax(z / temperature) = z/T − log Σ exp(z/T) of one distribution. Never −∞ for a finite
    /// logit unless the true value is below the type's range; never saturates the way log(softmax(z)) would.
    /// </summary>
    /// <inheritdoc cref="Probabilities(ReadOnlySpan{float}, Span{float}, SoftmaxOptions?)"/>
    public static void LogProbabilities(ReadOnlySpan<float> logits, Span<float> destination, SoftmaxOptions? options = null) =>
        Core32.Distribution(logits, destination, options, Core32.Output.LogProbabilities);

    /// <inheritdoc cref="LogProbabilities(ReadOnlySpan{float}, Span{float}, SoftmaxOptions?)"/>
    public static void LogProbabilities(ReadOnlySpan<double> logits, Span<double> destination, SoftmaxOptions? options = null) =>
        Core64.Distribution(logits, destination, options, Core64.Output.LogProbabilities);

    /// <summary>Writes the log-probabilities of each row of a row-major [rows × <paramref name="classes"/>] matrix.</summary>
    /// <inheritdoc cref="Probabilities(ReadOnlySpan{float}, int, Span{float}, SoftmaxOptions?)"/>
    public static void LogProbabilities(ReadOnlySpan<float> logits, int classes, Span<float> destination, SoftmaxOptions? options = null) =>
        Core32.Rows(logits, classes, destination, options, Core32.Output.LogProbabilities);

    /// <inheritdoc cref="LogProbabilities(ReadOnlySpan{float}, int, Span{float}, SoftmaxOptions?)"/>
    public static void LogProbabilities(ReadOnlySpan<double> logits, int classes, Span<double> destination, SoftmaxOptions? options = null) =>
        Core64.Rows(logits, classes, destination, options, Core64.Output.LogProbabilities);

    /// <summary>
    /// The normalizer log Σ exp(zᵢ / temperature), which lies in [max, max + log n] (for T = 1). −∞ when every
    /// logit is −∞, +∞ with a +∞ logit, NaN with a NaN.
    /// </summary>
    /// <param name="logits">At least one logit.</param>
    /// <param name="options">Temperature; null for 1.</param>
    /// <exception cref="ArgumentException">Empty logits.</exception>
    public static float LogSumExp(ReadOnlySpan<float> logits, SoftmaxOptions? options = null) => Core32.LogSumExp(logits, options);

    /// <inheritdoc cref="LogSumExp(ReadOnlySpan{float}, SoftmaxOptions?)"/>
    public static double LogSumExp(ReadOnlySpan<double> logits, SoftmaxOptions? options = null) => Core64.LogSumExp(logits, options);

    /// <summary>Writes log Σ exp of each row of a row-major [rows × <paramref name="classes"/>] matrix: one value a row.</summary>
    /// <param name="logits">rows × classes logits, row after row.</param>
    /// <param name="classes">The row length; at least 1.</param>
    /// <param name="destination">At least one element a row; must not overlap <paramref name="logits"/>.</param>
    /// <param name="options">Temperature, thread cap; null for the defaults.</param>
    /// <exception cref="ArgumentException">Empty logits, a partial row, a short destination, or an overlap.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is below 1.</exception>
    public static void LogSumExp(ReadOnlySpan<float> logits, int classes, Span<float> destination, SoftmaxOptions? options = null) =>
        Core32.PerRow(logits, classes, destination, options, Core32.Reduction.LogSumExp);

    /// <inheritdoc cref="LogSumExp(ReadOnlySpan{float}, int, Span{float}, SoftmaxOptions?)"/>
    public static void LogSumExp(ReadOnlySpan<double> logits, int classes, Span<double> destination, SoftmaxOptions? options = null) =>
        Core64.PerRow(logits, classes, destination, options, Core64.Reduction.LogSumExp);

    /// <summary>
    /// The soft maximum softmax(z/T)ᵀz = Σ pᵢzᵢ: the expected logit under the distribution. It lies between the mean
    /// and the max of the logits, never above the max, and tends to the max as T → 0. −∞ logits add nothing
    /// (their probability is 0); +∞ gives +∞, NaN gives NaN, and an all −∞ row gives NaN, or −∞ when masked.
    /// </summary>
    /// <inheritdoc cref="LogSumExp(ReadOnlySpan{float}, SoftmaxOptions?)"/>
    public static float SmoothMax(ReadOnlySpan<float> logits, SoftmaxOptions? options = null) => Core32.SmoothMax(logits, options);

    /// <inheritdoc cref="SmoothMax(ReadOnlySpan{float}, SoftmaxOptions?)"/>
    public static double SmoothMax(ReadOnlySpan<double> logits, SoftmaxOptions? options = null) => Core64.SmoothMax(logits, options);

    /// <summary>Writes the smooth maximum of each row: one value a row.</summary>
    /// <inheritdoc cref="LogSumExp(ReadOnlySpan{float}, int, Span{float}, SoftmaxOptions?)"/>
    public static void SmoothMax(ReadOnlySpan<float> logits, int classes, Span<float> destination, SoftmaxOptions? options = null) =>
        Core32.PerRow(logits, classes, destination, options, Core32.Reduction.SmoothMax);

    /// <inheritdoc cref="SmoothMax(ReadOnlySpan{float}, int, Span{float}, SoftmaxOptions?)"/>
    public static void SmoothMax(ReadOnlySpan<double> logits, int classes, Span<double> destination, SoftmaxOptions? options = null) =>
        Core64.PerRow(logits, classes, destination, options, Core64.Reduction.SmoothMax);

    /// <summary>
    /// The backward pass of <see cref="Probabilities(ReadOnlySpan{float}, int, Span{float}, SoftmaxOptions?)"/>:
    /// given p = softmax(z/T) and g = ∂L/∂p, writes ∂L/∂z = p ⊙ (g − pᵀg) / T, row by row (the vector-Jacobian
    /// product, without forming the Jacobian). A fully masked row (all p = 0) gets a zero gradient. NaN in a row's
    /// p or g makes that row's gradient NaN.
    /// </summary>
    /// <param name="probabilities">The forward outputs p, rows × classes.</param>
    /// <param name="outputGradient">∂L/∂p, the same length.</param>
    /// <param name="classes">The row length; at least 1.</param>
    /// <param name="destination">∂L/∂z, at least as long; may be either input itself.</param>
    /// <param name="options">The temperature of the forward pass; null for 1.</param>
    /// <exception cref="ArgumentException">Empty input, mismatched lengths, a short destination, or a partial overlap.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is below 1.</exception>
    public static void ProbabilitiesBackward(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> outputGradient, int classes, Span<float> destination, SoftmaxOptions? options = null) =>
        Core32.Gradient(probabilities, outputGradient, classes, destination, options, Core32.Backward.Probabilities);

    /// <inheritdoc cref="ProbabilitiesBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, int, Span{float}, SoftmaxOptions?)"/>
    public static void ProbabilitiesBackward(ReadOnlySpan<double> probabilities, ReadOnlySpan<double> outputGradient, int classes, Span<double> destination, SoftmaxOptions? options = null) =>
        Core64.Gradient(probabilities, outputGradient, classes, destination, options, Core64.Backward.Probabilities);

    /// <summary>
    /// The backward pass of <see cref="LogProbabilities(ReadOnlySpan{float}, int, Span{float}, SoftmaxOptions?)"/>:
    /// given y = log softmax(z/T) and g = ∂L/∂y, writes ∂L/∂z = (g − exp(y)·Σg) / T, row by row. With
    /// <see cref="SoftmaxOptions.Masked"/>, a row whose every y is −∞ (fully masked) gets a zero gradient.
    /// NaN in a row's y or g makes that row's gradient NaN.
    /// </summary>
    /// <param name="logProbabilities">The forward outputs y, rows × classes.</param>
    /// <param name="outputGradient">∂L/∂y, the same length.</param>
    /// <param name="classes">The row length; at least 1.</param>
    /// <param name="destination">∂L/∂z, at least as long; may be either input itself.</param>
    /// <param name="options">The temperature of the forward pass and masking; null for the defaults.</param>
    /// <exception cref="ArgumentException">Empty input, mismatched lengths, a short destination, or a partial overlap.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is below 1.</exception>
    public static void LogProbabilitiesBackward(ReadOnlySpan<float> logProbabilities, ReadOnlySpan<float> outputGradient, int classes, Span<float> destination, SoftmaxOptions? options = null) =>
        Core32.Gradient(logProbabilities, outputGradient, classes, destination, options, Core32.Backward.LogProbabilities);

    /// <inheritdoc cref="LogProbabilitiesBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, int, Span{float}, SoftmaxOptions?)"/>
    public static void LogProbabilitiesBackward(ReadOnlySpan<double> logProbabilities, ReadOnlySpan<double> outputGradient, int classes, Span<double> destination, SoftmaxOptions? options = null) =>
        Core64.Gradient(logProbabilities, outputGradient, classes, destination, options, Core64.Backward.LogProbabilities);
}
