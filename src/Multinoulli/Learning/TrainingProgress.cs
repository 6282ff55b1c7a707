namespace Multinoulli;

/// <summary>One report of a running trainer.</summary>
/// <param name="Iteration">Iterations (L-BFGS) or mini-batch steps completed.</param>
/// <param name="Evaluations">Objective-and-gradient evaluations: passes over the data (L-BFGS) or mini-batches.</param>
/// <param name="Objective">The objective after this iteration; for a mini-batch trainer, the mean training loss over
/// the epoch plus the penalty.</param>
/// <param name="GradientNorm">The largest absolute component of its gradient.</param>
/// <param name="Elapsed">Time since training started.</param>
/// <param name="Epoch">Epochs completed (mini-batch trainers; 0 for L-BFGS).</param>
/// <param name="Validation">Scores on the validation data, when the trainer was given some (mini-batch trainers, at
/// the end of each epoch).</param>
public sealed record TrainingProgress(int Iteration, int Evaluations, double Objective, double GradientNorm, TimeSpan Elapsed,
    int Epoch = 0, ClassificationReport? Validation = null);
