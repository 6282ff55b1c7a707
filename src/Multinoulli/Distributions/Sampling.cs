using System.Buffers;
using System.Numerics;
using Multinoulli.Distributions;
using Multinoulli.Kernels;

namespace Multinoulli;

/// <summary>
/// Draws from categorical distributions given as spans: from logits without normalising (Gumbel-max), from
/// probabilities (inverse CDF), several classes without replacement (Gumbel-top-k), a relaxed differentiable
/// sample (Gumbel-softmax), and one draw for each row of a batch on every core.
/// </summary>
/// <remarks>
/// Every method is deterministic for a given seed: pass <c>new Random(seed)</c> (not <see cref="Random.Shared"/>)
/// to repeat a run. Uniform variates carry 53 random bits, so a class of probability 1e-12 is drawn at its rate.
/// A class of probability 0 (a −∞ logit, a zero weight) is never drawn. If some logits are +∞, those classes share
/// the probability equally (the limit of softmax) and the others are impossible. NaN logits, and rows where every
/// class is impossible, are refused with <see cref="ArgumentException"/>.
/// </remarks>
public static class Sampling
{
    /// <summary>One class drawn from softmax(logits) by the Gumbel-max trick: arg maxᵢ zᵢ + Gᵢ with Gᵢ standard
    /// Gumbel. Needs no normaliser; costs two logarithms a class.</summary>
    /// <exception cref="ArgumentException"><paramref name="logits"/> is empty, holds a NaN, or is −∞ everywhere.</exception>
    public static int GumbelMax(ReadOnlySpan<float> logits, Random random) => GumbelMaxCore(logits, random);

    /// <inheritdoc cref="GumbelMax(ReadOnlySpan{float}, Random)"/>
    public static int GumbelMax(ReadOnlySpan<double> logits, Random random) => GumbelMaxCore(logits, random);

    /// <summary>One class drawn by inverting the cumulative distribution: one uniform variate and a linear scan.</summary>
    /// <param name="probabilities">Probabilities, or any non-negative weights (they are divided by their sum).</param>
    /// <param name="random">The source of randomness.</param>
    /// <exception cref="ArgumentException"><paramref name="probabilities"/> is empty, holds a negative, infinite or
    /// NaN value, or sums to 0.</exception>
    public static int InverseCdf(ReadOnlySpan<double> probabilities, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double total = DistributionInput.Total(probabilities, nameof(probabilities));
        return Invert(probabilities, RandomBits.Uniform(random) * total);
    }

    /// <inheritdoc cref="InverseCdf(ReadOnlySpan{double}, Random)"/>
    public static int InverseCdf(ReadOnlySpan<float> probabilities, Random random) => InverseCdf(DistributionInput.Widen(probabilities), random);

    /// <summary>
    /// Draws <c>destination.Length</c> distinct classes without replacement from softmax(logits) (Gumbel-top-k):
    /// the classes with the largest zᵢ + Gᵢ, largest first. <c>destination[0]</c> is distributed as one draw,
    /// <c>destination[1]</c> as a draw from the rest, and so on. Costs O(n log k).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="logits"/> is empty, holds a NaN, or is −∞ everywhere, or
    /// <paramref name="destination"/> is empty or longer than the number of possible (not −∞) classes.</exception>
    public static void GumbelTopK(ReadOnlySpan<float> logits, Random random, Span<int> destination) => GumbelTopKCore(logits, random, destination);

    /// <inheritdoc cref="GumbelTopK(ReadOnlySpan{float}, Random, Span{int})"/>
    public static void GumbelTopK(ReadOnlySpan<double> logits, Random random, Span<int> destination) => GumbelTopKCore(logits, random, destination);

    /// <summary>
    /// A relaxed one-hot sample (Gumbel-softmax, Jang et al. and Maddison et al., 2017): softmax((z + G) / τ) with G
    /// standard Gumbel noise. As τ → 0 it tends to the one-hot vector of a Gumbel-max draw; it is differentiable in z.
    /// A −∞ logit gets exactly 0.
    /// </summary>
    /// <param name="logits">The logits.</param>
    /// <param name="temperature">τ: positive and finite.</param>
    /// <param name="random">The source of the noise.</param>
    /// <param name="destination">Receives the sample; at least as long as <paramref name="logits"/>; may be
    /// <paramref name="logits"/> itself.</param>
    /// <exception cref="ArgumentException">As for <see cref="GumbelMax(ReadOnlySpan{float}, Random)"/>, or a too short
    /// or overlapping <paramref name="destination"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not positive and finite.</exception>
    public static void GumbelSoftmax(ReadOnlySpan<float> logits, double temperature, Random random, Span<float> destination) =>
        GumbelSoftmaxCore(logits, temperature, random, destination);

