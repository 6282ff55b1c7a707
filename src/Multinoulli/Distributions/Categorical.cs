using Multinoulli.Distributions;
using Multinoulli.Kernels;

namespace Multinoulli;

/// <summary>
/// The Multinoulli (categorical) distribution over classes 0 … n−1: what a softmax output unit predicts.
/// </summary>
/// <remarks>
/// Build it from logits (<see cref="FromLogits(ReadOnlySpan{double}, double)"/>) or from probabilities
/// (<see cref="FromProbabilities(ReadOnlySpan{double}, bool, double)"/>). The log-probabilities are the source of
/// truth and are held in double whatever the input type, so a class far in the tail keeps its exact
/// log-probability even where its probability underflows to 0. A class of probability 0 has log-probability −∞
/// and adds 0 to the entropy, never NaN. Instances are immutable and may be shared between threads.
/// </remarks>
public sealed class Categorical
{
    /// <summary>How far from 1 the sum of probabilities passed to <c>FromProbabilities</c> may be when
    /// normalisation is not asked for.</summary>
    public const double ProbabilitySumTolerance = 1e-6;

    private readonly double[] _logits;
    private readonly double[] _logProbabilities;
    private readonly double[] _probabilities;
    private double[]? _cumulative;
    private double[]? _variance;
    private AliasTable? _aliasTable;

    private Categorical(double[] logits, double[] logProbabilities, double[] probabilities, double temperature)
    {
        _logits = logits;
        _logProbabilities = logProbabilities;
        _probabilities = probabilities;
        Temperature = temperature;
        var entropy = new CompensatedSum();
        for (int i = 0; i < probabilities.Length; i++)
            if (probabilities[i] > 0) entropy.Add(-probabilities[i] * logProbabilities[i]);
        Entropy = Math.Max(0, entropy.Value);
    }

    /// <summary>The distribution softmax(logits / temperature).</summary>
    /// <param name="logits">Unnormalised log-probabilities, any finite value or ±∞. −∞ marks an impossible class;
    /// if some logits are +∞, those classes share the probability equally (the limit).</param>
    /// <param name="temperature">T in softmax(z / T): positive and finite; default 1.</param>
    /// <exception cref="ArgumentException"><paramref name="logits"/> is empty, holds a NaN, or is −∞ everywhere.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not positive and finite.</exception>
    public static Categorical FromLogits(ReadOnlySpan<double> logits, double temperature = 1)
    {
        DistributionInput.CheckTemperature(temperature);
        DistributionInput.Max(logits, nameof(logits));
        var z = logits.ToArray();
        var options = new SoftmaxOptions { Temperature = temperature };
        var logProbabilities = new double[z.Length];
        var probabilities = new double[z.Length];
        Softmax.LogProbabilities(z, logProbabilities, options);
        Softmax.Probabilities(z, probabilities, options);
        return new Categorical(z, logProbabilities, probabilities, temperature);
    }

    /// <summary>The distribution softmax(logits / temperature), from float logits (widened exactly to double).</summary>
    /// <inheritdoc cref="FromLogits(ReadOnlySpan{double}, double)"/>
    public static Categorical FromLogits(ReadOnlySpan<float> logits, double temperature = 1) =>
        FromLogits(DistributionInput.Widen(logits), temperature);

    /// <summary>
    /// The distribution with the given probabilities, or, with a temperature other than 1, the one proportional to
    /// p^(1/T). Its logits are log p, so <see cref="SmoothMax"/> is then Σ p log p.
    /// </summary>
    /// <param name="probabilities">Finite, non-negative values. Their sum must be 1 within
    /// <see cref="ProbabilitySumTolerance"/>, unless <paramref name="normalize"/> is set; they are divided by their
    /// sum either way, so the distribution sums to 1 to rounding.</param>
    /// <param name="normalize">Accept any positive sum and divide by it (weights rather than probabilities).</param>
    /// <param name="temperature">Positive and finite; default 1.</param>
    /// <exception cref="ArgumentException"><paramref name="probabilities"/> is empty, holds a negative, infinite or
    /// NaN value, sums to 0, or (without <paramref name="normalize"/>) does not sum to 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not positive and finite.</exception>
    public static Categorical FromProbabilities(ReadOnlySpan<double> probabilities, bool normalize = false, double temperature = 1)
    {
        DistributionInput.CheckTemperature(temperature);
        double total = DistributionInput.Total(probabilities, nameof(probabilities));
        if (!normalize && Math.Abs(total - 1) > ProbabilitySumTolerance)
            ThrowHelper.NotNormalized(nameof(probabilities), total, ProbabilitySumTolerance);
        int n = probabilities.Length;
        var p = new double[n];
        var logP = new double[n];
        for (int i = 0; i < n; i++)
        {
            p[i] = probabilities[i] / total;
            logP[i] = Math.Log(p[i]);
        }
        if (temperature == 1) return new Categorical((double[])logP.Clone(), logP, p, temperature);
        return FromLogits(logP, temperature);
    }

    /// <summary>The distribution with the given float probabilities (widened exactly to double).</summary>
    /// <inheritdoc cref="FromProbabilities(ReadOnlySpan{double}, bool, double)"/>
    public static Categorical FromProbabilities(ReadOnlySpan<float> probabilities, bool normalize = false, double temperature = 1) =>
        FromProbabilities(DistributionInput.Widen(probabilities), normalize, temperature);

    /// <summary>The number of classes n.</summary>
    public int Classes => _probabilities.Length;

    /// <summary>The temperature the distribution was built with.</summary>
    public double Temperature { get; }

    /// <summary>The logits as given (log p when built from probabilities), before the temperature.</summary>
    public ReadOnlySpan<double> Logits => _logits;

