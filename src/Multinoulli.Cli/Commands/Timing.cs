using System.Diagnostics;

namespace Multinoulli.Cli.Commands;

/// <summary>Median wall-clock time of a benchmark body, after a warm-up.</summary>
public static class Timing
{
    /// <summary>
    /// The median of <paramref name="repetitions"/> timed runs, after at least two untimed runs and
    /// <paramref name="warmUpSeconds"/>: the tiered JIT only promotes a hot method after a delay, and timing a
    /// contender before then would measure its unoptimised code.
    /// </summary>
    public static double MedianSeconds(Action body, int repetitions, double warmUpSeconds) =>
        InterleavedMedianSeconds([body], repetitions, warmUpSeconds)[0];

    /// <summary>
    /// The median time of each body, warmed up as <see cref="MedianSeconds"/> does, then timed in turns (one run of
    /// each, <paramref name="repetitions"/> rounds): a shared machine's slow spells then fall on every contender
    /// alike, so the ratios between them hold even when the times themselves move. The rounds take the bodies in the
    /// orders of <see cref="BalancedOrders"/>, so that each body follows every other equally often: a body pays for
    /// what the one before it leaves in the caches (a 4M-element softmax ran 8–10% slower right after
    /// TensorPrimitives.SoftMax than right after itself), and nine rounds of a fixed-seed shuffle had made one of
    /// three equal kernels of the 4M row look 1.5× slower than the others in every run.
    /// </summary>
    public static double[] InterleavedMedianSeconds(IReadOnlyList<Action> bodies, int repetitions, double warmUpSeconds)
    {
        foreach (var body in bodies)
        {
            long warmUp = Stopwatch.GetTimestamp();
            for (int run = 0; run < 2 || Stopwatch.GetElapsedTime(warmUp).TotalSeconds < warmUpSeconds; run++)
                body();
        }
        var seconds = new double[bodies.Count][];
        for (int b = 0; b < bodies.Count; b++) seconds[b] = new double[repetitions];
        var orders = BalancedOrders(bodies.Count);
        for (int i = 0; i < repetitions; i++)
        {
            foreach (int b in orders[i % orders.Length])
            {
                long start = Stopwatch.GetTimestamp();
                bodies[b]();
                seconds[b][i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
        }
        return [.. seconds.Select(Median)];
    }

    /// <summary>
    /// Orders of <paramref name="count"/> bodies in which every body follows every other equally often within a
    /// round, over a cycle of <paramref name="count"/> rounds (twice that for an odd count): a Williams design, the
    /// cyclic shifts of 0, 1, n − 1, 2, n − 2, …, and for an odd count their reverses too.
    /// </summary>
    public static int[][] BalancedOrders(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var first = new int[count];
        for (int j = 1, low = 1, high = count - 1; j < count; j++)
            first[j] = j % 2 == 1 ? low++ : high--;
        var shifts = Enumerable.Range(0, count).Select(shift => first.Select(body => (body + shift) % count).ToArray()).ToArray();
        return count % 2 == 0 ? shifts : [.. shifts, .. shifts.Select(order => order.Reverse().ToArray())];
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
