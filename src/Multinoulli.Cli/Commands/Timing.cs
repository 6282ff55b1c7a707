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
    /// alike, so the ratios between them hold even when the times themselves move. Each round takes the bodies in a
    /// new order (shuffled with a fixed seed): in a fixed order one body always follows the same other, and pays for
    /// what that one leaves behind in the caches (a 4M-element softmax ran 8–10% slower right after
    /// TensorPrimitives.SoftMax than right after itself).
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
        var random = new Random(20261124);
        int[] order = [.. Enumerable.Range(0, bodies.Count)];
        for (int i = 0; i < repetitions; i++)
        {
            random.Shuffle(order);
            foreach (int b in order)
            {
                long start = Stopwatch.GetTimestamp();
                bodies[b]();
                seconds[b][i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
        }
        return [.. seconds.Select(times => times.Order().ElementAt(repetitions / 2))];
    }
}
