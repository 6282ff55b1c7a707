using System.Diagnostics;
using Multinoulli.Distributions;
using Multinoulli.Learning;

namespace Multinoulli;

/// <summary>
/// Mini-batch Adam or SGD with momentum on the objective of <see cref="TrainingOptions"/> (each step: the mean loss
/// of its batch + ½λ‖W‖²), streaming the training data from an <see cref="IDataSource"/> block by block, so a data
/// set larger than memory can be trained. Rows are shuffled within each block by a seeded generator; with
/// validation data it reports scores after every epoch and can stop early; with a checkpoint file it resumes an
/// interrupted run exactly where it stopped.
/// </summary>
/// <remarks>Sample weights come with the data (<see cref="DataBlock.SampleWeights"/>); class weights and label
/// smoothing come from <see cref="TrainingOptions"/>. Soft targets are for <see cref="LbfgsTrainer"/>.</remarks>
public sealed class MiniBatchTrainer(TrainingOptions? objective = null, MiniBatchOptions? options = null)
{
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;

    /// <summary>What is minimised.</summary>
    public TrainingOptions Objective { get; } = objective ?? TrainingOptions.Default;

    /// <summary>How the data is stepped through.</summary>
    public MiniBatchOptions Options { get; } = options ?? MiniBatchOptions.Default;

