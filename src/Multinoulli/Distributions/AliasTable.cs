using Multinoulli.Distributions;

namespace Multinoulli;

/// <summary>
/// Walker's alias table, built by Vose's method: O(n) to build, then each draw costs one uniform class index and
/// one biased coin, whatever the number of classes. Build it once to draw many samples from one distribution.
/// Immutable, so one table may be shared between threads (each with its own <see cref="Random"/>).
/// </summary>
public sealed class AliasTable
{
    // Column i keeps class i with probability _keep[i], otherwise gives _alias[i].
    private readonly double[] _keep;
    private readonly int[] _alias;

    /// <summary>Builds the table for probabilities, or for any non-negative weights (they are divided by their sum).</summary>
    /// <param name="weights">One non-negative finite weight a class, with a positive sum. A zero weight is never drawn.</param>
    /// <exception cref="ArgumentException"><paramref name="weights"/> is empty, holds a negative, infinite or NaN
    /// value, or sums to 0.</exception>
    public AliasTable(ReadOnlySpan<double> weights)
    {
        double total = DistributionInput.Total(weights, nameof(weights));
        int n = weights.Length;
        _keep = new double[n];
        _alias = new int[n];
        var scaled = new double[n];
        var small = new int[n];
        var large = new int[n];
        int smallCount = 0, largeCount = 0, heaviest = 0;
        for (int i = 0; i < n; i++)
        {
            scaled[i] = weights[i] / total * n;
            if (scaled[i] < 1) small[smallCount++] = i;
            else large[largeCount++] = i;
            if (weights[i] > weights[heaviest]) heaviest = i;
        }
        while (smallCount > 0 && largeCount > 0)
        {
            int lighter = small[--smallCount], heavier = large[--largeCount];
            _keep[lighter] = scaled[lighter];
            _alias[lighter] = heavier;
            // (a + b) − 1 rather than a − (1 − b): the heavy column's remainder loses less to rounding.
            scaled[heavier] = (scaled[heavier] + scaled[lighter]) - 1;
            if (scaled[heavier] < 1) small[smallCount++] = heavier;
            else large[largeCount++] = heavier;
        }
        // What is left is 1 up to rounding; a zero-weight class left over (only possible through rounding) stays
        // impossible by pointing its whole column at the heaviest class.
        foreach (int column in large.AsSpan(0, largeCount)) SetWhole(column, weights[column] > 0, heaviest);
        foreach (int column in small.AsSpan(0, smallCount)) SetWhole(column, weights[column] > 0, heaviest);
    }

    private void SetWhole(int column, bool possible, int fallback)
    {
        _keep[column] = possible ? 1 : 0;
        _alias[column] = possible ? column : fallback;
    }

    /// <summary>Builds the table from float probabilities or weights; see <see cref="AliasTable(ReadOnlySpan{double})"/>.</summary>
    public AliasTable(ReadOnlySpan<float> weights) : this(DistributionInput.Widen(weights)) { }

    /// <summary>The number of classes.</summary>
    public int Classes => _keep.Length;

    /// <summary>Draws one class.</summary>
    public int Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var stream = RandomBits.Stream(random);
        return Draw(ref stream);
    }

    /// <summary>Fills <paramref name="destination"/> with independent draws.</summary>
    public void Sample(Random random, Span<int> destination)
    {
        ArgumentNullException.ThrowIfNull(random);
        var stream = RandomBits.Stream(random);
        for (int i = 0; i < destination.Length; i++) destination[i] = Draw(ref stream);
    }

    private int Draw(ref SplitMix64 stream)
    {
        int column = RandomBits.Below(ref stream, _keep.Length);
        return RandomBits.Uniform(ref stream) < _keep[column] ? column : _alias[column];
    }
}
