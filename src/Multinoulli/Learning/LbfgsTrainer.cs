using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Multinoulli.Learning;

namespace Multinoulli;

/// <summary>
/// Full-batch L-BFGS on the objective of <see cref="TrainingOptions"/>: deterministic (no seed needed), the
/// default trainer. Each iteration is one or a few passes over the data, each pass on every core.
/// </summary>
public sealed class LbfgsTrainer(TrainingOptions? options = null)
{
    /// <summary>The options this trainer runs with.</summary>
    public TrainingOptions Options { get; } = options ?? TrainingOptions.Default;

    /// <summary>Trains a softmax layer from zero weights on <paramref name="features"/> and <paramref name="labels"/>.</summary>
    /// <param name="features">One sample a row.</param>
    /// <param name="labels">One class a row, in [0, classes).</param>
    /// <param name="classes">The number of classes; default the largest label + 1 (at least 2).</param>
    /// <param name="sampleWeights">Non-negative weights, one a row, with a positive sum; empty for all 1.</param>
    /// <param name="progress">Receives a report after every iteration.</param>
    /// <param name="initial">Parameters to start from (a warm start); default all zeros. Must have the same shape and
    /// parameterization; it is not modified.</param>
    /// <param name="cancellationToken">Stops training after the current iteration; the result then holds the best
    /// parameters so far, with <see cref="StopReason.Cancelled"/>.</param>
    /// <exception cref="ArgumentException">The labels do not match the rows or lie outside [0, classes), a sample
    /// weight is negative or not finite, the class weights do not match the classes, or the reference class is out
    /// of range.</exception>
    public TrainingResult Fit(DenseMatrix features, ReadOnlySpan<int> labels, int? classes = null, ReadOnlySpan<double> sampleWeights = default,
        IProgress<TrainingProgress>? progress = null, SoftmaxLayer? initial = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        return Fit(SparseMatrix.FromDense(features), labels, classes, sampleWeights, progress, initial, cancellationToken);
    }

    /// <summary>Trains on sparse rows (text features); otherwise as <see cref="Fit(DenseMatrix, ReadOnlySpan{int}, int?, ReadOnlySpan{double}, IProgress{TrainingProgress}?, SoftmaxLayer?, CancellationToken)"/>.</summary>
    /// <inheritdoc cref="Fit(DenseMatrix, ReadOnlySpan{int}, int?, ReadOnlySpan{double}, IProgress{TrainingProgress}?, SoftmaxLayer?, CancellationToken)"/>
    public TrainingResult Fit(SparseMatrix features, ReadOnlySpan<int> labels, int? classes = null, ReadOnlySpan<double> sampleWeights = default,
        IProgress<TrainingProgress>? progress = null, SoftmaxLayer? initial = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (labels.Length != features.Rows) ThrowHelper.LengthMismatch(nameof(labels), features.Rows, labels.Length, "One label a row");
        int classCount = classes ?? Math.Max(2, MaxLabel(labels) + 1);
        for (int r = 0; r < labels.Length; r++)
            if ((uint)labels[r] >= (uint)classCount) ThrowHelper.LabelOutOfRange(r, labels[r], classCount);
        return Train(features, labels.ToArray(), null, classCount, sampleWeights, progress, initial, cancellationToken);
    }

    /// <summary>
    /// Trains on soft targets: a probability distribution (or non-negative weights) over the classes for each row,
    /// [rows × classes], in place of a label; the loss is the cross-entropy against them. Negative log-likelihood only.
    /// </summary>
    /// <param name="features">One sample a row.</param>
    /// <param name="targets">[rows × classes] non-negative, finite target weights.</param>
    /// <param name="classes">The number of classes; at least 2.</param>
    /// <param name="sampleWeights">Non-negative weights, one a row, with a positive sum; empty for all 1.</param>
    /// <param name="progress">Receives a report after every iteration.</param>
    /// <param name="initial">Parameters to start from; default all zeros.</param>
    /// <param name="cancellationToken">Stops training after the current iteration.</param>
    /// <exception cref="ArgumentException">The targets are not rows × classes, one is negative or not finite, or the
    /// loss is squared error.</exception>
    public TrainingResult Fit(SparseMatrix features, ReadOnlySpan<float> targets, int classes, ReadOnlySpan<double> sampleWeights = default,
        IProgress<TrainingProgress>? progress = null, SoftmaxLayer? initial = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (classes < 2) ThrowHelper.OutOfRange(nameof(classes), classes, "At least two classes.");
        if (targets.Length != (long)features.Rows * classes)
            ThrowHelper.LengthMismatch(nameof(targets), features.Rows * classes, targets.Length, "One target weight a class a row");
        for (int i = 0; i < targets.Length; i++)
            if (!(targets[i] >= 0 && float.IsFinite(targets[i]))) ThrowHelper.InvalidTarget(i / classes, i % classes, targets[i]);
        if (Options.Loss != TrainingLoss.NegativeLogLikelihood)
            throw new ArgumentException("Soft targets are supported with the negative log-likelihood only.", nameof(targets));
        return Train(features, [], targets.ToArray(), classes, sampleWeights, progress, initial, cancellationToken);
    }

