namespace Multinoulli;

/// <summary>What a trainer returns: the trained layer and how training ended.</summary>
/// <param name="Layer">The trained layer (the model).</param>
/// <param name="StopReason">Why training stopped.</param>
/// <param name="Iterations">Iterations completed.</param>
/// <param name="Evaluations">Objective-and-gradient evaluations (passes over the data).</param>
/// <param name="Objective">The final objective: weighted mean loss + ½ λ ‖W‖² (for a mini-batch trainer, the mean
/// training loss over its last whole epoch plus the penalty; NaN if no epoch finished).</param>
/// <param name="GradientNorm">The largest absolute component of the final gradient.</param>
/// <param name="Elapsed">Wall-clock training time.</param>
public sealed record TrainingResult(SoftmaxLayer Layer, StopReason StopReason, int Iterations, int Evaluations, double Objective, double GradientNorm, TimeSpan Elapsed);
