using Core32 = Multinoulli.Kernels.SquaredErrorCore<float>;
using Core64 = Multinoulli.Kernels.SquaredErrorCore<double>;

namespace Multinoulli;

/// <summary>
/// Squared error between the softmax probabilities and the one-hot label, Σⱼ (softmax(z)ⱼ − [j = y])², with its
/// exact gradient with respect to the logits. It is here to be compared with <see cref="CrossEntropy"/>: when a
/// wrong class's logit dominates, every probability saturates at 0 or 1 and this gradient vanishes, so learning
/// stalls where the log-likelihood's gradient stays near −1.
/// </summary>
/// <remarks>
/// The probabilities come from the exact <see cref="Softmax"/> kernels, so the same edges apply; a NaN logit makes
/// the row's loss and gradient NaN. The mean divides by the number of rows. Labels outside [0, classes), mismatched
/// lengths, a short gradient or a partial overlap throw <see cref="ArgumentException"/> before anything is written;
/// the gradient may be the logits buffer itself.
/// </remarks>
public static class SquaredError
{
    /// <summary>The mean or summed squared error of the probabilities against one-hot labels.</summary>
    /// <param name="logits">rows × classes logits.</param>
    /// <param name="classes">The row length; at least 1.</param>
    /// <param name="labels">One class index in [0, classes) a row.</param>
    /// <param name="reduction">Mean over rows (the default) or sum.</param>
    /// <returns>The loss, accumulated in float64.</returns>
    public static double Loss(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> labels, Reduction reduction = Reduction.Mean) =>
        Core32.Run(logits, classes, labels, default, false, reduction);

    /// <inheritdoc cref="Loss(ReadOnlySpan{float}, int, ReadOnlySpan{int}, Reduction)"/>
    public static double Loss(ReadOnlySpan<double> logits, int classes, ReadOnlySpan<int> labels, Reduction reduction = Reduction.Mean) =>
        Core64.Run(logits, classes, labels, default, false, reduction);

    /// <summary>The loss and its gradient with respect to the logits: pᵢ(gᵢ − pᵀg) with g = 2(p − onehot(y)).</summary>
    /// <param name="logits">rows × classes logits.</param>
    /// <param name="classes">The row length; at least 1.</param>
    /// <param name="labels">One class index in [0, classes) a row.</param>
    /// <param name="gradient">Receives ∂loss/∂logits; may be the logits buffer.</param>
    /// <param name="reduction">Mean over rows (the default) or sum.</param>
    /// <returns>The loss.</returns>
    public static double LossAndGradient(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> labels, Span<float> gradient, Reduction reduction = Reduction.Mean) =>
        Core32.Run(logits, classes, labels, gradient, true, reduction);

    /// <inheritdoc cref="LossAndGradient(ReadOnlySpan{float}, int, ReadOnlySpan{int}, Span{float}, Reduction)"/>
    public static double LossAndGradient(ReadOnlySpan<double> logits, int classes, ReadOnlySpan<int> labels, Span<double> gradient, Reduction reduction = Reduction.Mean) =>
        Core64.Run(logits, classes, labels, gradient, true, reduction);
}
