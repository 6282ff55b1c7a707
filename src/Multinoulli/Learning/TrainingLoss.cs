namespace Multinoulli;

/// <summary>The per-sample loss a trainer minimises.</summary>
public enum TrainingLoss
{
    /// <summary>−log softmax(z)_y, the maximum-likelihood loss (through the cross-entropy kernels). The default.</summary>
    NegativeLogLikelihood,

    /// <summary>Σⱼ (softmax(z)ⱼ − [j = y])², the squared error on the probabilities: it saturates when the model is
    /// confidently wrong, which is why the seed argues against it. Here for that comparison.</summary>
    SquaredError,
}
