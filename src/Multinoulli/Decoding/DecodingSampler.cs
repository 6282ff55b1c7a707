using System.Buffers;
using Multinoulli.Decoding;
using Multinoulli.Distributions;

namespace Multinoulli;

/// <summary>
/// Draws the next token from a language-model head's float logits through a chain of <see cref="SamplingStep"/>s
/// (temperature, top-k, top-p, min-p) applied in the order given, then one exact draw from what is left.
/// </summary>
/// <remarks>
/// <para>A 128,000-class row costs one vectorised pass to find the maximum and, for top-k, one more with a k-element
/// heap; nothing is sorted. Steps after a truncation see only the survivors, renormalised. Scratch space comes
/// from <see cref="ArrayPool{T}"/>, so a call allocates nothing and one sampler may be shared between threads.</para>
/// <para>−∞ logits are impossible classes; if some logits are +∞, those classes alone remain, equally likely.
/// A NaN logit, or a row that is −∞ everywhere, is refused with <see cref="ArgumentException"/>.</para>
/// </remarks>
public sealed class DecodingSampler
{
    private readonly SamplingStep[] _steps;

    /// <summary>A sampler applying <paramref name="steps"/> in order; with no steps it draws from softmax(logits).</summary>
    /// <exception cref="ArgumentNullException">A step is null.</exception>
    public DecodingSampler(params SamplingStep[] steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        for (int i = 0; i < steps.Length; i++)
            if (steps[i] is null) throw new ArgumentNullException(nameof(steps), $"Step {i} is null.");
        _steps = (SamplingStep[])steps.Clone();
    }

    /// <summary>The steps, in the order they run.</summary>
    public IReadOnlyList<SamplingStep> Steps => _steps;

    /// <summary>Runs the chain on <paramref name="logits"/> and draws one class.</summary>
    /// <exception cref="ArgumentException"><paramref name="logits"/> is empty, holds a NaN, or is −∞ everywhere.</exception>
    public int Sample(ReadOnlySpan<float> logits, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        using var survivors = new Survivors(logits, _steps);
        double target = RandomBits.Uniform(random) * survivors.Total;
        double running = 0;
        int last = 0;
        for (int i = 0; i < survivors.Weights.Length; i++)
        {
            double weight = survivors.Weights[i];
            if (weight == 0) continue;
            running += weight;
            last = i;
            if (running > target) break;
        }
        // If rounding leaves the target at the total, the draw belongs to the last class of positive weight.
        return survivors.Classes[last];
    }

    /// <summary>
    /// Writes the distribution the chain leaves, over every class: the survivors' renormalised probabilities, 0 for
    /// the classes removed. This is the exact law of <see cref="Sample"/>.
    /// </summary>
    /// <exception cref="ArgumentException">As for <see cref="Sample"/>, or <paramref name="probabilities"/> is shorter than
    /// <paramref name="logits"/>.</exception>
    public void Distribution(ReadOnlySpan<float> logits, Span<double> probabilities)
    {
        Kernels.Validate.Destination(logits.Length, probabilities, nameof(probabilities));
        using var survivors = new Survivors(logits, _steps);
        probabilities[..logits.Length].Clear();
        for (int i = 0; i < survivors.Weights.Length; i++)
            probabilities[survivors.Classes[i]] = survivors.Weights[i] / survivors.Total;
    }

    /// <summary>The chain in words, e.g. "temperature 0.8 → top-k 50 → top-p 0.9".</summary>
    public override string ToString() => _steps.Length == 0 ? "softmax" : string.Join(" → ", _steps.Select(s => s.ToString()));

    /// <summary>The candidates left by the chain with their unnormalised weights; returns its scratch on Dispose.</summary>
    private ref struct Survivors
    {
        private Candidates _candidates;
        private readonly double[] _rented;

        public Survivors(ReadOnlySpan<float> logits, SamplingStep[] steps)
        {
            _candidates = new Candidates(logits);
            try
            {
                foreach (var step in steps) step.Apply(ref _candidates);
                _candidates.MaterializeAll();
            }
            catch
            {
                _candidates.ReturnStorage();
                throw;
            }
            _rented = ArrayPool<double>.Shared.Rent(_candidates.Count);
            Weights = _rented.AsSpan(0, _candidates.Count);
            Total = _candidates.Weigh(Weights);
        }

        public readonly ReadOnlySpan<int> Classes => _candidates.Classes;

        public Span<double> Weights { get; }

        public double Total { get; }

        public void Dispose()
        {
            _candidates.ReturnStorage();
            ArrayPool<double>.Shared.Return(_rented);
        }
    }
}
