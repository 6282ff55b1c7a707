namespace Multinoulli;

/// <summary>One report of a running trainer.</summary>
/// <param name="Iteration">Iterations completed.</param>
/// <param name="Evaluations">Objective-and-gradient evaluations (passes over the data) so far.</param>
/// <param name="Objective">The objective after this iteration.</param>
/// <param name="GradientNorm">The largest absolute component of its gradient.</param>
/// <param name="Elapsed">Time since training started.</param>
public sealed record TrainingProgress(int Iteration, int Evaluations, double Objective, double GradientNorm, TimeSpan Elapsed);
