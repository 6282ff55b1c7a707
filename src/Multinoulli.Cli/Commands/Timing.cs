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
    public static double MedianSeconds(Action body, int repetitions, double warmUpSeconds)
    {
        long warmUp = Stopwatch.GetTimestamp();
        for (int run = 0; run < 2 || Stopwatch.GetElapsedTime(warmUp).TotalSeconds < warmUpSeconds; run++)
            body();
        var seconds = new double[repetitions];
        for (int i = 0; i < repetitions; i++)
        {
            long start = Stopwatch.GetTimestamp();
            body();
            seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        Array.Sort(seconds);
        return seconds[repetitions / 2];
    }
}
