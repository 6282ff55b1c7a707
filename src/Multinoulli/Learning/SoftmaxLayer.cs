using Multinoulli.Learning;

namespace Multinoulli;

/// <summary>
/// The seed's output unit: a linear layer z = Wᵀh + b followed by softmax, over <see cref="Features"/> inputs and
/// <see cref="Classes"/> classes. It computes logits, probabilities and log-probabilities for a batch, and the
/// backward pass from ∂L/∂z to ∂L/∂W, ∂L/∂b and ∂L/∂h, so it can be the head of another network. A trained
/// layer is what <see cref="LbfgsTrainer"/> returns.
/// </summary>
/// <remarks>
/// Batches are row-major: inputs [rows × features], logits [rows × classes]. Zero inputs are skipped, so sparse
/// rows cost only their non-zeros. With <see cref="Parameterization.Reference"/>, the reference class's column of W
/// and its bias stay 0 and receive no gradient. Not thread-safe while its parameters are being set.
/// </remarks>
public sealed class SoftmaxLayer
{
    // W is stored with each feature's row padded to a whole number of vectors; the padding stays 0.
    private readonly AlignedFloats _weightStore;
    private readonly AlignedFloats _biasStore;
    private readonly int _stride;

    /// <summary>A layer with all weights and biases 0 (the uniform distribution).</summary>
    /// <param name="features">The input size; at least 1.</param>
    /// <param name="classes">The number of classes; at least 2.</param>
    /// <param name="parameterization">Full (n learned logits) or Reference (one fixed at 0).</param>
    /// <param name="referenceClass">The class whose logit is fixed at 0 with <see cref="Parameterization.Reference"/>;
    /// default the last class.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public SoftmaxLayer(int features, int classes, Parameterization parameterization = Parameterization.Full, int? referenceClass = null)
    {
        if (features < 1) ThrowHelper.OutOfRange(nameof(features), features, "A layer needs at least one input feature.");
        if (classes < 2) ThrowHelper.OutOfRange(nameof(classes), classes, "A softmax layer needs at least two classes.");
        if (!Enum.IsDefined(parameterization)) ThrowHelper.OutOfRange(nameof(parameterization), parameterization, "Full or Reference.");
        int reference = referenceClass ?? classes - 1;
        if (parameterization == Parameterization.Reference && (uint)reference >= (uint)classes)
            ThrowHelper.ClassOutOfRange(nameof(referenceClass), reference, classes);
        Features = features;
        Classes = classes;
        Parameterization = parameterization;
        ReferenceClass = parameterization == Parameterization.Reference ? reference : -1;
        _stride = LinearKernels.Stride(classes);
        _weightStore = new AlignedFloats(checked(features * _stride));
        _biasStore = new AlignedFloats(_stride);
    }

    /// <summary>The input size.</summary>
    public int Features { get; }

    /// <summary>The number of classes.</summary>
    public int Classes { get; }

    /// <summary>Full or reference-class parameterization.</summary>
    public Parameterization Parameterization { get; }

    /// <summary>The class whose logit is fixed at 0, or −1 with <see cref="Parameterization.Full"/>.</summary>
    public int ReferenceClass { get; }

    /// <summary>The number of learned parameters: (features + 1) × (classes, or classes − 1 with a reference class).</summary>
    public int ParameterCount => (Features + 1) * LearnedClasses;

    internal int LearnedClasses => Parameterization == Parameterization.Reference ? Classes - 1 : Classes;

    internal int Stride => _stride;

    /// <summary>The padded weights, for the trainers to update in place.</summary>
    internal Span<float> MutableWeights => _weightStore.Span;

    /// <summary>The padded bias, for the trainers to update in place.</summary>
    internal Span<float> MutableBias => _biasStore.Span;

    internal ReadOnlySpan<float> PaddedWeights => _weightStore.Span;

    internal ReadOnlySpan<float> PaddedBias => _biasStore.Span;

    private Span<float> WeightRows => _weightStore.Span;

    private Span<float> BiasRow => _biasStore.Span;