    /// <summary>Every class's probability; they sum to 1 to rounding.</summary>
    public ReadOnlySpan<double> Probabilities => _probabilities;

    /// <summary>Every class's log-probability; −∞ for a class of probability 0.</summary>
    public ReadOnlySpan<double> LogProbabilities => _logProbabilities;

    /// <summary>The mean of the one-hot vector, which is the probability vector itself.</summary>
    public ReadOnlySpan<double> Mean => _probabilities;

    /// <summary>The variance of each coordinate of the one-hot vector, p_k (1 − p_k).</summary>
    public ReadOnlySpan<double> Variance => _variance ??= Array.ConvertAll(_probabilities, p => p * (1 - p));

    /// <summary>P(class); 0 for an impossible class.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is outside [0, <see cref="Classes"/>).</exception>
    public double Probability(int k) => _probabilities[CheckClass(k)];

    /// <summary>log P(class); −∞ (not 0, not NaN) for an impossible class.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is outside [0, <see cref="Classes"/>).</exception>
    public double LogProbability(int k) => _logProbabilities[CheckClass(k)];

    /// <summary>−Σ p log p in nats; an impossible class adds 0. Between 0 and log n.</summary>
    public double Entropy { get; }

    /// <summary>The most probable class; among tied classes, the lowest index. Ranked by logit, so that classes the
    /// rounded probabilities cannot tell apart (logits 0 and 1e-300) are still ordered.</summary>
    public int Mode
    {
        get
        {
            int mode = 0;
            for (int i = 1; i < _logits.Length; i++)
                if (_logits[i] > _logits[mode] || (_logits[i] == _logits[mode] && _probabilities[i] > _probabilities[mode])) mode = i;
            return mode;
        }
    }

    /// <summary>
    /// softmax(z / T)ᵀ z, the soft version of max z (the seed's "soft max"): it tends to max z as T → 0 and to the
    /// mean of the logits as T → ∞. Impossible classes are left out; a +∞ logit makes it +∞.
    /// </summary>
    public double SmoothMax
    {
        get
        {
            var sum = new CompensatedSum();
            for (int i = 0; i < _logits.Length; i++)
                if (_probabilities[i] > 0) sum.Add(_probabilities[i] * _logits[i]);
            return sum.Value;
        }
    }

    /// <summary>
    /// KL(p ‖ q) = Σ p log(p / q) in nats: 0 for equal distributions, +∞ where q gives 0 to a class p does not.
    /// Classes where p is 0 add 0. Never negative (a rounding below 0 is returned as 0).
    /// </summary>
    /// <exception cref="ArgumentException">The two distributions have different numbers of classes.</exception>
    public static double KullbackLeibler(Categorical p, Categorical q) =>
        Math.Max(0, Expectation(p, q, nameof(q), (logP, logQ) => logP - logQ));

    /// <summary>
    /// The cross-entropy H(p, q) = −Σ p log q = H(p) + KL(p ‖ q) in nats; +∞ where q gives 0 to a class p does not.
    /// </summary>
    /// <exception cref="ArgumentException">The two distributions have different numbers of classes.</exception>
    public static double CrossEntropy(Categorical p, Categorical q) =>
        Expectation(p, q, nameof(q), (_, logQ) => -logQ);

    /// <summary>
    /// One draw by inversion of the cumulative distribution: the first call builds the cumulative table (O(n)), each
    /// draw is then a binary search (O(log n)). An impossible class is never drawn.
    /// </summary>
    public int Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double[] cumulative = _cumulative ??= Cumulative(_probabilities);
        double u = RandomBits.Uniform(random) * cumulative[^1];
        // The first class whose cumulative probability exceeds u; an impossible class repeats the previous total
        // and so can never be that class.
        int lo = 0, hi = cumulative.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] > u) hi = mid;
            else lo = mid + 1;
        }
        // u can round up to the total itself; the draw then belongs to the last possible class.
        while (_probabilities[lo] == 0) lo--;
        return lo;
    }

    /// <summary>Fills <paramref name="destination"/> with independent draws through the alias table (O(1) a draw).</summary>
    public void Sample(Random random, Span<int> destination) => AliasTable.Sample(random, destination);

    /// <summary>The alias table of this distribution, built on first use.</summary>
    public AliasTable AliasTable => _aliasTable ??= new AliasTable(_probabilities);

    private int CheckClass(int k)
    {
        if ((uint)k >= (uint)_probabilities.Length) ThrowHelper.ClassOutOfRange(nameof(k), k, _probabilities.Length);
        return k;
    }

    /// <summary>Σ_k p_k f(log p_k, log q_k) over the classes p can produce; +∞ where log q is −∞ there.</summary>
    private static double Expectation(Categorical p, Categorical q, string paramName, Func<double, double, double> term)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(q);
        if (p.Classes != q.Classes) ThrowHelper.LengthMismatch(paramName, p.Classes, q.Classes, "The distributions have different numbers of classes");
        var sum = new CompensatedSum();
        for (int i = 0; i < p.Classes; i++)
        {
            double weight = p._probabilities[i];
            if (weight == 0) continue;
            if (double.IsNegativeInfinity(q._logProbabilities[i])) return double.PositiveInfinity;
            sum.Add(weight * term(p._logProbabilities[i], q._logProbabilities[i]));
        }
        return sum.Value;
    }

    private static double[] Cumulative(double[] probabilities)
    {
        var cumulative = new double[probabilities.Length];
        double total = 0;
        for (int i = 0; i < probabilities.Length; i++) cumulative[i] = total += probabilities[i];
        return cumulative;
    }
}