    /// <summary>Trains a softmax layer, from zero weights or from the checkpoint file when one exists.</summary>
    /// <param name="training">The training rows, read once an epoch.</param>
    /// <param name="classes">The number of classes; every label must lie in [0, classes).</param>
    /// <param name="validation">Rows scored after each epoch (and used for early stopping); optional. Read into memory
    /// once, at the start.</param>
    /// <param name="progress">Receives a report after each epoch.</param>
    /// <param name="cancellationToken">Stops after the current mini-batch; the result holds the parameters so far
    /// and the checkpoint (if any) the state after the last whole block.</param>
    /// <exception cref="ArgumentException">A label is out of range, the sources' features differ, or the checkpoint
    /// belongs to another model or other settings.</exception>
    /// <exception cref="InvalidDataException">The checkpoint file is damaged.</exception>
    public TrainingResult Fit(IDataSource training, int classes, IDataSource? validation = null, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(training);
        if (validation is not null && validation.Features != training.Features)
            ThrowHelper.LengthMismatch(nameof(validation), training.Features, validation.Features, "Validation rows need the training rows' features");
        if (Objective.ClassWeights is { } weights && weights.Length != classes)
            ThrowHelper.LengthMismatch("ClassWeights", classes, weights.Length, "One class weight a class");
        var clock = Stopwatch.StartNew();
        var layer = new SoftmaxLayer(training.Features, classes, Objective.Parameterization, Objective.ReferenceClass);
        int weightCount = layer.MutableWeights.Length, count = weightCount + layer.Stride;
        var state = new Checkpoint
        {
            Features = layer.Features, Classes = classes, Parameterization = (int)layer.Parameterization, ReferenceClass = layer.ReferenceClass,
            Optimizer = (int)Options.Optimizer, BatchSize = Options.BatchSize, Seed = Options.Seed, LearningRate = Options.LearningRate,
            Parameters = new float[count], FirstMoment = new float[count], SecondMoment = new float[count],
        };
        if (Options.CheckpointPath is { } path && File.Exists(path))
        {
            var saved = Checkpoint.Load(path, count);
            if (state.Mismatch(saved) is { } mismatch) throw new ArgumentException($"The checkpoint {path} cannot be resumed: {mismatch}.", nameof(options));
            state = saved;
        }
        Load(layer, state.Parameters);
        // Read once: it is scored after every epoch.
        var validationRows = validation?.ReadAll();
        var batch = new BatchGradient(layer, Objective);
        var gradient = new float[count];
        double lastGradientNorm = 0, lastObjective = double.NaN;
        StopReason reason = StopReason.Epochs;
        ClassificationReport? report = null;
        while (state.Epoch < Options.Epochs && reason == StopReason.Epochs)
        {
            int blockIndex = 0;
            foreach (var block in training.Blocks())
            {
                if (blockIndex++ < state.NextBlock) continue;
                CheckLabels(block, classes);
                var order = Shuffled(block.Labels.Length, Options.Seed, state.Epoch, blockIndex - 1);
                for (int start = 0; start < order.Length; start += Options.BatchSize)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        reason = StopReason.Cancelled;
                        break;
                    }
                    var rows = order.AsSpan(start, Math.Min(Options.BatchSize, order.Length - start));
                    double loss = batch.Compute(block, rows, gradient);
                    lastGradientNorm = Step(layer, state, gradient, weightCount);
                    state.EpochLoss += loss * rows.Length;
                    state.EpochRows += rows.Length;
                }
                if (reason == StopReason.Cancelled) break;
                state.NextBlock = blockIndex;
                Save(layer, state);
            }
            if (reason == StopReason.Cancelled) break;
            state.Epoch++;
            state.NextBlock = 0;
            double objectiveValue = state.EpochLoss / Math.Max(1, state.EpochRows) + Penalty(layer.MutableWeights);
            state.EpochLoss = 0;
            state.EpochRows = 0;
            lastObjective = objectiveValue;
            if (validationRows is (var validationFeatures, var validationLabels))
            {
                report = Metrics.Evaluate(layer, validationFeatures, validationLabels);
                if (report.LogLoss < state.BestLoss)
                {
                    state.BestLoss = report.LogLoss;
                    state.EpochsWithoutImprovement = 0;
                    state.Best = Snapshot(layer);
                }
                else if (++state.EpochsWithoutImprovement >= Options.Patience && Options.Patience > 0)
                {
                    reason = StopReason.EarlyStopping;
                    Load(layer, state.Best!);
                }
            }
            Save(layer, state);
            progress?.Report(new TrainingProgress((int)Math.Min(state.Step, int.MaxValue), (int)Math.Min(state.Step, int.MaxValue), objectiveValue,
                lastGradientNorm, clock.Elapsed, state.Epoch, report));
        }
        return new TrainingResult(layer, reason, (int)Math.Min(state.Step, int.MaxValue), (int)Math.Min(state.Step, int.MaxValue),
            lastObjective, lastGradientNorm, clock.Elapsed);

        void Save(SoftmaxLayer current, Checkpoint checkpoint)
        {
            if (Options.CheckpointPath is null) return;
            Snapshot(current).CopyTo(checkpoint.Parameters, 0);
            checkpoint.Save(Options.CheckpointPath);
        }
    }

    /// <summary>One update; returns the largest gradient component.</summary>
    private double Step(SoftmaxLayer layer, Checkpoint state, float[] gradient, int weightCount)
    {
        float lambda = (float)Objective.L2;
        Span<float> weights = layer.MutableWeights, bias = layer.MutableBias;
        state.Step++;
        double max = 0;
        float rate = (float)Options.LearningRate;
        // Adam's bias corrections, folded into the step size.
        double correction1 = 1 - Math.Pow(Beta1, state.Step), correction2 = 1 - Math.Pow(Beta2, state.Step);
        float adamRate = (float)(Options.LearningRate * Math.Sqrt(correction2) / correction1);
        float momentum = (float)Options.Momentum;
        for (int i = 0; i < gradient.Length; i++)
        {
            ref float parameter = ref i < weightCount ? ref weights[i] : ref bias[i - weightCount];
            float g = gradient[i] + (i < weightCount ? lambda * parameter : 0);
            max = Math.Max(max, Math.Abs(g));
            if (Options.Optimizer == Optimizer.Adam)
            {
                float m = state.FirstMoment[i] = (float)(Beta1 * state.FirstMoment[i] + (1 - Beta1) * g);
                float v = state.SecondMoment[i] = (float)(Beta2 * state.SecondMoment[i] + (1 - Beta2) * g * g);
                parameter -= adamRate * m / (MathF.Sqrt(v) + (float)Epsilon);
            }
            else
            {
                float velocity = state.FirstMoment[i] = momentum * state.FirstMoment[i] - rate * g;
                parameter += velocity;
            }
        }
        // The reference class's column never receives gradient (BatchGradient zeroes it), so it stays 0.
        return max;
    }

    private double Penalty(ReadOnlySpan<float> weights)
    {
        double sum = 0;
        foreach (float w in weights) sum += (double)w * w;
        return 0.5 * Objective.L2 * sum;
    }

    private static float[] Snapshot(SoftmaxLayer layer) => [.. layer.MutableWeights, .. layer.MutableBias];

    private static void Load(SoftmaxLayer layer, float[] parameters)
    {
        int weightCount = layer.MutableWeights.Length;
        parameters.AsSpan(0, weightCount).CopyTo(layer.MutableWeights);
        parameters.AsSpan(weightCount).CopyTo(layer.MutableBias);
    }

    private static void CheckLabels(DataBlock block, int classes)
    {
        for (int r = 0; r < block.Labels.Length; r++)
            if ((uint)block.Labels[r] >= (uint)classes) ThrowHelper.LabelOutOfRange(r, block.Labels[r], classes);
        if (block.SampleWeights is { } weights)
        {
            if (weights.Length != block.Labels.Length) ThrowHelper.LengthMismatch("SampleWeights", block.Labels.Length, weights.Length, "One weight a row of the block");
            for (int r = 0; r < weights.Length; r++)
                if (!(weights[r] >= 0 && double.IsFinite(weights[r]))) ThrowHelper.InvalidProbability("SampleWeights", r, weights[r]);
        }
    }

    /// <summary>A permutation of a block's rows that depends only on (seed, epoch, block): resuming replays it.</summary>
    private static int[] Shuffled(int rows, int seed, int epoch, int block)
    {
        var order = new int[rows];
        for (int i = 0; i < rows; i++) order[i] = i;
        var stream = SplitMix64.ForRow((ulong)(uint)seed, ((long)epoch << 32) | (uint)block);
        for (int i = rows - 1; i > 0; i--)
        {
            int j = RandomBits.Below(ref stream, i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
