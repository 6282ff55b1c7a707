namespace Multinoulli.Learning;

/// <summary>
/// The mean loss of one mini-batch and its gradient with respect to the padded weights and bias: logits row by row
/// over the non-zero features, the loss kernels on the batch, then ∂W += x gᵀ back over the same features.
/// </summary>
internal sealed class BatchGradient(SoftmaxLayer layer, TrainingOptions options)
{
    private readonly CrossEntropyOptions _crossEntropy = new()
    {
        Reduction = Reduction.Sum,
        ClassWeights = options.ClassWeights,
        LabelSmoothing = options.LabelSmoothing,
        MaxDegreeOfParallelism = 1,
    };

    private float[] _logits = [];
    private float[] _losses = [];
    private int[] _labels = [];

    /// <summary>Writes the gradient (weights then bias, padded) of the batch's weighted mean loss; returns that mean
    /// (0 for a batch whose weights are all 0).</summary>
    public double Compute(DataBlock block, ReadOnlySpan<int> rows, Span<float> gradient)
    {
        int n = rows.Length, classes = layer.Classes, stride = layer.Stride;
        if (_logits.Length < n * classes)
        {
            _logits = new float[n * classes];
            _losses = new float[n];
            _labels = new int[n];
        }
        var features = block.Features;
        Span<float> padded = stackalloc float[stride];
        Span<float> logits = _logits.AsSpan(0, n * classes);
        for (int i = 0; i < n; i++)
        {
            features.Entries(rows[i], out var columns, out var values);
            LinearKernels.Forward(columns, values, layer.PaddedWeights, layer.PaddedBias, padded);
            padded[..classes].CopyTo(logits[(i * classes)..]);
            _labels[i] = block.Labels[rows[i]];
        }
        Span<float> losses = _losses.AsSpan(0, n);
        ReadOnlySpan<int> labels = _labels.AsSpan(0, n);
        if (options.Loss == TrainingLoss.NegativeLogLikelihood)
            CrossEntropy.RowLossesAndGradient(logits, classes, labels, losses, logits, _crossEntropy);
        else
            for (int i = 0; i < n; i++)
                losses[i] = (float)SquaredError.LossAndGradient(logits.Slice(i * classes, classes), classes, labels.Slice(i, 1), logits.Slice(i * classes, classes), Reduction.Sum);

        gradient.Clear();
        int weightCount = gradient.Length - stride;
        Span<float> weightGradient = gradient[..weightCount], biasGradient = gradient[weightCount..];
        // The weighted mean: row i counts sᵢ / Σ s (1 / n without weights).
        double weightSum = 0;
        for (int i = 0; i < n; i++) weightSum += block.SampleWeights?[rows[i]] ?? 1;
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            double weight = (block.SampleWeights?[rows[i]] ?? 1) / weightSum;
            float scale = weightSum > 0 ? (float)weight : 0;
            total += weight * losses[i];
            padded.Clear();
            for (int j = 0; j < classes; j++) padded[j] = j == layer.ReferenceClass ? 0 : scale * logits[i * classes + j];
            features.Entries(rows[i], out var columns, out var values);
            LinearKernels.Backward(columns, values, padded, weightGradient);
            LinearKernels.AddScaled(1, padded, biasGradient);
        }
        return weightSum > 0 ? total : 0;
    }
}
