namespace Multinoulli;

/// <summary>How well predicted class probabilities fit the true labels; see <see cref="Metrics.Evaluate(ReadOnlySpan{float}, int, ReadOnlySpan{int})"/>.</summary>
/// <param name="Samples">The number of rows scored.</param>
/// <param name="Accuracy">The fraction of rows whose most probable class (ties: the lowest index) is the label.</param>
/// <param name="LogLoss">The mean of −log p(label); +∞ if some row gives its label probability 0.</param>
/// <param name="BrierScore">The mean over rows of Σⱼ (pⱼ − [j = label])², between 0 and 2.</param>
/// <param name="ExpectedCalibrationError">Σ over 15 equal-width bins of the top probability of (rows in the bin /
/// rows) × |accuracy in the bin − mean top probability in the bin|.</param>
/// <param name="Precision">For each class, correct predictions of it / predictions of it; NaN if it was never predicted.</param>
/// <param name="Recall">For each class, correct predictions of it / rows labelled with it; NaN if no row has it.</param>
/// <param name="ConfusionMatrix">[label, predicted class] counts.</param>
/// <param name="Reliability">The calibration bins behind <paramref name="ExpectedCalibrationError"/>, one per
/// equal-width interval of the top probability (empty bins included, with 0 rows): a reliability diagram.</param>
public sealed record ClassificationReport(int Samples, double Accuracy, double LogLoss, double BrierScore, double ExpectedCalibrationError,
    double[] Precision, double[] Recall, long[,] ConfusionMatrix, ReliabilityBin[] Reliability);

/// <summary>One bin of a reliability diagram.</summary>
/// <param name="Rows">Rows whose top probability falls in the bin.</param>
/// <param name="MeanConfidence">Their mean top probability (NaN for an empty bin).</param>
/// <param name="Accuracy">The fraction of them predicted right (NaN for an empty bin).</param>
public sealed record ReliabilityBin(long Rows, double MeanConfidence, double Accuracy);