    /// <summary>W[feature, class].</summary>
    public float Weight(int feature, int @class) => WeightRows[CheckFeature(feature) * _stride + CheckClass(@class)];

    /// <summary>b[class].</summary>
    public float Bias(int @class) => BiasRow[CheckClass(@class)];

    /// <summary>Copies W ([features × classes], row-major) and b ([classes]) out.</summary>
    /// <exception cref="ArgumentException">A destination is too short.</exception>
    public void CopyParametersTo(Span<float> weights, Span<float> bias)
    {
        Kernels.Validate.Destination(Features * Classes, weights, nameof(weights));
        Kernels.Validate.Destination(Classes, bias, nameof(bias));
        for (int f = 0; f < Features; f++) WeightRows.Slice(f * _stride, Classes).CopyTo(weights[(f * Classes)..]);
        BiasRow.Slice(0, Classes).CopyTo(bias);
    }

    /// <summary>Sets W ([features × classes], row-major) and b ([classes]). With a reference class, its column and
    /// bias must be 0.</summary>
    /// <exception cref="ArgumentException">A length is wrong, a value is not finite, or the reference class's
    /// parameters are not 0.</exception>
    public void SetParameters(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias)
    {
        if (weights.Length != Features * Classes) ThrowHelper.LengthMismatch(nameof(weights), Features * Classes, weights.Length, "W is features × classes");
        if (bias.Length != Classes) ThrowHelper.LengthMismatch(nameof(bias), Classes, bias.Length, "b has one value a class");
        CheckParameters(weights, nameof(weights));
        CheckParameters(bias, nameof(bias));
        for (int f = 0; f < Features; f++) weights.Slice(f * Classes, Classes).CopyTo(WeightRows.Slice(f * _stride));
        bias.CopyTo(BiasRow);
    }

    /// <summary>Sets the learned parameters from the trainer's vector: W's learned columns feature by feature, then b's.</summary>
    internal void SetLearned(ReadOnlySpan<double> parameters)
    {
        int learned = LearnedClasses;
        for (int f = 0; f <= Features; f++)
        {
            Span<float> row = f < Features ? WeightRows.Slice(f * _stride, Classes) : BiasRow.Slice(0, Classes);
            ReadOnlySpan<double> source = parameters.Slice(f * learned, learned);
            for (int c = 0, k = 0; c < Classes; c++)
                row[c] = c == ReferenceClass ? 0 : (float)source[k++];
        }
    }

    /// <summary>
    /// Writes the layer to <paramref name="path"/> in the documented, versioned binary format (header, shapes, W, b,
    /// checksum), through a temporary file renamed over the destination: an interrupted save never leaves half a file.
    /// </summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path) => ModelFile.Save(this, path);

    /// <summary>Reads a layer written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a model file, has an unsupported version, is
    /// truncated or corrupted (checksum), or holds invalid values; the message names the file and the reason.
    /// Nothing is returned from a file that fails any check.</exception>
    public static SoftmaxLayer Load(string path) => ModelFile.Load(path);

    /// <summary>The learned parameters in the trainer's order (the inverse of <see cref="SetLearned"/>).</summary>
    internal void CopyLearnedTo(Span<double> parameters)
    {
        int learned = LearnedClasses;
        for (int f = 0; f <= Features; f++)
        {
            ReadOnlySpan<float> row = f < Features ? WeightRows.Slice(f * _stride, Classes) : BiasRow[..Classes];
            Span<double> target = parameters.Slice(f * learned, learned);
            for (int c = 0, k = 0; c < Classes; c++)
                if (c != ReferenceClass) target[k++] = row[c];
        }
    }

    /// <summary>z = Wᵀh + b for each row of <paramref name="inputs"/>.</summary>
    /// <exception cref="ArgumentException">The inputs are not whole rows of <see cref="Features"/>, or
    /// <paramref name="logits"/> is shorter than rows × classes.</exception>
    public void Logits(ReadOnlySpan<float> inputs, Span<float> logits)
    {
        int rows = Kernels.Validate.Rows(inputs, Features, nameof(inputs));
        Kernels.Validate.Destination(rows * Classes, logits, nameof(logits));
        Span<float> padded = stackalloc float[_stride];
        for (int r = 0; r < rows; r++)
        {
            LinearKernels.Forward(inputs.Slice(r * Features, Features), WeightRows, BiasRow, padded);
            padded[..Classes].CopyTo(logits[(r * Classes)..]);
        }
    }