    /// <inheritdoc cref="GumbelSoftmax(ReadOnlySpan{float}, double, Random, Span{float})"/>
    public static void GumbelSoftmax(ReadOnlySpan<double> logits, double temperature, Random random, Span<double> destination) =>
        GumbelSoftmaxCore(logits, temperature, random, destination);

    /// <summary>
    /// One draw from softmax(row / T) for each row of a row-major [rows × classes] matrix of logits, on every core.
    /// Row r uses its own random stream derived from (<paramref name="seed"/>, r), so the draws do not depend on the
    /// number of threads. Each row is normalised by the softmax kernel and inverted with one uniform variate.
    /// </summary>
    /// <param name="logits">The logits, row after row.</param>
    /// <param name="classes">The number of classes (the row length).</param>
    /// <param name="seed">The seed of every row's stream.</param>
    /// <param name="destination">Receives one class a row; at least as long as the number of rows.</param>
    /// <param name="options">Temperature and thread cap; masking is ignored (an all −∞ row is refused).</param>
    /// <exception cref="ArgumentException">The shape is inconsistent, <paramref name="destination"/> is too short, or a
    /// row holds a NaN or is −∞ everywhere (the message names the first such row; other rows may have been written).</exception>
    public static void SampleRows(ReadOnlySpan<float> logits, int classes, ulong seed, Span<int> destination, SoftmaxOptions? options = null) =>
        SampleRowsCore(logits, classes, seed, destination, options);

    /// <inheritdoc cref="SampleRows(ReadOnlySpan{float}, int, ulong, Span{int}, SoftmaxOptions?)"/>
    public static void SampleRows(ReadOnlySpan<double> logits, int classes, ulong seed, Span<int> destination, SoftmaxOptions? options = null) =>
        SampleRowsCore(logits, classes, seed, destination, options);

