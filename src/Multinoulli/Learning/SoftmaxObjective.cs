using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Multinoulli.Kernels;
using Multinoulli.Kernels.Simd;

namespace Multinoulli.Learning;

/// <summary>
/// One evaluation of the objective and its gradient in one pass over the data: for each row, the logits, the loss
/// and ∂loss/∂z (scaled by the row's weight), then ∂W += x gᵀ over the same non-zero features while they are in
/// cache. The rows are cut into a fixed number of chunks whatever the thread count; each chunk accumulates into its
/// own partial gradient and the partials are added in chunk order, so the result does not depend on the number of
/// threads.
/// </summary>
internal sealed class SoftmaxObjective
{
    private const int BlockRows = 256;
    private const int RowsPerChunk = 2048;
    // The partial gradients cost one model each: 16 of them keep 16 cores busy.
    private const int MaxChunks = 16;

    private readonly SparseMatrix _rows;
    private readonly int[] _labels;
    private readonly float[]? _targets;
    private readonly float[] _rowScales;
    private readonly TrainingOptions _options;
    private readonly CrossEntropyOptions _crossEntropy;
    private readonly SoftmaxLayer _layer;
    private readonly int _chunks;
    private readonly AlignedFloats[] _partials;
    private readonly double[] _chunkLosses;
    private readonly bool _fused;

    /// <param name="data">The rows.</param>
    /// <param name="labels">One class a row; empty when <paramref name="targets"/> are given.</param>
    /// <param name="targets">Soft targets, [rows × classes], for the negative log-likelihood; null for labels.</param>
    /// <param name="sampleWeights">One weight a row, or empty.</param>
    /// <param name="layer">The layer whose parameters are set at every evaluation.</param>
    /// <param name="options">The objective.</param>
    public SoftmaxObjective(SparseMatrix data, int[] labels, float[]? targets, ReadOnlySpan<double> sampleWeights, SoftmaxLayer layer, TrainingOptions options)
    {
        _targets = targets;
        _rows = data;
        _labels = labels;
        _layer = layer;
        _options = options;
        _crossEntropy = new CrossEntropyOptions
        {
            Reduction = Reduction.Sum,
            ClassWeights = options.ClassWeights,
            LabelSmoothing = options.LabelSmoothing,
            MaxDegreeOfParallelism = 1,
        };
        // Each row's loss and gradient are scaled by sᵣ / Σ s, which makes the sum a weighted mean.
        _rowScales = new float[data.Rows];
        double total = 0;
        for (int r = 0; r < data.Rows; r++) total += sampleWeights.IsEmpty ? 1 : sampleWeights[r];
        for (int r = 0; r < data.Rows; r++) _rowScales[r] = (float)((sampleWeights.IsEmpty ? 1 : sampleWeights[r]) / total);
        _chunks = Math.Clamp(data.Rows / RowsPerChunk, 1, MaxChunks);
        // Each chunk's ∂W (padded rows) followed by its ∂b.
        _partials = new AlignedFloats[_chunks];
        for (int c = 0; c < _chunks; c++) _partials[c] = new AlignedFloats(checked((data.Columns + 1) * layer.Stride));
        _chunkLosses = new double[_chunks];
        // The common case, negative log-likelihood without class weights or smoothing on up to 16 classes, keeps each
        // row's logits in one register from the matrix product to the gradient.
        _fused = Simd512<float>.IsSupported && layer.Stride == Vector512<float>.Count && options.Loss == TrainingLoss.NegativeLogLikelihood
            && options.ClassWeights is null && options.LabelSmoothing == 0 && targets is null;
    }

    public int ParameterCount => _layer.ParameterCount;

    /// <summary>Sets the layer from <paramref name="parameters"/>, writes the gradient, returns the objective.</summary>
    public double Evaluate(ReadOnlySpan<double> parameters, Span<double> gradient)
    {
        _layer.SetLearned(parameters);
        RowParallel.Run(_chunks, RowParallel.Degree(_options.MaxDegreeOfParallelism), RowChunk);
        int features = _rows.Columns, stride = _layer.Stride, classes = _layer.Classes, learned = _layer.LearnedClasses;
        double loss = 0;
        gradient.Clear();
        for (int c = 0; c < _chunks; c++)
        {
            loss += _chunkLosses[c];
            ReadOnlySpan<float> partial = _partials[c].Span;
            for (int f = 0; f <= features; f++)
                for (int j = 0, k = 0; j < classes; j++)
                    if (j != _layer.ReferenceClass) gradient[f * learned + k++] += partial[f * stride + j];
        }
        double penalty = 0, lambda = _options.L2;
        if (lambda > 0)
        {
            for (int i = 0; i < features * learned; i++)
            {
                penalty += parameters[i] * parameters[i];
                gradient[i] += lambda * parameters[i];
            }
        }
        return loss + 0.5 * lambda * penalty;
    }