    /// <summary>softmax(Wᵀh + b) for each row.</summary>
    /// <exception cref="ArgumentException">As for <see cref="Logits(ReadOnlySpan{float}, Span{float})"/>.</exception>
    public void Probabilities(ReadOnlySpan<float> inputs, Span<float> probabilities)
    {
        Logits(inputs, probabilities);
        int rows = inputs.Length / Features;
        Softmax.Probabilities(probabilities[..(rows * Classes)], Classes, probabilities);
    }

    /// <summary>log softmax(Wᵀh + b) for each row.</summary>
    /// <exception cref="ArgumentException">As for <see cref="Logits(ReadOnlySpan{float}, Span{float})"/>.</exception>
    public void LogProbabilities(ReadOnlySpan<float> inputs, Span<float> logProbabilities)
    {
        Logits(inputs, logProbabilities);
        int rows = inputs.Length / Features;
        Softmax.LogProbabilities(logProbabilities[..(rows * Classes)], Classes, logProbabilities);
    }

    /// <summary>z = Wᵀh + b for each row of a sparse matrix (text features, LibSVM rows).</summary>
    /// <exception cref="ArgumentException">The matrix does not have <see cref="Features"/> columns, or
    /// <paramref name="logits"/> is shorter than rows × classes.</exception>
    public void Logits(SparseMatrix inputs, Span<float> logits)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Columns != Features) ThrowHelper.LengthMismatch(nameof(inputs), Features, inputs.Columns, "The inputs' columns must be the layer's features");
        Kernels.Validate.Destination(inputs.Rows * Classes, logits, nameof(logits));
        Span<float> padded = stackalloc float[_stride];
        for (int r = 0; r < inputs.Rows; r++)
        {
            inputs.Entries(r, out var columns, out var values);
            LinearKernels.Forward(columns, values, WeightRows, BiasRow, padded);
            padded[..Classes].CopyTo(logits[(r * Classes)..]);
        }
    }

    /// <summary>softmax(Wᵀh + b) for each row of a sparse matrix.</summary>
    /// <exception cref="ArgumentException">As for <see cref="Logits(SparseMatrix, Span{float})"/>.</exception>
    public void Probabilities(SparseMatrix inputs, Span<float> probabilities)
    {
        Logits(inputs, probabilities);
        Softmax.Probabilities(probabilities[..(inputs.Rows * Classes)], Classes, probabilities);
    }

    /// <summary>log softmax(Wᵀh + b) for each row of a sparse matrix.</summary>
    /// <exception cref="ArgumentException">As for <see cref="Logits(SparseMatrix, Span{float})"/>.</exception>
    public void LogProbabilities(SparseMatrix inputs, Span<float> logProbabilities)
    {
        Logits(inputs, logProbabilities);
        Softmax.LogProbabilities(logProbabilities[..(inputs.Rows * Classes)], Classes, logProbabilities);
    }

    /// <summary>The most probable class of each sparse row (ties: the lowest index).</summary>
    /// <exception cref="ArgumentException">As for <see cref="Logits(SparseMatrix, Span{float})"/>, or <paramref name="labels"/> is too short.</exception>
    public void Predict(SparseMatrix inputs, Span<int> labels)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Kernels.Validate.Destination(inputs.Rows, labels, nameof(labels));
        var logits = new float[inputs.Rows * Classes];
        Logits(inputs, logits);
        for (int r = 0; r < inputs.Rows; r++)
        {
            ReadOnlySpan<float> row = logits.AsSpan(r * Classes, Classes);
            int best = 0;
            for (int c = 1; c < Classes; c++) if (row[c] > row[best]) best = c;
            labels[r] = best;
        }
    }

    /// <summary>The most probable class of each row (ties: the lowest index).</summary>
    /// <exception cref="ArgumentException">As for <see cref="Logits(ReadOnlySpan{float}, Span{float})"/>, or <paramref name="labels"/> is too short.</exception>
    public void Predict(ReadOnlySpan<float> inputs, Span<int> labels)
    {
        int rows = Kernels.Validate.Rows(inputs, Features, nameof(inputs));
        Kernels.Validate.Destination(rows, labels, nameof(labels));
        Span<float> padded = stackalloc float[_stride];
        for (int r = 0; r < rows; r++)
        {
            LinearKernels.Forward(inputs.Slice(r * Features, Features), WeightRows, BiasRow, padded);
            int best = 0;
            for (int c = 1; c < Classes; c++) if (padded[c] > padded[best]) best = c;
            labels[r] = best;
        }
    }

    /// <summary>
    /// The backward pass: given ∂L/∂z for each row, writes ∂L/∂W = Σ_rows h (∂L/∂z)ᵀ ([features × classes]),
    /// ∂L/∂b = Σ_rows ∂L/∂z, and, unless <paramref name="inputGradient"/> is empty, ∂L/∂h = W ∂L/∂z for each row.
    /// The reference class's column and bias get 0.
    /// </summary>
    /// <exception cref="ArgumentException">A length does not match the batch.</exception>
    public void Backward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> logitGradient, Span<float> weightGradient, Span<float> biasGradient, Span<float> inputGradient)
    {
        int rows = Kernels.Validate.Rows(inputs, Features, nameof(inputs));
        if (logitGradient.Length != rows * Classes) ThrowHelper.LengthMismatch(nameof(logitGradient), rows * Classes, logitGradient.Length, "One gradient a logit");
        Kernels.Validate.Destination(Features * Classes, weightGradient, nameof(weightGradient));
        Kernels.Validate.Destination(Classes, biasGradient, nameof(biasGradient));
        if (!inputGradient.IsEmpty) Kernels.Validate.Destination(rows * Features, inputGradient, nameof(inputGradient));
        var padded = new float[Features * _stride];
        Span<float> row = stackalloc float[_stride];
        biasGradient[..Classes].Clear();
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> input = inputs.Slice(r * Features, Features);
            ReadOnlySpan<float> gradient = logitGradient.Slice(r * Classes, Classes);
            gradient.CopyTo(row);
            if (ReferenceClass >= 0) row[ReferenceClass] = 0;
            for (int f = 0; f < Features; f++)
                if (input[f] != 0) LinearKernels.AddScaled(input[f], row, padded.AsSpan(f * _stride, _stride));
            for (int c = 0; c < Classes; c++) biasGradient[c] += row[c];
            if (inputGradient.IsEmpty) continue;
            Span<float> inputRow = inputGradient.Slice(r * Features, Features);
            for (int f = 0; f < Features; f++)
            {
                float sum = 0;
                ReadOnlySpan<float> w = WeightRows.Slice(f * _stride, Classes);
                for (int c = 0; c < Classes; c++) sum += w[c] * row[c];
                inputRow[f] = sum;
            }
        }
        for (int f = 0; f < Features; f++) padded.AsSpan(f * _stride, Classes).CopyTo(weightGradient[(f * Classes)..]);
    }

    private void CheckParameters(ReadOnlySpan<float> values, string paramName)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i])) ThrowHelper.InvalidParameter(paramName, i, values[i], "must be finite");
            if (ReferenceClass >= 0 && i % Classes == ReferenceClass && values[i] != 0)
                ThrowHelper.InvalidParameter(paramName, i, values[i], $"belongs to the reference class {ReferenceClass} and must be 0");
        }
    }

    private int CheckFeature(int feature)
    {
        if ((uint)feature >= (uint)Features) ThrowHelper.OutOfRange(nameof(feature), feature, $"The feature must lie in [0, {Features}).");
        return feature;
    }

    private int CheckClass(int @class)
    {
        if ((uint)@class >= (uint)Classes) ThrowHelper.ClassOutOfRange(nameof(@class), @class, Classes);
        return @class;
    }
}
