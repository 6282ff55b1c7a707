using Multinoulli.Decoding;

namespace Multinoulli;

/// <summary>
/// One step of a <see cref="DecodingSampler"/>: it reshapes or truncates the distribution a language-model head's
/// logits define, before the draw. Steps compose in the order given; build them with the factory methods.
/// </summary>
/// <remarks>
/// Every truncation ranks classes by logit, highest first, and between equal logits by class index, lowest first,
/// so each step keeps one well-defined set. Ranking by logit equals ranking by probability at any temperature.
/// </remarks>
public abstract class SamplingStep
{
    private protected SamplingStep() { }

    /// <summary>
    /// Divides the logits by <paramref name="temperature"/>: below 1 sharpens, above 1 flattens. 0 means greedy
    /// decoding: only the classes of the largest logit stay (equally likely if tied).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is negative, infinite or NaN.</exception>
    public static SamplingStep Temperature(double temperature) => new TemperatureStep(temperature);

    /// <summary>
    /// Keeps the <paramref name="k"/> classes of largest logit: exactly k, ties at the boundary going to the lower
    /// class index. Keeps everything when k is at least the number of candidates. Costs one pass over the row with a
    /// k-element heap (a selection, not a sort).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    public static SamplingStep TopK(int k) => new TopKStep(k);

    /// <summary>
    /// Nucleus sampling: keeps the smallest set of classes, taken in rank order, whose probability (under the current
    /// temperature, renormalised over the current candidates) reaches <paramref name="p"/>. The class that crosses
    /// p is kept; of tied classes at the boundary the lower indices are taken first. p = 1 keeps every candidate.
    /// Expected linear time (quickselect), not a sort.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside (0, 1].</exception>
    public static SamplingStep TopP(double p) => new TopPStep(p);

    /// <summary>
    /// Keeps the classes whose probability is at least <paramref name="minP"/> times the top class's, under the
    /// current temperature: z ≥ z_max + T log(minP). Ties at the threshold are kept. 0 keeps everything.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minP"/> is outside [0, 1].</exception>
    public static SamplingStep MinP(double minP) => new MinPStep(minP);

    internal abstract void Apply(ref Candidates candidates);
}
