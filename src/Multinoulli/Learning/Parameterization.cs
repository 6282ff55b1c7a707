namespace Multinoulli;

/// <summary>How a <see cref="SoftmaxLayer"/> parameterizes its n logits.</summary>
public enum Parameterization
{
    /// <summary>One learned logit a class: n columns of weights. Over-parameterized (adding one vector to every
    /// column changes nothing), which a penalty λ &gt; 0 resolves.</summary>
    Full,

    /// <summary>One class (the reference class) has its logit fixed at 0; n − 1 columns are learned. The same
    /// family of distributions with no redundancy; with two classes it is logistic regression.</summary>
    Reference,
}
