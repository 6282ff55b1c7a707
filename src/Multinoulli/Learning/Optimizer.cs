namespace Multinoulli;

/// <summary>The update rule of a <see cref="MiniBatchTrainer"/>.</summary>
public enum Optimizer
{
    /// <summary>Adam (Kingma and Ba, 2015), with bias-corrected moment estimates. The default.</summary>
    Adam,

    /// <summary>Stochastic gradient descent with heavy-ball momentum: v ← μv − ηg, θ ← θ + v.</summary>
    SgdMomentum,
}
