using Core32 = Multinoulli.Kernels.CrossEntropyCore<float>;
using Core64 = Multinoulli.Kernels.CrossEntropyCore<double>;

namespace Multinoulli;

/// <summary>
/// The maximum-likelihood loss of the softmax unit, fused with its gradient: for a row of logits z and a target
/// distribution t (a one-hot label, or soft targets), the loss −Σⱼ wⱼ t′ⱼ log softmax(z)ⱼ = Σⱼ wⱼ t′ⱼ (log Σₖ exp zₖ − zⱼ)
/// and its gradient with respect to the logits, p·(Σⱼ wⱼt′ⱼ) − w ⊙ t′, in one pass that never forms log(softmax).
/// </summary>
/// <remarks>
/// <para>The log undoes the exponential, so the loss grows linearly, never saturating, as the right class's
/// logit falls behind: a confidently wrong model still gets a gradient of nearly −1 on that logit.</para>
/// <para><b>Shapes.</b> <c>logits</c> is row-major [rows × classes]; <c>labels</c> holds one class index a
/// row; <c>targets</c> is [rows × classes], non-negative and finite (rows need not sum to 1).</para>
/// <para><b>Edges.</b> Logits follow <see cref="Softmax"/>: any finite value is exact, a −∞ logit has
/// probability 0 (a label on it gives loss +∞ with a finite gradient), a NaN makes the row's loss and gradient
/// NaN, +∞ logits share the probability equally. A row whose every logit is −∞ gives NaN, or loss 0 and a zero
/// gradient with <see cref="CrossEntropyOptions.Masked"/>.</para>
/// <para><b>Gradient.</b> Written into <c>gradient</c>, which may be the logits buffer itself (in place). It is
/// the gradient of the returned value: divided by the total row weight for the mean, not divided for the sum,
/// and for <c>RowLossesAndGradient</c> the gradient of each row's own loss. Ignored rows get zeros.</para>
/// <para><b>Arguments.</b> A label outside [0, classes) that is not the ignore label, a negative or non-finite
/// target, mismatched lengths, a short buffer, or an overlap other than gradient = logits throw
/// <see cref="ArgumentException"/> naming the parameter, the row and the value, before anything is written.</para>
/// </remarks>
public static class CrossEntropy
{
    /// <summary>The reduced (mean or sum) loss of integer labels, without a gradient.</summary>
    /// <param name="logits">rows × classes logits.</param>
    /// <param name="classes">The row length; at least 1.</param>
    /// <param name="labels">One class index in [0, classes) a row (or the ignore label).</param>
    /// <param name="options">Reduction, class weights, ignore label, smoothing, masking; null for the defaults.</param>
    /// <returns>The mean or summed loss, accumulated in float64.</returns>
    public static double Loss(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> labels, CrossEntropyOptions? options = null) =>
        Core32.Run(logits, classes, labels, default, false, default, false, default, false, options);

    /// <inheritdoc cref="Loss(ReadOnlySpan{float}, int, ReadOnlySpan{int}, CrossEntropyOptions?)"/>
    public static double Loss(ReadOnlySpan<double> logits, int classes, ReadOnlySpan<int> labels, CrossEntropyOptions? options = null) =>
        Core64.Run(logits, classes, labels, default, false, default, false, default, false, options);

    /// <summary>The reduced loss of integer labels and its gradient with respect to the logits, in one pass.</summary>
    /// <param name="logits">rows × classes logits.</param>
    /// <param name="classes">The row length; at least 1.</param>
    /// <param name="labels">One class index in [0, classes) a row (or the ignore label).</param>
    /// <param name="gradient">Receives ∂loss/∂logits; at least as long as the logits; may be the logits buffer.</param>
    /// <param name="options">Reduction, class weights, ignore label, smoothing, masking; null for the defaults.</param>
    /// <returns>The mean or summed loss.</returns>
    public static double LossAndGradient(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> labels, Span<float> gradient, CrossEntropyOptions? options = null) =>
        Core32.Run(logits, classes, labels, default, false, default, false, gradient, true, options);

    /// <inheritdoc cref="LossAndGradient(ReadOnlySpan{float}, int, ReadOnlySpan{int}, Span{float}, CrossEntropyOptions?)"/>
    public static double LossAndGradient(ReadOnlySpan<double> logits, int classes, ReadOnlySpan<int> labels, Span<double> gradient, CrossEntropyOptions? options = null) =>
        Core64.Run(logits, classes, labels, default, false, default, false, gradient, true, options);

    /// <summary>Each row's loss against its integer label (no reduction). Ignored rows get 0.</summary>
    /// <param name="logits">rows × classes logits.</param>
    /// <param name="classes">The row length; at least 1.</param>
    /// <param name="labels">One class index in [0, classes) a row (or the ignore label).</param>
    /// <param name="losses">Receives one loss a row; must not overlap the logits.</param>
    /// <param name="options">Class weights, ignore label, smoothing, masking (the reduction is not used); null for the defaults.</param>
    public static void RowLosses(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> labels, Span<float> losses, CrossEntropyOptions? options = null) =>
        Core32.Run(logits, classes, labels, default, false, losses, true, default, false, options);

    /// <inheritdoc cref="RowLosses(ReadOnlySpan{float}, int, ReadOnlySpan{int}, Span{float}, CrossEntropyOptions?)"/>
    public static void RowLosses(ReadOnlySpan<double> logits, int classes, ReadOnlySpan<int> labels, Span<double> losses, CrossEntropyOptions? options = null) =>
        Core64.Run(logits, classes, labels, default, false, losses, true, default, false, options);

