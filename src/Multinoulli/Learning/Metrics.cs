using Multinoulli.Kernels;

namespace Multinoulli;

/// <summary>Scores of a probabilistic classifier, and temperature scaling to calibrate one.</summary>
public static class Metrics
{
    /// <summary>The number of equal-width confidence bins of the expected calibration error.</summary>
    public const int CalibrationBins = 15;

    /// <summary>Scores rows of predicted probabilities against their labels.</summary>
    /// <param name="probabilities">[rows × classes], each row a distribution.</param>
    /// <param name="classes">The number of classes; at least 2.</param>
    /// <param name="labels">One label a row, in [0, classes).</param>
    /// <exception cref="ArgumentException">The shapes do not match, a label is out of range, or a probability is
    /// negative or NaN.</exception>
    public static ClassificationReport Evaluate(ReadOnlySpan<float> probabilities, int classes, ReadOnlySpan<int> labels)
    {
        int rows = Validate.Rows(probabilities, classes, nameof(probabilities));
        if (labels.Length != rows) ThrowHelper.LengthMismatch(nameof(labels), rows, labels.Length, "One label a row");
        var confusion = new long[classes, classes];
        var binCount = new long[CalibrationBins];
        var binConfidence = new double[CalibrationBins];
        var binCorrect = new long[CalibrationBins];
        CompensatedSum logLoss = default, brier = default;
        long correct = 0;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> p = probabilities.Slice(r * classes, classes);
            int label = labels[r];
            if ((uint)label >= (uint)classes) ThrowHelper.LabelOutOfRange(r, label, classes);
            int predicted = 0;
            double squares = 0;
            for (int j = 0; j < classes; j++)
            {
                if (!(p[j] >= 0)) ThrowHelper.InvalidProbability(nameof(probabilities), r * classes + j, p[j]);
                if (p[j] > p[predicted]) predicted = j;
                double difference = p[j] - (j == label ? 1.0 : 0.0);
                squares += difference * difference;
            }
            brier.Add(squares);
            logLoss.Add(-Math.Log(p[label]));
            confusion[label, predicted]++;
            bool hit = predicted == label;
            if (hit) correct++;
            double confidence = p[predicted];
            int bin = Math.Min(CalibrationBins - 1, (int)(confidence * CalibrationBins));
            binCount[bin]++;
            binConfidence[bin] += confidence;
            if (hit) binCorrect[bin]++;
        }
        var reliability = new ReliabilityBin[CalibrationBins];
        double calibration = 0;
        for (int b = 0; b < CalibrationBins; b++)
        {
            reliability[b] = new ReliabilityBin(binCount[b], binConfidence[b] / binCount[b], (double)binCorrect[b] / binCount[b]);
            if (binCount[b] > 0) calibration += (double)binCount[b] / rows * Math.Abs(reliability[b].Accuracy - reliability[b].MeanConfidence);
        }
        var precision = new double[classes];
        var recall = new double[classes];
        for (int c = 0; c < classes; c++)
        {
            long predictedAs = 0, labelled = 0;
            for (int k = 0; k < classes; k++)
            {
                predictedAs += confusion[k, c];
                labelled += confusion[c, k];
            }
            precision[c] = predictedAs == 0 ? double.NaN : (double)confusion[c, c] / predictedAs;
            recall[c] = labelled == 0 ? double.NaN : (double)confusion[c, c] / labelled;
        }
        return new ClassificationReport(rows, (double)correct / rows, logLoss.Value / rows, brier.Value / rows, calibration, precision, recall, confusion, reliability);
    }

    /// <summary>Scores a trained layer on <paramref name="features"/>.</summary>
    /// <exception cref="ArgumentException">As for <see cref="Evaluate(ReadOnlySpan{float}, int, ReadOnlySpan{int})"/>.</exception>
    public static ClassificationReport Evaluate(SoftmaxLayer layer, DenseMatrix features, ReadOnlySpan<int> labels)
    {
        ArgumentNullException.ThrowIfNull(features);
        return Evaluate(layer, SparseMatrix.FromDense(features), labels);
    }

    /// <summary>Scores a trained layer on sparse rows.</summary>
    /// <exception cref="ArgumentException">As for <see cref="Evaluate(ReadOnlySpan{float}, int, ReadOnlySpan{int})"/>,
    /// or the rows do not have the layer's features.</exception>
    public static ClassificationReport Evaluate(SoftmaxLayer layer, SparseMatrix features, ReadOnlySpan<int> labels)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(features);
        var probabilities = new float[(long)features.Rows * layer.Classes];
        layer.Probabilities(features, probabilities);
        return Evaluate(probabilities, layer.Classes, labels);
    }

    /// <summary>
    /// Temperature scaling (Guo et al., 2017): the T that minimises the mean log-loss of softmax(z / T) on held-out
    /// logits. Pass it as <see cref="SoftmaxOptions.Temperature"/>. T &gt; 1 softens an over-confident model; the
    /// predicted classes do not change. The log-loss is convex in 1/T, which is found by safeguarded Newton steps
    /// within [1/1000, 1000].
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not match, a label is out of range, or a logit is not finite.</exception>
    public static double FitTemperature(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> labels)
    {
        int rows = Validate.Rows(logits, classes);
        if (labels.Length != rows) ThrowHelper.LengthMismatch(nameof(labels), rows, labels.Length, "One label a row");
        for (int i = 0; i < logits.Length; i++)
            if (!float.IsFinite(logits[i])) ThrowHelper.InvalidParameter(nameof(logits), i, logits[i], "must be finite");
        for (int r = 0; r < rows; r++)
            if ((uint)labels[r] >= (uint)classes) ThrowHelper.LabelOutOfRange(r, labels[r], classes);
        double low = 1e-3, high = 1e3, beta = 1;
        for (int iteration = 0; iteration < 100; iteration++)
        {
            var (slope, curvature) = Derivatives(logits, classes, labels, beta);
            if (slope > 0) high = beta;
            else low = beta;
            double next = curvature > 0 ? beta - slope / curvature : double.NaN;
            // Newton inside the bracket, bisection (in log scale) when it would leave it.
            beta = next > low && next < high ? next : Math.Sqrt(low * high);
            if (high / low < 1 + 1e-12 || Math.Abs(slope) < 1e-12) break;
        }
        return 1 / beta;
    }

    /// <summary>d/dβ and d²/dβ² of the mean log-loss of softmax(β z): mean(E_p[z] − z_y) and mean(Var_p[z]).</summary>
    private static (double Slope, double Curvature) Derivatives(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> labels, double beta)
    {
        double slope = 0, curvature = 0;
        int rows = labels.Length;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> z = logits.Slice(r * classes, classes);
            double max = double.NegativeInfinity;
            foreach (float v in z) max = Math.Max(max, v);
            double sum = 0, first = 0, second = 0;
            foreach (float v in z)
            {
                double w = Math.Exp(beta * (v - max));
                sum += w;
                first += w * v;
                second += w * v * v;
            }
            double mean = first / sum;
            slope += mean - z[labels[r]];
            curvature += Math.Max(0, second / sum - mean * mean);
        }
        return (slope / rows, curvature / rows);
    }
}
