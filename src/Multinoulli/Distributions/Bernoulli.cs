using Multinoulli.Distributions;

namespace Multinoulli;

/// <summary>
/// The Bernoulli distribution over {0, 1} from one logit z: P(1) = σ(z). It is the two-class softmax with the
/// reference class 0 fixed at logit 0, the seed's sigmoid ≡ softmax([0, z]); <see cref="ToCategorical"/> gives that
/// form. Every quantity is computed from the logit through stable forms (softplus), so it is exact for |z| up to
/// <see cref="double.MaxValue"/> and at ±∞.
/// </summary>
public sealed class Bernoulli
{
    private Bernoulli(double logit) => Logit = logit;

    /// <summary>The distribution with P(1) = σ(<paramref name="logit"/>); ±∞ gives the certain outcome 1 or 0.</summary>
    /// <exception cref="ArgumentException"><paramref name="logit"/> is NaN.</exception>
    public static Bernoulli FromLogit(double logit)
    {
        if (double.IsNaN(logit)) ThrowHelper.NotANumber(nameof(logit), 0);
        return new Bernoulli(logit);
    }

    /// <summary>The distribution with P(1) = <paramref name="probability"/>; its logit is log(p / (1 − p)).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="probability"/> is outside [0, 1] or NaN.</exception>
    public static Bernoulli FromProbability(double probability)
    {
        if (!(probability >= 0 && probability <= 1))
            ThrowHelper.OutOfRange(nameof(probability), probability, "A probability must lie in [0, 1].");
        return new Bernoulli(Math.Log(probability) - Math.Log(1 - probability));
    }

    /// <summary>The logit z = log(P(1) / P(0)).</summary>
    public double Logit { get; }

    /// <summary>P(1) = σ(z), also the mean.</summary>
    public double Probability => Sigmoid.Probability(Logit);

    /// <summary>log P(<paramref name="outcome"/>): −softplus(−z) for 1, −softplus(z) for 0; −∞ for an impossible outcome.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outcome"/> is not 0 or 1.</exception>
    public double LogProbability(int outcome)
    {
        if ((uint)outcome > 1) ThrowHelper.ClassOutOfRange(nameof(outcome), outcome, 2);
        return -Sigmoid.Softplus(outcome == 1 ? -Logit : Logit);
    }

    /// <summary>The mean of the outcome, P(1).</summary>
    public double Mean => Probability;

    /// <summary>P(1) P(0) = σ(z) σ(−z).</summary>
    public double Variance => Sigmoid.Probability(Logit) * Sigmoid.Probability(-Logit);

    /// <summary>The entropy in nats, σ(z) softplus(−z) + σ(−z) softplus(z); 0 at z = ±∞ (not NaN).</summary>
    public double Entropy
    {
        get
        {
            double one = Sigmoid.Probability(Logit), zero = Sigmoid.Probability(-Logit);
            return (one > 0 ? one * Sigmoid.Softplus(-Logit) : 0) + (zero > 0 ? zero * Sigmoid.Softplus(Logit) : 0);
        }
    }

    /// <summary>The more probable outcome; 0 when both are equally probable (z = 0), as for <see cref="Categorical.Mode"/>.</summary>
    public int Mode => Logit > 0 ? 1 : 0;

    /// <summary>One draw: 1 with probability σ(z), on a 2⁻⁵³ grid.</summary>
    public int Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return RandomBits.Uniform(random) < Probability ? 1 : 0;
    }

    /// <summary>The same distribution as a two-class <see cref="Categorical"/> over logits [0, z].</summary>
    public Categorical ToCategorical() => Categorical.FromLogits([0, Logit]);
}