    /// <summary>Each row's loss and, for each row, the gradient of its own loss.</summary>
    /// <param name="logits">rows × classes logits.</param>
    /// <param name="classes">The row length; at least 1.</param>
    /// <param name="labels">One class index in [0, classes) a row (or the ignore label).</param>
    /// <param name="losses">Receives one loss a row; must not overlap the logits or the gradient.</param>
    /// <param name="gradient">Receives ∂lossᵢ/∂logitsᵢ row by row; may be the logits buffer.</param>
    /// <param name="options">Class weights, ignore label, smoothing, masking; null for the defaults.</param>
    public static void RowLossesAndGradient(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> labels, Span<float> losses, Span<float> gradient, CrossEntropyOptions? options = null) =>
        Core32.Run(logits, classes, labels, default, false, losses, true, gradient, true, options);

    /// <inheritdoc cref="RowLossesAndGradient(ReadOnlySpan{float}, int, ReadOnlySpan{int}, Span{float}, Span{float}, CrossEntropyOptions?)"/>
    public static void RowLossesAndGradient(ReadOnlySpan<double> logits, int classes, ReadOnlySpan<int> labels, Span<double> losses, Span<double> gradient, CrossEntropyOptions? options = null) =>
        Core64.Run(logits, classes, labels, default, false, losses, true, gradient, true, options);

    /// <summary>The reduced loss against soft targets (probability rows), without a gradient. The mean divides by the row count.</summary>
    /// <param name="logits">rows × classes logits.</param>
    /// <param name="classes">The row length; at least 1.</param>
    /// <param name="targets">rows × classes non-negative, finite targets.</param>
    /// <param name="options">Reduction, class weights, smoothing, masking; null for the defaults.</param>
    /// <returns>The mean or summed loss.</returns>
    public static double Loss(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<float> targets, CrossEntropyOptions? options = null) =>
        Core32.Run(logits, classes, default, targets, true, default, false, default, false, options);

    /// <inheritdoc cref="Loss(ReadOnlySpan{float}, int, ReadOnlySpan{float}, CrossEntropyOptions?)"/>
    public static double Loss(ReadOnlySpan<double> logits, int classes, ReadOnlySpan<double> targets, CrossEntropyOptions? options = null) =>
        Core64.Run(logits, classes, default, targets, true, default, false, default, false, options);

    /// <summary>The reduced loss against soft targets and its gradient, in one pass.</summary>
    /// <param name="logits">rows × classes logits.</param>
    /// <param name="classes">The row length; at least 1.</param>
    /// <param name="targets">rows × classes non-negative, finite targets; must not overlap the gradient.</param>
    /// <param name="gradient">Receives ∂loss/∂logits; may be the logits buffer.</param>
    /// <param name="options">Reduction, class weights, smoothing, masking; null for the defaults.</param>
    /// <returns>The mean or summed loss.</returns>
    public static double LossAndGradient(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<float> targets, Span<float> gradient, CrossEntropyOptions? options = null) =>
        Core32.Run(logits, classes, default, targets, true, default, false, gradient, true, options);

    /// <inheritdoc cref="LossAndGradient(ReadOnlySpan{float}, int, ReadOnlySpan{float}, Span{float}, CrossEntropyOptions?)"/>
    public static double LossAndGradient(ReadOnlySpan<double> logits, int classes, ReadOnlySpan<double> targets, Span<double> gradient, CrossEntropyOptions? options = null) =>
        Core64.Run(logits, classes, default, targets, true, default, false, gradient, true, options);

    /// <summary>Each row's loss against its soft target (no reduction).</summary>
    /// <param name="logits">rows × classes logits.</param>
    /// <param name="classes">The row length; at least 1.</param>
    /// <param name="targets">rows × classes non-negative, finite targets.</param>
    /// <param name="losses">Receives one loss a row.</param>
    /// <param name="options">Class weights, smoothing, masking; null for the defaults.</param>
    public static void RowLosses(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<float> targets, Span<float> losses, CrossEntropyOptions? options = null) =>
        Core32.Run(logits, classes, default, targets, true, losses, true, default, false, options);

    /// <inheritdoc cref="RowLosses(ReadOnlySpan{float}, int, ReadOnlySpan{float}, Span{float}, CrossEntropyOptions?)"/>
    public static void RowLosses(ReadOnlySpan<double> logits, int classes, ReadOnlySpan<double> targets, Span<double> losses, CrossEntropyOptions? options = null) =>
        Core64.Run(logits, classes, default, targets, true, losses, true, default, false, options);

    /// <summary>Each row's loss against its soft target and the gradient of each row's own loss.</summary>
    /// <param name="logits">rows × classes logits.</param>
    /// <param name="classes">The row length; at least 1.</param>
    /// <param name="targets">rows × classes non-negative, finite targets.</param>
    /// <param name="losses">Receives one loss a row.</param>
    /// <param name="gradient">Receives the gradient; may be the logits buffer.</param>
    /// <param name="options">Class weights, smoothing, masking; null for the defaults.</param>
    public static void RowLossesAndGradient(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<float> targets, Span<float> losses, Span<float> gradient, CrossEntropyOptions? options = null) =>
        Core32.Run(logits, classes, default, targets, true, losses, true, gradient, true, options);

    /// <inheritdoc cref="RowLossesAndGradient(ReadOnlySpan{float}, int, ReadOnlySpan{float}, Span{float}, Span{float}, CrossEntropyOptions?)"/>
    public static void RowLossesAndGradient(ReadOnlySpan<double> logits, int classes, ReadOnlySpan<double> targets, Span<double> losses, Span<double> gradient, CrossEntropyOptions? options = null) =>
        Core64.Run(logits, classes, default, targets, true, losses, true, gradient, true, options);
}