    /// <summary>Loss and gradient of the rows of one chunk, into the chunk's partial.</summary>
    private void RowChunk(int chunk)
    {
        int rows = _rows.Rows;
        int first = (int)((long)rows * chunk / _chunks), end = (int)((long)rows * (chunk + 1) / _chunks);
        Span<float> partial = _partials[chunk].Span;
        partial.Clear();
        int weights = _rows.Columns * _layer.Stride;
        _chunkLosses[chunk] = _fused
            ? FusedRows(first, end, partial[..weights], partial[weights..])
            : BlockRowsLoss(first, end, partial[..weights], partial[weights..]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double FusedRows(int first, int end, Span<float> weightGradient, Span<float> biasGradient)
    {
        int classes = _layer.Classes;
        var padding = Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(classes)).AsSingle();
        var negativeInfinity = Vector512.Create(float.NegativeInfinity);
        var biasSum = Vector512<float>.Zero;
        Span<float> logits = stackalloc float[Vector512<float>.Count];
        Span<float> rowGradient = stackalloc float[Vector512<float>.Count];
        double loss = 0;
        for (int r = first; r < end; r++)
        {
            _rows.Entries(r, out var indices, out var values);
            LinearKernels.Forward(indices, values, _layer.PaddedWeights, _layer.PaddedBias, logits);
            var z = Vector512.ConditionalSelect(padding, negativeInfinity, Vector512.LoadUnsafe(ref logits[0]));
            float max = HorizontalMax(z);
            var exponentials = VectorMath.Exp<Simd512<float>, Vector512<float>, float>(z - Vector512.Create(max), Vector512<float>.Zero);
            float sum = Vector512.Sum(exponentials);
            int label = _labels[r];
            float scale = _rowScales[r];
            // −log softmax(z)_y = log Σ exp(z − max) − (z_y − max); its gradient is softmax(z) − onehot(y).
            loss += scale * (Math.Log(sum) - ((double)logits[label] - max));
            var g = exponentials * Vector512.Create(scale / sum) - Vector512.ConditionalSelect(
                Vector512.Equals(Vector512<int>.Indices, Vector512.Create(label)).AsSingle(), Vector512.Create(scale), Vector512<float>.Zero);
            g.StoreUnsafe(ref rowGradient[0]);
            LinearKernels.Backward(indices, values, rowGradient, weightGradient);
            biasSum += g;
        }
        biasSum.StoreUnsafe(ref biasGradient[0]);
        return loss;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalMax(Vector512<float> v)
    {
        var half = Vector256.Max(v.GetLower(), v.GetUpper());
        var quarter = Vector128.Max(half.GetLower(), half.GetUpper());
        quarter = Vector128.Max(quarter, Vector128.Shuffle(quarter, Vector128.Create(2, 3, 0, 1)));
        quarter = Vector128.Max(quarter, Vector128.Shuffle(quarter, Vector128.Create(1, 0, 3, 2)));
        return quarter.ToScalar();
    }

    /// <summary>The general path: logits for a block of rows, then the loss kernels with every option they take.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double BlockRowsLoss(int first, int end, Span<float> weightGradient, Span<float> biasGradient)
    {
        int classes = _layer.Classes, stride = _layer.Stride;
        float[] logits = ArrayPool<float>.Shared.Rent(BlockRows * classes);
        float[] losses = ArrayPool<float>.Shared.Rent(BlockRows);
        Span<float> padded = stackalloc float[stride];
        double loss = 0;
        try
        {
            for (int start = first; start < end; start += BlockRows)
            {
                int count = Math.Min(BlockRows, end - start);
                Span<float> block = logits.AsSpan(0, count * classes);
                for (int r = 0; r < count; r++)
                {
                    _rows.Entries(start + r, out var indices, out var values);
                    LinearKernels.Forward(indices, values, _layer.PaddedWeights, _layer.PaddedBias, padded);
                    padded[..classes].CopyTo(block[(r * classes)..]);
                }
                ReadOnlySpan<int> labels = _targets is null ? _labels.AsSpan(start, count) : default;
                if (_targets is not null)
                {
                    CrossEntropy.RowLossesAndGradient(block, classes, _targets.AsSpan(start * classes, count * classes), losses.AsSpan(0, count), block, _crossEntropy);
                }
                else if (_options.Loss == TrainingLoss.NegativeLogLikelihood)
                {
                    CrossEntropy.RowLossesAndGradient(block, classes, labels, losses.AsSpan(0, count), block, _crossEntropy);
                }
                else
                {
                    for (int r = 0; r < count; r++)
                    {
                        Span<float> row = block.Slice(r * classes, classes);
                        losses[r] = (float)SquaredError.LossAndGradient(row, classes, labels.Slice(r, 1), row, Reduction.Sum);
                    }
                }
                for (int r = 0; r < count; r++)
                {
                    float scale = _rowScales[start + r];
                    loss += (double)scale * losses[r];
                    ReadOnlySpan<float> source = block.Slice(r * classes, classes);
                    padded.Clear();
                    for (int j = 0; j < classes; j++) padded[j] = scale * source[j];
                    _rows.Entries(start + r, out var indices, out var values);
                    LinearKernels.Backward(indices, values, padded, weightGradient);
                    LinearKernels.AddScaled(1, padded, biasGradient);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(logits);
            ArrayPool<float>.Shared.Return(losses);
        }
        return loss;
    }
}