    private static int GumbelMaxCore<T>(ReadOnlySpan<T> logits, Random random) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(random);
        double max = DistributionInput.Max(logits, nameof(logits));
        var stream = RandomBits.Stream(random);
        int best = -1;
        double bestKey = double.NegativeInfinity;
        for (int i = 0; i < logits.Length; i++)
        {
            // Relative to the maximum, so that equal huge logits still differ by their noise, not by rounding.
            double shifted = DistributionInput.Shifted(double.CreateTruncating(logits[i]), max);
            if (double.IsNegativeInfinity(shifted)) continue;
            double key = shifted + RandomBits.Gumbel(RandomBits.OpenUniform(ref stream));
            if (key > bestKey)
            {
                bestKey = key;
                best = i;
            }
        }
        return best;
    }

    private static void GumbelTopKCore<T>(ReadOnlySpan<T> logits, Random random, Span<int> destination) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(random);
        double max = DistributionInput.Max(logits, nameof(logits));
        int possible = 0;
        foreach (T z in logits) if (!T.IsNegativeInfinity(z)) possible++;
        int k = destination.Length;
        if (k < 1 || k > possible)
            ThrowHelper.OutOfRange(nameof(destination), k, $"Without replacement, 1 to {possible} classes (those with a logit above −∞) can be drawn.");
        var keys = new double[k];
        var stream = RandomBits.Stream(random);
        int filled = 0;
        if (double.IsPositiveInfinity(max))
        {
            // The +∞ classes hold all the mass: they come first, in random order; the finite ones follow.
            filled = SelectLargestPerturbed(logits, max, ref stream, keys, destination);
            max = LargestBelow(logits, double.PositiveInfinity);
        }
        if (filled < k) SelectLargestPerturbed(logits, max, ref stream, keys.AsSpan(filled), destination[filled..]);
    }

    /// <summary>The classes with the largest z − max + G among those at most max (or the +∞ ones when max is +∞).</summary>
    private static int SelectLargestPerturbed<T>(ReadOnlySpan<T> logits, double max, ref SplitMix64 stream, Span<double> keys, Span<int> destination)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var heap = new TopHeap(keys, destination);
        for (int i = 0; i < logits.Length; i++)
        {
            double z = double.CreateTruncating(logits[i]);
            double shifted = DistributionInput.Shifted(z, max);
            if (z <= max && !double.IsNegativeInfinity(shifted)) heap.Offer(shifted + RandomBits.Gumbel(RandomBits.OpenUniform(ref stream)), i);
        }
        return heap.SortDescending();
    }

    private static double LargestBelow<T>(ReadOnlySpan<T> logits, double bound) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double result = double.NegativeInfinity;
        foreach (T z in logits)
        {
            double value = double.CreateTruncating(z);
            if (value < bound && value > result) result = value;
        }
        return result;
    }

    private static void GumbelSoftmaxCore<T>(ReadOnlySpan<T> logits, double temperature, Random random, Span<T> destination)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(random);
        DistributionInput.CheckTemperature(temperature);
        var options = new SoftmaxOptions { Temperature = temperature };
        double max = DistributionInput.Max(logits, nameof(logits));
        Validate.Destination(logits.Length, destination);
        Validate.InPlaceOrDisjoint(logits, destination, nameof(destination), nameof(logits));
        var stream = RandomBits.Stream(random);
        for (int i = 0; i < logits.Length; i++)
        {
            double shifted = DistributionInput.Shifted(double.CreateTruncating(logits[i]), max);
            destination[i] = T.CreateTruncating(double.IsNegativeInfinity(shifted) ? shifted : shifted + RandomBits.Gumbel(RandomBits.OpenUniform(ref stream)));
        }
        SoftmaxCore<T>.Distribution(destination[..logits.Length], destination, options, SoftmaxCore<T>.Output.Probabilities);
    }

    private static unsafe void SampleRowsCore<T>(ReadOnlySpan<T> logits, int classes, ulong seed, Span<int> destination, SoftmaxOptions? options)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int rows = Validate.Rows(logits, classes);
        Validate.Destination(rows, destination);
        options ??= SoftmaxOptions.Default;
        double temperature = options.Temperature;
        int firstBadRow = int.MaxValue;
        fixed (T* source = logits)
        fixed (int* target = destination)
        {
            nint z = (nint)source, d = (nint)target;
            RowParallel.For(rows, classes, options.MaxDegreeOfParallelism, (first, count) =>
            {
                // Rows are normalised a block at a time into one scratch buffer: no allocation per row.
                int block = Math.Max(1, Math.Min(count, 4096 / classes));
                T[] scratch = ArrayPool<T>.Shared.Rent(block * classes);
                try
                {
                    for (int start = first; start < first + count; start += block)
                    {
                        int n = Math.Min(block, first + count - start);
                        fixed (T* probabilities = scratch)
                        {
                            Dispatch<T>.Best.Probabilities((T*)z + (nint)start * classes, probabilities, n, classes, temperature, masked: false);
                            for (int r = 0; r < n; r++)
                            {
                                var row = new ReadOnlySpan<T>(probabilities + (nint)r * classes, classes);
                                double total = 0;
                                foreach (T p in row) total += double.CreateTruncating(p);
                                // NaN input and all −∞ rows both come out of the kernel as NaN.
                                if (!(total > 0))
                                {
                                    InterlockedMin(ref firstBadRow, start + r);
                                    continue;
                                }
                                var generator = SplitMix64.ForRow(seed, start + r);
                                ((int*)d)[start + r] = Invert(row, RandomBits.Uniform(ref generator) * total);
                            }
                        }
                    }
                }
                finally
                {
                    ArrayPool<T>.Shared.Return(scratch);
                }
            });
        }
        if (firstBadRow != int.MaxValue)
            throw new ArgumentException($"Row {firstBadRow} holds a NaN or is −∞ everywhere; no class can be drawn from it.", nameof(logits));
    }

    private static void InterlockedMin(ref int location, int value)
    {
        int current = Volatile.Read(ref location);
        while (value < current)
        {
            int seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current) return;
            current = seen;
        }
    }

    /// <summary>The first class whose running total exceeds <paramref name="target"/> (a point in [0, total)).</summary>
    private static int Invert<T>(ReadOnlySpan<T> weights, double target) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double running = 0;
        int last = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            double w = double.CreateTruncating(weights[i]);
            if (w == 0) continue;
            running += w;
            last = i;
            if (running > target) return i;
        }
        // Rounding can leave the target at or above the running total; the draw then belongs to the last possible class.
        return last;
    }
}