    /// <inheritdoc cref="Fit(SparseMatrix, ReadOnlySpan{float}, int, ReadOnlySpan{double}, IProgress{TrainingProgress}?, SoftmaxLayer?, CancellationToken)"/>
    public TrainingResult Fit(DenseMatrix features, ReadOnlySpan<float> targets, int classes, ReadOnlySpan<double> sampleWeights = default,
        IProgress<TrainingProgress>? progress = null, SoftmaxLayer? initial = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        return Fit(SparseMatrix.FromDense(features), targets, classes, sampleWeights, progress, initial, cancellationToken);
    }

    private TrainingResult Train(SparseMatrix features, int[] labels, float[]? targets, int classCount, ReadOnlySpan<double> sampleWeights,
        IProgress<TrainingProgress>? progress, SoftmaxLayer? initial, CancellationToken cancellationToken)
    {
        if (features.Rows == 0) ThrowHelper.EmptyInput(nameof(features));
        if (!sampleWeights.IsEmpty)
        {
            if (sampleWeights.Length != features.Rows) ThrowHelper.LengthMismatch(nameof(sampleWeights), features.Rows, sampleWeights.Length, "One weight a row");
            Distributions.DistributionInput.Total(sampleWeights, nameof(sampleWeights));
        }
        if (Options.ClassWeights is { } weights && weights.Length != classCount)
            ThrowHelper.LengthMismatch("ClassWeights", classCount, weights.Length, "One class weight a class");
        var clock = Stopwatch.StartNew();
        var layer = new SoftmaxLayer(features.Columns, classCount, Options.Parameterization, Options.ReferenceClass);
        var objective = new SoftmaxObjective(features, labels, targets, sampleWeights, layer, Options);
        var start = new double[objective.ParameterCount];
        if (initial is not null)
        {
            if (initial.Features != layer.Features || initial.Classes != layer.Classes || initial.Parameterization != layer.Parameterization
                || initial.ReferenceClass != layer.ReferenceClass)
                throw new ArgumentException($"The initial layer is {initial.Features} × {initial.Classes} ({initial.Parameterization}); training needs {layer.Features} × {layer.Classes} ({layer.Parameterization}).", nameof(initial));
            initial.CopyLearnedTo(start);
        }
        var checkpointing = Options.CheckpointPath is { } path
            ? new Lbfgs.Checkpointing(path, Options.CheckpointInterval, Fingerprint(features, labels, targets, sampleWeights, layer, initial))
            : null;
        var outcome = Lbfgs.Minimize(objective.Evaluate, start, Options,
            progress is null ? null : progress.Report, checkpointing, cancellationToken);
        layer.SetLearned(outcome.X);
        return new TrainingResult(layer, outcome.Reason, outcome.Iterations, outcome.Evaluations, outcome.Value, outcome.GradientNorm, clock.Elapsed);
    }

    /// <summary>A hash of everything that defines the problem, so that a checkpoint resumes only its own run.</summary>
    private ulong Fingerprint(SparseMatrix features, int[] labels, float[]? targets, ReadOnlySpan<double> sampleWeights, SoftmaxLayer layer, SoftmaxLayer? initial)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"{features.Rows} {features.Columns} {layer.Classes} {layer.Parameterization} {layer.ReferenceClass} {Options.L2:R} {Options.Loss} {Options.LabelSmoothing:R} ");
        if (Options.ClassWeights is { } weights) text.AppendJoin(',', weights);
        ulong hash = AtomicFile.Hash(Encoding.UTF8.GetBytes(text.ToString()));
        foreach (var part in new[]
        {
            AtomicFile.Hash(MemoryMarshal.AsBytes(features.RowStarts.AsSpan())),
            AtomicFile.Hash(MemoryMarshal.AsBytes(features.ColumnIndices.AsSpan())),
            AtomicFile.Hash(MemoryMarshal.AsBytes(features.Values.AsSpan())),
            AtomicFile.Hash(MemoryMarshal.AsBytes(labels.AsSpan())),
            AtomicFile.Hash(MemoryMarshal.AsBytes((targets ?? []).AsSpan())),
            AtomicFile.Hash(MemoryMarshal.AsBytes(sampleWeights)),
            initial is null ? 0 : AtomicFile.Hash(MemoryMarshal.AsBytes(initial.PaddedWeights)),
        })
            hash = (hash ^ part) * 1099511628211;
        return hash;
    }

    private static int MaxLabel(ReadOnlySpan<int> labels)
    {
        int max = 0;
        foreach (int label in labels) max = Math.Max(max, label);
        return max;
    }
}
