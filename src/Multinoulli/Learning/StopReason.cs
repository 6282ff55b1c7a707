namespace Multinoulli;

/// <summary>Why a trainer stopped.</summary>
public enum StopReason
{
    /// <summary>The largest gradient component fell below <see cref="TrainingOptions.GradientTolerance"/>.</summary>
    GradientTolerance,

    /// <summary>An iteration improved the objective by less than <see cref="TrainingOptions.RelativeImprovementTolerance"/>
    /// of its value.</summary>
    RelativeImprovement,

    /// <summary><see cref="TrainingOptions.MaxIterations"/> iterations ran.</summary>
    MaxIterations,

    /// <summary>The line search found no step that decreases the objective: the optimum is reached to the precision
    /// of the float32 evaluation.</summary>
    LineSearchFailed,

    /// <summary>The caller's cancellation token fired; the result holds the best parameters so far.</summary>
    Cancelled,

    /// <summary>A mini-batch trainer ran all its epochs.</summary>
    Epochs,

    /// <summary>The validation log-loss did not improve for <see cref="MiniBatchOptions.Patience"/> epochs; the
    /// result holds the parameters of the best epoch.</summary>
    EarlyStopping,
}
